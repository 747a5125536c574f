//! Text typed by people, made inert in a Markdown document: the post-mortem and ticket
//! exports copy notes, titles and names into Markdown templates, and a note must render
//! as the words someone typed, never as HTML, an image that calls home when the
//! document is opened, a `javascript:` link, or a code fence that swallows the rest of
//! the document.

use std::borrow::Cow;

/// Characters escaped with a backslash (CommonMark allows it before any ASCII
/// punctuation): links and images (`[`, `]`, `!`), code spans and fences (`` ` ``,
/// `~`), table cells (`|`), and the backslash itself so a typed one cannot undo an
/// escape. Emphasis (`*`, `_`) is left alone: it cannot hide or fetch anything, and
/// escaping every `snake_case` word would make the raw document hard to read. `<`, `>` and `&` become entities: inside raw HTML a backslash
/// is not an escape, an entity always renders as the character.
fn escape(c: char) -> Option<&'static str> {
    Some(match c {
        '\\' => "\\\\",
        '`' => "\\`",
        '~' => "\\~",
        '[' => "\\[",
        ']' => "\\]",
        '!' => "\\!",
        '|' => "\\|",
        '<' => "&lt;",
        '>' => "&gt;",
        '&' => "&amp;",
        _ => return None,
    })
}

/// `text` as Markdown that renders as exactly `text`. A `#` that starts a line is
/// escaped too, so a note cannot add a heading to the document's outline. Line breaks
/// are kept: the caller indents continuation lines as its layout needs.
pub fn text(text: &str) -> Cow<'_, str> {
    let heading = |line: &str| line.trim_start().starts_with('#');
    if !text.chars().any(|c| escape(c).is_some()) && !text.lines().any(heading) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut line_start = true;
    for c in text.chars() {
        match escape(c) {
            Some(escaped) => out.push_str(escaped),
            None if c == '#' && line_start => out.push_str("\\#"),
            None => out.push(c),
        }
        line_start = c == '\n' || (line_start && c.is_whitespace());
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_images_links_and_fences_become_text() {
        let note = "<img src=https://evil.example/p.gif> ![x](https://evil.example/b.png) [docs](javascript:alert(1))\n```\n~~~ # no\n  # heading";
        let md = text(note);
        assert_eq!(
            md,
            "&lt;img src=https://evil.example/p.gif&gt; \\!\\[x\\](https://evil.example/b.png) \\[docs\\](javascript:alert(1))\n\\`\\`\\`\n\\~\\~\\~ # no\n  \\# heading"
        );
        assert!(!md.contains("```") && !md.contains("!["), "{md}");
    }

    #[test]
    fn plain_words_are_borrowed() {
        assert!(matches!(
            text("Rolled back deploy 4121 (eu-west-1), 502s falling."),
            Cow::Borrowed(_)
        ));
        assert_eq!(text(r"a\*b & c|d_e"), r"a\\*b &amp; c\|d_e");
    }
}
