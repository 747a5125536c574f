//! The line format and the hash chain: hashing, encoding one line, checking one line
//! against its predecessor, and scanning a whole file's bytes (including the torn-tail
//! rule). Shared by [`verify`](super::verify) and [`EventLog`](super::EventLog), so the
//! reader and the writer cannot disagree about what a valid line is.

use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::error::{Damage, LineError};

/// The `prev` of the first line: 64 `'0'`s.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const HASH_HEX_LEN: usize = 64;

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

/// `hex(SHA-256(prev || "\n" || event_json))`.
pub(crate) fn chain_hash(prev: &str, event_json: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev.as_bytes());
    hasher.update(b"\n");
    hasher.update(event_json);
    to_hex(&hasher.finalize())
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

const PREFIX: &[u8] = br#"{"prev":""#;
const MIDDLE: &[u8] = br#"","hash":""#;
const BEFORE_EVENT: &[u8] = br#"","event":"#;
const SUFFIX: &[u8] = b"}";

/// Appends one line, with its `\n`, to `out`.
pub(crate) fn encode_line(out: &mut Vec<u8>, prev: &str, hash: &str, event_json: &str) {
    for part in [
        PREFIX,
        prev.as_bytes(),
        MIDDLE,
        hash.as_bytes(),
        BEFORE_EVENT,
        event_json.as_bytes(),
        SUFFIX,
        b"\n",
    ] {
        out.extend_from_slice(part);
    }
}

/// The envelope of a line. Unknown keys are errors so that any change to the envelope
/// is caught even before the canonical-form check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    // Borrowed `&str` rejects escape sequences, which a hex string never needs.
    prev: &'a str,
    hash: &'a str,
    #[serde(borrow)]
    event: &'a RawValue,
}

/// What the log itself reads from an event; everything else belongs to the domain.
#[derive(Deserialize)]
struct EventHead<'a> {
    seq: u64,
    #[serde(default, borrow)]
    at: Option<&'a RawValue>,
}

/// One checked line, borrowing from the file's bytes.
pub(crate) struct ChainLine<'a> {
    pub(crate) seq: u64,
    /// The event JSON exactly as stored.
    pub(crate) event: &'a str,
    /// The raw `at` field of the event, if any.
    pub(crate) at: Option<&'a RawValue>,
    pub(crate) hash: &'a str,
}

fn is_hash_hex(s: &str) -> bool {
    s.len() == HASH_HEX_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// True if `line` is byte-for-byte what [`encode_line`] writes for these parts.
fn is_canonical(line: &[u8], prev: &str, hash: &str, event: &str) -> bool {
    let parts = [
        PREFIX,
        prev.as_bytes(),
        MIDDLE,
        hash.as_bytes(),
        BEFORE_EVENT,
        event.as_bytes(),
        SUFFIX,
    ];
    let mut rest = line;
    for part in parts {
        match rest.strip_prefix(part) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    rest.is_empty()
}

/// Checks one line (without its `\n`) as line `line_no` following a line whose hash is
/// `prev`. The order of checks picks the most telling message: a changed line fails the
/// hash before it fails the link, a removed line fails the link before the seq.
pub(crate) fn check_line<'a>(
    line: &'a [u8],
    prev: &str,
    line_no: usize,
    expected_seq: u64,
) -> Result<ChainLine<'a>, Damage> {
    if line.is_empty() {
        return Err(Damage::Empty);
    }
    let envelope: Envelope<'a> = serde_json::from_slice(line).map_err(Damage::NotJson)?;
    if !is_hash_hex(envelope.prev) {
        return Err(Damage::BadHex { field: "prev" });
    }
    if !is_hash_hex(envelope.hash) {
        return Err(Damage::BadHex { field: "hash" });
    }
    let event = envelope.event.get();
    if !is_canonical(line, envelope.prev, envelope.hash, event) {
        return Err(Damage::NotCanonical);
    }
    if chain_hash(envelope.prev, event.as_bytes()) != envelope.hash {
        return Err(Damage::HashMismatch);
    }
    if envelope.prev != prev {
        return Err(if line_no == 1 {
            Damage::NotGenesis
        } else {
            Damage::BrokenLink {
                previous: line_no - 1,
            }
        });
    }
    let head: EventHead<'a> = serde_json::from_str(event).map_err(Damage::NoSeq)?;
    if head.seq != expected_seq {
        return Err(Damage::SeqOutOfOrder {
            expected: expected_seq,
            found: head.seq,
        });
    }
    Ok(ChainLine {
        seq: head.seq,
        event,
        at: head.at,
        hash: envelope.hash,
    })
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
/// be a torn tail: if parsing it stops at end of input (the write was cut short) and it
/// starts as our next line must, or if it is a complete valid line ending in `}` (the
/// crash came just before the `\n`).
/// Anything else is damage at its line.
pub(crate) fn scan(bytes: &[u8]) -> Result<Scan<'_>, LineError> {
    let mut lines: Vec<ChainLine<'_>> = Vec::new();
    let mut prev = GENESIS_PREV;
    let mut rest = bytes;
    let mut torn_tail = None;
    while !rest.is_empty() {
        let line_no = lines.len() + 1;
        let expected_seq = lines.len() as u64 + 1;
        let Some(newline) = rest.iter().position(|&b| b == b'\n') else {
            let verdict = match check_line(rest, prev, line_no, expected_seq) {
                Ok(_) if rest.ends_with(SUFFIX) => Ok(()),
                Ok(_) => Err(Damage::NotCanonical),
                Err(Damage::NotJson(e)) if e.is_eof() && starts_like_next_line(rest, prev) => {
                    Ok(())
                }
                Err(damage) => Err(damage),
            };
            if let Err(damage) = verdict {
                return Err(LineError {
                    line: line_no,
                    damage: Damage::UnterminatedDamage(Box::new(damage)),
                });
            }
            torn_tail = Some(TornTail {
                line: line_no,
                bytes: rest.len() as u64,
            });
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line_for(prev: &str, event: &str) -> (Vec<u8>, String) {
        let hash = chain_hash(prev, event.as_bytes());
        let mut out = Vec::new();
        encode_line(&mut out, prev, &hash, event);
        (out, hash)
    }

    #[test]
    fn hash_matches_the_documented_formula() {
        // Independent computation of sha256("0"*64 + "\n" + "{}").
        let mut input = GENESIS_PREV.as_bytes().to_vec();
        input.extend_from_slice(b"\n{}");
        let expected: String = Sha256::digest(&input)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(chain_hash(GENESIS_PREV, b"{}"), expected);
    }

    #[test]
    fn encoded_line_has_the_exact_documented_shape() {
        let (line, hash) = line_for(GENESIS_PREV, r#"{"seq":1}"#);
        let text = String::from_utf8(line).unwrap();
        assert_eq!(
            text,
            format!(
                "{{\"prev\":\"{GENESIS_PREV}\",\"hash\":\"{hash}\",\"event\":{{\"seq\":1}}}}\n"
            )
        );
    }

    #[test]
    fn whitespace_and_crlf_are_rejected_although_the_json_is_equal() {
        let (line, hash) = line_for(GENESIS_PREV, r#"{"seq":1}"#);
        let spaced = format!(
            "{{\"prev\": \"{GENESIS_PREV}\",\"hash\":\"{hash}\",\"event\":{{\"seq\":1}}}}\n"
        );
        let crlf = [&line[..line.len() - 1], b"\r\n"].concat();
        for bytes in [spaced.into_bytes(), crlf] {
            let err = scan(&bytes).err().unwrap();
            assert_eq!(err.line, 1);
            assert!(matches!(err.damage, Damage::NotCanonical), "{err}");
        }
    }

    #[test]
    fn uppercase_hex_is_rejected() {
        let (line, hash) = line_for(GENESIS_PREV, r#"{"seq":1}"#);
        let text = String::from_utf8(line)
            .unwrap()
            .replace(&hash, &hash.to_uppercase());
        let err = scan(text.as_bytes()).err().unwrap();
        assert!(
            matches!(err.damage, Damage::BadHex { field: "hash" }),
            "{err}"
        );
    }

    #[test]
    fn blank_line_and_missing_seq_are_named() {
        let (first, hash) = line_for(GENESIS_PREV, r#"{"seq":1}"#);
        let blank = [first.as_slice(), b"\n"].concat();
        let err = scan(&blank).err().unwrap();
        assert_eq!((err.line, err.to_string().contains("empty")), (2, true));

        let (no_seq, _) = line_for(&hash, r#"{"n":2}"#);
        let err = scan(&[first.clone(), no_seq].concat()).err().unwrap();
        assert!(matches!(err.damage, Damage::NoSeq(_)), "{err}");
        assert_eq!(err.line, 2);
    }

    #[test]
    fn correctly_chained_line_with_wrong_seq_is_rejected() {
        let (first, hash) = line_for(GENESIS_PREV, r#"{"seq":1}"#);
        let (third, _) = line_for(&hash, r#"{"seq":3}"#);
        let err = scan(&[first, third].concat()).err().unwrap();
        assert!(
            matches!(
                err.damage,
                Damage::SeqOutOfOrder {
                    expected: 2,
                    found: 3
                }
            ),
            "{err}"
        );
    }

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
