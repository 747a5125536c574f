//! `warroom migrate` through the real binary and a real `nats-server -js` (skipped,
//! saying so, if it is not installed): a data directory's incidents into a JetStream
//! stream and back into another directory, byte for byte (same heads, `verify` clean
//! on both ends, snapshots along, exports equal); a re-run skips what is there; an
//! incident with another history under the same id is refused, naming both heads, and
//! nothing is overwritten.

mod cli_support;
mod nats_server;

use std::path::Path;
use std::process::Command as Process;

use chrono::{TimeZone, Utc};
use nats_server::NatsServer;
use warroom::engine::{DataDir, SNAPSHOT_MIN_EVENTS, Submission};
use warroom::incident::{Actor, Command, EntryKind, Role, Severity, Status};

fn alice() -> Actor {
    Actor::new("alice", [Role::Commander])
}

/// Declares incident `id` in `data` with `notes` notes, then (if `identify`) marks it
/// identified: a status change writes a snapshot once an incident is long enough.
fn incident(data: &DataDir, id: &str, title: &str, notes: u64, identify: bool) {
    let runbooks = warroom::catalog::embedded().expect("the embedded catalog");
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 4, 0, 0).unwrap();
    let declare = Submission {
        actor: alice(),
        command: Command::Declare {
            id: id.into(),
            title: title.into(),
            severity: Severity::Sev2,
            playbook: None,
            summary: None,
        },
        command_id: None,
    };
    let mut incident = data.declare(declare, now, &runbooks).expect("declared");
    let mut written = 0;
    while written < notes {
        let batch: Vec<Submission> = (written..notes.min(written + 500))
            .map(|i| Submission {
                actor: alice(),
                command: Command::AddNote {
                    kind: EntryKind::Note,
                    text: format!("{title}: note {i}"),
                    typed_at: None,
                },
                command_id: Some(format!("n{i}")),
            })
            .collect();
        written += batch.len() as u64;
        incident.execute(&batch, now, &runbooks).expect("noted");
    }
    if identify {
        let status = Submission {
            actor: alice(),
            command: Command::SetStatus {
                status: Status::Identified,
                reason: None,
            },
            command_id: None,
        };
        incident
            .execute(&[status], now, &runbooks)
            .expect("identified");
    }
}

/// Adds `notes` notes to incident `id` in `data`.
fn more_notes(data: &DataDir, id: &str, notes: u64) {
    let runbooks = warroom::catalog::embedded().expect("the embedded catalog");
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 5, 0, 0).unwrap();
    let mut incident = data.open(id).expect("opens");
    let batch: Vec<Submission> = (0..notes)
        .map(|i| Submission {
            actor: alice(),
            command: Command::AddNote {
                kind: EntryKind::Note,
                text: format!("later note {i}"),
                typed_at: None,
            },
            command_id: Some(format!("later{i}")),
        })
        .collect();
    incident.execute(&batch, now, &runbooks).expect("noted");
}

/// `warroom migrate --from FROM --to TO --stream migtest --replicas 1`: exit code, stdout
/// and stderr.
fn migrate(from: &str, to: &str) -> (Option<i32>, String, String) {
    let out = Process::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["migrate", "--from", from, "--to", to])
        .args(["--stream", "migtest", "--replicas", "1"])
        .env_remove("WARROOM_DATA")
        .env_remove("WARROOM_HUB")
        .output()
        .expect("warroom migrate runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `warroom verify` on incident `id`'s log in `data`: its output, which must be clean.
fn verified(data: &Path, id: &str) -> String {
    let log = data.join("incidents").join(format!("{id}.jsonl"));
    let out = Process::new(env!("CARGO_BIN_EXE_warroom"))
        .arg("verify")
        .arg(&log)
        .output()
        .expect("warroom verify runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}: {text}{}",
        log.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The `head SEQ:HASH` line `verify` prints.
fn head_line(verify: &str) -> String {
    verify
        .lines()
        .find(|l| l.starts_with("head "))
        .expect("a head line")
        .to_string()
}

fn path(dir: &Path) -> &str {
    dir.to_str().expect("a UTF-8 path")
}

#[test]
fn migrate_copies_incidents_into_nats_and_back_verbatim_and_refuses_another_history() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let url = nats.url();
    let (src, dst, other) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let source = DataDir::new(src.path());
    incident(&source, "INC-LONG", "long", SNAPSHOT_MIN_EVENTS + 50, true);
    incident(&source, "INC-SHORT", "short", 3, false);
    assert!(
        src.path().join("incidents/INC-LONG.snapshot").exists(),
        "the long incident has a snapshot to carry"
    );

    // Into the stream.
    let (code, out, err) = migrate(path(src.path()), &url);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("INC-LONG: copied"), "{out}");
    assert!(out.contains("INC-SHORT: copied "), "{out}");
    assert!(
        out.contains(", snapshot at seq "),
        "the snapshot came along: {out}"
    );
    assert!(
        out.contains("2 incident(s): 2 copied, 0 already there, 0 failed"),
        "{out}"
    );

    // And back, into another directory.
    let (code, out, err) = migrate(&url, path(dst.path()));
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("2 copied"), "{out}");
    for id in ["INC-LONG", "INC-SHORT"] {
        let (here, there) = (verified(src.path(), id), verified(dst.path(), id));
        assert_eq!(head_line(&here), head_line(&there), "{id}: the same head");
        let original = std::fs::read(src.path().join(format!("incidents/{id}.jsonl"))).unwrap();
        let copy = std::fs::read(dst.path().join(format!("incidents/{id}.jsonl"))).unwrap();
        assert!(original == copy, "{id}: the log came back byte for byte");
        let export_src = cli_support::read(src.path(), &["export", id, "--format", "md"]);
        let export_dst = cli_support::read(dst.path(), &["export", id, "--format", "md"]);
        assert_eq!(export_src, export_dst, "{id}: the same export");
    }
    let long = verified(dst.path(), "INC-LONG");
    assert!(
        long.contains("matches the log"),
        "the snapshot came back and matches: {long}"
    );
    let listed = cli_support::read(dst.path(), &["list"]);
    assert!(
        listed.contains("INC-LONG") && listed.contains("INC-SHORT"),
        "{listed}"
    );

    // Again: nothing to do, nothing written.
    let (code, out, err) = migrate(path(src.path()), &url);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("INC-LONG: already there"), "{out}");
    assert!(out.contains("INC-SHORT: already there"), "{out}");
    assert!(out.contains("0 copied, 2 already there, 0 failed"), "{out}");

    // The incident goes on here; copying again extends the stream's copy from its end
    // (an incremental backup), and the long one stays as it was.
    let before = head_line(&verified(src.path(), "INC-SHORT"));
    let before_seq = before["head ".len()..]
        .split(':')
        .next()
        .unwrap()
        .to_string();
    let stale = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(stale.path().join("incidents")).unwrap();
    std::fs::copy(
        src.path().join("incidents/INC-SHORT.jsonl"),
        stale.path().join("incidents/INC-SHORT.jsonl"),
    )
    .unwrap();
    more_notes(&source, "INC-SHORT", 2);
    let (code, out, err) = migrate(path(src.path()), &url);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains(&format!(
            "INC-SHORT: extended the copy there from seq {before_seq}"
        )),
        "{out}"
    );
    assert!(out.contains("INC-LONG: already there"), "{out}");
    let (code, out, err) = migrate(&url, path(dst.path()));
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("INC-SHORT: extended the copy there"), "{out}");
    // An older copy of it, copied in again: the stream is further on, and kept.
    let (code, out, err) = migrate(path(stale.path()), &url);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("INC-SHORT: already there and further on")
            && out.contains(&format!("the source ends at {}", &before["head ".len()..])),
        "{out}"
    );
    assert_eq!(
        head_line(&verified(src.path(), "INC-SHORT")),
        head_line(&verified(dst.path(), "INC-SHORT")),
        "the backup caught up"
    );

    // Another incident under a taken id: refused, both heads named, the stream's kept.
    let elsewhere = DataDir::new(other.path());
    incident(&elsewhere, "INC-SHORT", "a different short one", 3, false);
    let theirs = head_line(&verified(other.path(), "INC-SHORT"));
    let ours = head_line(&verified(src.path(), "INC-SHORT"));
    let (code, out, _) = migrate(path(other.path()), &url);
    assert_ne!(code, Some(0), "a refused incident fails the run: {out}");
    let refused = out
        .lines()
        .find(|l| l.starts_with("INC-SHORT: FAILED"))
        .unwrap_or_else(|| panic!("INC-SHORT refused: {out}"));
    let (theirs, ours) = (&theirs["head ".len()..], &ours["head ".len()..]);
    assert!(
        refused.contains(theirs) && refused.contains(ours),
        "both heads named ({ours}, {theirs}): {refused}"
    );
    assert!(refused.contains("nothing was overwritten"), "{refused}");
    assert!(out.contains("1 failed"), "{out}");
    let again = tempfile::tempdir().unwrap();
    let (code, out, err) = migrate(&url, path(again.path()));
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(
        head_line(&verified(again.path(), "INC-SHORT")),
        format!("head {ours}"),
        "the stream still holds the first history"
    );
}

#[test]
fn migrate_needs_one_nats_end_a_data_directory_and_a_reachable_server() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = migrate(path(dir.path()), path(dir.path()));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("exactly one of --from and --to"), "{err}");
    let (code, _, err) = migrate("nats://127.0.0.1:1,/tmp", path(dir.path()));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is not a NATS server URL"), "{err}");
    // Not a data directory: said before any server is tried.
    let empty = dir.path().join("nothing-here");
    let (code, _, err) = migrate(path(&empty), "nats://127.0.0.1:1");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("holds no incidents/ directory"), "{err}");
    // NATS unreachable: the servers tried are named.
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("incidents")).unwrap();
    let (code, _, err) = migrate(path(&data), "nats://127.0.0.1:1");
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("cannot open the NATS stream") && err.contains("127.0.0.1:1"),
        "{err}"
    );
}
