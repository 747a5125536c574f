//! [`EventLog`]: the writable handle on one incident's log file — creating it, opening
//! and replaying it (cutting off a torn tail), and appending batches of events (the
//! write itself, with its rollback, is [`commit`](super::commit)).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::LogRecord;
use super::chain::GENESIS_PREV;
use super::commit::{CommitError, commit};
use super::error::{Damage, LineError, StoreError};
use super::offsets::Offsets;
use super::scan::{self, TornTail};

/// An open, exclusively locked, append-only incident log.
///
/// The lock is an advisory OS file lock held until the handle is dropped, so a second
/// warroom process cannot interleave lines into the same chain.
#[derive(Debug)]
pub struct EventLog {
    pub(super) file: File,
    pub(super) path: PathBuf,
    /// Hash of the last line ([`GENESIS_PREV`] when empty).
    pub(super) head: String,
    /// Number of events (= seq of the last event).
    pub(super) events: u64,
    /// Length of the file as last written and synced by us.
    pub(super) good_len: u64,
    /// Set when a failed write could not be undone: the file's end is unknown.
    pub(super) poisoned: bool,
    /// Where every [`STRIDE`](super::offsets::STRIDE)th line starts.
    pub(super) offsets: Offsets,
}

/// The result of [`EventLog::open`] (and of [`IncidentStore::open`] for any backend,
/// whose log handle is `L`).
///
/// [`IncidentStore::open`]: super::IncidentStore::open
#[derive(Debug)]
pub struct Opened<E, L = EventLog> {
    /// The log, ready to append.
    pub log: L,
    /// Every event in the log, in order.
    pub events: Vec<E>,
    /// The unfinished line that was cut off, if a crash left one: tell the user.
    pub torn_tail: Option<TornTail>,
}

pub(crate) fn io_error(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
    move |cause| StoreError::Io {
        op,
        path: path.to_owned(),
        cause,
    }
}

pub(super) fn lock(file: &File, path: &Path) -> Result<(), StoreError> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(StoreError::Locked {
            path: path.to_owned(),
        }),
        Err(TryLockError::Error(cause)) => Err(io_error("lock", path)(cause)),
    }
}

/// Makes the new directory entry durable; without it a crash could lose the file itself.
pub(super) fn sync_parent(path: &Path) -> Result<(), StoreError> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(parent)
        .and_then(|dir| dir.sync_all())
        .map_err(io_error("sync directory", parent))
}

impl EventLog {
    /// Creates a new, empty log at `path` (owner-only, see [`private`](super::private)),
    /// fails with [`StoreError::AlreadyExists`] if anything is there, and fsyncs the
    /// file and its parent directory.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        let file = super::private::file_options()
            .read(true)
            .append(true)
            .create_new(true)
            .open(path)
            .map_err(|cause| match cause.kind() {
                io::ErrorKind::AlreadyExists => StoreError::AlreadyExists {
                    path: path.to_owned(),
                },
                _ => io_error("create", path)(cause),
            })?;
        lock(&file, path)?;
        super::private::restrict(&file).map_err(io_error("restrict", path))?;
        file.sync_all().map_err(io_error("sync", path))?;
        sync_parent(path)?;
        Ok(Self {
            file,
            path: path.to_owned(),
            head: GENESIS_PREV.to_owned(),
            events: 0,
            good_len: 0,
            poisoned: false,
            offsets: Offsets::default(),
        })
    }

    /// Opens an existing log, verifies the whole chain and decodes every event as `E`.
    ///
    /// A torn tail is cut off (truncate + fsync) and reported in [`Opened::torn_tail`].
    /// Any other damage is [`StoreError::Damaged`], and the file is left untouched.
    pub fn open<E: LogRecord>(path: impl AsRef<Path>) -> Result<Opened<E>, StoreError> {
        let path = path.as_ref();
        // Append mode: every write lands at the end of the file, whatever the cursor,
        // so a truncation after a failed write can never leave a gap.
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(io_error("open", path))?;
        lock(&file, path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(io_error("read", path))?;
        let damaged = |error: LineError| StoreError::Damaged {
            path: path.to_owned(),
            error,
        };
        let scan = scan::scan(&bytes).map_err(damaged)?;
        // Decode everything before cutting the tail: a log this version cannot read
        // must not be modified by it.
        let mut events = Vec::with_capacity(scan.lines.len());
        for (index, line) in scan.lines.iter().enumerate() {
            let event = decode::<E>(line.event, line.seq).map_err(|damage| {
                damaged(LineError {
                    line: index + 1,
                    damage,
                })
            })?;
            events.push(event);
        }
        if scan.torn_tail.is_some() {
            file.set_len(scan.good_len)
                .and_then(|()| file.sync_all())
                .map_err(io_error("cut the torn tail of", path))?;
        }
        let (offsets, _) =
            Offsets::load(path, &mut file, scan.good_len).map_err(io_error("index", path))?;
        let log = Self {
            path: path.to_owned(),
            head: scan.head().to_owned(),
            events: scan.lines.len() as u64,
            good_len: scan.good_len,
            poisoned: false,
            offsets,
            file,
        };
        Ok(Opened {
            log,
            events,
            torn_tail: scan.torn_tail,
        })
    }

    /// Appends a batch of events as one group commit: one `write`, one `fsync`.
    ///
    /// Each event must carry the next seq. Each event is serialized once; the returned
    /// strings are those exact JSON bytes (as hashed and stored), in order, for reuse.
    /// Before writing, every line is checked the way [`EventLog::open`] will read it, so
    /// the log never stores an event it could not replay.
    ///
    /// If the write or fsync fails, the file is truncated back to its last good length
    /// and [`StoreError::WriteFailed`] is returned; nothing of the batch remains. If the
    /// truncation fails too, [`StoreError::RollbackFailed`] is returned and every later
    /// append fails with [`StoreError::Poisoned`] (reopen the log to recover it).
    pub fn append<E: LogRecord>(&mut self, events: &[E]) -> Result<Vec<Arc<str>>, StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned {
                path: self.path.clone(),
            });
        }
        let batch = super::batch::encode_batch(self.events, &self.head, events)?;
        let indexed: Vec<(u64, u64)> = (self.events + 1..)
            .zip(&batch.starts)
            .filter(|(seq, _)| seq % super::offsets::STRIDE == 1)
            .map(|(seq, start)| (seq, self.good_len + *start as u64))
            .collect();
        let (buf, jsons, head) = (batch.bytes, batch.jsons, batch.head);
        if buf.is_empty() {
            return Ok(jsons);
        }
        match commit(&mut self.file, self.good_len, &buf) {
            Ok(()) => {
                self.head = head;
                self.events += events.len() as u64;
                self.good_len += buf.len() as u64;
                let known = self.offsets.len();
                for (seq, offset) in indexed {
                    self.offsets.record(seq, offset);
                }
                if self.offsets.len() > known {
                    self.offsets.append_to_file(&self.path, known);
                }
                Ok(jsons)
            }
            Err(CommitError::RolledBack(cause)) => Err(StoreError::WriteFailed {
                path: self.path.clone(),
                cause,
            }),
            Err(CommitError::Unrecoverable { write, rollback }) => {
                self.poisoned = true;
                Err(StoreError::RollbackFailed {
                    path: self.path.clone(),
                    write,
                    rollback,
                })
            }
        }
    }

    /// The hash of the last line (64 lowercase hex; [`GENESIS_PREV`] when empty).
    pub fn head_hash(&self) -> &str {
        &self.head
    }

    /// The number of events in the log, which is also the seq of the last one.
    pub fn len(&self) -> u64 {
        self.events
    }

    /// True if the log holds no events.
    pub fn is_empty(&self) -> bool {
        self.events == 0
    }

    /// The seq the next appended event must carry.
    pub fn next_seq(&self) -> u64 {
        self.events + 1
    }

    /// The log file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Decodes a stored event and checks that the domain type agrees about its seq.
pub(super) fn decode<E: LogRecord>(json: &str, stored_seq: u64) -> Result<E, Damage> {
    let event: E = serde_json::from_str(json).map_err(Damage::Undecodable)?;
    if event.seq() != stored_seq {
        return Err(Damage::SeqDisagrees {
            stored: stored_seq,
            decoded: event.seq(),
        });
    }
    Ok(event)
}
