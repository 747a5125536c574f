//! Opening an incident from its snapshot: the state equals a full replay; a snapshot
//! that is from another version, damaged, or not at a head the log holds is ignored and
//! the log replayed; damage after the snapshot is still refused; and `verify` checks a
//! snapshot against the state the log gives at its head.

use chrono::{TimeZone, Utc};
use std::fs;
use std::path::Path;
use std::process::Command as Process;
use warroom::catalog;
use warroom::engine::{DataDir, Incident, SNAPSHOT_EVERY, SNAPSHOT_MIN_EVENTS, Submission};
use warroom::incident::{Actor, Command, EntryKind, Role, Severity, State, snapshot};
use warroom::store::{FileStore, IncidentLog, IncidentStore, Pinned};

fn alice() -> Actor {
    Actor::new("alice", [Role::Commander])
}

/// An incident with `notes` notes after its declare, written in batches; closed.
fn incident_with(data: &DataDir, notes: u64) -> String {
    let rb = catalog::embedded().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 4, 0, 0).unwrap();
    let declare = Submission {
        actor: alice(),
        command: Command::Declare {
            id: String::new(),
            title: "Long one".into(),
            severity: Severity::Sev2,
            playbook: Some("llm_provider_outage".into()),
            summary: None,
        },
        command_id: None,
    };
    let mut incident = data.declare(declare, now, &rb).unwrap();
    let mut written = 0;
    while written < notes {
        let batch: Vec<Submission> = (written..notes.min(written + 500))
            .map(|i| Submission {
                actor: alice(),
                command: Command::AddNote {
                    kind: EntryKind::Note,
                    text: format!("note {i}"),
                    typed_at: None,
                },
                command_id: Some(format!("n{i}")),
            })
            .collect();
        written += batch.len() as u64;
        incident.execute(&batch, now, &rb).unwrap();
    }
    incident.state().id.clone()
}

/// The state a full replay of the log gives (the reference).
fn replayed(data: &DataDir, id: &str) -> State {
    let mut state = State::default();
    warroom::store::replay_prefix(data.log_path(id), u64::MAX, |e| state.apply(&e)).unwrap();
    state
}

fn snapshot_path(data: &DataDir, id: &str) -> std::path::PathBuf {
    data.log_path(id).with_extension("snapshot")
}

#[test]
fn an_incident_opens_from_its_snapshot_with_the_state_of_a_full_replay() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = incident_with(&data, 10_000);
    assert!(
        snapshot_path(&data, &id).exists(),
        "closing wrote a snapshot"
    );
    let opened = data.open(&id).unwrap();
    let state = opened.state();
    assert_eq!(state, &replayed(&data, &id));
    assert!(
        state.timeline_dropped > 0,
        "the window moved: {}",
        state.timeline.len()
    );
    assert!(state.timeline.len() <= 2 * warroom::incident::state::TIMELINE_KEPT);
    assert!(
        state.timeline_len() > 10_000,
        "every note and the declare's lines"
    );
    // An old page is read back from the log and worded as written.
    let old = opened.read_events(100, 100).unwrap();
    let entry = state.page_entry(&old[0]).expect("a note writes an entry");
    assert!(entry.text.starts_with("note "), "{}", entry.text);
}

#[test]
fn a_snapshot_from_another_version_or_damaged_or_elsewhere_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = incident_with(&data, 2100);
    let reference = replayed(&data, &id);
    let path = snapshot_path(&data, &id);
    let good = fs::read(&path).unwrap();

    // Another version: the header and checksum are fine, the contents say 0.0.0.
    let store = FileStore::new(data.incidents_dir());
    let pinned = store.read_snapshot_of(&id).unwrap().unwrap();
    let text = String::from_utf8(pinned.bytes.clone()).unwrap();
    let other = text.replacen(
        &format!("\"version\":\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"version\":\"0.0.0\"",
        1,
    );
    assert_ne!(other, text, "the version is in the snapshot");
    {
        let mut opened = store.open::<warroom::incident::Event>(&id).unwrap();
        let head = opened.log.head();
        opened
            .log
            .write_snapshot(&Pinned {
                head,
                bytes: other.into_bytes(),
            })
            .unwrap();
    }
    assert_eq!(data.open(&id).unwrap().state(), &reference);

    // Damaged: one byte of the body changed (the checksum no longer matches).
    let mut damaged = good.clone();
    let last = damaged.len() - 2;
    damaged[last] ^= 1;
    fs::write(&path, &damaged).unwrap();
    assert_eq!(data.open(&id).unwrap().state(), &reference);

    // A snapshot of another incident's log: its head is not in this log.
    let other_id = incident_with(&data, 2100);
    fs::copy(snapshot_path(&data, &other_id), &path).unwrap();
    assert_eq!(data.open(&id).unwrap().state(), &reference);
}

#[test]
fn damage_after_the_snapshot_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = incident_with(&data, 2100);
    let snapshot_before = fs::read(snapshot_path(&data, &id)).unwrap();
    // More events, then the snapshot put back: the tail comes after it.
    let tail_seq = {
        let rb = catalog::embedded().unwrap();
        let mut incident: Incident = data.open(&id).unwrap();
        let note = Submission {
            actor: alice(),
            command: Command::AddNote {
                kind: EntryKind::Note,
                text: "in the tail".into(),
                typed_at: None,
            },
            command_id: None,
        };
        incident.execute_one(note, Utc::now(), &rb).unwrap()[0].seq
    };
    fs::write(snapshot_path(&data, &id), &snapshot_before).unwrap();
    let log = data.log_path(&id);
    let mut bytes = fs::read(&log).unwrap();
    let at = bytes.windows(11).position(|w| w == b"in the tail").unwrap();
    bytes[at] = b'I';
    fs::write(&log, &bytes).unwrap();
    let error = match data.open(&id) {
        Ok(_) => panic!("a damaged tail must be refused"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains(&format!("line {tail_seq}:")), "{error}");
    assert_eq!(fs::read(&log).unwrap(), bytes, "left alone");
}

fn warroom(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Process::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn verify(log: &Path) -> (Option<i32>, String, String) {
    warroom(&["verify", log.to_str().unwrap()])
}

#[test]
fn verify_checks_the_snapshot_against_the_state_the_log_gives() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = incident_with(&data, 2100);
    let log = data.log_path(&id);
    let (code, out, err) = verify(&log);
    assert_eq!(code, Some(0), "{err}");
    let head = data.open(&id).unwrap().head().seq;
    assert!(
        out.contains(&format!("snapshot at seq {head}: matches the log")),
        "{out}"
    );

    // A snapshot at the right head holding another state (written through the store, so
    // its header and checksum are right): opening would show it, verify refuses it.
    let store = FileStore::new(data.incidents_dir());
    {
        let mut opened = store.open::<warroom::incident::Event>(&id).unwrap();
        let mut state = replayed(&data, &id);
        state.title = "Not what the log says".into();
        let head = opened.log.head();
        let bytes = snapshot::encode(&state).unwrap();
        opened.log.write_snapshot(&Pinned { head, bytes }).unwrap();
    }
    let (code, _, err) = verify(&log);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("does not hold the state the log gives"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_long_log_without_a_snapshot_gets_one_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = incident_with(&data, SNAPSHOT_EVERY + 10);
    fs::remove_file(snapshot_path(&data, &id)).unwrap();
    let opened = data.open(&id).unwrap();
    assert!(
        snapshot_path(&data, &id).exists(),
        "written at open, not only at close"
    );
    drop(opened);
}

#[test]
fn a_short_incident_has_no_snapshot_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = incident_with(&data, SNAPSHOT_MIN_EVENTS - 100);
    assert!(
        !snapshot_path(&data, &id).exists(),
        "its snapshot would be as big as its log"
    );
    assert_eq!(data.open(&id).unwrap().state(), &replayed(&data, &id));
}

#[test]
fn an_export_holds_the_whole_timeline_not_only_what_is_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = incident_with(&data, 2600);
    let opened = data.open(&id).unwrap();
    let state = opened.state();
    assert!(state.timeline_dropped > 0, "the oldest entries left memory");
    let events = opened.all_events().unwrap();
    let rb = catalog::embedded().unwrap();
    let csv = warroom::incident::export::export(
        state,
        &events,
        None,
        &rb,
        warroom::incident::export::ExportFormat::Csv,
        Utc::now(),
    )
    .unwrap();
    for n in [0, 1, 1500, 2599] {
        assert!(
            csv.contains(&format!(",note,note {n},")),
            "note {n} is exported"
        );
    }
    let rows = csv.lines().filter(|l| l.contains(",note,note ")).count();
    assert_eq!(rows, 2600, "every note once");
    let total = usize::try_from(state.timeline_len()).unwrap();
    assert_eq!(
        csv.lines().count() - 1,
        total,
        "one row per entry, the header aside"
    );
}

/// `export` from a data directory streams the log: the JSON holds every event and the
/// whole timeline, the CSV every entry, for an incident longer than the kept window.
#[test]
fn the_cli_export_streams_every_event_and_entry() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = incident_with(&data, 2600);
    let (total, head) = {
        let opened = data.open(&id).unwrap();
        (opened.state().timeline_len(), opened.head())
    };
    let root = dir.path().to_str().unwrap();
    let (code, out, err) = warroom(&["export", &id, "--format", "json", "--data", root]);
    assert_eq!(code, Some(0), "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(json["events"].as_array().unwrap().len() as u64, head.seq);
    assert_eq!(
        json["incident"]["timeline"].as_array().unwrap().len() as u64,
        total
    );
    assert_eq!(json["incident"]["timeline"][5]["text"], "note 0");
    assert_eq!(json["head"]["seq"], head.seq);
    assert_eq!(json["incident"]["title"], "Long one");
    let (code, out, err) = warroom(&["export", &id, "--format", "csv", "--data", root]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().count() as u64 - 1, total);
    let file = dir.path().join("out.csv");
    let (code, _, err) = warroom(&[
        "export",
        &id,
        "--format",
        "csv",
        "--data",
        root,
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        out,
        "the same to a file"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "owner-only, like the log");
    }
}
