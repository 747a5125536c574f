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
