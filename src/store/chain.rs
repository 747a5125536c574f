//! The line format and the hash chain: hashing, encoding one line, and checking one line
//! against its predecessor. Used by the reader ([`scan`](super::scan)) and by the writer
//! ([`EventLog::append`](super::EventLog::append)), so they cannot disagree about what a
//! valid line is.

use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::error::Damage;

/// The `prev` of the first line: 64 `'0'`s.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const HASH_HEX_LEN: usize = 64;

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

pub(super) const PREFIX: &[u8] = br#"{"prev":""#;
pub(super) const MIDDLE: &[u8] = br#"","hash":""#;
const BEFORE_EVENT: &[u8] = br#"","event":"#;
pub(super) const SUFFIX: &[u8] = b"}";

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

/// The seq and hash one line claims, checked against itself (well-formed, canonical, its
/// hash that of its own `prev` and event) but not against the line before it: what the
/// last line of a log says the head is, read without the rest of the file. `None` if
/// the line is not a valid line.
pub(crate) fn line_head(line: &[u8]) -> Option<(u64, String)> {
    let envelope: Envelope<'_> = serde_json::from_slice(line).ok()?;
    let event = envelope.event.get();
    let valid = is_hash_hex(envelope.prev)
        && is_hash_hex(envelope.hash)
        && is_canonical(line, envelope.prev, envelope.hash, event)
        && chain_hash(envelope.prev, event.as_bytes()) == envelope.hash;
    if !valid {
        return None;
    }
    let head: EventHead<'_> = serde_json::from_str(event).ok()?;
    Some((head.seq, envelope.hash.to_owned()))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::scan::scan;

    /// One encoded line (with its newline) and its hash.
    pub(in crate::store) fn line_for(prev: &str, event: &str) -> (Vec<u8>, String) {
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
}
