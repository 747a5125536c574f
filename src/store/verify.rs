//! [`verify`]: the read-only check of a log file, for `warroom verify` and for anyone
//! holding a copy of an incident log; [`verify_head`]: the same, anchored to a [`Head`]
//! recorded earlier (an export, a delivered update), which is what catches a log
//! rewritten and fully re-hashed, or cut short. Works without the domain's event type.

use std::fs;
use std::path::Path;

use serde_json::value::RawValue;

use super::chain::GENESIS_PREV;
use super::error::VerifyError;
use super::scan::{self, Scan, TornTail};

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
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|cause| VerifyError::Io {
        path: path.to_owned(),
        cause,
    })?;
    Ok(report(&scan::scan(&bytes)?))
}

fn report(scan: &Scan<'_>) -> VerifyReport {
    let first = scan.lines.first();
    let last = scan.lines.last();
    VerifyReport {
        events: scan.lines.len() as u64,
        first_seq: first.map(|line| line.seq),
        last_seq: last.map(|line| line.seq),
        head_hash: scan.head().to_owned(),
        first_at: first.and_then(|line| at_string(line.at)),
        last_at: last.and_then(|line| at_string(line.at)),
        torn_tail: scan.torn_tail,
    }
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
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|cause| VerifyError::Io {
        path: path.to_owned(),
        cause,
    })?;
    let scan = scan::scan(&bytes)?;
    let log = report(&scan);
    let found = match head.seq {
        0 => Some(GENESIS_PREV),
        seq => usize::try_from(seq - 1)
            .ok()
            .and_then(|i| scan.lines.get(i))
            .map(|line| line.hash),
    };
    match found {
        None => Err(VerifyError::HeadMissing {
            events: log.events,
            head: head.to_string(),
        }),
        Some(hash) if hash != head.hash => Err(VerifyError::HeadMismatch {
            seq: head.seq,
            found: hash.to_owned(),
            head: head.to_string(),
        }),
        Some(_) => Ok(HeadReport {
            after: log.events - head.seq,
            log,
        }),
    }
}
