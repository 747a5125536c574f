//! The listing index (issue 10, item 3): the engine writes each incident's summary beside
//! its log after every commit, and `DataDir::summaries` (what a local `warroom list`
//! shows) reads those instead of replaying; a summary that is missing, damaged or behind
//! its log is rebuilt from the log and written again.

use chrono::{DateTime, TimeZone, Utc};
use std::fs;
use std::path::PathBuf;
use warroom::catalog;
use warroom::engine::{DataDir, Incident, IncidentSummary, Submission};
use warroom::incident::{Actor, Command, EntryKind, Role, Severity, Status};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn by_alice(command: Command) -> Submission {
    Submission {
        actor: Actor::new("alice", [Role::Commander]),
        command,
        command_id: None,
    }
}

fn note(text: &str) -> Submission {
    by_alice(Command::AddNote {
        kind: EntryKind::Note,
        text: text.into(),
        typed_at: None,
    })
}

/// A data directory with one incident: declared, then `notes` notes.
fn incident_with(notes: usize) -> (tempfile::TempDir, DataDir, Incident) {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let rb = catalog::embedded().unwrap();
    let declare = by_alice(Command::Declare {
        id: String::new(),
        title: "Checkout 502s".into(),
        severity: Severity::Sev1,
        playbook: None,
        summary: None,
    });
    let mut incident = data.declare(declare, now(), &rb).unwrap();
    for n in 0..notes {
        incident
            .execute_one(note(&format!("note {n}")), now(), &rb)
            .unwrap();
    }
    (dir, data, incident)
}

fn summary_path(data: &DataDir, id: &str) -> PathBuf {
    data.log_path(id).with_extension("summary")
}

/// The (only) incident `list` shows, and that nothing was cut or torn.
fn listed(data: &DataDir) -> IncidentSummary {
    let mut items = data
        .summaries(|id, _| panic!("{id}: nothing is torn here"))
        .unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    items.remove(0)
}

/// The seq a summary file's header says it covers.
fn pinned_seq(data: &DataDir, id: &str) -> u64 {
    let text = fs::read_to_string(summary_path(data, id)).unwrap();
    let header = text.lines().next().unwrap();
    header.split(' ').nth(1).unwrap().parse().unwrap()
}

#[test]
fn every_commit_writes_the_summary_and_list_reads_it_without_replaying() {
    let (_dir, data, incident) = incident_with(2);
    let id = incident.state().id.clone();
    let head = incident.head().seq;
    assert_eq!(
        pinned_seq(&data, &id),
        head,
        "written after the last commit"
    );
    drop(incident);

    // Break the log's chain in its second line, and give the file back its time, as if
    // nothing had changed: opening it now fails, so a list that still shows the
    // incident, whole, read it from the summary and never replayed the log.
    let log = data.log_path(&id);
    let modified = fs::metadata(&log).unwrap().modified().unwrap();
    let mut bytes = fs::read(&log).unwrap();
    let second = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
    bytes[second + 20] = if bytes[second + 20] == b'0' {
        b'1'
    } else {
        b'0'
    };
    fs::write(&log, &bytes).unwrap();
    fs::File::options()
        .write(true)
        .open(&log)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    // Without the snapshot (which opening trusts for the prefix it covers; `verify`
    // checks it), opening replays the whole log and finds the break.
    let _ = fs::remove_file(log.with_extension("snapshot"));
    assert!(data.open(&id).is_err(), "the log really is damaged");

    let summary = listed(&data);
    assert_eq!(summary.id, id);
    assert_eq!(summary.title, "Checkout 502s");
    assert_eq!(summary.events, head);
    assert_eq!(summary.quarantined, None, "{summary:?}");
}

#[test]
fn a_missing_damaged_or_stale_summary_is_rebuilt_from_the_log() {
    let (_dir, data, mut incident) = incident_with(1);
    let id = incident.state().id.clone();
    let path = summary_path(&data, &id);
    let old = fs::read(&path).unwrap();
    let rb = catalog::embedded().unwrap();
    incident.execute_one(note("later"), now(), &rb).unwrap();
    let head = incident.head().seq;
    let current = fs::read(&path).unwrap();
    assert_ne!(old, current);
    drop(incident);

    let mut damaged = current.clone();
    let last = damaged.len() - 2;
    damaged[last] ^= 0x01;
    let cases: [(&str, Option<Vec<u8>>); 3] = [
        // An older summary written after the log: its head is behind the log's.
        ("stale", Some(old)),
        ("damaged", Some(damaged)),
        ("missing", None),
    ];
    for (case, contents) in cases {
        match contents {
            Some(bytes) => fs::write(&path, bytes).unwrap(),
            None => fs::remove_file(&path).unwrap(),
        }
        let summary = listed(&data);
        assert_eq!(summary.events, head, "{case}: {summary:?}");
        assert_eq!(
            summary.counts.timeline,
            incident_timeline(&data, &id),
            "{case}"
        );
        assert_eq!(
            fs::read(&path).unwrap(),
            current,
            "{case}: written again, as the commit wrote it"
        );
    }
}

fn incident_timeline(data: &DataDir, id: &str) -> usize {
    data.open(id).unwrap().state().timeline.len()
}

#[test]
fn a_log_changed_after_its_summary_is_replayed_and_its_damage_shown() {
    let (_dir, data, incident) = incident_with(2);
    let id = incident.state().id.clone();
    drop(incident);
    let log = data.log_path(&id);
    let mut bytes = fs::read(&log).unwrap();
    let second = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
    bytes[second + 20] = if bytes[second + 20] == b'0' {
        b'1'
    } else {
        b'0'
    };
    // The summary was written at or before this moment; the log is now newer.
    let later = fs::metadata(summary_path(&data, &id))
        .unwrap()
        .modified()
        .unwrap()
        + std::time::Duration::from_secs(1);
    fs::write(&log, &bytes).unwrap();
    fs::File::options()
        .write(true)
        .open(&log)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let summary = listed(&data);
    let reason = summary.quarantined.expect("quarantined");
    assert!(reason.contains("line 2"), "{reason}");
}

#[test]
fn the_summary_carries_resolved_at_seats_and_counts() {
    let (_dir, data, mut incident) = incident_with(2);
    let rb = catalog::embedded().unwrap();
    let resolved_at = now() + chrono::Duration::minutes(30);
    incident
        .execute_one(
            by_alice(Command::SetStatus {
                status: Status::Resolved,
                reason: Some("rolled back".into()),
            }),
            resolved_at,
            &rb,
        )
        .unwrap();
    let state = incident.state().clone();
    drop(incident);
    let summary = listed(&data);
    assert_eq!(summary.status, Status::Resolved);
    assert_eq!(summary.resolved_at, Some(resolved_at));
    assert_eq!(
        summary.seats.get(&Role::Commander).map(String::as_str),
        Some("alice")
    );
    assert_eq!(summary.counts.timeline, state.timeline.len());
    assert!(summary.counts.timeline >= 3, "{summary:?}");
    assert_eq!(summary.counts.checklist, state.checklist.len());
    assert_eq!(summary.counts.participants, 1);
    assert_eq!(
        summary,
        IncidentSummary::of_state(&state),
        "read back as written"
    );
}

#[test]
fn a_summary_without_the_added_fields_still_reads() {
    // What an older hub sends in its list frame.
    let old = r#"{"id":"INC-1","title":"t","severity":"SEV2","status":"investigating",
        "declared_at":null,"commander":null,"events":4}"#;
    let summary: IncidentSummary = serde_json::from_str(old).unwrap();
    assert_eq!(summary.events, 4);
    assert!(summary.seats.is_empty() && summary.resolved_at.is_none());
}
