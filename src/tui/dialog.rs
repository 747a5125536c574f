//! Dialogs that ask a question about a text (publish, run, quit with unsent work):
//! the text wrapped to the dialog's width and scrolled with ↑↓/PgUp/PgDn, the answer
//! keys pinned on the bottom border so no text, however long, can push them out of
//! view, and "more above / below" on the top border while there is more.

use super::panes::fit_line;
use super::theme::{Meaning, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The keys of dialogs and pickers, for the help overlay: (keys, what they do).
pub const KEYS: &[(&str, &str)] = &[
    (
        "y / n / Esc",
        "answer a confirmation (publish, run, quit); ↑↓ PgUp PgDn scroll its text",
    ),
    (
        "Enter / Esc",
        "resolving or lowering severity: lists what is still open (↑↓ PgUp PgDn scroll) \
         and needs a one-line summary or reason typed first; Enter sends it, Esc cancels",
    ),
    (
        "↑↓ / typing",
        "pickers: choose, or type to filter; naming a seat, Enter on a name nobody \
         listed takes the typed name",
    ),
];

/// What a dialog shows.
pub struct Dialog<'a> {
    pub title: &'a str,
    /// The text, one styled string per line; long lines are wrapped here.
    pub lines: Vec<(String, Style)>,
    /// The answer keys, e.g. "y: yes, do it · n / Esc: no".
    pub keys: &'a str,
    pub border: Meaning,
    pub width: u16,
}

/// `text` broken into lines of at most `width` columns, at spaces where possible.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split_inclusive(' ') {
        let w = word.trim_end().width();
        if used + w > width && used > 0 {
            out.push(line.trim_end().to_string());
            line.clear();
            used = 0;
        }
        if word.width() <= width.saturating_sub(used) || w <= width.saturating_sub(used) {
            line.push_str(word);
            used += word.width();
            continue;
        }
        // A word longer than the line: break it wherever the line ends.
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > width {
                out.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += cw;
        }
    }
    out.push(line.trim_end().to_string());
    out
}

/// A `width` × `height` box centred in `area` (clipped to it): every overlay sits here.
pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

impl Dialog<'_> {
    /// Draws the dialog centred in `area`, clamping `scroll` to the text.
    pub fn render(self, area: Rect, buf: &mut Buffer, theme: &Theme, scroll: &mut u16) {
        self.render_reserving(area, buf, theme, scroll, 0);
    }

    /// [`Dialog::render`] keeping `reserve` rows free at the foot, inside the border,
    /// below the scrolling text (for an input the caller draws there); returns them.
    pub fn render_reserving(
        self,
        area: Rect,
        buf: &mut Buffer,
        theme: &Theme,
        scroll: &mut u16,
        reserve: u16,
    ) -> Rect {
        let width = self.width.min(area.width);
        let inner_w = usize::from(width.saturating_sub(2));
        let mut text: Vec<Line> = Vec::new();
        for (line, style) in &self.lines {
            for part in wrap(line, inner_w) {
                text.push(Line::from(Span::styled(part, *style)));
            }
        }
        let total = u16::try_from(text.len()).unwrap_or(u16::MAX);
        let reserve = reserve.min(area.height.saturating_sub(3));
        let height = total
            .saturating_add(2)
            .saturating_add(reserve)
            .min(area.height);
        let rect = centered(area, width, height);
        let rows = rect.height.saturating_sub(2).saturating_sub(reserve);
        let last_start = total.saturating_sub(rows);
        *scroll = (*scroll).min(last_start);
        let scrolls = last_start > 0;
        let keys = if scrolls {
            format!(" {} · ↑↓ PgUp PgDn scroll ", self.keys)
        } else {
            format!(" {} ", self.keys)
        };
        let strong = theme.style(Meaning::Warn).add_modifier(Modifier::BOLD);
        let room = usize::from(width.saturating_sub(2));
        let shown = scrolls.then(|| {
            format!(
                " lines {}–{} of {total}{}{} ",
                *scroll + 1,
                (*scroll + rows).min(total),
                if *scroll > 0 { " ↑" } else { "" },
                if *scroll < last_start { " ↓" } else { "" },
            )
        });
        let shown_w = shown.as_deref().map_or(0, UnicodeWidthStr::width);
        let mut block = Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Double)
            .border_style(theme.style(self.border))
            .title(fit_line(
                Line::from(Span::styled(
                    format!(" {} ", self.title),
                    theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
                )),
                room.saturating_sub(shown_w + 1),
            ))
            .title_bottom(fit_line(Line::from(Span::styled(keys, strong)), room));
        if let Some(shown) = shown {
            block = block.title_top(Line::from(Span::styled(shown, strong)).right_aligned());
        }
        Clear.render(rect, buf);
        let inner = block.inner(rect);
        block.render(rect, buf);
        let [body, foot] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(reserve)]).areas(inner);
        Paragraph::new(text).scroll((*scroll, 0)).render(body, buf);
        foot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_inside_long_words() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 5), [""]);
        assert_eq!(wrap("fits", 4), ["fits"]);
    }

    #[test]
    fn a_long_text_scrolls_and_keeps_its_keys_in_view() {
        let theme = Theme::built_in("default").unwrap();
        let area = Rect::new(0, 0, 80, 12);
        let lines = (1..=40)
            .map(|n| (format!("line {n}"), Style::default()))
            .collect();
        let dialog = |lines| Dialog {
            title: "Publish?",
            lines,
            keys: "y: yes, do it · n / Esc: no",
            border: Meaning::Warn,
            width: 78,
        };
        let mut buf = Buffer::empty(area);
        let mut scroll = 500;
        dialog(lines).render(area, &mut buf, &theme, &mut scroll);
        assert_eq!(scroll, 30, "clamped to the last page");
        let screen: Vec<String> = (0..area.height)
            .map(|y| (0..area.width).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        let bottom = &screen[11];
        assert!(
            bottom.contains("y: yes, do it") && bottom.contains("scroll"),
            "{bottom}"
        );
        assert!(screen[10].contains("line 40"), "{screen:#?}");
        assert!(screen[0].contains("lines 31–40 of 40 ↑"), "{}", screen[0]);
    }
}
