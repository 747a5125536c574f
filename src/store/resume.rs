//! Reading a log from the middle: opening it to replay only the events after a head it
//! is known to hold (a snapshot's), and reading a page of lines, both through the seq →
//! offset index ([`offsets`](super::offsets)), so their cost follows what is read, not
//! how long the log is.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::LogRecord;
use super::backend::{LogView, MAX_RANGE, StoredEvent};
use super::chain::{GENESIS_PREV, check_line, line_head};
use super::error::{Damage, LineError, StoreError};
use super::event_log::{EventLog, decode, io_error, lock};
use super::offsets::Offsets;
use super::scan::{MAX_LINE_BYTES, StreamError, TornTail, scan_stream_from};
use super::verify::Head;

/// What [`EventLog::open_replaying`] opened.
#[derive(Debug)]
pub struct Resumed<L = EventLog> {
    /// The log, ready to append.
    pub log: L,
    /// The unfinished line that was cut off, if a crash left one: tell the user.
    pub torn_tail: Option<TornTail>,
}

impl EventLog {
    /// Opens an existing log and hands every event after `from` to `each`, in order,
    /// decoded as `E`, holding one line at a time. `from` is a head the caller has state
    /// for (a snapshot's): the log must hold it, line `from.seq` with hash `from.hash`,
    /// or the open fails with [`StoreError::NotInLog`] and nothing is changed (the caller
    /// opens again from the start). With `None`, every event is replayed.
    ///
    /// The lines after `from` are checked as [`EventLog::open`] checks them, and a torn
    /// tail is cut off the same way; the lines up to `from` are not read again (`verify`
    /// checks the whole chain).
    pub fn open_replaying<E: LogRecord>(
        path: impl AsRef<Path>,
        from: Option<&Head>,
        each: &mut dyn FnMut(E),
    ) -> Result<Resumed, StoreError> {
        let path = path.as_ref();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(io_error("open", path))?;
        lock(&file, path)?;
        let len = file.metadata().map_err(io_error("read", path))?.len();
        let (mut offsets, lines) =
            Offsets::load(path, &mut file, len).map_err(io_error("index", path))?;
        let (after_seq, prev, start) = match from {
            Some(head) if head.seq > 0 => {
                let not_in_log = |reason: String| StoreError::NotInLog {
                    what: "snapshot",
                    path: path.to_owned(),
                    claimed: head.clone(),
                    reason,
                };
                if head.seq > lines {
                    return Err(not_in_log(format!("the log ends at seq {lines}")));
                }
                let (line, end) = line_and_end(&mut file, &offsets, head.seq, len)
                    .map_err(io_error("read", path))?
                    .ok_or_else(|| not_in_log("its line cannot be read".to_owned()))?;
                match line_head(&line) {
                    Some((seq, hash)) if seq == head.seq && hash == head.hash => {}
                    _ => {
                        return Err(not_in_log(format!(
                            "the log's seq {} is not the line it names",
                            head.seq
                        )));
                    }
                }
                (head.seq, head.hash.clone(), end)
            }
            _ => (0, GENESIS_PREV.to_owned(), 0),
        };
        file.seek(SeekFrom::Start(start))
            .map_err(io_error("read", path))?;
        let reader = BufReader::with_capacity(1 << 20, (&file).take(len - start));
        let scanned = scan_stream_from(reader, MAX_LINE_BYTES, after_seq, &prev, |line, _| {
            each(decode::<E>(line.event, line.seq)?);
            Ok(())
        })
        .map_err(|error| match error {
            StreamError::Io(cause) => io_error("read", path)(cause),
            StreamError::Damaged(error) => StoreError::Damaged {
                path: path.to_owned(),
                error,
            },
        })?;
        let good_len = start + scanned.good_len;
        if scanned.torn_tail.is_some() {
            file.set_len(good_len)
                .and_then(|()| file.sync_all())
                .map_err(io_error("cut the torn tail of", path))?;
            // The index counted up to the old end; an entry for the cut line goes.
            let (recounted, _) =
                Offsets::load(path, &mut file, good_len).map_err(io_error("index", path))?;
            offsets = recounted;
        }
        Ok(Resumed {
            log: EventLog {
                path: path.to_owned(),
                head: scanned.head,
                events: after_seq + scanned.lines,
                good_len,
                poisoned: false,
                offsets,
                file,
            },
            torn_tail: scanned.torn_tail,
        })
    }

    /// A read-only view of the log as it is now: what it has acknowledged, readable by
    /// range from any thread while this handle goes on appending.
    pub fn view(&self) -> FileView {
        FileView {
            path: self.path.clone(),
            offsets: self.offsets.clone(),
            synced_len: self.good_len,
            head: Head {
                seq: self.events,
                hash: self.head.clone(),
            },
        }
    }
}

/// A read-only view of a log up to a head (see [`EventLog::view`]).
#[derive(Debug, Clone)]
pub struct FileView {
    path: std::path::PathBuf,
    offsets: Offsets,
    synced_len: u64,
    head: Head,
}

impl LogView for FileView {
    fn head(&self) -> Head {
        self.head.clone()
    }

    fn read_range(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>, StoreError> {
        check_range(from, to, self.head.seq)?;
        self.read_lines(from, to)
    }
}

/// [`StoreError::OutOfRange`] or [`StoreError::RangeTooLong`] unless `from..=to` is a
/// readable page of a log ending at `last`.
pub(crate) fn check_range(from: u64, to: u64, last: u64) -> Result<(), StoreError> {
    if from == 0 || from > to || to > last {
        return Err(StoreError::OutOfRange { from, to, last });
    }
    if to - from >= MAX_RANGE {
        return Err(StoreError::RangeTooLong {
            from,
            to,
            max: MAX_RANGE,
        });
    }
    Ok(())
}

impl FileView {
    /// Lines `from..=to` (1-based, inclusive, within the log) as stored, each checked and
    /// linked to the one before it; the first is checked against itself (its own `prev`).
    fn read_lines(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>, StoreError> {
        let path = self.path.as_path();
        let mut file = File::open(path).map_err(io_error("open", path))?;
        let (mut seq, offset) = self.offsets.at_or_before(from);
        file.seek(SeekFrom::Start(offset))
            .map_err(io_error("read", path))?;
        // Only what this handle wrote and synced: nothing beyond it is acknowledged.
        let mut reader = BufReader::new(file.take(self.synced_len.saturating_sub(offset)));
        let damaged = |seq: u64, damage| StoreError::Damaged {
            path: path.to_owned(),
            error: LineError {
                line: usize::try_from(seq).unwrap_or(usize::MAX),
                damage,
            },
        };
        let mut out = Vec::new();
        let mut prev: Option<String> = None;
        let mut line = Vec::new();
        while seq <= to {
            line.clear();
            reader
                .read_until(b'\n', &mut line)
                .map_err(io_error("read", path))?;
            let Some(body) = line.strip_suffix(b"\n") else {
                // The file is shorter than the length we synced: changed under us.
                return Err(damaged(seq, Damage::Empty));
            };
            let link = match &prev {
                Some(prev) => prev.clone(),
                None => {
                    own_prev(body).ok_or_else(|| damaged(seq, Damage::BadHex { field: "prev" }))?
                }
            };
            let line_no = usize::try_from(seq).unwrap_or(usize::MAX);
            let checked = check_line(body, &link, line_no, seq).map_err(|d| damaged(seq, d))?;
            if seq >= from {
                out.push(StoredEvent {
                    seq,
                    hash: checked.hash.to_owned(),
                    json: checked.event.into(),
                });
            }
            prev = Some(checked.hash.to_owned());
            seq += 1;
        }
        Ok(out)
    }
}

/// The `prev` a line names (the 64 hex digits after `{"prev":"`).
fn own_prev(line: &[u8]) -> Option<String> {
    let hex = line.get(9..73)?;
    std::str::from_utf8(hex).ok().map(str::to_owned)
}

/// Line `seq` (without its `\n`) and the offset just after it, found from the index.
fn line_and_end(
    file: &mut File,
    offsets: &Offsets,
    seq: u64,
    len: u64,
) -> std::io::Result<Option<(Vec<u8>, u64)>> {
    let (mut at_seq, offset) = offsets.at_or_before(seq);
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = BufReader::new(file.take(len.saturating_sub(offset)));
    let mut end = offset;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 || !line.ends_with(b"\n") {
            return Ok(None);
        }
        end += read as u64;
        if at_seq == seq {
            line.pop();
            return Ok(Some((line, end)));
        }
        at_seq += 1;
    }
}
