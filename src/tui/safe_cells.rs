//! The console's last word on what reaches the terminal: after a frame is drawn, every
//! cell whose symbol holds a character `incident::safe_text` calls dangerous is
//! cleaned. ratatui already drops graphemes with control characters and those of width
//! zero, but a joiner (U+200D, U+200C) rides inside the grapheme before it, and the
//! terminal may then draw that cell wider than ratatui counted, pushing borders out of
//! line. One pass over the finished buffer covers every pane, overlay and the lobby.

use crate::incident::safe_text::{is_dangerous, strip};
use ratatui::buffer::Buffer;
use unicode_width::UnicodeWidthStr;

/// Removes the dangerous characters from every cell. A cell whose cleaned symbol would
/// draw wider than ratatui laid it out shows U+FFFD instead (one column: the cells it
/// covered are blank already, so nothing after it moves).
pub fn clean(buffer: &mut Buffer) {
    for cell in &mut buffer.content {
        if !cell.symbol().chars().any(is_dangerous) {
            continue;
        }
        let laid_out = cell.symbol().width().max(1);
        let cleaned = strip(cell.symbol()).into_owned();
        let fits = !cleaned.is_empty() && cleaned.width() <= laid_out;
        cell.set_symbol(if fits { &cleaned } else { "\u{fffd}" });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::widgets::{Block, Borders, Paragraph, Widget};

    fn rows(buffer: &Buffer) -> Vec<String> {
        let area = buffer.area;
        (0..area.height)
            .map(|y| {
                (0..area.width)
                    .map(|x| buffer[(x, y)].symbol().to_string())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn joiners_are_gone_and_the_border_stays_in_its_column() {
        let area = Rect::new(0, 0, 12, 3);
        let mut buffer = Buffer::empty(area);
        Paragraph::new("a\u{200d}b\u{200c}c👩\u{200d}💻")
            .block(Block::default().borders(Borders::ALL))
            .render(area, &mut buffer);
        assert!(
            rows(&buffer)[1].contains('\u{200d}'),
            "ratatui lets the joiner through"
        );
        clean(&mut buffer);
        let middle = &rows(&buffer)[1];
        assert!(!middle.chars().any(is_dangerous), "{middle:?}");
        assert!(middle.starts_with("│abc"), "{middle:?}");
        // Every cell still holds at most what ratatui laid out, so the right border is
        // drawn in the last column.
        assert_eq!(buffer[(11, 1)].symbol(), "│");
        let drawn: usize = (0..12).map(|x| buffer[(x, 1)].symbol().width()).sum();
        assert!(drawn <= 12, "{middle:?} draws {drawn} columns");
    }
}
