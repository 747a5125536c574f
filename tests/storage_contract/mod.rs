//! The storage contract (docs/STORAGE.md) as tests every `IncidentStore` backend must
//! pass: [`run`] with a [`Harness`] that makes the backend's stores. The file store runs
//! it in `tests/storage.rs`; a JetStream or PostgreSQL backend would run it against a
//! server started for the test.

use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use warroom::store::{
    GENESIS_PREV, Head, IncidentLog, IncidentStore, LogRecord, LogView, Pinned, StoreError,
};

/// How the contract reaches one backend.
pub trait Harness {
    type Store: IncidentStore;
    /// A store over `location` (a fresh empty directory per test). Two stores over the
    /// same location see the same incidents: that is how "reopen" and "another hub" are
    /// modelled.
    fn store(&self, location: &Path) -> Self::Store;
    /// Leaves what a crash in the middle of an append to `id` would leave (an
    /// unacknowledged, partial write), or returns false if the backend's appends are
    /// atomic so that no partial write can exist.
    fn crash_mid_append(&self, location: &Path, id: &str) -> bool;
}

/// A test event: generic, not warroom's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ev {
    pub seq: u64,
    pub writer: u32,
    pub text: String,
}

impl LogRecord for Ev {
    fn seq(&self) -> u64 {
        self.seq
    }
}

pub fn ev(seq: u64, writer: u32) -> Ev {
    Ev {
        seq,
        writer,
        // Multi-byte characters, escapes and a newline: stored bytes must come back exact.
        text: format!("event {seq}: é—\"quoted\" \\ ✓\nsecond line"),
    }
}

fn evs(seqs: std::ops::RangeInclusive<u64>) -> Vec<Ev> {
    seqs.map(|seq| ev(seq, 0)).collect()
}

/// Runs every contract test against the backend.
pub fn run<H: Harness>(harness: &H) {
    append_reads_back_byte_for_byte(harness);
    seqs_are_ordered_and_gapless(harness);
    stale_expected_head_conflicts_and_writes_nothing(harness);
    acknowledged_appends_survive_a_reopen(harness);
    torn_tail_is_cut_on_open(harness);
    range_outside_the_log_is_a_clear_error(harness);
    snapshot_round_trips_and_must_match_the_log(harness);
    summaries_are_listed_without_opening(harness);
    stored_head_is_the_logs_head_without_opening(harness);
    create_is_exclusive_and_ids_are_listed(harness);
    concurrent_appenders_one_winner_per_seq(harness);
    second_handle_cannot_write_past_the_first(harness);
    open_replaying_hands_over_only_the_events_after_a_head(harness);
    a_view_pages_any_range_while_the_log_grows(harness);
    current_summaries_are_those_at_the_logs_head(harness);
}

fn location() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

fn append_reads_back_byte_for_byte<H: Harness>(h: &H) {
    let dir = location();
    let store = h.store(dir.path());
    let (mut log, mut json) = store.create("INC-1", &evs(1..=2)).unwrap();
    let head = log.head();
    json.extend(log.append(&head, &evs(3..=5)).unwrap());
    let expected: Vec<String> = evs(1..=5)
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let returned: Vec<&str> = json.iter().map(|j| &**j).collect();
    assert_eq!(returned, expected, "append returns the stored JSON");
    let read = log.read_range(1, 5).unwrap();
    let stored: Vec<&str> = read.iter().map(|e| &*e.json).collect();
    assert_eq!(stored, expected, "a range reads back the exact bytes");
    assert_eq!(
        log.head(),
        Head {
            seq: 5,
            hash: read[4].hash.clone()
        }
    );
}

fn seqs_are_ordered_and_gapless<H: Harness>(h: &H) {
    let dir = location();
    let store = h.store(dir.path());
    let (mut log, _) = store.create("INC-1", &evs(1..=3)).unwrap();
    let head = log.head();
    let gap = log.append(&head, &[ev(5, 0)]).unwrap_err();
    assert!(
        matches!(
            gap,
            StoreError::SeqMismatch {
                expected: 4,
                found: 5
            }
        ),
        "{gap}"
    );
    let repeat = log.append(&head, &[ev(3, 0)]).unwrap_err();
    assert!(matches!(repeat, StoreError::SeqMismatch { .. }), "{repeat}");
    assert_eq!(log.head(), head, "a refused batch writes nothing");
    log.append(&head, &evs(4..=6)).unwrap();
    let seqs: Vec<u64> = log
        .read_range(1, 6)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, (1..=6).collect::<Vec<_>>());
    let reopened = h.store(dir.path());
    drop(log);
    let opened = reopened.open::<Ev>("INC-1").unwrap();
    assert_eq!(opened.events, evs(1..=6));
}

fn stale_expected_head_conflicts_and_writes_nothing<H: Harness>(h: &H) {
    let dir = location();
    let store = h.store(dir.path());
    let (mut log, _) = store.create("INC-1", &evs(1..=1)).unwrap();
    let stale = log.head();
    log.append(&stale, &evs(2..=2)).unwrap();
    let now = log.head();
    // The seq the stale writer believes in is taken.
    let err = log.append(&stale, &[ev(2, 9)]).unwrap_err();
    match err {
        StoreError::Conflict { expected, actual } => {
            assert_eq!((expected, actual), (stale.clone(), now.clone()));
        }
        other => panic!("expected a conflict, got {other}"),
    }
    // The right seq with another hash (a writer on a different history).
    let forged = Head {
        seq: now.seq,
        hash: GENESIS_PREV.replace('0', "a"),
    };
    let err = log.append(&forged, &evs(3..=3)).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(log.head(), now, "a conflict writes nothing");
    let texts: Vec<u32> = log
        .read_range(1, 2)
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str::<Ev>(&e.json).unwrap().writer)
        .collect();
    assert_eq!(texts, [0, 0], "the stale writer's event is nowhere");
}

fn acknowledged_appends_survive_a_reopen<H: Harness>(h: &H) {
    let dir = location();
    let head = {
        let store = h.store(dir.path());
        let (mut log, _) = store.create("INC-1", &evs(1..=2)).unwrap();
        for seq in 3..=10 {
            let head = log.head();
            log.append(&head, &[ev(seq, 0)]).unwrap();
        }
        log.head()
    };
    let store = h.store(dir.path());
    let opened = store.open::<Ev>("INC-1").unwrap();
    assert_eq!(
        opened.events,
        evs(1..=10),
        "every acknowledged append is there"
    );
    assert!(opened.torn_tail.is_none());
    assert_eq!(opened.log.head(), head);
}

fn torn_tail_is_cut_on_open<H: Harness>(h: &H) {
    let dir = location();
    let head = {
        let store = h.store(dir.path());
        let (log, _) = store.create("INC-1", &evs(1..=3)).unwrap();
        log.head()
    };
    if !h.crash_mid_append(dir.path(), "INC-1") {
        return;
    }
    let store = h.store(dir.path());
    let mut opened = store.open::<Ev>("INC-1").unwrap();
    assert!(opened.torn_tail.is_some(), "the cut is reported");
    assert_eq!(opened.events, evs(1..=3));
    assert_eq!(opened.log.head(), head);
    opened.log.append(&head, &evs(4..=4)).unwrap();
    drop(opened);
    let again = h.store(dir.path()).open::<Ev>("INC-1").unwrap();
    assert!(again.torn_tail.is_none(), "the tear was removed, not kept");
    assert_eq!(again.events, evs(1..=4));
}

fn range_outside_the_log_is_a_clear_error<H: Harness>(h: &H) {
    let dir = location();
    let store = h.store(dir.path());
    let (log, _) = store.create("INC-1", &evs(1..=3)).unwrap();
    for (from, to) in [(0, 1), (2, 1), (1, 4), (4, 4), (0, 0)] {
        match log.read_range(from, to) {
            Err(StoreError::OutOfRange { last: 3, .. }) => {}
            other => panic!("{from}..={to}: expected out of range, got {other:?}"),
        }
    }
    let message = log.read_range(2, 9).unwrap_err().to_string();
    assert!(
        message.contains("2..=9") && message.contains("1..=3"),
        "{message}"
    );
    let middle = log.read_range(2, 2).unwrap();
    assert_eq!(middle.len(), 1);
    assert_eq!(middle[0].seq, 2);
}

fn snapshot_round_trips_and_must_match_the_log<H: Harness>(h: &H) {
    let dir = location();
    let snapshot = {
        let store = h.store(dir.path());
        let (mut log, _) = store.create("INC-1", &evs(1..=4)).unwrap();
        assert_eq!(log.read_snapshot().unwrap(), None);
        let at_three = log.read_range(3, 3).unwrap().remove(0);
        let snapshot = Pinned {
            head: Head {
                seq: 3,
                hash: at_three.hash.clone(),
            },
            bytes: b"\x00state\nwith any bytes\xff".to_vec(),
        };
        log.write_snapshot(&snapshot).unwrap();
        assert_eq!(log.read_snapshot().unwrap().as_ref(), Some(&snapshot));

        let beyond = Pinned {
            head: Head {
                seq: 5,
                hash: at_three.hash.clone(),
            },
            bytes: b"from the future".to_vec(),
        };
        let wrong_hash = Pinned {
            head: Head {
                seq: 3,
                hash: GENESIS_PREV.replace('0', "b"),
            },
            bytes: b"another history".to_vec(),
        };
        for bad in [beyond, wrong_hash] {
            let err = log.write_snapshot(&bad).unwrap_err();
            assert!(matches!(err, StoreError::NotInLog { .. }), "{err}");
        }
        assert_eq!(
            log.read_snapshot().unwrap().as_ref(),
            Some(&snapshot),
            "a refused snapshot leaves the good one"
        );
        snapshot
    };
    let store = h.store(dir.path());
    let opened = store.open::<Ev>("INC-1").unwrap();
    assert_eq!(opened.log.read_snapshot().unwrap(), Some(snapshot));
}

fn summaries_are_listed_without_opening<H: Harness>(h: &H) {
    let dir = location();
    {
        let store = h.store(dir.path());
        let (mut one, _) = store.create("INC-1", &evs(1..=2)).unwrap();
        let (_two, _) = store.create("INC-2", &evs(1..=1)).unwrap();
        let summary = Pinned {
            head: one.head(),
            bytes: br#"{"title":"db down"}"#.to_vec(),
        };
        one.write_summary(&summary).unwrap();
        let stale = Pinned {
            head: Head {
                seq: 9,
                hash: one.head().hash,
            },
            bytes: b"{}".to_vec(),
        };
        assert!(one.write_summary(&stale).is_err());
    }
    let store = h.store(dir.path());
    let summaries = store.summaries().unwrap();
    assert_eq!(summaries.len(), 1, "INC-2 has none: its caller builds it");
    assert_eq!(summaries[0].0, "INC-1");
    assert_eq!(summaries[0].1.bytes, br#"{"title":"db down"}"#);
    assert_eq!(summaries[0].1.head.seq, 2);
}

fn create_is_exclusive_and_ids_are_listed<H: Harness>(h: &H) {
    let dir = location();
    let store = h.store(dir.path());
    assert!(store.ids().unwrap().is_empty());
    let (log, _) = store.create("INC-1", &evs(1..=1)).unwrap();
    drop(log);
    let err = store.create("INC-1", &evs(1..=1)).unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err}");
    let (_log, _) = store.create("INC-2", &evs(1..=1)).unwrap();
    let mut ids = h.store(dir.path()).ids().unwrap();
    ids.sort();
    assert_eq!(ids, ["INC-1", "INC-2"]);
    assert_eq!(
        store.open::<Ev>("INC-1").unwrap().events,
        evs(1..=1),
        "the refused create changed nothing"
    );
}

fn concurrent_appenders_one_winner_per_seq<H: Harness>(h: &H) {
    const WRITERS: u32 = 4;
    const TARGET: u64 = 80;
    let dir = location();
    let store = h.store(dir.path());
    let (log, _) = store.create("INC-1", &evs(1..=1)).unwrap();
    let log = Arc::new(Mutex::new(log));
    let wins: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let writers: Vec<_> = (1..=WRITERS)
            .map(|writer| {
                let log = log.clone();
                scope.spawn(move || {
                    let mut won = Vec::new();
                    loop {
                        // Read the head, let go, then append expecting it: between the
                        // two, another writer may have won this seq.
                        let head = log.lock().unwrap().head();
                        if head.seq >= TARGET {
                            return won;
                        }
                        let next = ev(head.seq + 1, writer);
                        match log.lock().unwrap().append(&head, &[next]) {
                            Ok(_) => won.push(head.seq + 1),
                            Err(StoreError::Conflict { .. }) => {}
                            Err(other) => panic!("writer {writer}: {other}"),
                        }
                    }
                })
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut all: Vec<u64> = wins.iter().flatten().copied().collect();
    all.sort_unstable();
    assert_eq!(all, (2..=TARGET).collect::<Vec<_>>(), "one winner per seq");
    let log = log.lock().unwrap();
    for (writer, won) in (1..=WRITERS).zip(&wins) {
        for seq in won {
            let stored = log.read_range(*seq, *seq).unwrap().remove(0);
            let event: Ev = serde_json::from_str(&stored.json).unwrap();
            assert_eq!(event.writer, writer, "seq {seq} holds its winner's event");
        }
    }
}

/// A second store over the same location (another hub) either cannot open the
/// incident for writing (the file store's lock) or, if it can, cannot append on a head
/// the first has moved past.
fn second_handle_cannot_write_past_the_first<H: Harness>(h: &H) {
    let dir = location();
    let store = h.store(dir.path());
    let (mut first, _) = store.create("INC-1", &evs(1..=1)).unwrap();
    let other = h.store(dir.path());
    match other.open::<Ev>("INC-1") {
        Err(StoreError::Locked { .. }) => {}
        Ok(mut second) => {
            let seen = second.log.head();
            first.append(&seen, &[ev(2, 1)]).unwrap();
            let err = second.log.append(&seen, &[ev(2, 2)]).unwrap_err();
            assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        }
        Err(other) => panic!("expected a lock or a second writer, got {other}"),
    }
}

fn stored_head_is_the_logs_head_without_opening<H: Harness>(h: &H) {
    let dir = location();
    let store = h.store(dir.path());
    assert_eq!(store.stored_head("INC-9").unwrap(), None, "no such log");
    let head = {
        let (mut log, _) = store.create("INC-1", &evs(1..=2)).unwrap();
        assert_eq!(store.stored_head("INC-1").unwrap(), Some(log.head()));
        let head = log.head();
        log.append(&head, &evs(3..=5)).unwrap();
        assert_eq!(store.stored_head("INC-1").unwrap(), Some(log.head()));
        log.head()
    };
    assert_eq!(head.seq, 5);
    if h.crash_mid_append(dir.path(), "INC-1") {
        assert_eq!(
            h.store(dir.path()).stored_head("INC-1").unwrap(),
            Some(head),
            "a torn tail is not part of the head"
        );
    }
}

/// A long log (several strides of any index a backend keeps), written in batches.
fn long_log<S: IncidentStore>(store: &S, id: &str, events: u64) -> S::Log {
    let (mut log, _) = store.create(id, &evs(1..=1)).unwrap();
    let mut next = 2;
    while next <= events {
        let to = events.min(next + 700);
        let head = log.head();
        log.append(&head, &evs(next..=to)).unwrap();
        next = to + 1;
    }
    log
}

fn open_replaying_hands_over_only_the_events_after_a_head<H: Harness>(h: &H) {
    let dir = location();
    let (at, later) = {
        let store = h.store(dir.path());
        let mut log = long_log(&store, "INC-1", 3000);
        let at = Head {
            seq: 2500,
            hash: log.read_range(2500, 2500).unwrap().remove(0).hash,
        };
        log.write_snapshot(&Pinned {
            head: at.clone(),
            bytes: b"state at 2500".to_vec(),
        })
        .unwrap();
        (at, log.head())
    };
    let store = h.store(dir.path());
    assert_eq!(
        store.read_snapshot_of("INC-1").unwrap().map(|p| p.head),
        Some(at.clone()),
        "read without opening the log"
    );
    let mut seen = Vec::new();
    let resumed = store
        .open_replaying::<Ev>("INC-1", Some(&at), &mut |e| seen.push(e))
        .unwrap();
    assert_eq!(
        seen,
        evs(2501..=3000),
        "only the events after the head, in order"
    );
    assert_eq!(
        resumed.log.head(),
        later,
        "the handle ends where the log ends"
    );
    drop(resumed);

    // From nothing: every event.
    let mut all = 0;
    let resumed = store
        .open_replaying::<Ev>("INC-1", None, &mut |_| all += 1)
        .unwrap();
    assert_eq!(all, 3000);
    drop(resumed);

    // A head the log does not hold (another history, or beyond its end) is refused
    // before anything is handed over, and the log is left as it was.
    for bad in [
        Head {
            seq: 2500,
            hash: GENESIS_PREV.replace('0', "c"),
        },
        Head {
            seq: 3001,
            hash: at.hash.clone(),
        },
    ] {
        let mut handed = 0;
        let err = store
            .open_replaying::<Ev>("INC-1", Some(&bad), &mut |_| handed += 1)
            .unwrap_err();
        assert!(matches!(err, StoreError::NotInLog { .. }), "{err}");
        assert_eq!(handed, 0);
    }
    let mut log = store.open::<Ev>("INC-1").unwrap().log;
    assert_eq!(log.head(), later);
    // Appends after a replaying open go on from its head.
    let resumed = {
        drop(log);
        store
            .open_replaying::<Ev>("INC-1", Some(&at), &mut |_| {})
            .unwrap()
    };
    log = resumed.log;
    log.append(&later, &evs(3001..=3001)).unwrap();
    assert_eq!(log.read_range(3001, 3001).unwrap()[0].seq, 3001);
}

fn a_view_pages_any_range_while_the_log_grows<H: Harness>(h: &H) {
    let dir = location();
    let store = h.store(dir.path());
    let mut log = long_log(&store, "INC-1", 2600);
    let view = log.view();
    let head = log.head();
    log.append(&head, &evs(2601..=2700)).unwrap();
    assert_eq!(
        view.head(),
        head,
        "a view ends where the log was when it was made"
    );
    for (from, to) in [
        (1, 1),
        (1000, 1030),
        (1024, 1026),
        (2047, 2050),
        (2599, 2600),
    ] {
        let page = view.read_range(from, to).unwrap();
        let seqs: Vec<u64> = page.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (from..=to).collect::<Vec<_>>(), "{from}..={to}");
        let decoded: Ev = serde_json::from_str(&page[0].json).unwrap();
        assert_eq!(decoded, ev(from, 0), "exact events");
        assert_eq!(
            page,
            log.read_range(from, to).unwrap(),
            "as the handle reads them"
        );
    }
    assert!(matches!(
        view.read_range(2601, 2601),
        Err(StoreError::OutOfRange { last: 2600, .. })
    ));
    assert_eq!(log.view().read_range(2700, 2700).unwrap()[0].seq, 2700);
}

fn current_summaries_are_those_at_the_logs_head<H: Harness>(h: &H) {
    let dir = location();
    let store = h.store(dir.path());
    let (mut one, _) = store.create("INC-1", &evs(1..=2)).unwrap();
    let (mut two, _) = store.create("INC-2", &evs(1..=1)).unwrap();
    let (_three, _) = store.create("INC-3", &evs(1..=1)).unwrap();
    for log in [&mut one, &mut two] {
        let head = log.head();
        log.write_summary(&Pinned {
            head,
            bytes: b"{\"at\":\"head\"}".to_vec(),
        })
        .unwrap();
    }
    let ids = |store: &H::Store| {
        let mut ids: Vec<String> = store
            .current_summaries()
            .unwrap()
            .into_iter()
            .map(|(id, pinned)| {
                assert_eq!(pinned.bytes, b"{\"at\":\"head\"}");
                id
            })
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&store), ["INC-1", "INC-2"], "INC-3 has none");
    // Asked twice (a store may keep an index of them): the same answer.
    assert_eq!(ids(&h.store(dir.path())), ["INC-1", "INC-2"]);
    // An append the summary missed: no longer current, here or in another store.
    let head = one.head();
    one.append(&head, &evs(3..=3)).unwrap();
    assert_eq!(ids(&store), ["INC-2"]);
    assert_eq!(ids(&h.store(dir.path())), ["INC-2"]);
    let head = one.head();
    one.write_summary(&Pinned {
        head: head.clone(),
        bytes: b"{\"at\":\"head\"}".to_vec(),
    })
    .unwrap();
    assert_eq!(ids(&store), ["INC-1", "INC-2"]);
    let current = store.current_summaries().unwrap();
    let (_, pinned) = current.iter().find(|(id, _)| id == "INC-1").unwrap();
    assert_eq!(pinned.head, head, "pinned to the head the log ends at");
}
