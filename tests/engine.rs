//! The engine over a real data directory: group commit, idempotent command ids, replay
//! after reopening, and nothing written for rejected commands.

use chrono::{TimeZone, Utc};
use warroom::catalog;
use warroom::engine::{DataDir, Outcome, Submission};
use warroom::incident::{Actor, Command, EntryKind, RejectCode, Role, Severity};

fn note(id: &str, text: &str) -> Submission {
    Submission {
        actor: Actor::new("alice", [Role::Commander]),
        command: Command::AddNote {
            kind: EntryKind::Note,
            text: text.into(),
            typed_at: None,
        },
        command_id: Some(id.into()),
    }
}

#[test]
fn batches_commit_together_duplicates_apply_once_and_reopen_replays() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let rb = catalog::embedded().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 4, 0, 0).unwrap();
    let declare = Submission {
        actor: Actor::new("alice", [Role::Commander]),
        command: Command::Declare {
            id: String::new(),
            title: "t".into(),
            severity: Severity::Sev2,
            playbook: None,
            summary: None,
        },
        command_id: None,
    };
    let mut incident = data.declare(declare, now, &rb).unwrap();
    let id = incident.state().id.clone();
    assert_eq!(id, "INC-20261122-1");
    let first_seq = incident.state().seq;

    let batch = vec![
        note("c1", "one"),
        note("c2", "two"),
        note("c1", "one again"),
        note("c3", " "),
    ];
    let committed = incident.execute(&batch, now, &rb).unwrap();
    assert!(matches!(&committed.outcomes[0], Outcome::Applied(e) if e[0].seq == first_seq + 1));
    assert!(matches!(&committed.outcomes[1], Outcome::Applied(e) if e[0].seq == first_seq + 2));
    assert_eq!(
        committed.outcomes[2],
        Outcome::Duplicate {
            last_seq: first_seq + 1
        }
    );
    assert!(
        matches!(&committed.outcomes[3], Outcome::Rejected(r) if r.code == RejectCode::Invalid)
    );
    assert_eq!(
        committed.event_json.len(),
        2,
        "only applied events are written"
    );
    assert!(committed.event_json[1].contains("\"two\""));

    let state = incident.state().clone();
    drop(incident);
    let mut reopened = data.open(&id).unwrap();
    assert_eq!(reopened.state(), &state, "replay rebuilds the same state");
    // The command id is remembered across a restart.
    let again = reopened.execute(&[note("c2", "two")], now, &rb).unwrap();
    assert_eq!(
        again.outcomes[0],
        Outcome::Duplicate {
            last_seq: first_seq + 2
        }
    );
    assert!(again.event_json.is_empty());

    assert_eq!(data.next_id(now).unwrap(), "INC-20261122-2");
    let log = std::fs::read_to_string(data.log_path(&id)).unwrap();
    assert_eq!(log.lines().count() as u64, state.seq);
    warroom::store::verify(data.log_path(&id)).unwrap();
}

#[test]
fn a_rejected_declare_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let rb = catalog::embedded().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 4, 0, 0).unwrap();
    let bad = Submission {
        actor: Actor::new("olive", [Role::Observer]),
        command: Command::Declare {
            id: String::new(),
            title: "t".into(),
            severity: Severity::Sev2,
            playbook: None,
            summary: None,
        },
        command_id: None,
    };
    assert!(data.declare(bad, now, &rb).is_err());
    assert!(data.ids().unwrap().is_empty());
}

#[test]
fn explicit_ids_can_neither_overflow_nor_block_auto_numbering() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let rb = catalog::embedded().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 4, 0, 0).unwrap();
    let declare = |id: &str| Submission {
        actor: Actor::new("alice", [Role::Commander]),
        command: Command::Declare {
            id: id.into(),
            title: "t".into(),
            severity: Severity::Sev2,
            playbook: None,
            summary: None,
        },
        command_id: None,
    };
    for explicit in [
        "INC-20261122-4294967295",
        "INC-20261122-18446744073709551615",
        "INC-20261122-99999999999999999999999",
        "INC-20261122-01",
        "INC-20261122-2",
        "INC-20261123-1",
    ] {
        data.declare(declare(explicit), now, &rb).unwrap();
    }
    for expected in ["INC-20261122-3", "INC-20261122-4"] {
        let incident = data.declare(declare(""), now, &rb).unwrap();
        assert_eq!(incident.state().id, expected);
    }
    // At the ceiling of auto-looking numbers the count goes on past it, skipping taken
    // ids instead of colliding with them.
    let ceiling = warroom::engine::AUTO_NUMBER_CEILING;
    data.declare(declare(&format!("INC-20261122-{ceiling}")), now, &rb)
        .unwrap();
    data.declare(declare(&format!("INC-20261122-{}", ceiling + 2)), now, &rb)
        .unwrap();
    let next = |data: &DataDir| {
        data.declare(declare(""), now, &rb)
            .unwrap()
            .state()
            .id
            .clone()
    };
    assert_eq!(next(&data), format!("INC-20261122-{}", ceiling + 1));
    assert_eq!(next(&data), format!("INC-20261122-{}", ceiling + 3));
}
