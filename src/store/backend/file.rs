//! The default backend: a directory of logs, `<id>.jsonl` each (today's [`EventLog`]
//! with its group commit, fsync and torn-tail repair, unchanged), with the snapshot in
//! `<id>.snapshot` and the summary in `<id>.summary` beside it (see
//! [`sidecar`](super::sidecar)). One writer per log, enforced by the log's OS lock.
//!
//! Reads of a range and opening after a snapshot start from the nearest line of the
//! seq → offset index (`<id>.offsets`, see [`offsets`](crate::store)), never from the
//! start of the file.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::summary_index::{SummaryIndex, log_stamp};
use super::{IncidentLog, IncidentStore, LogView, Pinned, StoredEvent, sidecar};
use crate::store::chain::{GENESIS_PREV, line_head};
use crate::store::error::StoreError;
use crate::store::event_log::io_error;
use crate::store::resume::FileView;
use crate::store::{EventLog, Head, LogRecord, Opened, Resumed};

/// A directory holding one log per incident.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// The store over `dir` (created, 0700, on the first [`IncidentStore::create`]).
    pub fn new(dir: impl Into<PathBuf>) -> FileStore {
        FileStore { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where incident `id`'s log is (whether or not it exists).
    pub fn log_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.jsonl"))
    }

    /// `id`'s log path, if `id` can name a file of its own in the directory.
    fn checked_path(&self, id: &str) -> Result<PathBuf, StoreError> {
        let plain = !id.is_empty()
            && !id.starts_with('.')
            && !id.contains(['/', '\\', '\0'])
            && id != ".."
            && !id.ends_with(".tmp");
        if !plain {
            return Err(StoreError::BadId { id: id.to_owned() });
        }
        Ok(self.log_path(id))
    }
}

impl IncidentStore for FileStore {
    type Log = EventLog;

    fn ids(&self) -> Result<Vec<String>, StoreError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(cause) => return Err(io_error("read directory", &self.dir)(cause)),
        };
        Ok(entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                name.strip_suffix(".jsonl").map(str::to_string)
            })
            .collect())
    }

    fn create<E: LogRecord>(
        &self,
        id: &str,
        first: &[E],
    ) -> Result<(EventLog, Vec<Arc<str>>), StoreError> {
        let path = self.checked_path(id)?;
        crate::store::private::create_dir_all(&self.dir)
            .map_err(io_error("create directory", &self.dir))?;
        let mut log = EventLog::create(&path)?;
        let genesis = IncidentLog::head(&log);
        match IncidentLog::append(&mut log, &genesis, first) {
            Ok(json) => Ok((log, json)),
            Err(error) => {
                // We created the file (create_new) and hold its lock, so it is ours to
                // remove; if even that fails, the empty file is reported at the next open.
                drop(log);
                let _ = std::fs::remove_file(&path);
                Err(error)
            }
        }
    }

    fn open<E: LogRecord>(&self, id: &str) -> Result<Opened<E>, StoreError> {
        EventLog::open(self.checked_path(id)?)
    }

    fn open_replaying<E: LogRecord>(
        &self,
        id: &str,
        from: Option<&Head>,
        each: &mut dyn FnMut(E),
    ) -> Result<Resumed, StoreError> {
        let path = self.checked_path(id)?;
        if let Some(head) = from {
            // A log changed after its snapshot was written was appended to without a
            // snapshot after (a crash) or edited by hand: its prefix is checked again.
            let snapshot = path.with_extension("snapshot");
            if modified(&snapshot) < modified(&path) {
                return Err(StoreError::NotInLog {
                    what: "snapshot",
                    path: snapshot,
                    claimed: head.clone(),
                    reason: "the log changed after the snapshot was written".to_owned(),
                });
            }
        }
        EventLog::open_replaying(path, from, each)
    }

    fn read_snapshot_of(&self, id: &str) -> Result<Option<Pinned>, StoreError> {
        let path = self.checked_path(id)?.with_extension("snapshot");
        sidecar::read(&path, "snapshot")
    }

    fn summaries(&self) -> Result<Vec<(String, Pinned)>, StoreError> {
        let mut out = Vec::new();
        for id in self.ids()? {
            let log = self.log_path(&id);
            let path = log.with_extension("summary");
            // A summary older than its log was not written after the log's last change
            // (an append it missed, or the file changed by hand): left out, like a
            // missing or damaged one, so the caller builds it from the log (and writes it
            // again). One bad file never hides the others.
            if modified(&path) < modified(&log) {
                continue;
            }
            if let Ok(Some(summary)) = sidecar::read(&path, "summary") {
                out.push((id, summary));
            }
        }
        Ok(out)
    }

    fn current_summaries(&self) -> Result<Vec<(String, Pinned)>, StoreError> {
        let ids = self.ids()?;
        let mut index = SummaryIndex::read(&self.dir);
        let mut changed = index.keep_only(&ids);
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let log = self.log_path(&id);
            let Some(stamp) = log_stamp(&log) else {
                continue;
            };
            if let Some(pinned) = index.current(&id, stamp) {
                out.push((id, pinned));
                continue;
            }
            // The slow way: the summary file, not older than the log, pinned to the head
            // the log's last line names.
            if modified(&log.with_extension("summary")) < modified(&log) {
                continue;
            }
            let Ok(Some(pinned)) = sidecar::read(&log.with_extension("summary"), "summary") else {
                continue;
            };
            if self.stored_head(&id).ok().flatten().as_ref() != Some(&pinned.head) {
                continue;
            }
            // Stamped after the check: an append since would change the stamp.
            if log_stamp(&log) == Some(stamp) {
                changed |= index.record(&id, stamp, &pinned);
            }
            out.push((id, pinned));
        }
        if changed {
            index.write(&self.dir);
        }
        Ok(out)
    }

    fn stored_head(&self, id: &str) -> Result<Option<Head>, StoreError> {
        let path = self.checked_path(id)?;
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(cause) => return Err(io_error("open", &path)(cause)),
        };
        let tail = last_line(&mut file).map_err(io_error("read", &path))?;
        Ok(tail
            .and_then(|line| line_head(&line))
            .map(|(seq, hash)| Head { seq, hash }))
    }
}

/// When `path` last changed; `None` (older than anything) if that cannot be read.
fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The longest last line [`last_line`] reads: far above any event the limits allow.
const LAST_LINE_MAX: u64 = 16 << 20;

/// The file's last complete line (without its `\n`; anything after the last `\n` is a
/// torn tail and skipped), read backwards from the end in growing blocks. `None` if the file
/// has no complete line or the last one is longer than [`LAST_LINE_MAX`].
fn last_line(file: &mut File) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::{Seek, SeekFrom};
    // A line is a few hundred bytes: a small first read finds it in one go (listing
    // 5,000 incidents reads 5,000 last lines), later reads grow for long ones.
    let mut block: u64 = 4 << 10;
    let len = file.metadata()?.len();
    let mut end = len; // the tail read so far is `len - buf.len()..len`
    let mut buf: Vec<u8> = Vec::new();
    loop {
        // The last '\n' ends the last complete line; the one before it starts it.
        let mut newlines = buf.iter().enumerate().rev().filter(|(_, b)| **b == b'\n');
        if let Some((last, _)) = newlines.next() {
            if let Some((before, _)) = newlines.next() {
                return Ok(Some(buf[before + 1..last].to_vec()));
            }
            if end == 0 {
                return Ok(Some(buf[..last].to_vec()));
            }
        } else if end == 0 {
            return Ok(None);
        }
        if len - end > LAST_LINE_MAX {
            return Ok(None);
        }
        let start = end.saturating_sub(block);
        block = (block * 4).min(1 << 20);
        let mut block = vec![0; usize::try_from(end - start).unwrap_or(0)];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block)?;
        block.extend_from_slice(&buf);
        buf = block;
        end = start;
    }
}

impl EventLog {
    fn sidecar_path(&self, kind: &str) -> PathBuf {
        self.path().with_extension(kind)
    }

    /// Ok if the log holds `head` (its seq, with that chain hash); else why not.
    fn check_holds(&self, head: &Head) -> Result<(), String> {
        if head.seq == self.len() && head.hash == self.head_hash() {
            // The handle's own head (the common case: written right after a commit),
            // known without reading the file.
            return Ok(());
        }
        if head.seq > self.len() {
            return Err(format!("the log ends at seq {}", self.len()));
        }
        let hash = if head.seq == 0 {
            GENESIS_PREV.to_owned()
        } else {
            let found = self
                .read_range(head.seq, head.seq)
                .map_err(|e| e.to_string())?;
            found.into_iter().next().map(|e| e.hash).unwrap_or_default()
        };
        if hash == head.hash {
            Ok(())
        } else {
            Err(format!("the log's seq {} hashes to {hash}", head.seq))
        }
    }

    fn write_pinned(
        &self,
        kind: &'static str,
        pinned: &Pinned,
        sync: sidecar::Sync,
    ) -> Result<(), StoreError> {
        self.check_holds(&pinned.head)
            .map_err(|reason| StoreError::NotInLog {
                what: kind,
                path: self.path().to_owned(),
                claimed: pinned.head.clone(),
                reason,
            })?;
        sidecar::write(&self.sidecar_path(kind), pinned, sync)
    }
}

impl IncidentLog for EventLog {
    type View = FileView;

    fn head(&self) -> Head {
        Head {
            seq: self.len(),
            hash: self.head_hash().to_owned(),
        }
    }

    fn append<E: LogRecord>(
        &mut self,
        expected: &Head,
        events: &[E],
    ) -> Result<Vec<Arc<str>>, StoreError> {
        let actual = IncidentLog::head(self);
        if *expected != actual {
            return Err(StoreError::Conflict {
                expected: expected.clone(),
                actual,
            });
        }
        EventLog::append(self, events)
    }

    fn read_range(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>, StoreError> {
        LogView::read_range(&self.view(), from, to)
    }

    fn view(&self) -> FileView {
        EventLog::view(self)
    }

    fn write_snapshot(&mut self, snapshot: &Pinned) -> Result<(), StoreError> {
        self.write_pinned("snapshot", snapshot, sidecar::Sync::Durable)
    }

    fn read_snapshot(&self) -> Result<Option<Pinned>, StoreError> {
        let path = self.sidecar_path("snapshot");
        let Some(snapshot) = sidecar::read(&path, "snapshot")? else {
            return Ok(None);
        };
        self.check_holds(&snapshot.head)
            .map_err(|reason| StoreError::NotInLog {
                what: "snapshot",
                path,
                claimed: snapshot.head.clone(),
                reason,
            })?;
        Ok(Some(snapshot))
    }

    fn write_summary(&mut self, summary: &Pinned) -> Result<(), StoreError> {
        self.write_pinned("summary", summary, sidecar::Sync::Lazy)
    }
}

#[cfg(test)]
mod tests {
    use super::last_line;
    use std::io::Write;

    fn last_of(bytes: &[u8]) -> Option<Vec<u8>> {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        last_line(&mut file).unwrap()
    }

    #[test]
    fn last_line_reads_backwards_across_blocks_and_skips_a_torn_tail() {
        let long = vec![b'x'; 200_000];
        let mut bytes = b"first\n".to_vec();
        bytes.extend_from_slice(&long);
        bytes.push(b'\n');
        assert_eq!(last_of(&bytes), Some(long.clone()), "longer than a block");
        bytes.extend_from_slice(b"torn, no newline");
        assert_eq!(last_of(&bytes), Some(long), "the torn tail is skipped");
        assert_eq!(last_of(b"only\n"), Some(b"only".to_vec()));
        assert_eq!(last_of(b"torn"), None);
        assert_eq!(last_of(b""), None);
    }
}
