//! The file store's index of current summaries, `summaries.index` in the store's
//! directory: for each incident, its summary and head as last found current, with the
//! size and modification time its log had then. Listing 5,000 incidents then costs one
//! read of this file and one `stat` per log, instead of opening and reading each summary
//! and each log's last line (measured in docs/PERFORMANCE.md).
//!
//! A cache, like the summaries it holds: written by whoever lists (atomically, without
//! fsync), never by the writers of logs; an entry counts only while its log's size and
//! time are unchanged, and anything it cannot vouch for is looked up the slow way (the
//! summary file, checked against the log's last line) and the index written again. An
//! index that is missing, damaged or of another version is ignored and rebuilt. Like a
//! summary's own check, it cannot see an edit that keeps a log's size and puts its time
//! back: `verify` does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use super::Pinned;
use crate::store::Head;

const FORMAT: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct SummaryIndex {
    format: u32,
    entries: HashMap<String, Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    /// The log's size and modification time (ns since the epoch) when found current.
    len: u64,
    modified_ns: u128,
    seq: u64,
    hash: String,
    summary: String,
}

/// A log's size and modification time, if it can be read.
pub(super) fn log_stamp(log: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(log).ok()?;
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some((meta.len(), modified.as_nanos()))
}

impl SummaryIndex {
    pub(super) fn path(dir: &Path) -> PathBuf {
        dir.join("summaries.index")
    }

    /// The index in `dir`, or an empty one if it is missing, damaged or foreign.
    pub(super) fn read(dir: &Path) -> SummaryIndex {
        std::fs::read(Self::path(dir))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<SummaryIndex>(&bytes).ok())
            .filter(|index| index.format == FORMAT)
            .unwrap_or_default()
    }

    /// The summary of `id` if the index holds one for a log of exactly this stamp.
    pub(super) fn current(&self, id: &str, stamp: (u64, u128)) -> Option<Pinned> {
        let entry = self.entries.get(id)?;
        if (entry.len, entry.modified_ns) != stamp {
            return None;
        }
        Some(Pinned {
            head: Head {
                seq: entry.seq,
                hash: entry.hash.clone(),
            },
            bytes: entry.summary.clone().into_bytes(),
        })
    }

    /// Records `pinned` as `id`'s current summary for a log of this stamp; false if it
    /// was already so (nothing to write).
    pub(super) fn record(&mut self, id: &str, stamp: (u64, u128), pinned: &Pinned) -> bool {
        let Ok(summary) = String::from_utf8(pinned.bytes.clone()) else {
            return self.entries.remove(id).is_some();
        };
        let entry = Entry {
            len: stamp.0,
            modified_ns: stamp.1,
            seq: pinned.head.seq,
            hash: pinned.head.hash.clone(),
            summary,
        };
        self.entries.insert(id.to_owned(), entry.clone()) != Some(entry)
    }

    /// Drops every entry not in `ids`; true if any was dropped.
    pub(super) fn keep_only(&mut self, ids: &[String]) -> bool {
        let before = self.entries.len();
        let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
        self.entries.retain(|id, _| wanted.contains(id.as_str()));
        self.entries.len() != before
    }

    /// Writes the index to `dir`, atomically; best effort (it is a cache).
    pub(super) fn write(&mut self, dir: &Path) {
        self.format = FORMAT;
        let Ok(bytes) = serde_json::to_vec(self) else {
            return;
        };
        let path = Self::path(dir);
        let tmp = path.with_extension("index.tmp");
        let written =
            crate::store::private::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}
