//! [`verify`]: the read-only check of a log file, for `warroom verify` and for anyone
//! holding a copy of an incident log; [`verify_head`]: the same, anchored to a [`Head`]
//! recorded earlier (an export, a delivered update), which is what catches a log
//! rewritten and fully re-hashed, or cut short. Works without the domain's event type.
//!
//! Both stream the file one line at a time ([`scan_stream`]): memory stays bounded by
//! the longest line, whatever the length of the log.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use serde_json::value::RawValue;

use super::LogRecord;
use super::chain::{ChainLine, GENESIS_PREV};
use super::error::VerifyError;
use super::scan::{MAX_LINE_BYTES, StreamError, TornTail, scan_stream};

/// Read-buffer size: large enough that reads are few, small next to any memory target.
const READ_BUFFER_BYTES: usize = 256 * 1024;

/// What [`verify`] found in an intact log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Number of complete events.
    pub events: u64,
    /// Seq of the first event (always 1 when there are events).
    pub first_seq: Option<u64>,
    /// Seq of the last event (equal to `events`).
    pub last_seq: Option<u64>,
    /// Hash of the last complete line; 64 zeros for an empty log.
    pub head_hash: String,
    /// The first event's `at` field, if it is a string.
    pub first_at: Option<String>,
    /// The last event's `at` field, if it is a string.
    pub last_at: Option<String>,
    /// An unfinished final line left by a crash: reported, not an error. The counts and
    /// hashes above exclude it.
    pub torn_tail: Option<TornTail>,
}

/// Reads the log at `path` and checks every line and the whole chain, without
/// modifying the file.
pub fn verify(path: impl AsRef<Path>) -> Result<VerifyReport, VerifyError> {
    stream(path.as_ref(), None, MAX_LINE_BYTES).map(|(report, _)| report)
}

/// Streams the log at `path` through the chain check, gathering the report and, if
/// `wanted` names a seq, the hash of that seq's line.
fn stream(
    path: &Path,
    wanted: Option<u64>,
    max_line: usize,
) -> Result<(VerifyReport, Option<String>), VerifyError> {
    let io_error = |cause| VerifyError::Io {
        path: path.to_owned(),
        cause,
    };
    let file = File::open(path).map_err(io_error)?;
    let mut first: Option<(u64, Option<String>)> = None;
    let mut last_at: Option<String> = None;
    let mut wanted_hash = None;
    let scanned = scan_stream(
        BufReader::with_capacity(READ_BUFFER_BYTES, file),
        max_line,
        |line: &ChainLine<'_>| {
            if first.is_none() {
                first = Some((line.seq, at_string(line.at)));
            }
            if wanted == Some(line.seq) {
                wanted_hash = Some(line.hash.to_owned());
            }
            // Only the last line's `at` is reported: keep its raw text, parse it once.
            match (&mut last_at, line.at) {
                (Some(kept), Some(at)) => {
                    kept.clear();
                    kept.push_str(at.get());
                }
                (kept, at) => *kept = at.map(|at| at.get().to_owned()),
            }
        },
    )
    .map_err(|error| match error {
        StreamError::Io(cause) => io_error(cause),
        StreamError::Damaged(error) => VerifyError::Damaged(error),
    })?;
    let (first_seq, first_at) = first.unzip();
    let report = VerifyReport {
        events: scanned.lines,
        first_seq,
        last_seq: (scanned.lines > 0).then_some(scanned.lines),
        head_hash: scanned.head,
        first_at: first_at.flatten(),
        last_at: last_at.and_then(|raw| serde_json::from_str(&raw).ok()),
        torn_tail: scanned.torn_tail,
    };
    Ok((report, wanted_hash))
}

/// The `at` field as a string, or `None` if absent or not a string (the time range is
/// informative; the chain does not depend on it).
fn at_string(at: Option<&RawValue>) -> Option<String> {
    serde_json::from_str(at?.get()).ok()
}

/// A point in a log recorded earlier, written `SEQ:HASH`: an event's seq and the chain
/// hash of its line (`0:` and 64 zeros for an empty log). `verify` prints the head in
/// this form, exports state it, and delivered updates carry it, so someone outside the
/// hub holds a witness a rewritten log cannot match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    /// 64 lowercase hex digits.
    pub hash: String,
}

impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for Head {
    type Err = String;

    fn from_str(text: &str) -> Result<Head, String> {
        let shape = || {
            format!(
                "`{text}` is not a head: write SEQ:HASH, e.g. 12:{}… as `warroom verify` prints it",
                &GENESIS_PREV[..8]
            )
        };
        let (seq, hash) = text.trim().split_once(':').ok_or_else(shape)?;
        let seq: u64 = seq.parse().map_err(|_| shape())?;
        let hash = hash.to_ascii_lowercase();
        if hash.len() != GENESIS_PREV.len() || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "the hash in `{text}` is not 64 hex digits (a SHA-256, as `warroom verify` prints it)"
            ));
        }
        Ok(Head { seq, hash })
    }
}

/// What [`verify_head`] found in a log that extends the recorded head unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadReport {
    /// The whole log, as [`verify`] reports it.
    pub log: VerifyReport,
    /// How many events come after the recorded head: they are chained, but no witness
    /// vouches for them yet.
    pub after: u64,
}

/// [`verify`], and then: the log holds an event at `head.seq` whose line hashes to
/// `head.hash`. The chain links every line to the one before, so this proves that
/// every event up to the head is exactly the one the witness saw. A log rewritten and
/// re-hashed anywhere up to the head, or cut short before it, fails with
/// [`VerifyError::HeadMismatch`] or [`VerifyError::HeadMissing`].
pub fn verify_head(path: impl AsRef<Path>, head: &Head) -> Result<HeadReport, VerifyError> {
    verify_head_with(path.as_ref(), head, MAX_LINE_BYTES)
}

fn verify_head_with(path: &Path, head: &Head, max_line: usize) -> Result<HeadReport, VerifyError> {
    let wanted = (head.seq > 0).then_some(head.seq);
    let (log, hash_at_head) = stream(path, wanted, max_line)?;
    let found = match head.seq {
        0 => Some(GENESIS_PREV.to_owned()),
        _ => hash_at_head,
    };
    match found {
        None => Err(VerifyError::HeadMissing {
            events: log.events,
            head: head.to_string(),
        }),
        Some(hash) if hash != head.hash => Err(VerifyError::HeadMismatch {
            seq: head.seq,
            found: hash,
            head: head.to_string(),
        }),
        Some(_) => Ok(HeadReport {
            after: log.events - head.seq,
            log,
        }),
    }
}

/// Reads the log at `path` without locking or changing it (a hub may be serving it),
/// checking the whole chain, and hands every event up to seq `upto` to `each`, decoded:
/// to rebuild a state at a point of the log, e.g. to check a snapshot that claims it.
pub fn replay_prefix<E: LogRecord>(
    path: impl AsRef<Path>,
    upto: u64,
    mut each: impl FnMut(E),
) -> Result<(), VerifyError> {
    let path = path.as_ref();
    let io_error = |cause| VerifyError::Io {
        path: path.to_owned(),
        cause,
    };
    let file = File::open(path).map_err(io_error)?;
    let reader = BufReader::with_capacity(READ_BUFFER_BYTES, file);
    super::scan::scan_stream_from(reader, MAX_LINE_BYTES, 0, GENESIS_PREV, |line, _| {
        if line.seq <= upto {
            each(super::event_log::decode::<E>(line.event, line.seq)?);
        }
        Ok(())
    })
    .map_err(|error| match error {
        StreamError::Io(cause) => io_error(cause),
        StreamError::Damaged(error) => VerifyError::Damaged(error),
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::chain::tests::line_for;
    use crate::store::error::Damage;
    use crate::store::scan::scan;

    /// What `verify` reported when it read the whole file into memory: the in-memory
    /// scan (still what `EventLog::open` uses), made into a report as before. Errors as
    /// their messages, which is what a responder sees.
    fn whole_file(bytes: &[u8]) -> Result<VerifyReport, String> {
        let scan = scan(bytes).map_err(|e| e.to_string())?;
        let first = scan.lines.first();
        let last = scan.lines.last();
        Ok(VerifyReport {
            events: scan.lines.len() as u64,
            first_seq: first.map(|line| line.seq),
            last_seq: last.map(|line| line.seq),
            head_hash: scan.head().to_owned(),
            first_at: first.and_then(|line| at_string(line.at)),
            last_at: last.and_then(|line| at_string(line.at)),
            torn_tail: scan.torn_tail,
        })
    }

    fn streamed(bytes: &[u8]) -> Result<VerifyReport, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        std::fs::write(&path, bytes).unwrap();
        verify(&path).map_err(|e| e.to_string())
    }

    /// A log of `n` events with an `at` on every other one and texts of varying length,
    /// and the hash of every line.
    fn log_of(n: u64, text_len: usize) -> (Vec<u8>, Vec<String>) {
        let mut bytes = Vec::new();
        let mut hashes = Vec::new();
        let mut prev = GENESIS_PREV.to_owned();
        let filler = "x".repeat(text_len);
        for seq in 1..=n {
            let at = if seq % 2 == 1 {
                format!(r#","at":"2026-01-01T00:00:{:02}Z""#, seq % 60)
            } else {
                String::new()
            };
            let text = &filler[..(seq as usize * 7) % (text_len + 1)];
            let event = format!(r#"{{"seq":{seq}{at},"text":"{text}"}}"#);
            let (line, hash) = line_for(&prev, &event);
            bytes.extend_from_slice(&line);
            hashes.push(hash.clone());
            prev = hash;
        }
        (bytes, hashes)
    }

    #[test]
    fn a_large_log_streams_to_the_same_report_and_heads_as_the_whole_file_read() {
        // About 30 MB: many read buffers, lines crossing every buffer boundary.
        let (mut bytes, hashes) = log_of(60_000, 900);
        assert!(bytes.len() > 25_000_000, "{}", bytes.len());
        let expected = whole_file(&bytes).unwrap();
        assert_eq!(expected.events, 60_000);
        assert_eq!(expected.last_at, None, "the last event has no `at`");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(verify(&path).unwrap(), expected);
        let middle = Head {
            seq: 31_337,
            hash: hashes[31_336].clone(),
        };
        let at_middle = verify_head(&path, &middle).unwrap();
        assert_eq!(
            (at_middle.after, &at_middle.log),
            (60_000 - 31_337, &expected)
        );
        let wrong = Head {
            seq: 31_337,
            hash: hashes[31_335].clone(),
        };
        assert!(matches!(
            verify_head(&path, &wrong),
            Err(VerifyError::HeadMismatch { seq: 31_337, .. })
        ));
        let beyond = Head {
            seq: 60_001,
            hash: hashes[0].clone(),
        };
        assert!(matches!(
            verify_head(&path, &beyond),
            Err(VerifyError::HeadMissing { events: 60_000, .. })
        ));

        // A torn tail after all that: reported, excluded, the same as before.
        let (next, _) = line_for(&hashes[59_999], r#"{"seq":60001}"#);
        bytes.extend_from_slice(&next[..next.len() / 2]);
        std::fs::write(&path, &bytes).unwrap();
        let torn = verify(&path).unwrap();
        assert_eq!(Ok(torn.clone()), whole_file(&bytes));
        assert_eq!(torn.torn_tail.map(|t| t.line), Some(60_001));
    }

    #[test]
    fn every_cut_and_every_changed_byte_gives_the_same_verdict_as_the_whole_file_read() {
        let (bytes, _) = log_of(3, 20);
        for cut in 0..=bytes.len() {
            let cut_short = &bytes[..cut];
            assert_eq!(streamed(cut_short), whole_file(cut_short), "cut at {cut}");
        }
        for at in 0..bytes.len() {
            for replacement in [b'\n', b'0', b' '] {
                let mut changed = bytes.clone();
                changed[at] = replacement;
                assert_eq!(streamed(&changed), whole_file(&changed), "byte {at}");
            }
        }
    }

    #[test]
    fn a_line_over_the_cap_is_damage_at_its_line_and_one_at_the_cap_is_read() {
        let (bytes, hashes) = log_of(3, 40);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        std::fs::write(&path, &bytes).unwrap();
        let lengths: Vec<usize> = bytes.split(|&b| b == b'\n').map(<[u8]>::len).collect();
        let longest = lengths.iter().copied().max().unwrap();
        let (report, _) = stream(&path, None, longest).unwrap();
        assert_eq!(report.events, 3);
        let head = Head {
            seq: 2,
            hash: hashes[1].clone(),
        };
        assert_eq!(verify_head_with(&path, &head, longest).unwrap().after, 1);

        let line = lengths.iter().position(|&len| len == longest).unwrap() + 1;
        let Err(VerifyError::Damaged(error)) = stream(&path, None, longest - 1) else {
            panic!("a line over the cap was read");
        };
        assert_eq!(error.line, line);
        assert!(matches!(error.damage, Damage::TooLong { limit } if limit == longest - 1));
        assert!(error.to_string().contains("longer than"), "{error}");
    }
}
