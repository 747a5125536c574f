//! Tamper evidence with an anchor, against the real `warroom` binary: `verify` alone
//! cannot tell a log rewritten and fully re-hashed, cut short, or with a forged last
//! line from the real one (each is a valid chain); `verify --head SEQ:HASH` with a head
//! recorded before the tampering can. Every export states the head it was made from.
//!
//! Each test has its own temporary data directory and none of the caller's
//! `WARROOM_*` variables.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_warroom");

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn warroom(home: &Path, args: &[&str]) -> Out {
    let mut command = Command::new(BIN);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("WARROOM_") {
            command.env_remove(key);
        }
    }
    // Through the environment: every command that takes --data or --as reads it there,
    // and `verify` and `export` take no --as.
    let output = command
        .env("WARROOM_DATA", home.join("data"))
        .env("WARROOM_USER", "alice")
        .args(args)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .output()
        .expect("run warroom");
    Out {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("utf-8"),
        stderr: String::from_utf8(output.stderr).expect("utf-8"),
    }
}

fn ok(home: &Path, args: &[&str]) -> String {
    let out = warroom(home, args);
    assert_eq!(out.code, Some(0), "`{}`: {}", args.join(" "), out.stderr);
    out.stdout
}

/// An incident with a few notes; its id and log.
fn incident(home: &Path) -> (String, PathBuf) {
    let id = ok(home, &["declare", "--title", "Invoices across tenants"]);
    let id = id.trim().to_string();
    for note in [
        "acme sees globex invoices",
        "export cache disabled",
        "no new reports",
    ] {
        ok(home, &["note", &id, note]);
    }
    let log = home
        .join("data")
        .join("incidents")
        .join(format!("{id}.jsonl"));
    (id, log)
}

/// The `head SEQ:HASH` line `verify` prints.
fn head_of(home: &Path, log: &Path) -> String {
    let out = ok(home, &["verify", log.to_str().expect("utf-8")]);
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("head "))
        .unwrap_or_else(|| panic!("no head line in:\n{out}"));
    assert!(
        line.split_once(':')
            .is_some_and(|(seq, hash)| seq.parse::<u64>().is_ok() && hash.len() == 64),
        "{line}"
    );
    line.to_string()
}

/// The event JSON of each line, as stored.
fn events(log: &[u8]) -> Vec<String> {
    String::from_utf8(log.to_vec())
        .expect("utf-8")
        .lines()
        .map(|line| {
            let start = line.find(",\"event\":").expect("an event") + ",\"event\":".len();
            line[start..line.len() - 1].to_string()
        })
        .collect()
}

/// A log chained from scratch around `events`, exactly as warroom writes one: what a
/// forger with the file and the source code can always make.
fn chain(events: &[String]) -> Vec<u8> {
    let mut prev = "0".repeat(64);
    let mut out = String::new();
    for event in events {
        let mut hasher = Sha256::new();
        hasher.update(prev.as_bytes());
        hasher.update(b"\n");
        hasher.update(event.as_bytes());
        let hash: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        out.push_str(&format!(
            "{{\"prev\":\"{prev}\",\"hash\":\"{hash}\",\"event\":{event}}}\n"
        ));
        prev = hash;
    }
    out.into_bytes()
}

/// Writes `bytes` as a copy of the log and runs `verify` on it, with `--head` if given.
fn verify_copy(home: &Path, name: &str, bytes: &[u8], head: Option<&str>) -> Out {
    let copy = home.join(name);
    fs::write(&copy, bytes).expect("a copy");
    let mut args = vec!["verify", copy.to_str().expect("utf-8")];
    if let Some(head) = head {
        args.extend_from_slice(&["--head", head]);
    }
    warroom(home, &args)
}

#[test]
fn tampering_that_keeps_the_chain_valid_is_caught_by_a_recorded_head() {
    let home = tempfile::tempdir().expect("temp dir");
    let home = home.path();
    let (_, log) = incident(home);
    let head = head_of(home, &log);
    let original = fs::read(&log).expect("the log");
    let real = events(&original);
    assert_eq!(chain(&real), original, "the test's chain is warroom's");

    // The head as recorded: the real log and a copy of it both extend it.
    let intact = verify_copy(home, "intact.jsonl", &original, Some(&head));
    assert_eq!(intact.code, Some(0), "{}", intact.stderr);
    assert!(intact.stdout.contains("unchanged") && intact.stdout.contains("it ends there"));

    let mut rewritten = real.clone();
    let note = rewritten
        .iter()
        .position(|e| e.contains("acme sees globex"))
        .expect("note");
    rewritten[note] = rewritten[note].replace("acme sees globex invoices", "all fine, no exposure");
    let mut forged_end = real.clone();
    let last = forged_end.len() - 1;
    forged_end[last] = forged_end[last].replace("no new reports", "resolved, nobody affected");
    let variants = [
        (
            "rewritten.jsonl",
            chain(&rewritten),
            "rewritten at or before seq",
        ),
        (
            "truncated.jsonl",
            chain(&real[..real.len() - 2]),
            "ends at seq",
        ),
        (
            "forged_end.jsonl",
            chain(&forged_end),
            "rewritten at or before seq",
        ),
    ];
    for (name, bytes, says) in variants {
        let plain = verify_copy(home, name, &bytes, None);
        assert_eq!(
            plain.code,
            Some(0),
            "{name}: a valid chain passes plain verify"
        );
        let anchored = verify_copy(home, name, &bytes, Some(&head));
        assert_eq!(
            anchored.code,
            Some(1),
            "{name} passed --head:\n{}",
            anchored.stdout
        );
        assert_eq!(anchored.stdout, "", "{name}");
        assert!(
            anchored.stderr.starts_with("warroom: ") && anchored.stderr.contains(says),
            "{name}: {}",
            anchored.stderr
        );
        assert!(anchored.stderr.contains(&head), "{name} names the head");
    }

    // A line appended after the head is a valid extension: it passes, and verify says
    // that no witness vouches for it yet.
    let mut appended = real.clone();
    let next = appended.len() + 1;
    appended.push(
        appended[appended.len() - 1]
            .replace(&format!("\"seq\":{}", next - 1), &format!("\"seq\":{next}")),
    );
    let extended = verify_copy(home, "appended.jsonl", &chain(&appended), Some(&head));
    assert_eq!(extended.code, Some(0), "{}", extended.stderr);
    assert!(
        extended
            .stdout
            .contains("1 event after it is vouched for by no witness yet"),
        "{}",
        extended.stdout
    );

    let bad = warroom(
        home,
        &["verify", log.to_str().expect("utf-8"), "--head", "12:xyz"],
    );
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert!(bad.stderr.contains("not 64 hex digits"), "{}", bad.stderr);
}

#[test]
fn every_export_states_the_head_it_was_made_from() {
    let home = tempfile::tempdir().expect("temp dir");
    let home = home.path();
    let (id, log) = incident(home);
    let head = head_of(home, &log);
    let (seq, hash) = head.split_once(':').expect("SEQ:HASH");

    let md = ok(home, &["export", &id, "--format", "md"]);
    assert!(
        md.contains(&format!("warroom verify LOG --head {head}")),
        "{md}"
    );
    let csv = ok(home, &["export", &id, "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.headers().expect("a header").get(6), Some("log_head"));
    for record in reader.records() {
        assert_eq!(record.expect("a row").get(6), Some(head.as_str()));
    }
    for args in [
        vec!["export", &id, "--format", "json"],
        vec!["status", &id, "--json"],
    ] {
        let json: Value = serde_json::from_str(&ok(home, &args)).expect("json");
        assert_eq!(json["head"]["seq"], seq.parse::<u64>().expect("a seq"));
        assert_eq!(json["head"]["hash"], hash);
    }
    // What an export states is what `verify --head` takes.
    let pasted = ok(
        home,
        &["verify", log.to_str().expect("utf-8"), "--head", &head],
    );
    assert!(pasted.contains("unchanged"), "{pasted}");
}
