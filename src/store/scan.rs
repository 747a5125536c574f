//! Scanning a log: every line checked in order against its predecessor, and the
//! torn-tail rule for the final, unterminated segment. [`scan`] checks a file held in
//! memory (for [`EventLog::open`](super::EventLog::open), which keeps the events);
//! [`scan_stream`] checks one line at a time from a reader with a bounded buffer (for
//! [`verify`](super::verify), whose memory must not grow with the log). Both apply
//! the same rules through [`check_line`] and [`check_unterminated`].

use std::fmt;
use std::io::{self, BufRead, Read};

use super::chain::{ChainLine, GENESIS_PREV, MIDDLE, PREFIX, SUFFIX, check_line};
use super::error::{Damage, LineError};

/// An unfinished final line left by a crash during a write.
///
/// [`EventLog::open`](super::EventLog::open) removed it; [`verify`](super::verify) only
/// reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornTail {
    /// 1-based line number of the unfinished line.
    pub line: usize,
    /// Its length in bytes (what `open` cut off).
    pub bytes: u64,
}

impl fmt::Display for TornTail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} was an unfinished write cut short by a crash ({} bytes)",
            self.line, self.bytes
        )
    }
}

/// True if `fragment` agrees with the start every next line has,
/// `{"prev":"<prev>","hash":"`, over their common length. A fragment that parses to
/// end of input but starts otherwise (whitespace, another `prev`) is not our write.
fn starts_like_next_line(fragment: &[u8], prev: &str) -> bool {
    let expected = [PREFIX, prev.as_bytes(), MIDDLE].concat();
    let common = fragment.len().min(expected.len());
    fragment[..common] == expected[..common]
}

/// A whole file, checked.
pub(crate) struct Scan<'a> {
    /// The valid lines, in order (line `i + 1` is `lines[i]`).
    pub(crate) lines: Vec<ChainLine<'a>>,
    /// The file's length without the torn tail.
    pub(crate) good_len: u64,
    pub(crate) torn_tail: Option<TornTail>,
}

impl Scan<'_> {
    /// The hash the next line must name as its `prev`.
    pub(crate) fn head(&self) -> &str {
        self.lines.last().map_or(GENESIS_PREV, |line| line.hash)
    }
}

/// Checks every line of a log file's contents. Only the final, unterminated segment may
/// be a torn tail ([`check_unterminated`]); anything else is damage at its line.
pub(crate) fn scan(bytes: &[u8]) -> Result<Scan<'_>, LineError> {
    let mut lines: Vec<ChainLine<'_>> = Vec::new();
    let mut prev = GENESIS_PREV;
    let mut rest = bytes;
    let mut torn_tail = None;
    while !rest.is_empty() {
        let line_no = lines.len() + 1;
        let expected_seq = lines.len() as u64 + 1;
        let Some(newline) = rest.iter().position(|&b| b == b'\n') else {
            torn_tail = Some(check_unterminated(rest, prev, line_no, expected_seq)?);
            break;
        };
        let line = check_line(&rest[..newline], prev, line_no, expected_seq).map_err(|damage| {
            LineError {
                line: line_no,
                damage,
            }
        })?;
        prev = line.hash;
        lines.push(line);
        rest = &rest[newline + 1..];
    }
    let torn_bytes = torn_tail.map_or(0, |t| t.bytes);
    Ok(Scan {
        lines,
        good_len: bytes.len() as u64 - torn_bytes,
        torn_tail,
    })
}

/// The verdict on a log's final segment without a `\n` (not empty): a torn tail if
/// parsing it stops at end of input (the write was cut short) and it starts as our next
/// line must, or if it is a complete valid line ending in `}` (the crash came just
/// before the `\n`). Anything else is damage at its line.
fn check_unterminated(
    rest: &[u8],
    prev: &str,
    line_no: usize,
    expected_seq: u64,
) -> Result<TornTail, LineError> {
    let verdict = match check_line(rest, prev, line_no, expected_seq) {
        Ok(_) if rest.ends_with(SUFFIX) => Ok(()),
        Ok(_) => Err(Damage::NotCanonical),
        Err(Damage::NotJson(e)) if e.is_eof() && starts_like_next_line(rest, prev) => Ok(()),
        Err(damage) => Err(damage),
    };
    match verdict {
        Ok(()) => Ok(TornTail {
            line: line_no,
            bytes: rest.len() as u64,
        }),
        Err(damage) => Err(LineError {
            line: line_no,
            damage: Damage::UnterminatedDamage(Box::new(damage)),
        }),
    }
}

/// The longest line [`scan_stream`] reads: far above any line warroom writes (an event
/// is bounded by the text limits of `incident::limits`, a few tens of kilobytes), so
/// only a damaged or foreign file reaches it, and it bounds `verify`'s memory.
pub(crate) const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// What [`scan_stream`] found in an intact log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamScan {
    /// Number of complete, valid lines.
    pub(crate) lines: u64,
    /// The last valid line's hash ([`GENESIS_PREV`] for none).
    pub(crate) head: String,
    /// The log's length without the torn tail.
    pub(crate) good_len: u64,
    pub(crate) torn_tail: Option<TornTail>,
}

/// Why [`scan_stream`] stopped.
#[derive(Debug)]
pub(crate) enum StreamError {
    /// The reader failed.
    Io(io::Error),
    /// A line is damaged.
    Damaged(LineError),
}

impl From<LineError> for StreamError {
    fn from(error: LineError) -> StreamError {
        StreamError::Damaged(error)
    }
}

/// [`scan`] for a log read from `reader` one line at a time, with the same verdicts and
/// line numbers: `each` sees every valid complete line in order, and nothing is kept
/// but the current line (at most `max_line` bytes; a longer one is damage).
pub(crate) fn scan_stream(
    reader: impl BufRead,
    max_line: usize,
    mut each: impl FnMut(&ChainLine<'_>),
) -> Result<StreamScan, StreamError> {
    scan_stream_from(reader, max_line, 0, GENESIS_PREV, |line, _| {
        each(line);
        Ok(())
    })
}

/// [`scan_stream`] for the part of a log after line `after_seq` (whose hash is `prev`),
/// read from where that line ends: line numbers and seqs go on from `after_seq`, and
/// [`StreamScan::lines`] and [`StreamScan::good_len`] count from that point. `each` also
/// gets where its line starts (counted like `good_len`), and may refuse a line (an event
/// it cannot decode), which stops the scan as damage at that line.
pub(crate) fn scan_stream_from(
    mut reader: impl BufRead,
    max_line: usize,
    after_seq: u64,
    prev: &str,
    mut each: impl FnMut(&ChainLine<'_>, u64) -> Result<(), Damage>,
) -> Result<StreamScan, StreamError> {
    let mut prev = String::from(prev);
    let mut lines: u64 = 0;
    let mut good_len: u64 = 0;
    let mut buf = Vec::new();
    // One byte over the cap tells a line that is too long from one that fits exactly.
    let limit = u64::try_from(max_line)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    loop {
        buf.clear();
        let read = (&mut reader)
            .take(limit)
            .read_until(b'\n', &mut buf)
            .map_err(StreamError::Io)?;
        if read == 0 {
            break;
        }
        let line_no = usize::try_from(after_seq + lines + 1).unwrap_or(usize::MAX);
        let expected_seq = after_seq + lines + 1;
        let Some(body) = buf.strip_suffix(b"\n") else {
            if buf.len() > max_line {
                return Err(LineError {
                    line: line_no,
                    damage: Damage::TooLong { limit: max_line },
                }
                .into());
            }
            // End of input without a newline: the final segment.
            let torn_tail = check_unterminated(&buf, &prev, line_no, expected_seq)?;
            return Ok(StreamScan {
                lines,
                head: prev,
                good_len,
                torn_tail: Some(torn_tail),
            });
        };
        let line = check_line(body, &prev, line_no, expected_seq).map_err(|damage| LineError {
            line: line_no,
            damage,
        })?;
        each(&line, good_len).map_err(|damage| LineError {
            line: line_no,
            damage,
        })?;
        prev.clear();
        prev.push_str(line.hash);
        lines += 1;
        good_len += read as u64;
    }
    Ok(StreamScan {
        lines,
        head: prev,
        good_len,
        torn_tail: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::chain::tests::line_for;

    #[test]
    fn stray_byte_or_space_after_a_complete_last_line_is_damage_not_a_tear() {
        let (line, _) = line_for(GENESIS_PREV, r#"{"seq":1}"#);
        let bare = &line[..line.len() - 1];
        for extra in [b"x".as_slice(), b" ", b"\r", b"}"] {
            let bytes = [bare, extra].concat();
            let err = scan(&bytes).err().unwrap();
            assert!(matches!(err.damage, Damage::UnterminatedDamage(_)), "{err}");
        }
    }

    #[test]
    fn unfinished_fragment_that_is_not_our_next_line_is_damage() {
        let (first, hash) = line_for(GENESIS_PREV, r#"{"seq":1}"#);
        // Each parses to end of input, but no writer of this log starts a line so.
        for fragment in [" ", " {\"prev\"", "{\"hash\":\"", "{\"prev\":\"00"] {
            let bytes = [first.as_slice(), fragment.as_bytes()].concat();
            let err = scan(&bytes).err().unwrap();
            assert_eq!(err.line, 2, "{fragment:?}");
            assert!(matches!(err.damage, Damage::UnterminatedDamage(_)), "{err}");
        }
        // A fragment naming the right prev is a tear.
        let fragment = format!("{{\"prev\":\"{}", &hash[..5]);
        let bytes = [first.as_slice(), fragment.as_bytes()].concat();
        let scanned = scan(&bytes).unwrap();
        assert_eq!(scanned.lines.len(), 1);
        assert_eq!(scanned.torn_tail.map(|t| t.bytes), Some(14));
    }

    #[test]
    fn complete_last_line_without_newline_is_a_tear() {
        let (line, _) = line_for(GENESIS_PREV, r#"{"seq":1}"#);
        let bare = &line[..line.len() - 1];
        let scanned = scan(bare).unwrap();
        assert_eq!(scanned.lines.len(), 0);
        assert_eq!(scanned.good_len, 0);
        assert_eq!(
            scanned.torn_tail,
            Some(TornTail {
                line: 1,
                bytes: bare.len() as u64
            })
        );
    }
}
