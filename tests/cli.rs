//! End-to-end tests of the real `warroom` binary: the README's newcomer flow, the
//! catalog listings, refused input (which must write nothing), `verify` against
//! tampering, recovery from a torn write, `check` on broken catalogs, and `render`.
//!
//! Every test runs in its own temporary directory, passed as `--data`, with
//! its own empty config home (so no catalog override) and the `WARROOM_*` variables
//! removed, so neither the user's data, their catalog overrides nor a hub they use can
//! leak in.

use clap::CommandFactory;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;
use warroom::cli::Cli;

const BIN: &str = env!("CARGO_BIN_EXE_warroom");

/// `args` with each of `options` (flag, value) placed right after the command's name,
/// for the options that command takes: options belong to their command, and commands
/// that read no identity (`export`, `verify`, …) refuse `--as`.
fn placed(args: &[&str], options: &[(&str, &str)]) -> Vec<String> {
    let root = Cli::command();
    let (command, at) = match args.first().and_then(|name| root.find_subcommand(name)) {
        Some(sub) => (sub.clone(), 1),
        None => (root, 0),
    };
    let takes = |flag: &str| {
        command
            .get_arguments()
            .any(|a| a.get_long() == flag.strip_prefix("--"))
    };
    let mut all: Vec<String> = args[..at].iter().map(|a| a.to_string()).collect();
    for (flag, value) in options.iter().filter(|(flag, _)| takes(flag)) {
        all.extend([flag.to_string(), value.to_string()]);
    }
    all.extend(args[at..].iter().map(|a| a.to_string()));
    all
}

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    what: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Asserts exit 0 and returns stdout.
    fn ok(self) -> String {
        assert_eq!(
            self.code,
            Some(0),
            "`{}` failed:\n{}",
            self.what,
            self.stderr
        );
        self.stdout
    }

    /// Asserts an ordinary refusal: exit 1 or 2 (not a panic, not success), nothing on
    /// stdout, and exactly one `warroom: ` line on stderr containing every needle.
    fn refused(self, needles: &[&str]) -> Run {
        assert!(
            matches!(self.code, Some(1 | 2)),
            "`{}` should be refused with exit 1 or 2, got {:?}\nstdout: {}\nstderr: {}",
            self.what,
            self.code,
            self.stdout,
            self.stderr
        );
        assert_eq!(self.stdout, "", "`{}` printed on stdout", self.what);
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert!(
            lines.len() == 1 && lines[0].starts_with("warroom: "),
            "`{}` should say why on one line, got:\n{}",
            self.what,
            self.stderr
        );
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "`{}`: stderr should mention `{needle}`:\n{}",
                self.what,
                self.stderr
            );
        }
        self
    }
}

/// A data directory of one's own, and the commands run against it.
struct Room {
    dir: TempDir,
}

impl Room {
    fn new() -> Room {
        Room {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn data(&self) -> PathBuf {
        self.path().join("data")
    }

    fn incidents(&self) -> PathBuf {
        self.data().join("incidents")
    }

    fn log(&self, id: &str) -> PathBuf {
        self.incidents().join(format!("{id}.jsonl"))
    }

    /// Runs `warroom <args>` with `--data <data> --as <who> --role <role>` (those the
    /// command takes).
    fn run_as(&self, who: &str, role: &str, args: &[&str]) -> Run {
        let data = self.data();
        let data = data.to_str().expect("utf-8 path");
        let options = [("--data", data), ("--as", who), ("--role", role)];
        let output = Command::new(BIN)
            .args(placed(args, &options))
            // No catalog override: the default directory lives under this test's own
            // (empty) config home. A named --catalog that does not exist is an error.
            .env_remove("WARROOM_CATALOG")
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            // Nothing from the caller's environment: no data dir, no identity, and
            // above all no hub to send commands to.
            .env_remove("WARROOM_DATA")
            .env_remove("WARROOM_USER")
            .env_remove("WARROOM_HUB")
            .env_remove("WARROOM_TOKEN")
            .env_remove("WARROOM_CONFIG")
            .output()
            .expect("run warroom");
        Run {
            what: format!("warroom --as {who} --role {role} {}", args.join(" ")),
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
        }
    }

    /// Runs as alice, the commander.
    fn run(&self, args: &[&str]) -> Run {
        self.run_as("alice", "commander", args)
    }

    fn ok(&self, args: &[&str]) -> String {
        self.run(args).ok()
    }

    /// Declares an incident and returns its id.
    fn declare(&self, title: &str) -> String {
        let out = self.ok(&["declare", "--title", title]);
        out.trim().to_string()
    }

    /// An incident with several human-written lines: 4 from declare, then 3 notes.
    fn incident_with_notes(&self) -> String {
        let id = self.declare("Queue backlog in eu-west-1");
        for text in ["first note", "second note", "third note"] {
            self.ok(&["note", &id, text]);
        }
        id
    }

    /// Every file under the data directory, with its bytes.
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            let Ok(entries) = fs::read_dir(dir) else {
                return;
            };
            for entry in entries {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    let bytes = fs::read(&path).expect("read file");
                    out.insert(path, bytes);
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.data(), &mut out);
        out
    }

    /// Runs a command that must be refused, and checks that it wrote nothing at all.
    fn refused_as(&self, who: &str, role: &str, args: &[&str], needles: &[&str]) {
        let before = self.snapshot();
        self.run_as(who, role, args).refused(needles);
        assert!(
            before == self.snapshot(),
            "refused `{}` changed the data directory",
            args.join(" ")
        );
    }

    fn refused(&self, args: &[&str], needles: &[&str]) {
        self.refused_as("alice", "commander", args, needles);
    }

    /// Runs `warroom verify FILE`.
    fn verify(&self, file: &Path) -> Run {
        self.run(&["verify", file.to_str().expect("utf-8 path")])
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// The first line of `text` containing `needle`.
fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with `{needle}` in:\n{text}"))
}

/// Byte ranges of the lines of `bytes`, each including its `\n`.
fn line_ranges(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            ranges.push(start..i + 1);
            start = i + 1;
        }
    }
    assert_eq!(start, bytes.len(), "log should end with a newline");
    ranges
}

/// The 1-based line that byte `pos` belongs to (a `\n` belongs to the line it ends).
fn line_of(bytes: &[u8], pos: usize) -> usize {
    bytes[..pos].iter().filter(|b| **b == b'\n').count() + 1
}

fn position(haystack: &[u8], needle: &str) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .unwrap_or_else(|| panic!("`{needle}` not in the log"))
}

/// Asserts `verify` rejects `bytes` (written to a scratch file) naming `line N:`.
fn assert_damaged_at(room: &Room, bytes: &[u8], line: usize, what: &str) {
    let scratch = room.path().join("tampered.jsonl");
    fs::write(&scratch, bytes).expect("write scratch log");
    let run = room.verify(&scratch);
    assert_eq!(
        run.code,
        Some(1),
        "{what}: verify should fail\nstdout: {}",
        run.stdout
    );
    assert!(!run.stdout.starts_with("ok:"), "{what}: {}", run.stdout);
    assert!(
        run.stderr.contains(&format!("line {line}:")),
        "{what}: stderr should name line {line}:\n{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------
// 1. The newcomer flow from the README.

#[test]
fn newcomer_flow_from_declare_to_export() {
    let room = Room::new();
    let id = room.ok(&[
        "declare",
        "--title",
        "PII visible across tenants",
        "--severity",
        "SEV1",
        "--playbook",
        "cross_tenant_exposure",
    ]);
    // Only the id, on one line: INC-YYYYMMDD-1.
    assert!(id.ends_with('\n') && id.lines().count() == 1, "{id:?}");
    let id = id.trim().to_string();
    let date = id
        .strip_prefix("INC-")
        .and_then(|rest| rest.strip_suffix("-1"))
        .unwrap_or_else(|| panic!("`{id}` is not INC-YYYYMMDD-1"));
    assert!(
        date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );
    assert_eq!(
        room.ok(&["declare", "--title", "Second incident"]),
        format!("INC-{date}-2\n")
    );

    let noted = room.ok(&["note", &id, "acme sees globex invoices, via the export API"]);
    assert!(noted.trim().ends_with("note_added"), "{noted}");
    let decided = room.ok(&[
        "note",
        &id,
        "Disable the shared export cache",
        "--kind",
        "decision",
    ]);
    assert!(decided.trim().ends_with("note_added"), "{decided}");
    assert!(room.ok(&["tick", &id, "1"]).contains("item_ticked"));
    assert!(
        room.ok(&["tick", &id, "set_cadence"])
            .contains("item_ticked")
    );
    room.ok(&["blast", &id, "acme", "eu-west-1", "degraded"]);
    room.ok(&["flag", &id, "personal_data_breach"]);

    let status = room.ok(&["status", &id]);
    assert!(status.starts_with(&id), "{status}");
    assert!(status.contains("acme sees globex invoices, via the export API"));
    assert!(status.contains("Disable the shared export cache"));
    // Exactly the two ticked items: number 1 and the one named by its id suffix.
    let ticked: Vec<&str> = status.lines().filter(|l| l.contains("[x]")).collect();
    assert_eq!(ticked.len(), 2, "{status}");
    assert!(ticked[0].trim_start().starts_with("1 [x]"), "{status}");
    assert!(ticked[1].contains("Set the update cadence"), "{status}");
    // The blast grid: a header naming the region, a row for the tenant.
    let grid = &status[status.find("Blast radius").expect("blast section")..];
    let mut rows = grid.lines().skip(1);
    let header: Vec<&str> = rows.next().unwrap().split_whitespace().collect();
    let row: Vec<&str> = rows.next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["tenant", "eu-west-1"], "{status}");
    assert_eq!(row, ["acme", "degraded"], "{status}");
    // The GDPR clock is running.
    let gdpr = line_with(&status, "[gdpr_art33");
    assert!(gdpr.contains("running"), "{gdpr}");
    assert!(status.contains("Regulatory flags: personal_data_breach"));

    let doc = json(&room.ok(&["status", &id, "--json"]));
    assert_eq!(doc["incident"]["id"], id.as_str());
    assert_eq!(doc["incident"]["severity"], "SEV1");
    let events = doc["events"].as_array().expect("events array");
    assert_eq!(
        events.len(),
        11,
        "declare 5 + 2 notes + 2 ticks + blast + flag"
    );
    assert!(doc["metrics"].is_object());
    assert!(doc["metrics"]["time_to_resolve"].is_null());
    let clock = doc["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["id"] == "gdpr_art33.1")
        .expect("GDPR clock in JSON");
    let at = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("time")).expect("RFC 3339")
    };
    assert_eq!(
        at(&clock["due"]) - at(&clock["started"]),
        chrono::Duration::hours(72)
    );

    assert!(
        room.ok(&["status", &id, "--set", "monitoring"])
            .contains("status_changed")
    );
    assert!(
        room.ok(&["status", &id, "--set", "resolved"])
            .contains("status_changed")
    );
    let doc = json(&room.ok(&["status", &id, "--json"]));
    assert_eq!(doc["incident"]["status"], "resolved");
    assert!(
        doc["metrics"]["time_to_resolve"].is_u64(),
        "{}",
        doc["metrics"]
    );
    let timeline = doc["incident"]["timeline"].as_array().expect("timeline");

    let md = room.ok(&["export", &id, "--format", "md"]);
    assert!(md.contains("Post-mortem"));
    assert!(md.contains("acme sees globex invoices, via the export API"));
    let resolve = line_with(&md, "Time to resolve");
    assert!(!resolve.contains("n/a"), "resolved, so measured: {resolve}");

    let csv = room.ok(&["export", &id, "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "seq,at_utc,author,kind,text,corrected,log_head");
    assert_eq!(lines.len(), 1 + timeline.len(), "{csv}");
    for (line, entry) in lines[1..].iter().zip(timeline) {
        assert!(line.starts_with(&format!("{},", entry["seq"])), "{line}");
    }
    assert!(
        csv.contains(",alice,note,\"acme sees globex invoices, via the export API\",false,"),
        "a text with a comma is quoted:\n{csv}"
    );
    assert!(csv.contains(",alice,decision,Disable the shared export cache,false,"));

    let list = room.ok(&["list"]);
    assert_eq!(list.lines().count(), 2, "{list}");
    let first = line_with(&list, &id);
    assert!(first.contains("Resolved") && first.contains("PII visible across tenants"));
    assert!(line_with(&list, &format!("INC-{date}-2")).contains("Investigating"));
    let listed = json(&room.ok(&["list", "--json"]));
    let listed = listed.as_array().expect("list --json is an array");
    let ids: Vec<&str> = listed.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [id.clone(), format!("INC-{date}-2")]);
    assert_eq!(listed[0]["status"], "resolved");
    assert_eq!(listed[0]["events"], 13);
}

// ---------------------------------------------------------------------------------
// 2. Catalog listings.

/// The `id` of every built-in playbook, read from `assets/playbooks/`.
fn asset_playbook_ids() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/playbooks");
    let mut ids: Vec<String> = fs::read_dir(dir)
        .expect("assets/playbooks")
        .map(|e| fs::read_to_string(e.expect("entry").path()).expect("read playbook"))
        .map(|text| {
            let line = text
                .lines()
                .find_map(|l| l.strip_prefix("id = \""))
                .expect("a playbook has a top-level id");
            line.trim_end().trim_end_matches('"').to_string()
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn playbooks_prints_one_line_per_playbook() {
    let room = Room::new();
    let out = room.ok(&["playbooks"]);
    let mut ids: Vec<String> = out
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, asset_playbook_ids(), "{out}");
    let line = line_with(&out, "cross_tenant_exposure");
    assert!(line.contains("SEV1") && line.contains("Cross-tenant data exposure"));
}

#[test]
fn templates_and_roles_are_listed() {
    let room = Room::new();
    let out = room.ok(&["templates"]);
    let ids: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(ids.contains(&"status_identified"), "{out}");
    assert!(ids.contains(&"postmortem"), "{out}");
    assert!(line_with(&out, "status_identified").contains("public"));

    let roles = room.ok(&["roles"]);
    assert!(roles.contains("Observers are read-only"), "{roles}");
    assert!(roles.contains("seats never do"), "{roles}");
    let steer = line_with(&roles, "change title, severity and status");
    assert!(steer.trim_end().ends_with("commander"), "{steer}");
}

// ---------------------------------------------------------------------------------
// 3. Bad input: refused, said on stderr, nothing written.

#[test]
fn bad_declarations_write_nothing_and_use_no_id() {
    let room = Room::new();
    let first = room.declare("Existing incident");
    room.refused(
        &["declare", "--title", "x", "--severity", "SEV9"],
        &["SEV9", "SEV1..SEV5"],
    );
    room.refused(
        &["declare", "--title", "x", "--playbook", "no_such_playbook"],
        &["unknown playbook", "no_such_playbook"],
    );
    // No id was used up by the refusals.
    let next = room.declare("Next incident");
    let prefix = first.strip_suffix("-1").expect("first id ends in -1");
    assert_eq!(next, format!("{prefix}-2"));
}

#[test]
fn bad_declaration_on_a_fresh_data_dir_creates_no_log() {
    let room = Room::new();
    room.refused(
        &["declare", "--title", "x", "--playbook", "no_such_playbook"],
        &["no_such_playbook"],
    );
    assert!(room.snapshot().is_empty(), "{:?}", room.snapshot().keys());
}

#[test]
fn oversized_note_is_refused() {
    let room = Room::new();
    let id = room.declare("Notes");
    let limit = "n".repeat(4_000);
    let over = "n".repeat(4_001);
    room.refused(&["note", &id, &over], &["4001", "4000"]);
    // The limit itself is fine.
    assert!(room.ok(&["note", &id, &limit]).contains("note_added"));
}

#[test]
fn observer_may_not_write_a_note() {
    let room = Room::new();
    let id = room.declare("Observed");
    room.refused_as(
        "olivia",
        "observer",
        &["note", &id, "just looking"],
        &["olivia may not", "add notes"],
    );
    // An observer may still read.
    let status = room.run_as("olivia", "observer", &["status", &id]).ok();
    assert!(status.starts_with(&id));
}

#[test]
fn only_the_commander_changes_severity() {
    let room = Room::new();
    let id = room.declare("Severity");
    room.refused_as(
        "rahul",
        "responder",
        &["severity", &id, "SEV1"],
        &["rahul may not", "severity", "commander"],
    );
    assert!(
        room.ok(&["severity", &id, "SEV1"])
            .contains("severity_changed")
    );
}

#[test]
fn ticking_a_missing_item_is_refused() {
    let room = Room::new();
    let id = room.declare("Ticks");
    room.refused(&["tick", &id, "999"], &["999"]);
    room.refused(&["tick", &id, "no_such_item"], &["no_such_item"]);
}

#[test]
fn unknown_incident_is_refused() {
    let room = Room::new();
    room.declare("The only one");
    room.refused(&["note", "INC-20000101-7", "hello"], &["INC-20000101-7"]);
    room.refused(&["status", "INC-20000101-7"], &["INC-20000101-7"]);
    room.refused(
        &["note", "../../etc/passwd", "hello"],
        &["../../etc/passwd"],
    );
}

#[test]
fn system_entries_cannot_be_written_by_people() {
    let room = Room::new();
    let id = room.declare("Kinds");
    room.refused(
        &["note", &id, "pretend", "--kind", "system"],
        &["system", "note, decision or action"],
    );
}

// ---------------------------------------------------------------------------------
// 4. verify.

#[test]
fn verify_accepts_an_intact_log() {
    let room = Room::new();
    let id = room.incident_with_notes();
    let out = room.verify(&room.log(&id)).ok();
    assert!(out.starts_with("ok:"), "{out}");
    assert!(out.contains("7 events"), "{out}");
}

#[test]
fn verify_names_the_line_of_a_changed_byte() {
    let room = Room::new();
    let id = room.incident_with_notes();
    let original = fs::read(room.log(&id)).expect("read log");
    let lines = line_ranges(&original);
    assert_eq!(lines.len(), 7);

    let third = lines[2].clone();
    let hash_digit = third.start + position(&original[third.clone()], "\"hash\":\"") + 8 + 20;
    let mut positions = vec![
        (0, "the first byte of line 1"),
        (12, "a prev digit of line 1"),
        (
            position(&original, "second note") + 3,
            "a middle line's event text",
        ),
        (hash_digit, "a hash hex digit of line 3"),
        (original.len() - 1, "the final newline"),
        (lines[3].end - 1, "a middle line's newline"),
    ];
    // And a spread of positions across the whole file.
    let step = original.len() / 40;
    positions.extend((0..original.len()).step_by(step).map(|p| (p, "sweep")));

    for (pos, what) in positions {
        let mut bytes = original.clone();
        // Another lowercase hex digit for a hex digit, so that the hash check (not the
        // hex check) is what catches it; any other byte just has its low bit flipped.
        bytes[pos] = match bytes[pos] {
            b'0'..=b'8' | b'a'..=b'e' => bytes[pos] + 1,
            b'9' => b'a',
            b'f' => b'0',
            other => other ^ 1,
        };
        let line = line_of(&original, pos);
        assert_damaged_at(&room, &bytes, line, &format!("{what} (byte {pos})"));
    }
    // The real log was never touched.
    assert!(room.verify(&room.log(&id)).ok().starts_with("ok:"));
}

#[test]
fn verify_notices_a_deleted_or_reordered_line() {
    let room = Room::new();
    let id = room.incident_with_notes();
    let original = fs::read(room.log(&id)).expect("read log");
    let lines: Vec<&[u8]> = line_ranges(&original)
        .into_iter()
        .map(|r| &original[r])
        .collect();

    let without_fourth: Vec<u8> = [&lines[..3], &lines[4..]].concat().concat();
    assert_damaged_at(&room, &without_fourth, 4, "line 4 deleted");

    let mut swapped = lines.clone();
    swapped.swap(4, 5);
    assert_damaged_at(&room, &swapped.concat(), 5, "lines 5 and 6 swapped");

    let mut swapped = lines.clone();
    swapped.swap(0, 1);
    assert_damaged_at(&room, &swapped.concat(), 1, "lines 1 and 2 swapped");
}

#[test]
fn commands_refuse_a_damaged_log_and_leave_it_alone() {
    let room = Room::new();
    let id = room.incident_with_notes();
    let path = room.log(&id);
    let mut bytes = fs::read(&path).expect("read log");
    let pos = position(&bytes, "second note");
    bytes[pos] = b'S';
    fs::write(&path, &bytes).expect("tamper");
    // An edit made after the snapshot (a second later, as by hand; file times count in
    // ticks of a few ms, so one made within the same tick could pass for a write before
    // it — `verify` finds those): the log is newer than its snapshot, so opening it
    // checks the whole chain again.
    // (A short incident like this one has no snapshot at all: it is always replayed.)
    if let Ok(snapshot) = fs::metadata(path.with_extension("snapshot")).and_then(|m| m.modified()) {
        fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(snapshot + std::time::Duration::from_secs(1)))
            .expect("dated");
    }
    let line = line_of(&bytes, pos).to_string();
    let needle = format!("line {line}:");
    room.refused(&["status", &id], &[&needle]);
    room.refused(&["note", &id, "more"], &[&needle]);
    assert_eq!(fs::read(&path).expect("read log"), bytes);
}

// ---------------------------------------------------------------------------------
// 5. A torn tail left by a crash.

/// The line the next `note` would append to incident `id`, made in a copy of the data
/// directory so that the original is untouched.
fn next_line(room: &Room, id: &str) -> Vec<u8> {
    let twin = Room::new();
    fs::create_dir_all(twin.incidents()).expect("twin dir");
    let original = fs::read(room.log(id)).expect("read log");
    fs::write(twin.log(id), &original).expect("copy log");
    twin.ok(&["note", id, "never acknowledged"]);
    let grown = fs::read(twin.log(id)).expect("read twin log");
    assert!(grown.starts_with(&original));
    let line = grown[original.len()..].to_vec();
    assert_eq!(line_ranges(&line).len(), 1, "one new line");
    line
}

#[test]
fn torn_tail_is_reported_cut_and_forgotten() {
    let room = Room::new();
    let id = room.declare("Crash mid-write");
    room.ok(&["note", &id, "before the crash"]);
    let path = room.log(&id);
    let original = fs::read(&path).expect("read log");
    let events = line_ranges(&original).len();
    let next = next_line(&room, &id);

    // Several cut points verify as a tear, not as damage; the log is not modified.
    let scratch = room.path().join("torn.jsonl");
    for cut in [1, 9, next.len() / 2, next.len() - 2, next.len() - 1] {
        let torn = [original.as_slice(), &next[..cut]].concat();
        fs::write(&scratch, &torn).expect("write scratch");
        let out = room.verify(&scratch).ok();
        assert!(out.starts_with("ok:"), "cut at {cut}: {out}");
        assert!(
            out.contains(&format!("{events} events")),
            "cut at {cut}: {out}"
        );
        assert!(out.contains("unfinished write"), "cut at {cut}: {out}");
        assert!(out.contains(&format!("line {}", events + 1)), "{out}");
        assert_eq!(fs::read(&scratch).expect("read scratch"), torn);
    }

    // Half a line on the real log.
    let torn = [original.as_slice(), &next[..next.len() / 2]].concat();
    fs::write(&path, &torn).expect("tear the log");
    let verified = room.verify(&path).ok();
    assert!(verified.starts_with("ok:") && verified.contains("unfinished write"));

    let status = room.run(&["status", &id]);
    assert_eq!(status.code, Some(0), "{}", status.stderr);
    assert!(
        status.stderr.contains("cut off an unfinished write"),
        "{}",
        status.stderr
    );
    assert!(status.stdout.contains("before the crash"));
    assert!(!status.stdout.contains("never acknowledged"));
    assert_eq!(fs::read(&path).expect("read log"), original, "tail cut off");

    let noted = room.ok(&["note", &id, "after the crash"]);
    assert_eq!(noted.trim(), format!("#{} note_added", events + 1));
    let verified = room.verify(&path).ok();
    assert!(verified.starts_with("ok:"), "{verified}");
    assert!(
        verified.contains(&format!("{} events", events + 1)),
        "{verified}"
    );
    assert!(!verified.contains("unfinished"), "{verified}");
    // Nothing more to cut: no warning now.
    assert_eq!(room.run(&["status", &id]).stderr, "");
}

#[test]
fn listing_says_so_when_it_cuts_a_torn_tail() {
    let room = Room::new();
    let id = room.declare("Crash, then list");
    let path = room.log(&id);
    let original = fs::read(&path).expect("read log");
    let next = next_line(&room, &id);
    let torn = [original.as_slice(), &next[..next.len() / 2]].concat();
    for args in [&["list"][..], &[]] {
        fs::write(&path, &torn).expect("tear the log");
        let run = room.run(args);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert!(run.stdout.contains(&id), "{}", run.stdout);
        // README: "the next open cuts it off and says so".
        let cut = fs::read(&path).expect("read log") != torn;
        assert!(
            !cut || run.stderr.contains("unfinished write"),
            "`warroom {}` cut the torn tail without saying so; stderr: {:?}",
            args.join(" "),
            run.stderr
        );
    }
}

// ---------------------------------------------------------------------------------
// 6. check, and a broken catalog.

/// Writes `files` (relative path, text) under `<room>/<name>/` and returns that dir.
fn catalog(room: &Room, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = room.path().join(name);
    for (relative, text) in files {
        let path = dir.join(relative);
        fs::create_dir_all(path.parent().expect("parent")).expect("catalog dir");
        fs::write(path, text).expect("catalog file");
    }
    dir
}

const GOOD_PLAYBOOK: &str = r#"id = "my_runbook"
title = "My runbook"
summary = "A playbook from a test."
default_severity = "SEV3"
source = "tests/cli.rs"

[[step]]
phase = "triage"
text = "Look at the queue dashboard."
role = "ops"
"#;

/// Line 3 opens a string it never closes.
const SYNTAX_ERROR: &str =
    "id = \"bad\"\ntitle = \"Bad\"\nsummary = \"oops\ndefault_severity = \"SEV2\"\n";

fn check(room: &Room, dir: &Path) -> Run {
    room.run(&["check", dir.to_str().expect("utf-8 path")])
}

/// Asserts `check` fails and every needle is on stderr.
fn assert_check_fails(run: &Run, needles: &[&str]) {
    assert!(
        matches!(run.code, Some(1 | 2)),
        "check should fail, got {:?}:\n{}",
        run.code,
        run.stdout
    );
    assert!(!run.stdout.contains("ok:"), "{}", run.stdout);
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "stderr should mention `{needle}`:\n{}",
            run.stderr
        );
    }
}

#[test]
fn check_points_at_a_toml_syntax_error() {
    let room = Room::new();
    let dir = catalog(&room, "cat", &[("playbooks/bad.toml", SYNTAX_ERROR)]);
    assert_check_fails(&check(&room, &dir), &["bad.toml:3:"]);
}

#[test]
fn check_names_an_unknown_placeholder() {
    let room = Room::new();
    let template =
        "id = \"weird\"\ntitle = \"Weird\"\naudience = \"internal\"\nbody = \"Hello {nonsense}\"\n";
    let dir = catalog(&room, "cat", &[("templates/weird.toml", template)]);
    assert_check_fails(&check(&room, &dir), &["weird.toml", "nonsense"]);
}

#[test]
fn check_names_an_unknown_key() {
    let room = Room::new();
    let typo = GOOD_PLAYBOOK.replace(
        "source = \"tests/cli.rs\"\n",
        "source = \"tests/cli.rs\"\nsevrity = \"SEV2\"\n",
    );
    let dir = catalog(&room, "cat", &[("playbooks/typo.toml", &typo)]);
    assert_check_fails(&check(&room, &dir), &["typo.toml:6:", "sevrity"]);
}

#[test]
fn check_accepts_a_valid_override_and_it_is_used() {
    let room = Room::new();
    let dir = catalog(
        &room,
        "cat",
        &[("playbooks/my_runbook.toml", GOOD_PLAYBOOK)],
    );
    let out = check(&room, &dir).ok();
    assert!(out.starts_with("ok:"), "{out}");
    let builtin = asset_playbook_ids().len();
    assert!(out.contains(&format!("{} playbooks", builtin + 1)), "{out}");

    let dir = dir.to_str().expect("utf-8 path");
    let listed = room.ok(&["playbooks", "--catalog", dir]);
    assert!(line_with(&listed, "my_runbook").contains("My runbook"));
    let id = room.ok(&[
        "declare",
        "--catalog",
        dir,
        "--title",
        "Custom",
        "--playbook",
        "my_runbook",
    ]);
    let status = room.ok(&["status", id.trim(), "--catalog", dir]);
    assert!(status.contains("Look at the queue dashboard."), "{status}");
}

#[test]
fn check_without_a_dir_checks_the_built_in_catalog() {
    let room = Room::new();
    // The default override directory does not exist: nothing to lay over.
    let out = room.ok(&["check"]);
    assert!(out.starts_with("ok: built-in catalog"), "{out}");
    let builtin = asset_playbook_ids().len();
    assert!(out.contains(&format!("{builtin} playbooks")), "{out}");
}

#[test]
fn check_of_a_named_dir_that_does_not_exist_fails() {
    let room = Room::new();
    let missing = room.path().join("no-such-catalog-dir");
    let run = check(&room, &missing);
    assert_check_fails(&run, &["no-such-catalog-dir"]);
}

#[test]
fn broken_catalog_stops_declare_and_writes_nothing() {
    let room = Room::new();
    let dir = catalog(&room, "cat", &[("playbooks/bad.toml", SYNTAX_ERROR)]);
    let dir = dir.to_str().expect("utf-8 path");
    let run = room.run(&["declare", "--catalog", dir, "--title", "Should not exist"]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("catalog has errors"), "{}", run.stderr);
    assert!(run.stderr.contains("bad.toml:3:"), "{}", run.stderr);
    assert!(room.snapshot().is_empty(), "{:?}", room.snapshot().keys());
}

// ---------------------------------------------------------------------------------
// 7. render.

#[test]
fn render_fills_fields_and_incident_facts() {
    let room = Room::new();
    let id = room.declare("Exports show other customers' data");
    room.ok(&["blast", &id, "acme", "eu-west-1", "degraded"]);
    room.ok(&["blast", &id, "globex", "us-east-1", "down"]);
    room.ok(&["blast", &id, "initech", "ap-south-1", "healthy"]);
    let before = room.snapshot();

    let run = room.run(&[
        "render",
        &id,
        "status_identified",
        "--set",
        "symptom=Some exports show other customers' data",
    ]);
    let text = run.stdout.clone();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(text.contains("cause of Some exports show other customers' data"));
    let regions = line_with(&text, "Affected regions:");
    assert!(
        regions.contains("eu-west-1") && regions.contains("us-east-1"),
        "{regions}"
    );
    assert!(
        !regions.contains("ap-south-1"),
        "healthy is not affected: {regions}"
    );
    // The field left unfilled is marked and named.
    assert!(text.contains("⟨fix_in_progress⟩"), "{text}");
    assert!(run.stderr.contains("fix_in_progress"), "{}", run.stderr);
    assert!(before == room.snapshot(), "render wrote to the log");
}

#[test]
fn render_refuses_an_unknown_field_naming_the_real_ones() {
    let room = Room::new();
    let id = room.declare("Render");
    room.refused(
        &["render", &id, "status_identified", "--set", "bogus=1"],
        &["bogus", "symptom", "fix_in_progress"],
    );
}

/// Runs the binary through `sh` with `umask 022` (the common default that made every
/// file 0644): the test harness sets the umask, the product must not depend on it.
#[cfg(unix)]
fn under_umask_022(room: &Room, config: &Path, args: &[&str]) -> String {
    let output = Command::new("/bin/sh")
        .args(["-c", "umask 022; exec \"$0\" \"$@\"", BIN])
        .args(placed(
            args,
            &[
                ("--data", room.data().to_str().expect("utf-8 path")),
                ("--as", "alice"),
            ],
        ))
        .env_remove("WARROOM_CATALOG")
        .env("XDG_CONFIG_HOME", room.path().join("config"))
        .env_remove("WARROOM_DATA")
        .env_remove("WARROOM_USER")
        .env_remove("WARROOM_HUB")
        .env_remove("WARROOM_TOKEN")
        .env("WARROOM_CONFIG", config)
        .output()
        .expect("run warroom through sh");
    assert!(
        output.status.success(),
        "`{}` failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 stdout")
}

#[cfg(unix)]
#[test]
fn everything_written_is_the_owners_only_under_umask_022() {
    use std::os::unix::fs::PermissionsExt;
    let room = Room::new();
    let etc = room.path().join("etc");
    let config = etc.join("warroom.toml");
    let config_arg = config.to_str().expect("utf-8 path");
    under_umask_022(
        &room,
        &config,
        &[
            "token", "new", "--name", "bob", "--role", "scribe", "--config", config_arg,
        ],
    );
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(&config)
        .expect("the config");
    std::io::Write::write_all(
        &mut file,
        b"\n[[channel]]\nname = \"box\"\nkind = \"outbox\"\ndir = \"outbox\"\n",
    )
    .expect("a channel");
    let id = under_umask_022(&room, &config, &["declare", "--title", "Modes"]);
    let id = id.trim();
    under_umask_022(&room, &config, &["note", id, "private detail"]);
    let set = [
        "--set",
        "current_state=a",
        "--set",
        "in_progress=b",
        "--set",
        "eta=c",
    ];
    let mut publish = vec!["publish", id, "--template", "internal_update"];
    publish.extend_from_slice(&set);
    publish.extend_from_slice(&["--channel", "box"]);
    under_umask_022(&room, &config, &publish);
    let export = room.path().join("postmortem.md");
    let export_arg = export.to_str().expect("utf-8 path");
    under_umask_022(&room, &config, &["export", id, "-o", export_arg]);

    let mode = |path: &Path| {
        let meta = fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        meta.permissions().mode() & 0o777
    };
    let outbox = etc.join("outbox");
    let delivered: Vec<PathBuf> = fs::read_dir(&outbox)
        .expect("the outbox")
        .map(|e| e.expect("an entry").path())
        .collect();
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    for dir in [&room.data(), &room.incidents(), &etc, &outbox] {
        assert_eq!(mode(dir), 0o700, "{}", dir.display());
    }
    for file in [&room.log(id), &config, &delivered[0], &export] {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
}

#[test]
fn token_new_help_explains_name_and_config_and_its_default_path() {
    let room = Room::new();
    let config_home = room.path().join("config");
    let output = Command::new(BIN)
        .args(["token", "new", "--help"])
        .env_remove("WARROOM_CONFIG")
        .env("XDG_CONFIG_HOME", &config_home)
        .output()
        .expect("run warroom");
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).expect("utf-8");
    let described = |flag: &str| {
        let line = line_with(&help, flag);
        line.trim_start().len() > flag.len() + 8
    };
    assert!(described("--name <NAME>"), "--name is explained:\n{help}");
    assert!(
        described("--config <FILE>"),
        "--config is explained:\n{help}"
    );
    assert!(help.contains("$WARROOM_CONFIG"), "{help}");
    let default = config_home.join("warroom").join("warroom.toml");
    let shown = format!("[default: {}]", default.display());
    assert!(help.contains(&shown), "the default path is shown:\n{help}");
}

// ---------------------------------------------------------------------------------
// list: filters, and the summary it reads.

/// Declares `title` through the engine, as if `days_ago` days ago (the CLI always
/// declares now).
fn declared_days_ago(room: &Room, title: &str, days_ago: i64) -> String {
    use warroom::engine::{DataDir, Submission};
    use warroom::incident::{Actor, Command as Cmd, Role, Severity};
    let submission = Submission {
        actor: Actor::new("alice", [Role::Commander]),
        command: Cmd::Declare {
            id: String::new(),
            title: title.into(),
            severity: Severity::Sev3,
            playbook: None,
            summary: None,
        },
        command_id: None,
    };
    let at = chrono::Utc::now() - chrono::Duration::days(days_ago);
    let runbooks = warroom::catalog::embedded().expect("catalog");
    let incident = DataDir::new(room.data())
        .declare(submission, at, &runbooks)
        .expect("declared");
    incident.state().id.clone()
}

/// The ids `warroom list <args>` prints, in order.
fn listed_ids(room: &Room, args: &[&str]) -> Vec<String> {
    let mut all = vec!["list", "--json"];
    all.extend_from_slice(args);
    let listed = json(&room.ok(&all));
    let items = listed.as_array().expect("an array");
    items
        .iter()
        .map(|i| i["id"].as_str().expect("an id").to_string())
        .collect()
}

#[test]
fn list_filters_by_status_and_age() {
    let room = Room::new();
    let old = declared_days_ago(&room, "Old and open", 40);
    let none = room.ok(&["list", "--since", "30d"]);
    assert_eq!(none, "No incidents match --status and --since.\n");
    assert_eq!(listed_ids(&room, &["--since", "30d"]), Vec::<String>::new());
    let open = room.declare("Open now");
    let resolved = room.declare("Resolved now");
    room.ok(&["status", &resolved, "--set", "resolved"]);

    assert_eq!(
        listed_ids(&room, &[]),
        [old.as_str(), open.as_str(), resolved.as_str()]
    );
    assert_eq!(
        listed_ids(&room, &["--status", "all"]),
        [old.as_str(), open.as_str(), resolved.as_str()]
    );
    assert_eq!(
        listed_ids(&room, &["--status", "open"]),
        [old.as_str(), open.as_str()]
    );
    assert_eq!(
        listed_ids(&room, &["--status", "resolved"]),
        [resolved.as_str()]
    );
    assert_eq!(
        listed_ids(&room, &["--since", "30d"]),
        [open.as_str(), resolved.as_str()]
    );
    assert_eq!(
        listed_ids(&room, &["--since", "6w"]),
        [old.as_str(), open.as_str(), resolved.as_str()]
    );
    assert_eq!(
        listed_ids(&room, &["--status", "open", "--since", "12h"]),
        [open.as_str()]
    );
    let text = room.ok(&["list", "--status", "open", "--since", "1h"]);
    assert!(text.contains(&open) && !text.contains(&old), "{text}");

    room.refused(
        &["list", "--status", "closed"],
        &["--status", "open, resolved or all"],
    );
    room.refused(&["list", "--since", "30"], &["--since", "like 30d"]);
    room.refused(&["list", "--since", "yesterday"], &["--since", "like 30d"]);
}

#[test]
fn list_json_keeps_its_fields_and_adds_resolved_at_seats_and_counts() {
    let room = Room::new();
    let id = room.declare("Checkout 502s");
    room.ok(&["note", &id, "rolling back"]);
    room.ok(&["status", &id, "--set", "resolved"]);
    let listed = json(&room.ok(&["list", "--json"]));
    let item = &listed[0];
    for key in [
        "id",
        "title",
        "severity",
        "status",
        "declared_at",
        "commander",
        "events",
    ] {
        assert!(item.get(key).is_some(), "`{key}` is kept: {item}");
    }
    assert_eq!(item["status"], "resolved");
    assert_eq!(item["commander"], "alice");
    assert!(item["resolved_at"].is_string(), "{item}");
    assert_eq!(item["seats"]["commander"], "alice", "{item}");
    assert!(
        item["counts"]["timeline"].as_u64().expect("a count") >= 2,
        "{item}"
    );
    assert_eq!(item["counts"]["participants"], 1, "{item}");

    // Read from the summary beside the log, and the same after it is rebuilt.
    let summary = room.incidents().join(format!("{id}.summary"));
    assert!(summary.exists(), "the commit wrote it");
    fs::remove_file(&summary).expect("removed");
    // The index of summaries still vouches for it (its log is unchanged)...
    assert_eq!(json(&room.ok(&["list", "--json"])), listed);
    // ...and without the index either, it is built from the log and kept again.
    fs::remove_file(room.incidents().join("summaries.index")).expect("the index");
    assert_eq!(json(&room.ok(&["list", "--json"])), listed);
    assert!(summary.exists(), "list wrote it again");
}

// ---------------------------------------------------------------------------------
// Options belong to the commands that use them.
// ---------------------------------------------------------------------------------

/// Every command's path, as clap knows it ("token new" for nested ones).
fn command_paths() -> Vec<Vec<String>> {
    fn walk(command: &clap::Command, path: Vec<String>, into: &mut Vec<Vec<String>>) {
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut path = path.clone();
            path.push(sub.get_name().to_string());
            into.push(path.clone());
            walk(sub, path, into);
        }
    }
    let mut all = Vec::new();
    walk(&Cli::command(), Vec::new(), &mut all);
    all
}

/// `warroom ARGS --help` with nothing from the caller's environment; its output.
fn help(room: &Room, args: &[String]) -> String {
    let output = Command::new(BIN)
        .args(args)
        .arg("--help")
        .env("XDG_CONFIG_HOME", room.path().join("config"))
        .env_remove("WARROOM_CATALOG")
        .env_remove("WARROOM_DATA")
        .env_remove("WARROOM_USER")
        .env_remove("WARROOM_HUB")
        .env_remove("WARROOM_TOKEN")
        .env_remove("WARROOM_THEME")
        .output()
        .expect("run warroom");
    // A debug build checks clap's rules as each command is built: a broken one panics.
    assert!(
        output.status.success(),
        "`warroom {} --help` failed ({:?}):\n{}",
        args.join(" "),
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 help")
}

/// True when `help` lists the option `--long` (as an option, not in a sentence).
fn lists(help: &str, long: &str) -> bool {
    help.lines()
        .any(|l| l.trim_start().starts_with(&format!("--{long} ")))
}

#[test]
fn every_command_help_offers_the_console_look_only_on_consoles_and_hubs_where_usable() {
    let room = Room::new();
    let bare = help(&room, &[]);
    assert!(lists(&bare, "layout") && lists(&bare, "theme"), "{bare}");
    assert!(!lists(&bare, "hub") && !lists(&bare, "role"), "{bare}");
    let paths = command_paths();
    assert!(paths.len() > 30, "every command, from clap: {paths:?}");
    // No --hub: they open a console, read only the catalog, or run the hub itself.
    let no_hub = [
        "console",
        "join",
        "demo",
        "playbooks",
        "templates",
        "roles",
        "verify",
        "check",
        "migrate",
        "serve",
        "token",
        "responder",
        "tls",
        "bench",
    ];
    for path in paths {
        let text = help(&room, &path);
        let name = path.join(" ");
        let console = ["console", "join", "demo"].contains(&name.as_str());
        assert_eq!(lists(&text, "layout"), console, "`{name} --help`:\n{text}");
        assert_eq!(lists(&text, "theme"), console, "`{name} --help`:\n{text}");
        // A group of subcommands (`followup`) takes no options itself.
        let group = path.len() == 1 && path[0] == "followup";
        let hub = !no_hub.contains(&path[0].as_str()) && !group;
        assert_eq!(lists(&text, "hub"), hub, "`{name} --help`:\n{text}");
    }
}

#[test]
fn list_help_offers_data_and_hub_but_not_the_console_look_or_an_identity() {
    let room = Room::new();
    let text = help(&room, &["list".to_string()]);
    for offered in ["data", "catalog", "hub", "token", "json"] {
        assert!(lists(&text, offered), "--{offered}:\n{text}");
    }
    // It records nothing, so it has no use for who you are.
    for not_offered in ["layout", "theme", "as", "role"] {
        assert!(!lists(&text, not_offered), "--{not_offered}:\n{text}");
    }
}

#[test]
fn item_takes_its_owner_with_owner_and_your_roles_with_role() {
    let room = Room::new();
    let id = room.declare("Item flags");
    // Was a clap debug assertion (`item --role` and the global `--role` on one flag).
    let out = room.ok(&["item", &id, "Page the DBA", "--owner", "comms"]);
    assert!(out.contains("items_added"), "{out}");
    let status = json(&room.ok(&["status", &id, "--json"]));
    let items = status["incident"]["checklist"]
        .as_array()
        .expect("a checklist");
    let added = items
        .iter()
        .find(|i| i["text"] == "Page the DBA")
        .unwrap_or_else(|| panic!("no item: {items:?}"));
    assert_eq!(added["role"], "comms", "{added}");
    // `--role` is your own role on `item` as on every command: an observer adds nothing.
    room.refused_as(
        "olivia",
        "observer",
        &["item", &id, "Not allowed"],
        &["olivia may not add checklist items"],
    );
}

#[test]
fn an_option_before_the_command_is_refused_and_says_where_it_goes() {
    let room = Room::new();
    let output = Command::new(BIN)
        .arg("--data")
        .arg(room.data())
        .args(["declare", "--title", "Misplaced"])
        .env("XDG_CONFIG_HOME", room.path().join("config"))
        .env_remove("WARROOM_CATALOG")
        .env_remove("WARROOM_DATA")
        .env_remove("WARROOM_HUB")
        .output()
        .expect("run warroom");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("warroom declare … --data <DIR>"),
        "{stderr}"
    );
    assert!(!room.data().exists(), "nothing written anywhere");
}

#[test]
fn environment_variables_reach_the_commands_that_read_them() {
    let room = Room::new();
    let run = |args: &[&str]| {
        let output = Command::new(BIN)
            .args(args)
            .env("XDG_CONFIG_HOME", room.path().join("config"))
            .env("WARROOM_DATA", room.data())
            .env("WARROOM_USER", "erin")
            .env_remove("WARROOM_CATALOG")
            .env_remove("WARROOM_HUB")
            .env_remove("WARROOM_TOKEN")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run warroom");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{args:?}: {stderr}");
        String::from_utf8(output.stdout).expect("utf-8")
    };
    let id = run(&["declare", "--title", "From the environment"]);
    let id = id.trim();
    run(&["note", id, "written by erin"]);
    let status = json(&run(&["status", id, "--json"]));
    assert_eq!(status["events"][0]["actor"], "erin", "{status}");
    assert!(run(&["list"]).contains(id));
    // `warroom` alone, not in a terminal: the summary of the same directory.
    let summary = run(&[]);
    let shown = format!("data in {}", room.data().display());
    assert!(
        summary.contains(&shown) && summary.contains(id),
        "{summary}"
    );
}

/// Resolving with loose ends still works (scripts keep working) but says on stderr
/// what is still open, the list the console's resolve dialog shows; stdout stays the
/// events line, and other status changes warn of nothing.
#[test]
fn resolving_with_loose_ends_warns_on_stderr_what_is_still_open() {
    let room = Room::new();
    let id = room.declare("Exports cross tenants");
    room.ok(&["blast", &id, "acme", "eu-west-1", "isolated"]);
    let monitoring = room.run(&["status", &id, "--set", "monitoring"]);
    assert_eq!(monitoring.stderr, "", "no warning before resolving");
    let resolved = room.run(&[
        "status",
        &id,
        "--set",
        "resolved",
        "--reason",
        "rolled back",
    ]);
    assert_eq!(resolved.code, Some(0), "{}", resolved.stderr);
    assert!(
        resolved.stdout.trim().ends_with("status_changed"),
        "{}",
        resolved.stdout
    );
    let warning = &resolved.stderr;
    assert!(
        warning.starts_with(&format!(
            "warroom: warning: {id} was resolved with these still open:\n"
        )),
        "{warning}"
    );
    assert!(warning.contains("open checklist items"), "{warning}");
    assert!(
        warning.contains("  - tenant acme still isolated in eu-west-1\n"),
        "{warning}"
    );
    let doc = json(&room.ok(&["status", &id, "--json"]));
    let last = doc["incident"]["timeline"]
        .as_array()
        .and_then(|t| t.last().cloned())
        .unwrap_or_default();
    assert!(
        last["text"].as_str().unwrap_or("").contains("rolled back"),
        "{last}"
    );
}
