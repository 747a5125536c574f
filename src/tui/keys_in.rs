//! Terminal input as bytes (what an SSH channel carries from the person's terminal)
//! read back into the console's messages: UTF-8 text, control keys, the CSI/SS3
//! sequences xterm-like terminals send for arrows, paging and function keys (with
//! modifiers), and bracketed pastes. crossterm parses only this process's own
//! terminal, so the SSH door needs its own reader; what it yields is the same `Msg`
//! the local reader makes, so the app is one.
//!
//! A sequence split across two reads is kept until the rest arrives; an Esc followed
//! by nothing in the same read is the Esc key (SSH delivers what a keypress sent in
//! one packet), and Esc before a plain key is Esc then the key, as `split_alt` does.

use super::app::Msg;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";
/// A paste longer than this is cut (the composer has its own, smaller limit).
const PASTE_MAX: usize = 1 << 20;

/// Turns the bytes of a terminal's input into messages, across reads.
#[derive(Debug, Default)]
pub struct KeyReader {
    pending: Vec<u8>,
    paste: Option<Vec<u8>>,
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Msg {
    Msg::Key(KeyEvent::new(code, modifiers))
}

fn plain(code: KeyCode) -> Msg {
    key(code, KeyModifiers::NONE)
}

/// What the parameter of a CSI sequence says of the modifiers (`1;5A` is Ctrl+Up).
fn modifiers(param: Option<u32>) -> KeyModifiers {
    let bits = param.map_or(0, |p| p.saturating_sub(1));
    let mut out = KeyModifiers::NONE;
    if bits & 1 != 0 {
        out |= KeyModifiers::SHIFT;
    }
    if bits & 2 != 0 {
        out |= KeyModifiers::ALT;
    }
    if bits & 4 != 0 {
        out |= KeyModifiers::CONTROL;
    }
    out
}

enum Parsed {
    /// These messages, from this many bytes.
    Done(Vec<Msg>, usize),
    /// The bytes end in the middle of a sequence.
    More,
}

impl KeyReader {
    /// The messages these bytes complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Msg> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut at = 0;
        while at < self.pending.len() {
            if let Some(paste) = &mut self.paste {
                let rest = &self.pending[at..];
                match find(rest, PASTE_END) {
                    Some(end) => {
                        paste.extend_from_slice(&rest[..end]);
                        let text = String::from_utf8_lossy(paste).into_owned();
                        out.push(Msg::Paste(text));
                        self.paste = None;
                        at += end + PASTE_END.len();
                    }
                    None => {
                        // Keep a possible start of the end marker for the next read.
                        let keep = (1..PASTE_END.len())
                            .rev()
                            .find(|&n| {
                                rest.len() >= n && PASTE_END.starts_with(&rest[rest.len() - n..])
                            })
                            .unwrap_or(0);
                        let take = rest.len() - keep;
                        if paste.len() + take <= PASTE_MAX {
                            paste.extend_from_slice(&rest[..take]);
                        }
                        at += take;
                        break;
                    }
                }
                continue;
            }
            let rest = &self.pending[at..];
            if rest.starts_with(PASTE_START) {
                self.paste = Some(Vec::new());
                at += PASTE_START.len();
                continue;
            }
            match parse(rest) {
                Parsed::Done(msgs, used) => {
                    out.extend(msgs);
                    at += used;
                }
                Parsed::More => break,
            }
        }
        self.pending.drain(..at);
        out
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn parse(bytes: &[u8]) -> Parsed {
    let first = bytes[0];
    match first {
        0x1b => escape(bytes),
        b'\r' | b'\n' => Parsed::Done(vec![plain(KeyCode::Enter)], 1),
        b'\t' => Parsed::Done(vec![plain(KeyCode::Tab)], 1),
        0x7f | 0x08 => Parsed::Done(vec![plain(KeyCode::Backspace)], 1),
        0x00 => Parsed::Done(vec![key(KeyCode::Char(' '), KeyModifiers::CONTROL)], 1),
        0x01..=0x1a => {
            let letter = char::from(b'a' + first - 1);
            Parsed::Done(vec![key(KeyCode::Char(letter), KeyModifiers::CONTROL)], 1)
        }
        0x1c..=0x1f => Parsed::Done(vec![], 1),
        _ => text(bytes),
    }
}

/// One UTF-8 character (an invalid byte is skipped).
fn text(bytes: &[u8]) -> Parsed {
    let len = match bytes[0] {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return Parsed::Done(vec![], 1),
    };
    if bytes.len() < len {
        return Parsed::More;
    }
    match std::str::from_utf8(&bytes[..len])
        .ok()
        .and_then(|s| s.chars().next())
    {
        Some(c) => {
            let shift = if c.is_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            Parsed::Done(vec![key(KeyCode::Char(c), shift)], len)
        }
        None => Parsed::Done(vec![], 1),
    }
}

fn escape(bytes: &[u8]) -> Parsed {
    let Some(&next) = bytes.get(1) else {
        return Parsed::Done(vec![plain(KeyCode::Esc)], 1);
    };
    match next {
        b'[' => csi(bytes),
        b'O' => match bytes.get(2) {
            None => Parsed::More,
            Some(&c) => Parsed::Done(final_key(c, KeyModifiers::NONE).into_iter().collect(), 3),
        },
        0x1b => Parsed::Done(vec![plain(KeyCode::Esc)], 1),
        // Esc then a key (an Alt+key, read as the two keys pressed).
        _ => Parsed::Done(vec![plain(KeyCode::Esc)], 1),
    }
}

/// The key a sequence's final byte names (arrows, Home/End, F1-F4).
fn final_key(byte: u8, modifiers: KeyModifiers) -> Option<Msg> {
    let code = match byte {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'P' => KeyCode::F(1),
        b'Q' => KeyCode::F(2),
        b'R' => KeyCode::F(3),
        b'S' => KeyCode::F(4),
        b'Z' => return Some(key(KeyCode::BackTab, modifiers | KeyModifiers::SHIFT)),
        _ => return None,
    };
    Some(key(code, modifiers))
}

fn csi(bytes: &[u8]) -> Parsed {
    // ESC [ parameters (digits and ;) final byte (0x40..=0x7e).
    let Some(end) = bytes[2..].iter().position(|b| (0x40..=0x7e).contains(b)) else {
        // Not finished yet; a runaway sequence is dropped rather than held forever.
        return if bytes.len() > 32 {
            Parsed::Done(vec![], bytes.len())
        } else {
            Parsed::More
        };
    };
    let used = 2 + end + 1;
    let params = String::from_utf8_lossy(&bytes[2..2 + end]).into_owned();
    let numbers: Vec<Option<u32>> = params.split(';').map(|p| p.parse().ok()).collect();
    let first = numbers.first().copied().flatten();
    let mods = modifiers(numbers.get(1).copied().flatten());
    let last = bytes[2 + end];
    let msg = if last == b'~' {
        let code = match first {
            Some(1 | 7) => Some(KeyCode::Home),
            Some(2) => Some(KeyCode::Insert),
            Some(3) => Some(KeyCode::Delete),
            Some(4 | 8) => Some(KeyCode::End),
            Some(5) => Some(KeyCode::PageUp),
            Some(6) => Some(KeyCode::PageDown),
            Some(n @ 11..=15) => Some(KeyCode::F((n - 10) as u8)),
            Some(n @ 17..=21) => Some(KeyCode::F((n - 11) as u8)),
            Some(n @ 23..=24) => Some(KeyCode::F((n - 12) as u8)),
            _ => None,
        };
        code.map(|c| key(c, mods))
    } else {
        final_key(last, mods)
    };
    Parsed::Done(msg.into_iter().collect(), used)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(msgs: &[Msg]) -> Vec<(KeyCode, KeyModifiers)> {
        msgs.iter()
            .filter_map(|m| match m {
                Msg::Key(k) => Some((k.code, k.modifiers)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn text_controls_and_sequences_become_keys() {
        let mut reader = KeyReader::default();
        let msgs = reader.feed("né\r\x03\x7f\x1b[A\x1b[1;5C\x1bOP\x1b[5~\x1b[Z\t".as_bytes());
        assert_eq!(
            keys(&msgs),
            vec![
                (KeyCode::Char('n'), KeyModifiers::NONE),
                (KeyCode::Char('é'), KeyModifiers::NONE),
                (KeyCode::Enter, KeyModifiers::NONE),
                (KeyCode::Char('c'), KeyModifiers::CONTROL),
                (KeyCode::Backspace, KeyModifiers::NONE),
                (KeyCode::Up, KeyModifiers::NONE),
                (KeyCode::Right, KeyModifiers::CONTROL),
                (KeyCode::F(1), KeyModifiers::NONE),
                (KeyCode::PageUp, KeyModifiers::NONE),
                (KeyCode::BackTab, KeyModifiers::SHIFT),
                (KeyCode::Tab, KeyModifiers::NONE),
            ]
        );
        // A lone Esc is the key; Esc before a letter is Esc, then the letter.
        assert_eq!(
            keys(&reader.feed(b"\x1b")),
            vec![(KeyCode::Esc, KeyModifiers::NONE)]
        );
        assert_eq!(
            keys(&reader.feed(b"\x1bq")),
            vec![
                (KeyCode::Esc, KeyModifiers::NONE),
                (KeyCode::Char('q'), KeyModifiers::NONE)
            ]
        );
    }

    #[test]
    fn split_sequences_and_pastes_wait_for_the_rest() {
        let mut reader = KeyReader::default();
        assert!(reader.feed(b"\x1b[").is_empty());
        assert_eq!(
            keys(&reader.feed(b"B")),
            vec![(KeyCode::Down, KeyModifiers::NONE)]
        );
        let bytes = "é".as_bytes();
        assert!(reader.feed(&bytes[..1]).is_empty());
        assert_eq!(keys(&reader.feed(&bytes[1..])).len(), 1);
        assert!(reader.feed(b"\x1b[200~line one\r\nq\x1b[20").is_empty());
        let msgs = reader.feed(b"1~x");
        assert!(
            matches!(&msgs[..], [Msg::Paste(text), Msg::Key(k)] if text == "line one\r\nq" && k.code == KeyCode::Char('x')),
            "{msgs:?}"
        );
    }
}
