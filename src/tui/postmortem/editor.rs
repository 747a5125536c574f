//! The editor of one post-mortem section: a multi-line ratatui-textarea (prose: Enter
//! breaks the line), the text it started from (the written section, or the draft the
//! incident proposes, marked as a draft until saved), what was sent and not yet seen
//! back, and a notice when someone else saved the section meanwhile — whose text
//! never replaces yours.

use crate::incident::postmortem::{SECTION_MAX_CHARS, Section};
use crate::tui::editing;
use crate::tui::theme::{Meaning, Theme};
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Widget};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

/// What a key in the editor asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Typing,
    /// Ctrl-S: send this text.
    Save(String),
    /// Esc (or Ctrl-C): leave, asking first when there are changes.
    Leave,
}

pub struct SectionEditor {
    /// The section's id (one of `postmortem::SECTIONS`).
    pub section: &'static str,
    pub title: &'static str,
    input: TextArea<'static>,
    /// The text the editor opened with.
    start: String,
    /// Opened from the incident's draft, and not saved since.
    pub from_draft: bool,
    /// The section as the log held it when last looked at.
    pub base: Option<Section>,
    /// Text sent with Ctrl-S and not yet seen back in the log.
    pub sent: Option<String>,
    /// Someone else saved the section while you edit: who and when.
    pub overwritten: Option<Section>,
}

impl SectionEditor {
    pub fn new(
        section: &'static str,
        title: &'static str,
        base: Option<Section>,
        draft: Option<String>,
    ) -> SectionEditor {
        let (text, from_draft) = match (&base, draft) {
            (Some(written), _) => (written.text.clone(), false),
            (None, Some(draft)) => (draft, true),
            (None, None) => (String::new(), false),
        };
        let mut input = TextArea::new(text.split('\n').map(str::to_string).collect());
        input.set_wrap_mode(WrapMode::WordOrGlyph);
        input.move_cursor(CursorMove::Bottom);
        input.move_cursor(CursorMove::End);
        SectionEditor {
            section,
            title,
            input,
            start: text,
            from_draft,
            base,
            sent: None,
            overwritten: None,
        }
    }

    pub fn text(&self) -> String {
        editing::text(&self.input, true)
    }

    pub fn chars(&self) -> usize {
        self.text().chars().count()
    }

    /// Changes that leaving would throw away: the text differs from what it opened
    /// with and from what the log holds.
    pub fn changed(&self) -> bool {
        let text = self.text();
        let text = text.trim_end();
        text != self.start.trim_end() && self.base.as_ref().is_none_or(|b| b.text != text)
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Outcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => Outcome::Leave,
            KeyCode::Char('c') if ctrl => Outcome::Leave,
            KeyCode::Char('s') if ctrl => Outcome::Save(self.text()),
            // A section is prose over lines: Enter breaks the line, as in a comms draft.
            KeyCode::Enter if !key.modifiers.contains(KeyModifiers::ALT) => {
                self.input.insert_newline();
                Outcome::Typing
            }
            _ => {
                editing::edit(&mut self.input, key, true);
                Outcome::Typing
            }
        }
    }

    /// A paste, as text; true when it was cut.
    pub fn paste(&mut self, text: &str) -> bool {
        editing::paste(&mut self.input, text, true)
    }

    /// Draws the editor in `area`: a title with the count against the limit and the
    /// keys, a notice line when someone else saved meanwhile, then the text.
    pub fn render(&mut self, theme: &Theme, area: Rect, buf: &mut Buffer) {
        let chars = self.chars();
        let over = chars > SECTION_MAX_CHARS;
        let mark = if self.from_draft {
            " · DRAFT, not saved"
        } else if self.sent.is_some() {
            " — saving…"
        } else {
            ""
        };
        let count_style = match over {
            true => theme.style(Meaning::Danger).add_modifier(Modifier::BOLD),
            false => theme.style(Meaning::Muted),
        };
        let mut title = vec![
            Span::styled(
                format!(" {}{mark} ", self.title),
                theme.style(Meaning::Focus).add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!("{chars}/{SECTION_MAX_CHARS} "), count_style),
        ];
        if over {
            title.push(Span::styled("too long ", count_style));
        }
        let keys = Span::styled(
            " Ctrl-S save · Esc leave · Enter new line ",
            theme.style(Meaning::Warn).add_modifier(Modifier::BOLD),
        );
        let room = usize::from(area.width.saturating_sub(2));
        let block = Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Thick)
            .border_style(theme.style(Meaning::Focus))
            .title(crate::tui::panes::fit_line(Line::from(title), room))
            .title_bottom(crate::tui::panes::fit_line(Line::from(keys), room));
        let inner = block.inner(area);
        block.render(area, buf);
        let mut text_area = inner;
        if let Some(theirs) = &self.overwritten {
            let notice = format!(
                "{} saved this section at {} while you edit: your text is kept; Ctrl-S saves yours over theirs",
                theirs.by,
                theirs.at.format("%H:%M UTC")
            );
            let line = Line::from(Span::styled(
                crate::tui::panes::ellipsize(&notice, usize::from(inner.width)),
                theme.style(Meaning::Warn).add_modifier(Modifier::BOLD),
            ));
            ratatui::widgets::Paragraph::new(line).render(
                Rect {
                    height: 1.min(inner.height),
                    ..inner
                },
                buf,
            );
            text_area = Rect {
                y: inner.y.saturating_add(1),
                height: inner.height.saturating_sub(1),
                ..inner
            };
        }
        self.input.set_block(Block::default());
        self.input.set_cursor_line_style(Style::default());
        self.input
            .set_selection_style(theme.style(Meaning::Selection));
        (&self.input).render(text_area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn written(text: &str) -> Section {
        Section {
            text: text.into(),
            by: "bob".into(),
            at: Utc.with_ymd_and_hms(2026, 11, 22, 5, 0, 0).unwrap(),
        }
    }

    #[test]
    fn enter_breaks_the_line_and_ctrl_s_saves_the_text() {
        let mut editor = SectionEditor::new("impact", "Impact", None, None);
        for c in "one".chars() {
            assert_eq!(editor.on_key(key(KeyCode::Char(c))), Outcome::Typing);
        }
        assert_eq!(editor.on_key(key(KeyCode::Enter)), Outcome::Typing);
        editor.on_key(key(KeyCode::Char('2')));
        assert!(editor.changed());
        let save = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(editor.on_key(save), Outcome::Save("one\n2".into()));
        assert_eq!(editor.on_key(key(KeyCode::Esc)), Outcome::Leave);
    }

    #[test]
    fn a_draft_is_marked_until_saved_and_written_text_wins_over_it() {
        let editor = SectionEditor::new("summary", "Summary", None, Some("proposed".into()));
        assert!(editor.from_draft);
        assert_eq!(editor.text(), "proposed");
        assert!(!editor.changed(), "an untouched draft is not a change");
        let editor = SectionEditor::new(
            "summary",
            "Summary",
            Some(written("ours")),
            Some("proposed".into()),
        );
        assert!(!editor.from_draft);
        assert_eq!(editor.text(), "ours");
    }
}
