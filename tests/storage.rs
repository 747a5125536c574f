//! The storage contract (`tests/storage_contract/`) run against the default backend,
//! the file store, plus what only the file store promises (its files and modes).

mod storage_contract;

use std::path::Path;

use storage_contract::{Ev, Harness, ev};
use warroom::store::{FileStore, IncidentLog, IncidentStore, Pinned, StoreError};

struct Files;

impl Harness for Files {
    type Store = FileStore;

    fn store(&self, location: &Path) -> FileStore {
        FileStore::new(location.join("incidents"))
    }

    /// Appends the start of the next line, as a crash during its `write` leaves it.
    fn crash_mid_append(&self, location: &Path, id: &str) -> bool {
        let path = self.store(location).log_path(id);
        let text = std::fs::read_to_string(&path).unwrap();
        let last = text.lines().last().unwrap();
        let line: serde_json::Value = serde_json::from_str(last).unwrap();
        let head = line["hash"].as_str().unwrap();
        let fragment = format!(r#"{{"prev":"{head}","hash":"12ab"#);
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(fragment.as_bytes());
        std::fs::write(&path, bytes).unwrap();
        true
    }
}

#[test]
fn file_store_passes_the_storage_contract() {
    storage_contract::run(&Files);
}

#[test]
fn file_store_refuses_ids_that_are_paths() {
    let dir = tempfile::tempdir().unwrap();
    let store = Files.store(dir.path());
    for id in ["", "../escape", "a/b", ".hidden", "x.tmp"] {
        let err = store.create(id, &[ev(1, 0)]).unwrap_err();
        assert!(matches!(err, StoreError::BadId { .. }), "{id:?}: {err}");
        assert!(store.open::<Ev>(id).is_err());
    }
    assert!(!dir.path().join("escape.jsonl").exists());
}

#[test]
fn file_store_ignores_a_damaged_or_planted_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let store = Files.store(dir.path());
    let (mut log, _) = store.create("INC-1", &[ev(1, 0), ev(2, 0)]).unwrap();
    let snapshot = Pinned {
        head: log.head(),
        bytes: b"state".to_vec(),
    };
    log.write_snapshot(&snapshot).unwrap();
    let path = dir.path().join("incidents/INC-1.snapshot");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let good = std::fs::read(&path).unwrap();

    // One byte of the state changed: the checksum catches it.
    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 1;
    std::fs::write(&path, &flipped).unwrap();
    let err = log.read_snapshot().unwrap_err();
    assert!(matches!(err, StoreError::BadSidecar { .. }), "{err}");

    // Another version's file.
    std::fs::write(&path, b"warroom-pinned/9 2 abc def\nstate").unwrap();
    let err = log.read_snapshot().unwrap_err();
    assert!(err.to_string().contains("version"), "{err}");

    // A well-formed snapshot claiming a head this log does not have (planted, or left
    // from a log that was since replaced): refused, not trusted.
    let text = String::from_utf8_lossy(&good).into_owned();
    let planted = text.replacen(" 2 ", " 7 ", 1);
    std::fs::write(&path, planted).unwrap();
    let err = log.read_snapshot().unwrap_err();
    assert!(matches!(err, StoreError::NotInLog { .. }), "{err}");
    assert!(err.to_string().contains("ends at seq 2"), "{err}");
    assert_eq!(
        store.ids().unwrap(),
        ["INC-1"],
        "side files are not incidents"
    );
}

/// The seq → offset index beside a log is a cache: a missing, short, garbage or lying
/// one is rebuilt from the log, and pages read through it are still exact.
#[test]
fn file_store_rebuilds_a_missing_short_or_lying_offset_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    {
        let (mut log, _) = store.create("INC-1", &[ev(1, 0)]).unwrap();
        let events: Vec<Ev> = (2..=5000).map(|seq| ev(seq, 0)).collect();
        for batch in events.chunks(900) {
            let head = log.head();
            IncidentLog::append(&mut log, &head, batch).unwrap();
        }
    }
    let index = dir.path().join("INC-1.offsets");
    assert_eq!(
        std::fs::metadata(&index).unwrap().len(),
        5 * 8,
        "one entry per 1,024 lines"
    );
    let lying: Vec<u8> = [0u64, 17, 99_999_999]
        .iter()
        .flat_map(|o| o.to_le_bytes())
        .collect();
    let short = 8u64.to_le_bytes()[..5].to_vec();
    for damage in [None, Some(b"garbage!".to_vec()), Some(lying), Some(short)] {
        match &damage {
            None => std::fs::remove_file(&index).unwrap(),
            Some(bytes) => std::fs::write(&index, bytes).unwrap(),
        }
        let mut count = 0;
        let resumed = store
            .open_replaying::<Ev>("INC-1", None, &mut |_| count += 1)
            .unwrap();
        assert_eq!(count, 5000);
        for (from, to) in [(1, 3), (1025, 1025), (3000, 3100), (4999, 5000)] {
            let page = resumed.log.read_range(from, to).unwrap();
            assert_eq!(page.first().map(|e| e.seq), Some(from), "{damage:?}");
            assert_eq!(page.len() as u64, to - from + 1);
            let first: Ev = serde_json::from_str(&page[0].json).unwrap();
            assert_eq!(first, ev(from, 0));
        }
        drop(resumed);
        assert_eq!(
            std::fs::metadata(&index).unwrap().len(),
            5 * 8,
            "rebuilt: {damage:?}"
        );
    }
}

/// The file store's index of summaries is a cache: a damaged one is ignored, and a log
/// changed after it was indexed is checked the slow way.
#[test]
fn file_store_summary_index_is_a_cache_never_trusted_over_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let (mut log, _) = store.create("INC-1", &[ev(1, 0)]).unwrap();
    let head = log.head();
    log.write_summary(&Pinned {
        head: head.clone(),
        bytes: b"{}".to_vec(),
    })
    .unwrap();
    assert_eq!(store.current_summaries().unwrap().len(), 1);
    let index = dir.path().join("summaries.index");
    assert!(index.exists(), "listing wrote the index");
    std::fs::write(&index, b"{not json").unwrap();
    assert_eq!(
        store.current_summaries().unwrap().len(),
        1,
        "damaged: rebuilt"
    );
    assert!(std::fs::read(&index).unwrap().starts_with(b"{\"format\""));
    // The log grows behind the index: its stamp changed, the summary is stale.
    IncidentLog::append(&mut log, &head, &[ev(2, 0)]).unwrap();
    assert!(store.current_summaries().unwrap().is_empty());
}
