//! Integration tests of the hash-chained incident log (`warroom::store`): round trips,
//! exhaustive single-byte tampering, removed and reordered lines, and torn tails.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tempfile::TempDir;
use warroom::store::{Damage, EventLog, LogRecord, StoreError, TornTail, VerifyError, verify};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Ev {
    seq: u64,
    at: String,
    text: String,
}

impl LogRecord for Ev {
    fn seq(&self) -> u64 {
        self.seq
    }
}

fn ev(seq: u64) -> Ev {
    Ev {
        seq,
        at: format!("2026-11-22T04:{seq:02}:00Z"),
        // Multi-byte characters and escapes, so tears fall inside them too.
        text: format!("event {seq}: é—\"quoted\" \\ ✓"),
    }
}

fn evs(seqs: std::ops::RangeInclusive<u64>) -> Vec<Ev> {
    seqs.map(ev).collect()
}

/// A directory with a log of events 1..=n written in two batches.
fn log_with(n: u64) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incident.jsonl");
    let mut log = EventLog::create(&path).unwrap();
    let split = n / 2;
    log.append(&evs(1..=split)).unwrap();
    log.append(&evs(split + 1..=n)).unwrap();
    (dir, path)
}

fn open(path: &Path) -> Result<warroom::store::Opened<Ev>, StoreError> {
    EventLog::open::<Ev>(path)
}

/// The line number of a damage error from `open`, or a panic naming what came back.
fn open_damage_line(path: &Path) -> usize {
    match open(path) {
        Err(StoreError::Damaged { error, .. }) => error.line,
        other => panic!("expected damage, got {other:?}"),
    }
}

fn verify_damage(path: &Path) -> (usize, String) {
    match verify(path) {
        Err(VerifyError::Damaged(error)) => (error.line, error.to_string()),
        other => panic!("expected damage, got {other:?}"),
    }
}

/// Byte offsets where each line starts, plus the file length.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .map(|(i, _)| i + 1),
    );
    starts
}

#[test]
fn batches_round_trip_through_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incident.jsonl");
    let mut log = EventLog::create(&path).unwrap();
    assert!(log.is_empty());
    assert_eq!(log.head_hash(), warroom::store::GENESIS_PREV);

    let jsons = log.append(&evs(1..=3)).unwrap();
    assert_eq!(jsons.len(), 3);
    assert_eq!(serde_json::from_str::<Ev>(&jsons[1]).unwrap(), ev(2));
    log.append(&[ev(4)]).unwrap();
    assert!(log.append::<Ev>(&[]).unwrap().is_empty());
    let written = fs::read_to_string(&path).unwrap();
    for json in &jsons {
        assert!(
            written.contains(&format!("\"event\":{json}}}\n")),
            "stored bytes differ"
        );
    }
    let head = log.head_hash().to_owned();
    assert_eq!(
        (log.len(), log.next_seq(), log.path()),
        (4, 5, path.as_path())
    );
    drop(log);

    let opened = open(&path).unwrap();
    assert_eq!(opened.events, evs(1..=4));
    assert_eq!(opened.torn_tail, None);
    assert_eq!(opened.log.head_hash(), head);
    assert_eq!(opened.log.len(), 4);
    let mut log = opened.log;
    log.append(&[ev(5)]).unwrap();
    drop(log);

    let report = verify(&path).unwrap();
    assert_eq!(report.events, 5);
    assert_eq!((report.first_seq, report.last_seq), (Some(1), Some(5)));
    assert_eq!(report.first_at.as_deref(), Some("2026-11-22T04:01:00Z"));
    assert_eq!(report.last_at.as_deref(), Some("2026-11-22T04:05:00Z"));
    assert_eq!(report.head_hash, open(&path).unwrap().log.head_hash());
}

#[test]
fn empty_file_is_an_empty_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incident.jsonl");
    drop(EventLog::create(&path).unwrap());
    let report = verify(&path).unwrap();
    assert_eq!(
        (report.events, report.first_seq, report.torn_tail),
        (0, None, None)
    );
    let opened = open(&path).unwrap();
    assert!(opened.events.is_empty());
    assert_eq!(opened.log.next_seq(), 1);
}

#[test]
fn append_rejects_seq_gaps_and_repeats_without_writing() {
    let (_dir, path) = log_with(2);
    let before = fs::read(&path).unwrap();
    let mut log = open(&path).unwrap().log;
    for batch in [vec![ev(4)], vec![ev(2)], vec![ev(3), ev(5)]] {
        let err = log.append(&batch).unwrap_err();
        assert!(matches!(err, StoreError::SeqMismatch { .. }), "{err}");
    }
    assert_eq!(fs::read(&path).unwrap(), before);
    log.append(&[ev(3)]).unwrap();
}

#[test]
fn create_refuses_an_existing_file_and_open_a_locked_one() {
    let (_dir, path) = log_with(1);
    let err = EventLog::create(&path).unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err}");
    let held = open(&path).unwrap();
    let err = open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    drop(held);
    open(&path).unwrap();
}

#[test]
fn every_single_byte_change_is_rejected_by_verify_and_open() {
    let (dir, path) = log_with(5);
    let original = fs::read(&path).unwrap();
    let copy = dir.path().join("tampered.jsonl");
    let mut variants = 0;
    for offset in 0..original.len() {
        let byte = original[offset];
        let mut substitutes = vec![byte ^ 0x01];
        if byte != b'x' {
            substitutes.push(b'x');
        }
        for substitute in substitutes {
            let mut tampered = original.clone();
            tampered[offset] = substitute;
            fs::write(&copy, &tampered).unwrap();
            let shown = char::from(byte).escape_default();
            let verified = verify(&copy);
            assert!(
                verified.is_err(),
                "verify accepted offset {offset} ({shown}): {verified:?}"
            );
            let opened = open(&copy);
            assert!(opened.is_err(), "open accepted offset {offset} ({shown})");
            assert_eq!(
                fs::read(&copy).unwrap(),
                tampered,
                "open modified offset {offset}"
            );
            variants += 1;
        }
    }
    assert!(
        variants > 2 * original.len() - 10,
        "too few variants: {variants}"
    );
}

#[test]
fn removed_and_reordered_lines_are_named() {
    let (dir, path) = log_with(5);
    let original = fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = original.split_inclusive('\n').collect();
    assert_eq!(lines.len(), 5);
    let copy = dir.path().join("edited.jsonl");
    let cases: [(&str, Vec<usize>, usize, &str); 4] = [
        (
            "middle line removed",
            vec![0, 1, 3, 4],
            3,
            "does not follow line 2",
        ),
        (
            "lines swapped",
            vec![0, 2, 1, 3, 4],
            2,
            "does not follow line 1",
        ),
        (
            "first line removed",
            vec![1, 2, 3, 4],
            1,
            "does not start the chain",
        ),
        (
            "line duplicated",
            vec![0, 1, 1, 2, 3, 4],
            3,
            "does not follow line 2",
        ),
    ];
    for (what, order, line, phrase) in cases {
        let edited: String = order.iter().map(|&i| lines[i]).collect();
        fs::write(&copy, edited).unwrap();
        let (got_line, message) = verify_damage(&copy);
        assert_eq!(got_line, line, "{what}: {message}");
        assert!(
            message.starts_with(&format!("line {line}: ")),
            "{what}: {message}"
        );
        assert!(message.contains(phrase), "{what}: {message}");
        assert_eq!(open_damage_line(&copy), line, "{what}");
    }
    // The last line removed is a shorter valid log: the chain cannot tell, by design.
    fs::write(&copy, lines[..4].concat()).unwrap();
    assert_eq!(verify(&copy).unwrap().events, 4);
}

#[test]
fn changed_event_is_reported_as_hash_mismatch() {
    let (dir, path) = log_with(5);
    let original = fs::read_to_string(&path).unwrap();
    let edited = original.replacen("event 4:", "event 9:", 1);
    let copy = dir.path().join("edited.jsonl");
    fs::write(&copy, edited).unwrap();
    let (line, message) = verify_damage(&copy);
    assert_eq!(line, 4);
    assert_eq!(
        message,
        "line 4: hash does not match its contents (the line was changed)"
    );
}

#[test]
fn every_tear_inside_the_last_line_is_cut_and_the_log_continues() {
    let (dir, path) = log_with(5);
    let original = fs::read(&path).unwrap();
    let starts = line_starts(&original);
    let last_start = starts[starts.len() - 2];
    let full_without_newline = original.len() - 1;
    let copy = dir.path().join("torn.jsonl");
    for cut in last_start + 1..=full_without_newline {
        let torn = &original[..cut];
        fs::write(&copy, torn).unwrap();
        let expected_tail = TornTail {
            line: 5,
            bytes: (cut - last_start) as u64,
        };

        let report = verify(&copy).unwrap_or_else(|e| panic!("verify at cut {cut}: {e}"));
        assert_eq!(report.torn_tail, Some(expected_tail), "cut {cut}");
        assert_eq!(report.events, 4);
        assert_eq!(fs::read(&copy).unwrap(), torn, "verify modified the file");

        let opened = open(&copy).unwrap_or_else(|e| panic!("open at cut {cut}: {e}"));
        assert_eq!(opened.events, evs(1..=4), "cut {cut}");
        assert_eq!(opened.torn_tail, Some(expected_tail), "cut {cut}");
        assert_eq!(
            fs::read(&copy).unwrap(),
            &original[..last_start],
            "cut {cut}"
        );

        let mut log = opened.log;
        log.append(&[ev(5)]).unwrap();
        drop(log);
        let report = verify(&copy).unwrap();
        assert_eq!((report.events, report.torn_tail), (5, None), "cut {cut}");
        // Same event, same chain: the repaired log is byte-identical to the original.
        assert_eq!(fs::read(&copy).unwrap(), original, "cut {cut}");
    }
}

#[test]
fn torn_tail_followed_by_more_lines_is_damage() {
    let (dir, path) = log_with(5);
    let original = fs::read(&path).unwrap();
    let starts = line_starts(&original);
    let last_start = starts[starts.len() - 2];
    let copy = dir.path().join("glued.jsonl");
    // A writer that appended after a tear without repairing it: the fragment and the
    // new line share a line, which is neither valid nor at the end.
    for cut in [last_start + 1, last_start + 40, original.len() - 2] {
        let glued = [&original[..cut], &original[last_start..]].concat();
        fs::write(&copy, &glued).unwrap();
        let (line, message) = verify_damage(&copy);
        assert_eq!(line, 5, "cut {cut}: {message}");
        assert_eq!(open_damage_line(&copy), 5, "cut {cut}");
        assert_eq!(fs::read(&copy).unwrap(), glued, "open modified the file");
    }
}

#[test]
fn stray_bytes_after_the_last_line_are_damage_not_a_tear() {
    let (dir, path) = log_with(3);
    let original = fs::read(&path).unwrap();
    let copy = dir.path().join("stray.jsonl");
    for extra in [b"x".as_slice(), b" ", b"\n", b"{\"prev\"\n"] {
        let bytes = [original.as_slice(), extra].concat();
        fs::write(&copy, &bytes).unwrap();
        let (line, message) = verify_damage(&copy);
        assert_eq!(line, 4, "{message}");
        assert_eq!(open_damage_line(&copy), 4);
        assert_eq!(fs::read(&copy).unwrap(), bytes, "open modified the file");
    }
}

#[test]
fn event_of_another_shape_is_undecodable_on_open_but_verifies() {
    #[derive(Debug, Serialize, Deserialize)]
    struct Stricter {
        seq: u64,
        required_elsewhere: String,
    }
    impl LogRecord for Stricter {
        fn seq(&self) -> u64 {
            self.seq
        }
    }
    let (_dir, path) = log_with(2);
    verify(&path).unwrap();
    match EventLog::open::<Stricter>(&path) {
        Err(StoreError::Damaged { error, .. }) => {
            assert_eq!(error.line, 1);
            assert!(matches!(error.damage, Damage::Undecodable(_)), "{error}");
        }
        other => panic!("expected undecodable, got {other:?}"),
    }
}

#[test]
fn append_refuses_an_event_whose_json_seq_disagrees() {
    /// Serializes its seq under another name, so the stored JSON would have no `seq`.
    #[derive(Debug, Serialize, Deserialize)]
    struct Renamed {
        #[serde(rename = "n")]
        seq: u64,
    }
    impl LogRecord for Renamed {
        fn seq(&self) -> u64 {
            self.seq
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incident.jsonl");
    let mut log = EventLog::create(&path).unwrap();
    let err = log.append(&[Renamed { seq: 1 }]).unwrap_err();
    assert!(
        matches!(err, StoreError::Unreadable { seq: 1, .. }),
        "{err}"
    );
    assert_eq!(fs::read(&path).unwrap(), b"", "nothing may be written");
    assert_eq!(log.next_seq(), 1);
}

#[test]
fn append_refuses_an_event_whose_json_would_span_two_lines() {
    /// A raw JSON field is written verbatim, newline included.
    #[derive(Debug, Serialize, Deserialize)]
    struct WithRaw {
        seq: u64,
        raw: Box<serde_json::value::RawValue>,
    }
    impl LogRecord for WithRaw {
        fn seq(&self) -> u64 {
            self.seq
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("incident.jsonl");
    let mut log = EventLog::create(&path).unwrap();
    let raw = serde_json::value::RawValue::from_string("[1,\n2]".to_owned()).unwrap();
    let err = log.append(&[WithRaw { seq: 1, raw }]).unwrap_err();
    assert!(
        matches!(err, StoreError::Unreadable { seq: 1, .. }),
        "{err}"
    );
    assert_eq!(fs::read(&path).unwrap(), b"", "nothing may be written");
    let raw = serde_json::value::RawValue::from_string("[1,2]".to_owned()).unwrap();
    log.append(&[WithRaw { seq: 1, raw }]).unwrap();
    drop(log);
    assert_eq!(EventLog::open::<WithRaw>(&path).unwrap().events.len(), 1);
}
