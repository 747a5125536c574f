//! `warroom bench store` and what it measures, against the real binary: `verify` of a
//! large log holds no more memory than of a tiny one (it streams), and the bench builds
//! a data directory and reports every operation.

use std::path::Path;
use std::process::Command;

use serde::Serialize;
use warroom::bench::store::peak_kib_of;
use warroom::store::{EventLog, LogRecord};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");

#[derive(Serialize, serde::Deserialize)]
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

/// A log of `events` events of about 500 bytes a line.
fn write_log(path: &Path, events: u64) {
    let mut log = EventLog::create(path).unwrap();
    let text = "n".repeat(350);
    let mut seq = 0;
    while seq < events {
        let batch: Vec<Ev> = (seq + 1..=(seq + 10_000).min(events))
            .map(|seq| Ev {
                seq,
                at: "2026-11-22T04:00:00Z".into(),
                text: text.clone(),
            })
            .collect();
        seq += batch.len() as u64;
        log.append(&batch).unwrap();
    }
}

#[test]
fn verify_of_a_48_mb_log_peaks_within_16_mib_of_a_tiny_log() {
    let dir = tempfile::tempdir().unwrap();
    let (tiny, large) = (
        dir.path().join("tiny.jsonl"),
        dir.path().join("large.jsonl"),
    );
    write_log(&tiny, 3);
    write_log(&large, 96_000);
    let size = std::fs::metadata(&large).unwrap().len();
    assert!(size > 48_000_000, "{size}");
    let data = dir.path().join("data");
    let peak = |log: &Path| {
        let log = log.to_str().unwrap();
        peak_kib_of(Path::new(BIN), &["verify", log], &data, dir.path()).unwrap()
    };
    let (tiny_peak, large_peak) = (peak(&tiny), peak(&large));
    // Reading the whole file, as verify did, costs at least the file's 48 MB more.
    assert!(
        large_peak < tiny_peak + 16 * 1024,
        "verify of {size} bytes peaked at {large_peak} KiB, of 3 events at {tiny_peak} KiB"
    );
}

#[test]
fn bench_store_builds_a_data_directory_and_reports_every_operation() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("kept");
    let output = Command::new(BIN)
        .args([
            "bench",
            "store",
            "--events",
            "300",
            "--incidents",
            "3",
            "--each",
            "40",
        ])
        .arg("--dir")
        .arg(&keep)
        .env("WARROOM_CATALOG", dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{text}\n{stderr}");
    assert!(text.contains("in 3 incidents through the engine"), "{text}");
    for row in [
        "| `warroom verify` BENCH-BIG",
        "| `warroom status` BENCH-BIG, 300 events (local) |",
        "| `warroom status` BENCH-00001, 40 events (local) |",
        "| `warroom list` (local) |",
        "| `warroom list --json` (local) |",
        "| `warroom serve` until /health |",
        "| `warroom serve` until /health, empty dir |",
    ] {
        assert!(text.contains(row), "no row `{row}`:\n{text}");
    }
    // The data directory was kept, and it is intact: every log verifies.
    let incidents = keep.join("data").join("incidents");
    let logs: Vec<_> = std::fs::read_dir(&incidents)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    assert_eq!(logs.len(), 3);
    for log in logs {
        let report = warroom::store::verify(log).unwrap();
        assert!(report.events >= 40, "{report:?}");
    }
    // A second run reuses it rather than failing on existing incidents.
    let again = Command::new(BIN)
        .args([
            "bench",
            "store",
            "--events",
            "300",
            "--incidents",
            "3",
            "--each",
            "40",
        ])
        .arg("--dir")
        .arg(&keep)
        .env("WARROOM_CATALOG", dir.path())
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("Reusing"));
}
