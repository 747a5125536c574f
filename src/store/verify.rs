//! [`verify`]: the read-only check of a log file, for `warroom verify` and for anyone
//! holding a copy of an incident log. Works without the domain's event type.

use std::fs;
use std::path::Path;

use serde_json::value::RawValue;

use super::error::VerifyError;
use super::scan::{self, TornTail};

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
    let scan = scan::scan(&bytes)?;
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

/// The `at` field as a string, or `None` if absent or not a string (the time range is
/// informative; the chain does not depend on it).
fn at_string(at: Option<&RawValue>) -> Option<String> {
    serde_json::from_str(at?.get()).ok()
}
