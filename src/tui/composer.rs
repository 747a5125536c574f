//! The note composer: where notes, decisions and action entries are written, opened by
//! the same keys from every pane (`n`, `d`, `a`). While it is open it takes every key,
//! so a sentence is never read as commands. Enter sends; Ctrl-J (or Alt-Enter) breaks
//! the line; Tab switches note → decision → action; a paste lands as text and never
//! sends or switches anything. It grows with its text, up to [`MAX_ROWS`] rows, so a
//! long draft can be re-read before it goes. The timeline draws it at its foot, or the
//! console draws it over the body when the timeline is not on screen.

use super::editing;
use super::theme::{Meaning, Theme};
use super::wrap;
use crate::incident::limits::{NOTE_MAX_CHARS, check_text};
use crate::incident::{Command, EntryKind};
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Widget};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

/// Text rows the composer shows at least and at most (it scrolls beyond).
pub const MIN_ROWS: u16 = 2;
pub const MAX_ROWS: u16 = 6;

/// What a key in the composer asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Still typing.
    Typing,
    /// Send this; the composer is empty again and back to a note.
    Send(Command),
    /// Close (Esc): the caller keeps any text as the draft.
    Close,
    /// Not sent, and why (the composer keeps the text).
    Refused(String),
}

pub struct Composer {
    pub kind: EntryKind,
    input: TextArea<'static>,
}

fn next(kind: EntryKind) -> EntryKind {
    match kind {
        EntryKind::Note => EntryKind::Decision,
        EntryKind::Decision => EntryKind::Action,
        _ => EntryKind::Note,
    }
}

fn previous(kind: EntryKind) -> EntryKind {
    match kind {
        EntryKind::Note => EntryKind::Action,
        EntryKind::Action => EntryKind::Decision,
        _ => EntryKind::Note,
    }
}

fn input(text: &str) -> TextArea<'static> {
    let mut input = TextArea::new(text.split('\n').map(str::to_string).collect());
    input.set_wrap_mode(WrapMode::WordOrGlyph);
    input.move_cursor(CursorMove::Bottom);
    input.move_cursor(CursorMove::End);
    input
}

impl Composer {
    /// A composer for `kind` holding `text` (a kept draft), the cursor at its end.
    pub fn new(kind: EntryKind, text: &str) -> Composer {
        Composer {
            kind,
            input: input(text),
        }
    }

    pub fn text(&self) -> String {
        editing::text(&self.input, true)
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Outcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Esc => Outcome::Close,
            KeyCode::Char('c') if ctrl => Outcome::Close,
            KeyCode::Enter if !alt => self.send(),
            KeyCode::Tab => {
                self.kind = next(self.kind);
                Outcome::Typing
            }
            KeyCode::BackTab => {
                self.kind = previous(self.kind);
                Outcome::Typing
            }
            _ => {
                editing::edit(&mut self.input, key, true);
                Outcome::Typing
            }
        }
    }

    fn send(&mut self) -> Outcome {
        let text = self.text();
        let text = text.trim();
        if text.is_empty() {
            return Outcome::Typing;
        }
        if let Err(refused) = check_text("the note", text, NOTE_MAX_CHARS) {
            return Outcome::Refused(refused.message);
        }
        let command = Command::AddNote {
            kind: self.kind,
            text: text.to_string(),
            typed_at: None,
        };
        // The next entry starts empty and as a note: a decision is a deliberate act.
        *self = Composer::new(EntryKind::Note, "");
        Outcome::Send(command)
    }

    /// Inserts pasted text (line breaks kept, tabs as spaces); the message when it
    /// had to be cut.
    pub fn paste(&mut self, text: &str) -> Option<String> {
        editing::paste(&mut self.input, text, true).then(|| {
            format!(
                "the paste was cut to {} characters",
                editing::PASTE_MAX_CHARS
            )
        })
    }

    /// Text rows wanted at `width` columns: the wrapped text (one more column for the
    /// cursor), within [`MIN_ROWS`]..=[`MAX_ROWS`].
    pub fn rows(&self, width: u16) -> u16 {
        let width = usize::from(width).saturating_sub(1).max(1);
        let rows: usize = (self.input.lines().iter())
            .map(|line| wrap::count(line, width, width))
            .take(usize::from(MAX_ROWS) + 1)
            .sum();
        u16::try_from(rows)
            .unwrap_or(MAX_ROWS)
            .clamp(MIN_ROWS, MAX_ROWS)
    }

    /// The composer's height at `width`: its title line and its rows.
    pub fn height(&self, width: u16) -> u16 {
        self.rows(width) + 1
    }

    pub fn title(&self) -> String {
        format!(
            " new {} — Enter sends · Ctrl-J new line · Tab kind · Esc closes ",
            self.kind
        )
    }

    /// Draws the composer in `area`: a title line, then the text.
    pub fn render(&mut self, theme: &Theme, area: Rect, buf: &mut Buffer) {
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(theme.style(Meaning::Focus))
            .title(Span::styled(self.title(), theme.style(Meaning::Focus)));
        self.input.set_block(block);
        self.input.set_cursor_line_style(Style::default());
        self.input
            .set_selection_style(theme.style(Meaning::Selection));
        (&self.input).render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn typed(composer: &mut Composer, text: &str) {
        for c in text.chars() {
            assert_eq!(composer.on_key(key(KeyCode::Char(c))), Outcome::Typing);
        }
    }

    #[test]
    fn enter_sends_and_the_kind_goes_back_to_note() {
        let mut composer = Composer::new(EntryKind::Decision, "");
        typed(&mut composer, "  roll back  ");
        assert_eq!(
            composer.on_key(key(KeyCode::Enter)),
            Outcome::Send(Command::AddNote {
                kind: EntryKind::Decision,
                text: "roll back".into(),
                typed_at: None,
            })
        );
        assert_eq!(composer.kind, EntryKind::Note);
        assert_eq!(composer.text(), "");
        assert_eq!(composer.on_key(key(KeyCode::Enter)), Outcome::Typing);
    }

    #[test]
    fn ctrl_j_breaks_the_line_and_a_paste_never_sends() {
        let mut composer = Composer::new(EntryKind::Note, "");
        assert_eq!(composer.paste("line one\nline two\twith tab"), None);
        assert_eq!(composer.kind, EntryKind::Note);
        assert_eq!(composer.text(), "line one\nline two    with tab");
        composer.on_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
        typed(&mut composer, "three");
        assert_eq!(
            composer.on_key(key(KeyCode::Enter)),
            Outcome::Send(Command::AddNote {
                kind: EntryKind::Note,
                text: "line one\nline two    with tab\nthree".into(),
                typed_at: None,
            })
        );
    }

    #[test]
    fn grows_with_its_text_up_to_a_limit() {
        let mut composer = Composer::new(EntryKind::Note, "");
        assert_eq!(composer.rows(40), MIN_ROWS);
        composer.paste(&"word ".repeat(30));
        assert_eq!(composer.rows(40), 4);
        composer.paste(&"\nmore".repeat(20));
        assert_eq!(composer.rows(40), MAX_ROWS);
    }

    #[test]
    fn too_long_a_note_is_refused_and_kept() {
        let mut composer = Composer::new(EntryKind::Note, &"x".repeat(NOTE_MAX_CHARS + 1));
        assert!(matches!(
            composer.on_key(key(KeyCode::Enter)),
            Outcome::Refused(m) if m.contains("4001")
        ));
        assert_eq!(composer.text().len(), NOTE_MAX_CHARS + 1);
    }
}
