//! Removing secrets from what the hub keeps (response excerpts, process output, error
//! notes, delivery details): every secret value that was used becomes `${NAME}`, and
//! so does every form a target is likely to echo it in.
//!
//! Caught, for each secret value:
//! - the value itself, with ASCII letters in any case (`TOKEN` for `token`);
//! - percent-encoded, with any choice of encoded characters and either hex case, and
//!   form-encoded (`+` for a space): the text is also searched percent-decoded;
//! - JSON string escaping, also with `/` written `\/` (`\u0041`-style escapes of
//!   ordinary characters are not decoded);
//! - hex of its bytes, either case;
//! - base64, standard and URL-safe, at each of the three alignments a value embedded
//!   in a longer encoded string can have (the edge characters that also depend on the
//!   neighbouring bytes are left out of the match, and stay);
//! - split by whitespace or line breaks anywhere (also the two-character `\n`, `\r`,
//!   `\t` escapes of JSON), as a wrapped line or a chunked base64 would be;
//! - for a value that is a URL (a `${NAME}` webhook URL): also its host, user, password,
//!   path, query and fragment, each path segment and each query key and value, so a
//!   target that echoes "Cannot POST /services/T0/B0/XYZ" never stores the token.
//!
//! Not caught (the limits): other encodings (base32, quoted-printable, HTML entities,
//! compression, a percent-encoding applied twice), a value split by characters other
//! than whitespace, non-ASCII letters in another case, and a fragment of a non-URL
//! secret shorter than the whole value. Encoded forms and URL parts shorter than a few
//! characters are not used, since they would match ordinary text.

/// Secret values that were used, by name: `(NAME, value)`.
pub type Secrets = [(String, String)];

/// Encoded forms (hex, base64, JSON) shorter than this are not searched for: they
/// would match ordinary text. The value itself is always searched for.
const MIN_FORM_BYTES: usize = 6;
/// Parts of a secret URL shorter than this (`api`, `v1`) are not redacted on their own.
const MIN_URL_PART_BYTES: usize = 4;

/// How a view of the text reads `%XX` and `+`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Decode {
    /// Bytes as they are.
    Raw,
    /// `%XX` is one byte.
    Percent,
    /// `%XX` is one byte and `+` a space.
    Form,
}

/// A byte of a view and where it came from in the text.
#[derive(Clone, Copy)]
struct Unit {
    byte: u8,
    start: usize,
    end: usize,
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// `text` as compared: decoded as `decode` says, ASCII letters lower-cased, and ASCII
/// whitespace and the escapes `\n`, `\r`, `\t` left out, each remaining byte with its
/// place in `text`.
fn view(text: &str, decode: Decode) -> Vec<Unit> {
    let bytes = text.as_bytes();
    let mut units = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' && matches!(bytes.get(i + 1), Some(b'n' | b'r' | b't')) {
            i += 2;
            continue;
        }
        let (byte, len) = match (b, decode) {
            (b'%', Decode::Percent | Decode::Form) => {
                match (
                    bytes.get(i + 1).copied().and_then(hex_value),
                    bytes.get(i + 2).copied().and_then(hex_value),
                ) {
                    (Some(high), Some(low)) => ((high << 4) | low, 3),
                    _ => (b, 1),
                }
            }
            (b'+', Decode::Form) => (b' ', 1),
            _ => (b, 1),
        };
        if !byte.is_ascii_whitespace() {
            units.push(Unit {
                byte: byte.to_ascii_lowercase(),
                start: i,
                end: i + len,
            });
        }
        i += len;
    }
    units
}

/// A needle as compared: the raw view's bytes of `form`.
fn needle(form: &str) -> Vec<u8> {
    view(form, Decode::Raw)
        .into_iter()
        .map(|u| u.byte)
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 (standard alphabet, no padding) of `bytes`.
fn to_base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let mut group = [0u8; 3];
        group[..chunk.len()].copy_from_slice(chunk);
        let n = (u32::from(group[0]) << 16) | (u32::from(group[1]) << 8) | u32::from(group[2]);
        // Each index is six bits, so always within the 64-entry table.
        let index = |shift: u32| BASE64[((n >> shift) & 0x3f) as usize] as char;
        let chars = [index(18), index(12), index(6), index(0)];
        out.extend(&chars[..chunk.len() + 1]);
    }
    out
}

/// The characters of base64 that `value` alone decides, when `value` starts `offset`
/// (0, 1 or 2) bytes into a 3-byte group of a longer encoded string.
fn base64_aligned(value: &[u8], offset: usize) -> String {
    let mut shifted = vec![0u8; offset];
    shifted.extend_from_slice(value);
    let encoded = to_base64(&shifted);
    // Character i covers bits [6i, 6i + 6); the value's bits are [8·offset, 8·(offset + len)).
    let first = (8 * offset).div_ceil(6);
    let end = (8 * (offset + value.len())) / 6;
    encoded.get(first..end).unwrap_or_default().to_string()
}

/// The parts of a URL value worth redacting on their own (see the module doc).
fn url_parts(value: &str) -> Vec<String> {
    let parsed = value.contains("://").then(|| reqwest::Url::parse(value));
    let Some(Ok(url)) = parsed else {
        return Vec::new();
    };
    let mut parts = vec![url.username().to_string(), url.path().to_string()];
    parts.extend(url.password().map(str::to_string));
    parts.extend(url.host_str().map(str::to_string));
    parts.extend(url.query().map(str::to_string));
    parts.extend(url.fragment().map(str::to_string));
    parts.extend(url.path().split('/').map(str::to_string));
    for pair in url.query().unwrap_or_default().split('&') {
        parts.extend(pair.split('=').map(str::to_string));
    }
    parts.retain(|part| part.len() >= MIN_URL_PART_BYTES);
    parts
}

/// Every needle to look for, by secret name, longest first.
fn needles(secrets: &Secrets) -> Vec<(&str, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, value) in secrets.iter().filter(|(_, v)| !v.is_empty()) {
        let mut values = vec![value.clone()];
        values.extend(url_parts(value));
        for value in &values {
            let bytes = value.as_bytes();
            // The value itself always (a URL part is long enough, see `url_parts`).
            out.push((name.as_str(), needle(value)));
            let json = serde_json::Value::String(value.clone()).to_string();
            let json = json[1..json.len() - 1].to_string();
            // Some encoders (PHP's, for one) also escape `/`.
            let mut forms = vec![json.replace('/', "\\/"), json, to_hex(bytes)];
            for offset in 0..3 {
                let standard = base64_aligned(bytes, offset);
                forms.push(standard.replace('+', "-").replace('/', "_"));
                forms.push(standard);
            }
            for form in forms {
                let form = needle(&form);
                if form.len() >= MIN_FORM_BYTES {
                    out.push((name.as_str(), form));
                }
            }
        }
    }
    out.retain(|(_, needle)| !needle.is_empty());
    out.sort_by_key(|(_, needle)| std::cmp::Reverse(needle.len()));
    out.dedup_by(|a, b| a.1 == b.1);
    out
}

/// Where `needle` occurs in `units`, as byte ranges of the text.
fn occurrences(units: &[Unit], needle: &[u8], found: &mut Vec<(usize, usize)>) {
    let Some(&first) = needle.first() else {
        return;
    };
    let mut i = 0;
    while i + needle.len() <= units.len() {
        let matches = units[i].byte == first
            && units[i..i + needle.len()]
                .iter()
                .zip(needle)
                .all(|(u, b)| u.byte == *b);
        if matches {
            found.push((units[i].start, units[i + needle.len() - 1].end));
            i += needle.len();
        } else {
            i += 1;
        }
    }
}

/// `text` with every secret, in every form above, replaced by `${NAME}`.
pub fn redact(text: &str, secrets: &Secrets) -> String {
    let needles = needles(secrets);
    if needles.is_empty() {
        return text.to_string();
    }
    let views = [Decode::Raw, Decode::Percent, Decode::Form].map(|d| view(text, d));
    let mut ranges: Vec<(usize, usize, &str)> = Vec::new();
    for (name, needle) in &needles {
        let mut found = Vec::new();
        for units in &views {
            occurrences(units, needle, &mut found);
        }
        ranges.extend(found.into_iter().map(|(s, e)| (s, e, *name)));
    }
    if ranges.is_empty() {
        return text.to_string();
    }
    ranges.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut pending: Option<(usize, usize, &str)> = None;
    for (start, end, name) in ranges {
        match &mut pending {
            Some((_, open_end, _)) if start < *open_end => *open_end = (*open_end).max(end),
            _ => {
                if let Some(done) = pending.take() {
                    at = replace(text, &mut out, at, done);
                }
                pending = Some((start, end, name));
            }
        }
    }
    if let Some(done) = pending {
        at = replace(text, &mut out, at, done);
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

/// Copies `text[at..start]` and `${name}` into `out`; returns where to go on from.
/// The range is widened to whole characters, so nothing is cut mid-character.
fn replace(
    text: &str,
    out: &mut String,
    at: usize,
    (start, end, name): (usize, usize, &str),
) -> usize {
    let mut start = start.max(at);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = end.min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    out.push_str(text.get(at..start).unwrap_or_default());
    out.push_str(&format!("${{{name}}}"));
    end
}

/// Removes a trailing start of any secret form (left where a read stopped at the
/// read limit), so what is kept never ends in half a secret.
pub fn cut_partial(text: &mut String, secrets: &Secrets) {
    let needles = needles(secrets);
    let mut cut = text.len();
    for decode in [Decode::Raw, Decode::Percent, Decode::Form] {
        let units = view(text, decode);
        for (_, needle) in &needles {
            let longest = (1..needle.len().min(units.len() + 1)).rev().find(|&k| {
                units[units.len() - k..]
                    .iter()
                    .zip(&needle[..k])
                    .all(|(u, b)| u.byte == *b)
            });
            if let Some(k) = longest {
                cut = cut.min(units[units.len() - k].start);
            }
        }
    }
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "tok-7f3a9c/api+Very_Secret";

    fn secrets() -> Vec<(String, String)> {
        vec![("TOKEN".into(), TOKEN.into())]
    }

    fn percent_all(text: &str, upper: bool) -> String {
        text.bytes()
            .map(|b| {
                if upper {
                    format!("%{b:02X}")
                } else {
                    format!("%{b:02x}")
                }
            })
            .collect()
    }

    #[test]
    fn every_echo_of_a_secret_becomes_its_name() {
        let forms = [
            TOKEN.to_string(),
            TOKEN.to_uppercase(),
            TOKEN.to_lowercase(),
            percent_all(TOKEN, true),
            percent_all(TOKEN, false),
            "tok-7f3a9c%2Fapi%2BVery_Secret".to_string(),
            "tok-7f3a9c%2fapi%2bvery_secret".to_string(),
            "tok-7f3a9c/api+Very_Secret".replace('/', "\\/"),
            to_hex(TOKEN.as_bytes()),
            to_hex(TOKEN.as_bytes()).to_uppercase(),
            "tok-7f3a9c/a\npi+Very_\r\n  Secret".to_string(),
            "tok-7f3a9c/api+Very_\\nSecret".to_string(),
        ];
        for form in forms {
            let text = format!("before {form} after");
            let out = redact(&text, &secrets());
            assert_eq!(out, "before ${TOKEN} after", "{form:?}");
        }
    }

    #[test]
    fn base64_in_any_alignment_and_alphabet_is_found() {
        for prefix in ["", "a", "ab", "abc", "user:"] {
            let encoded = to_base64(format!("{prefix}{TOKEN}!").as_bytes());
            for alphabet in [encoded.clone(), encoded.replace('+', "-").replace('/', "_")] {
                let out = redact(&format!("auth {alphabet} end"), &secrets());
                assert!(out.contains("${TOKEN}"), "{prefix:?}: {out}");
                // What is left of the encoding is at most the few edge characters.
                let left = out
                    .replace("auth ", "")
                    .replace(" end", "")
                    .replace("${TOKEN}", "");
                assert!(
                    left.len() <= 2 + prefix.len() * 4 / 3 + 2,
                    "{prefix:?}: {out}"
                );
            }
        }
    }

    #[test]
    fn base64_matches_a_reference_encoder() {
        assert_eq!(to_base64(b""), "");
        assert_eq!(to_base64(b"f"), "Zg");
        assert_eq!(to_base64(b"fo"), "Zm8");
        assert_eq!(to_base64(b"foo"), "Zm9v");
        assert_eq!(to_base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(to_base64(&[0xfb, 0xff]), "+/8");
    }

    #[test]
    fn a_secret_url_leaves_no_part_behind() {
        let secrets = [(
            "HOOK".to_string(),
            "https://hooks.example.com/services/T0AB12/B0CD34/xyzSECRETxyz?k=v4lu3s".to_string(),
        )];
        let echoes = [
            "Cannot POST /services/T0AB12/B0CD34/xyzSECRETxyz",
            "bad token xyzSECRETxyz",
            "query was k=v4lu3s",
            "host hooks.example.com refused",
            "channel B0CD34 archived",
        ];
        for echo in echoes {
            let out = redact(echo, &secrets);
            for part in [
                "xyzSECRETxyz",
                "B0CD34",
                "T0AB12",
                "v4lu3s",
                "hooks.example.com",
            ] {
                assert!(!out.contains(part), "{echo}: {out}");
            }
            assert!(out.contains("${HOOK}"), "{out}");
        }
    }

    #[test]
    fn overlapping_secrets_and_plain_text() {
        let secrets = vec![
            ("TOKEN".to_string(), "s3cr3t-value".to_string()),
            ("LONG".to_string(), "s3cr3t-value-and-more".to_string()),
        ];
        let text = "a s3cr3t-value-and-more b s3cr3t-value c";
        assert_eq!(redact(text, &secrets), "a ${LONG} b ${TOKEN} c");
        assert_eq!(redact("nothing here ✓", &secrets), "nothing here ✓");
        assert_eq!(redact("x", &[]), "x");
        // Multi-byte text around a match stays whole.
        assert_eq!(redact("é s3cr3t-value ü", &secrets), "é ${TOKEN} ü");
    }

    #[test]
    fn a_trailing_start_of_any_form_is_cut() {
        let mut hex = format!("ok {}", &to_hex(TOKEN.as_bytes())[..20]);
        cut_partial(&mut hex, &secrets());
        assert_eq!(hex, "ok ");
        let mut plain = format!("ok {}", &TOKEN[..8]);
        cut_partial(&mut plain, &secrets());
        assert_eq!(plain, "ok ");
    }
}
