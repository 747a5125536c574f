//! The editing keys every text input in the console shares (the note composer,
//! prompts, the palette's query, the comms draft), so a key means the same thing in
//! each: readline keys that survive tmux and SSH, typing over prefilled text, and what
//! a bracketed paste turns into before it lands.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::{CursorMove, TextArea};
use unicode_width::UnicodeWidthChar;

/// A pasted tab becomes spaces up to the next multiple of this many columns.
pub const TAB_STOP: usize = 4;
/// The most characters one paste puts in an input; more is cut (and said so).
pub const PASTE_MAX_CHARS: usize = 64 * 1024;

/// The editing keys, for the help overlay: (keys, what they do).
pub const KEYS: &[(&str, &str)] = &[
    ("Enter", "send the note / accept the prompt"),
    (
        "Ctrl-J / Alt-Enter",
        "new line inside a note, a correction or a comms draft",
    ),
    (
        "Tab / Shift-Tab",
        "note → decision → action (the note composer; never from a paste)",
    ),
    ("Esc / Ctrl-C", "close (the note composer keeps your draft)"),
    ("Ctrl-U", "delete to the start of the line"),
    (
        "Ctrl-W / Alt-Backspace",
        "delete the word before the cursor",
    ),
    ("Ctrl-K", "delete to the end of the line"),
    ("Home / Ctrl-A", "start of the line"),
    ("End / Ctrl-E", "end of the line"),
    (
        "← → ↑ ↓",
        "move (an arrow keeps prefilled text; typing replaces it)",
    ),
    (
        "paste",
        "lands as text: line breaks kept (spaces in one-line prompts), tabs as spaces",
    ),
];

/// An input holding `initial` with all of it selected, so the first character typed
/// replaces it and an arrow key keeps it for editing. Empty when `initial` is.
pub fn prefilled(initial: &str) -> TextArea<'static> {
    let lines: Vec<String> = initial.split('\n').map(str::to_string).collect();
    let mut input = TextArea::new(lines);
    if initial.is_empty() {
        return input;
    }
    input.select_all();
    input
}

/// Applies an editing key to `input`; false when the key is not an editing key (Enter,
/// Tab, Esc and the like are the caller's). `multiline` allows Ctrl-J / Alt-Enter line
/// breaks and moving between lines.
pub fn edit(input: &mut TextArea<'static>, key: KeyEvent, multiline: bool) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    match key.code {
        KeyCode::Char('j') if ctrl && multiline => input.insert_newline(),
        KeyCode::Enter if alt && multiline => input.insert_newline(),
        KeyCode::Char('u') if ctrl => {
            input.delete_line_by_head();
        }
        KeyCode::Char('w') if ctrl => {
            input.delete_word();
        }
        KeyCode::Backspace if alt => {
            input.delete_word();
        }
        KeyCode::Char('k') if ctrl => {
            input.delete_line_by_end();
        }
        KeyCode::Char('h') if ctrl => {
            input.delete_char();
        }
        KeyCode::Char('d') if ctrl => {
            input.delete_next_char();
        }
        KeyCode::Char('a') if ctrl => go(input, CursorMove::Head),
        KeyCode::Char('e') if ctrl => go(input, CursorMove::End),
        KeyCode::Char('b') if ctrl => go(input, CursorMove::Back),
        KeyCode::Char('f') if ctrl => go(input, CursorMove::Forward),
        KeyCode::Char(c) if !ctrl && !alt => input.insert_char(c),
        KeyCode::Backspace => {
            input.delete_char();
        }
        KeyCode::Delete => {
            input.delete_next_char();
        }
        KeyCode::Home => go(input, CursorMove::Head),
        KeyCode::End => go(input, CursorMove::End),
        KeyCode::Left if ctrl => go(input, CursorMove::WordBack),
        KeyCode::Right if ctrl => go(input, CursorMove::WordForward),
        KeyCode::Left => match input.selection_range() {
            // Leaving a selection to the left starts at its beginning.
            Some(((row, col), _)) => jump(input, row, col),
            None => go(input, CursorMove::Back),
        },
        KeyCode::Right => match input.selection_range() {
            Some((_, (row, col))) => jump(input, row, col),
            None => go(input, CursorMove::Forward),
        },
        KeyCode::Up if multiline => go(input, CursorMove::Up),
        KeyCode::Down if multiline => go(input, CursorMove::Down),
        _ => return false,
    }
    true
}

/// Moves the cursor, ending any selection (a plain move never extends one).
fn go(input: &mut TextArea<'static>, to: CursorMove) {
    input.cancel_selection();
    input.move_cursor(to);
}

fn jump(input: &mut TextArea<'static>, row: usize, col: usize) {
    let (row, col) = (clamp_u16(row), clamp_u16(col));
    go(input, CursorMove::Jump(row, col));
}

fn clamp_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// What a paste becomes: `\r\n` and `\r` are line breaks (kept when `multiline`, a
/// space otherwise), tabs become spaces to the next [`TAB_STOP`], other control
/// characters are dropped. Returns the text and whether it was cut to
/// [`PASTE_MAX_CHARS`].
pub fn pasted(text: &str, multiline: bool) -> (String, bool) {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = if multiline {
        text.as_str()
    } else {
        text.trim_matches('\n')
    };
    let mut out = String::with_capacity(text.len().min(PASTE_MAX_CHARS));
    let (mut column, mut kept) = (0, 0);
    for c in text.chars() {
        if kept >= PASTE_MAX_CHARS {
            return (out, true);
        }
        match c {
            '\n' if multiline => {
                out.push('\n');
                column = 0;
            }
            '\n' => {
                out.push(' ');
                column += 1;
            }
            '\t' => {
                let n = TAB_STOP - column % TAB_STOP;
                out.extend(std::iter::repeat_n(' ', n));
                column += n;
            }
            c if c.is_control() => continue,
            c => {
                out.push(c);
                column += c.width().unwrap_or(0);
            }
        }
        kept += 1;
    }
    (out, false)
}

/// Inserts a paste into `input` (replacing any selection); true when it was cut.
pub fn paste(input: &mut TextArea<'static>, text: &str, multiline: bool) -> bool {
    let (text, cut) = pasted(text, multiline);
    input.insert_str(text);
    cut
}

/// The text of an input: its lines joined by line breaks, or by spaces for one line.
pub fn text(input: &TextArea<'static>, multiline: bool) -> String {
    input.lines().join(if multiline { "\n" } else { " " })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn typed(input: &mut TextArea<'static>, text: &str) {
        for c in text.chars() {
            assert!(edit(input, key(KeyCode::Char(c)), true));
        }
    }

    #[test]
    fn typing_replaces_prefilled_text_and_an_arrow_keeps_it() {
        let mut input = prefilled("eu-west-1");
        typed(&mut input, "us-east-1");
        assert_eq!(input.lines(), ["us-east-1"]);

        let mut input = prefilled("eu-west-1");
        edit(&mut input, key(KeyCode::End), false);
        typed(&mut input, "b");
        assert_eq!(input.lines(), ["eu-west-1b"]);

        let mut input = prefilled("west");
        edit(&mut input, key(KeyCode::Left), false);
        typed(&mut input, "eu-");
        assert_eq!(input.lines(), ["eu-west"]);

        let mut input = prefilled("");
        typed(&mut input, "x");
        assert_eq!(input.lines(), ["x"]);
    }

    #[test]
    fn readline_keys_edit_the_line() {
        let mut input = prefilled("");
        typed(&mut input, "roll back the deploy");
        edit(&mut input, ctrl('w'), true);
        assert_eq!(input.lines(), ["roll back the "]);
        edit(&mut input, key(KeyCode::Home), true);
        typed(&mut input, "> ");
        edit(&mut input, key(KeyCode::End), true);
        typed(&mut input, "cache");
        assert_eq!(input.lines(), ["> roll back the cache"]);
        edit(&mut input, ctrl('j'), true);
        typed(&mut input, "second");
        edit(&mut input, ctrl('u'), true);
        assert_eq!(input.lines(), ["> roll back the cache", ""]);
        // One-line inputs take no line break.
        let mut one = prefilled("a");
        edit(&mut one, key(KeyCode::End), false);
        edit(&mut one, ctrl('j'), false);
        assert_eq!(one.lines(), ["a"]);
        assert!(!edit(&mut one, key(KeyCode::Enter), false));
        assert!(!edit(&mut one, key(KeyCode::Tab), false));
    }

    #[test]
    fn pastes_keep_line_breaks_and_turn_tabs_into_spaces() {
        assert_eq!(
            pasted("line one\r\nline two\twith tab", true),
            ("line one\nline two    with tab".to_string(), false)
        );
        assert_eq!(pasted("one\ntwo\n", false), ("one two".to_string(), false));
        assert_eq!(pasted("a\u{7}b\u{1b}[0m", true).0, "ab[0m");
        let (long, cut) = pasted(&"x".repeat(PASTE_MAX_CHARS + 5), true);
        assert!(cut);
        assert_eq!(long.chars().count(), PASTE_MAX_CHARS);
    }
}
