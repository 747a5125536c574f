//! Read-only overlays that scroll: the help (`?`, every key in sections, generated from
//! the keymap) and detail views (a timeline entry, a checklist item in full). Each is a
//! [`Page`]: where it sits, its rows already wrapped to its width, so `update` can stop
//! scrolling at the end with the same numbers `view` draws with.

use super::dialog::centered;
use super::editing;
use super::keymap::{self, Context};
use super::panes::Detail;
use super::theme::{Meaning, Theme};
use super::wrap;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget};

const HELP_WIDTH: u16 = 80;
const DETAIL_WIDTH: u16 = 84;
/// The key column of the help.
const KEY_COLUMN: usize = 24;

/// A scrolling overlay laid out for one screen size.
pub struct Page {
    pub rect: Rect,
    pub title: String,
    pub lines: Vec<Line<'static>>,
}

impl Page {
    /// Rows inside the border.
    fn viewport(&self) -> u16 {
        self.rect.height.saturating_sub(2)
    }

    /// The furthest scroll that still fills the viewport: the end of the content.
    pub fn max_scroll(&self) -> u16 {
        let rows = u16::try_from(self.lines.len()).unwrap_or(u16::MAX);
        rows.saturating_sub(self.viewport())
    }

    /// A key while the page is open: the new scroll, or `None` to close it.
    pub fn on_key(&self, scroll: u16, key: &KeyEvent) -> Option<u16> {
        let page = self.viewport().saturating_sub(1).max(1);
        let scroll = match key.code {
            KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
            KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(page),
            KeyCode::PageUp => scroll.saturating_sub(page),
            KeyCode::Home | KeyCode::Char('g') => 0,
            KeyCode::End | KeyCode::Char('G') => u16::MAX,
            _ => return None,
        };
        Some(scroll.min(self.max_scroll()))
    }

    pub fn render(&self, scroll: u16, theme: &Theme, buf: &mut Buffer) {
        let scroll = scroll.min(self.max_scroll());
        let more = if scroll < self.max_scroll() {
            " ↓ more "
        } else {
            ""
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Double)
            .border_style(theme.style(Meaning::Focus))
            .title(Span::styled(
                self.title.clone(),
                theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
            ))
            .title_bottom(
                Line::from(Span::styled(more, theme.style(Meaning::Muted))).right_aligned(),
            );
        Clear.render(self.rect, buf);
        let start = usize::from(scroll);
        let end = (start + usize::from(self.viewport())).min(self.lines.len());
        let shown = self.lines.get(start..end).unwrap_or_default().to_vec();
        Paragraph::new(shown).block(block).render(self.rect, buf);
    }
}

/// `text` wrapped to `width`, continuation rows indented like its first row.
fn wrapped(text: &str, width: usize) -> Vec<String> {
    let indent = text.len() - text.trim_start_matches(' ').len();
    let indent = if indent * 2 > width { 0 } else { indent };
    let room = width.saturating_sub(indent);
    wrap::wrap(&text[indent..], room, room)
        .into_iter()
        .map(|row| format!("{}{row}", " ".repeat(indent)))
        .collect()
}

/// The contexts in help order: everywhere first, then each pane.
const SECTIONS: [Context; 7] = [
    Context::Global,
    Context::Timeline,
    Context::Checklist,
    Context::Blast,
    Context::Comms,
    Context::Actions,
    Context::Postmortem,
];

/// The help: every key, in sections (everywhere, each pane, then while typing); the
/// pane you are in says so.
pub fn help(theme: &Theme, focus: Context, area: Rect) -> Page {
    let rect = centered(area, HELP_WIDTH, area.height.saturating_sub(2));
    let width = usize::from(rect.width.saturating_sub(2));
    let title_style = theme.style(Meaning::Title).add_modifier(Modifier::BOLD);
    let mut lines = Vec::new();
    let row = |keys: String, description: &str, lines: &mut Vec<Line<'static>>| {
        let keys = format!("  {keys:<w$}", w = KEY_COLUMN - 2);
        let room = width.saturating_sub(KEY_COLUMN).max(10);
        for (i, text) in wrap::wrap(description, room, room).into_iter().enumerate() {
            let head = if i == 0 {
                keys.clone()
            } else {
                " ".repeat(KEY_COLUMN)
            };
            lines.push(Line::from(vec![
                Span::styled(head, theme.style(Meaning::Focus)),
                Span::styled(text, theme.style(Meaning::Text)),
            ]));
        }
    };
    for context in SECTIONS {
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        let here = if context == focus && context != Context::Global {
            " (this pane)"
        } else {
            ""
        };
        lines.push(Line::from(Span::styled(
            format!("{}{here}", context.title()),
            title_style,
        )));
        for binding in keymap::KEYMAP.iter().filter(|b| b.context == context) {
            let keys: Vec<String> = binding.keys.iter().map(|k| k.label()).collect();
            row(keys.join(" / "), binding.description, &mut lines);
        }
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "While typing (the note composer, prompts, a comms draft)",
        title_style,
    )));
    for (keys, description) in editing::KEYS {
        row(keys.to_string(), description, &mut lines);
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "In dialogs and pickers",
        title_style,
    )));
    for (keys, description) in super::dialog::KEYS {
        row(keys.to_string(), description, &mut lines);
    }
    Page {
        rect,
        title: " Keys — ↑↓ PgUp/PgDn scroll · any other key closes ".into(),
        lines,
    }
}

/// A detail view, as tall as its text (up to the screen).
pub fn detail(theme: &Theme, detail: &Detail, area: Rect) -> Page {
    let width = DETAIL_WIDTH.min(area.width);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let lines: Vec<Line<'static>> = (detail.lines.iter())
        .flat_map(|line| wrapped(line, inner))
        .map(|row| Line::from(Span::styled(row, theme.style(Meaning::Text))))
        .collect();
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(
        area,
        width,
        height.min(area.height.saturating_sub(2)).max(3),
    );
    Page {
        rect,
        title: format!(" {} — ↑↓ scroll · any other key closes ", detail.title),
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme() -> Theme {
        Theme::built_in("default").unwrap()
    }

    fn text(page: &Page) -> String {
        let rows: Vec<String> = (page.lines.iter())
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        rows.join("\n")
    }

    #[test]
    fn help_lists_every_binding_of_every_pane() {
        let page = help(&theme(), Context::Blast, Rect::new(0, 0, 100, 40));
        let all = text(&page);
        for binding in keymap::KEYMAP {
            let first = wrap::wrap(binding.description, 40, 40);
            let start = first[0].split(' ').next().unwrap_or("");
            assert!(
                all.contains(start),
                "{:?} missing:\n{all}",
                binding.description
            );
            for key in binding.keys {
                assert!(all.contains(&key.label()), "{} missing", key.label());
            }
        }
        for section in SECTIONS {
            assert!(all.contains(section.title()), "{section:?}");
        }
        assert!(all.contains("Blast radius (this pane)"));
        assert!(all.contains("Ctrl-J"));
    }

    #[test]
    fn scrolling_stops_at_the_end() {
        let page = help(&theme(), Context::Timeline, Rect::new(0, 0, 80, 24));
        let end = page.max_scroll();
        assert!(end > 0, "help is longer than 24 rows");
        assert_eq!(
            usize::from(end) + usize::from(page.rect.height) - 2,
            page.lines.len()
        );
        let down = KeyEvent::from(KeyCode::Down);
        let mut scroll = 0;
        for _ in 0..500 {
            scroll = page.on_key(scroll, &down).unwrap();
        }
        assert_eq!(scroll, end);
        let up = KeyEvent::from(KeyCode::Up);
        assert_eq!(page.on_key(scroll, &up), Some(end - 1));
        assert_eq!(page.on_key(scroll, &KeyEvent::from(KeyCode::Esc)), None);
    }

    #[test]
    fn a_detail_wraps_and_keeps_indents() {
        let shown = Detail {
            title: "Entry #3".into(),
            lines: vec!["word ".repeat(30), format!("   {}", "x ".repeat(50))],
        };
        let page = detail(&theme(), &shown, Rect::new(0, 0, 40, 30));
        let all = text(&page);
        assert!(all.lines().all(|l| l.chars().count() <= 38), "{all}");
        assert!(all.lines().skip(5).all(|l| l.starts_with("   x")), "{all}");
    }
}
