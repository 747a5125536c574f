//! What the CLI prints is made safe here: every byte a command writes for a person goes
//! through [`Safe`], which passes it through [`neutralise`], so no printer can forget
//! to; JSON is escaped by [`json_pretty`] first (it must still decode to the verbatim
//! text, which a visible `\u{1b}` would not). See `incident::safe_text` for what counts
//! as dangerous.

use super::backend::CliError;
use crate::incident::safe_text::{escape_json, neutralise};
use serde::Serialize;
use std::io::{self, Write};

/// A writer that neutralises what passes through it. Writers hand it whole strings;
/// should a character ever arrive split across two writes, its first bytes wait for
/// the rest, and bytes that are not UTF-8 at all are shown as U+FFFD.
pub struct Safe<W: Write> {
    inner: W,
    /// The start of a character whose remaining bytes have not arrived yet.
    pending: Vec<u8>,
}

impl<W: Write> Safe<W> {
    pub fn new(inner: W) -> Safe<W> {
        Safe {
            inner,
            pending: Vec::new(),
        }
    }

    fn write_text(&mut self, text: &str) -> io::Result<()> {
        self.inner.write_all(neutralise(text).as_bytes())
    }
}

impl<W: Write> Write for Safe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let joined;
        let mut rest: &[u8] = if self.pending.is_empty() {
            buf
        } else {
            joined = [std::mem::take(&mut self.pending).as_slice(), buf].concat();
            &joined
        };
        while !rest.is_empty() {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    self.write_text(text)?;
                    break;
                }
                Err(error) => {
                    let (valid, after) = rest.split_at(error.valid_up_to());
                    // Proven valid UTF-8 by `valid_up_to`.
                    self.write_text(std::str::from_utf8(valid).unwrap_or_default())?;
                    match error.error_len() {
                        None => {
                            self.pending = after.to_vec();
                            break;
                        }
                        Some(bad) => {
                            self.write_text("\u{fffd}")?;
                            rest = &after[bad..];
                        }
                    }
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.pending.clear();
            self.write_text("\u{fffd}")?;
        }
        self.inner.flush()
    }
}

/// `value` as pretty JSON in which every dangerous character is a `\uXXXX` escape.
pub fn json_pretty(value: &impl Serialize) -> Result<String, CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Failed(format!("cannot encode the answer as JSON: {e}")))?;
    Ok(escape_json(&text).into_owned())
}

/// Writes one line (through the caller's [`Safe`] writer).
pub fn emit(out: &mut dyn Write, line: &str) -> Result<(), CliError> {
    writeln!(out, "{line}").map_err(|e| CliError::Failed(format!("cannot write output: {e}")))
}

/// Writes `text` as it is (through the caller's [`Safe`] writer).
pub fn write_all(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    out.write_all(text.as_bytes())
        .map_err(|e| CliError::Failed(format!("cannot write output: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(parts: &[&[u8]]) -> String {
        let mut safe = Safe::new(Vec::new());
        for part in parts {
            safe.write_all(part).unwrap();
        }
        safe.flush().unwrap();
        String::from_utf8(safe.inner).unwrap()
    }

    #[test]
    fn escapes_what_passes_through_even_split_across_writes() {
        let title = "x\u{1b}]0;t\u{7}\u{202e}é".as_bytes();
        let (first, second) = title.split_at(title.len() - 1); // splits the é
        assert_eq!(
            through(&[first, second, b"\n"]),
            "x\\u{1b}]0;t\\u{7}\\u{202e}é\n"
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_replaced() {
        assert_eq!(through(&[b"a\x9b31mb", b"\xe2"]), "a\u{fffd}31mb\u{fffd}");
    }

    #[test]
    fn json_still_decodes_to_the_verbatim_text() {
        let note = "n\u{9b}\u{7f}\u{200d}\u{1b}";
        let json = json_pretty(&serde_json::json!({ "note": note })).unwrap();
        assert!(json.is_ascii(), "{json}");
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["note"], note);
        assert_eq!(
            through(&[json.as_bytes()]),
            json,
            "nothing left to neutralise"
        );
    }
}
