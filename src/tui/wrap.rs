//! Word wrapping by display width, for text the console lays out itself (timeline
//! entries, detail views, help): line breaks in the text are kept, rows break at
//! spaces, and a word wider than a row is cut between characters. Runs of spaces are
//! kept inside a row (pasted tables stay aligned); the space a row breaks at is dropped.

use unicode_width::UnicodeWidthChar;

fn width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// `text` as rows: the first row at most `first` columns wide, every later row at most
/// `rest` wide. Always at least one row; a width of 0 counts as 1 so nothing loops.
pub fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    let (first, rest) = (first.max(1), rest.max(1));
    let mut rows: Vec<String> = Vec::new();
    let room = |rows: &Vec<String>| if rows.is_empty() { first } else { rest };
    for line in text.split('\n') {
        let (mut row, mut used) = (String::new(), 0);
        for (i, word) in line.split(' ').enumerate() {
            let w: usize = word.chars().map(width).sum();
            if i > 0 {
                // The space before this word, unless the row breaks here.
                // A word that fits a row of its own starts one; a longer word is
                // cut anyway, so it starts here if the space fits.
                let word_moves = used > 0 && used + 1 + w > room(&rows) && w <= rest;
                if word_moves || used + 1 > room(&rows) {
                    rows.push(std::mem::take(&mut row));
                    used = 0;
                } else {
                    row.push(' ');
                    used += 1;
                }
            }
            for c in word.chars() {
                let cw = width(c);
                if used + cw > room(&rows) && used > 0 {
                    rows.push(std::mem::take(&mut row));
                    used = 0;
                }
                row.push(c);
                used += cw;
            }
        }
        rows.push(row);
    }
    rows
}

/// How many rows [`wrap`] makes, without keeping them.
pub fn count(text: &str, first: usize, rest: usize) -> usize {
    wrap(text, first, rest).len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn breaks_at_spaces_and_keeps_line_breaks() {
        assert_eq!(wrap("aaa bbb ccc", 7, 7), ["aaa bbb", "ccc"]);
        assert_eq!(wrap("aaa\nbbb ccc", 20, 20), ["aaa", "bbb ccc"]);
        assert_eq!(wrap("", 5, 5), [""]);
        assert_eq!(wrap("abcdefgh", 3, 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("ab cd", 2, 10), ["ab", "cd"]);
        assert_eq!(wrap("日本語テキスト", 4, 4), ["日本", "語テ", "キス", "ト"]);
        // Pasted alignment survives inside a row.
        assert_eq!(wrap("a    b", 20, 20), ["a    b"]);
    }

    proptest! {
        /// No row is wider than its room (unless a single character is), and no
        /// character is lost: the rows hold every non-space character in order.
        #[test]
        fn rows_fit_and_keep_every_character(
            text in "[a-z 日é\n]{0,80}",
            first in 1usize..30,
            rest in 1usize..30,
        ) {
            let rows = wrap(&text, first, rest);
            for (i, row) in rows.iter().enumerate() {
                let room = if i == 0 { first } else { rest };
                prop_assert!(row.width() <= room.max(2), "{row:?} in {room}");
            }
            let kept: String = rows.concat().chars().filter(|c| *c != ' ').collect();
            let wanted: String = text.chars().filter(|c| *c != ' ' && *c != '\n').collect();
            prop_assert_eq!(kept, wanted);
        }
    }
}
