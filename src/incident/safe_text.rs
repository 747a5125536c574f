//! What is dangerous to show, decided in one place. Text typed by people (notes, titles,
//! reasons, drafts, checklist items, alert summaries, response excerpts) is stored
//! verbatim; every output a person reads passes it through [`neutralise`] (plain text)
//! or [`escape_json`] (JSON), and the console strips the same characters
//! ([`is_dangerous`]). So a note cannot drive someone else's terminal (OSC 52 clipboard
//! writes, window titles, screen clears), reorder what they read (bidi overrides) or
//! hide text from them (zero-width characters).

use std::borrow::Cow;
use std::fmt::Write;

/// True for a character that must never reach a terminal, a spreadsheet or a rendered
/// document as itself:
/// - C0 controls except `\n` and `\t` (ESC starts every terminal escape sequence; CR
///   overwrites the line), and DEL;
/// - C1 controls (U+0080–U+009F: U+009B is a one-character CSI on many terminals);
/// - the Unicode `Bidi_Control` characters (U+061C, U+200E, U+200F, U+202A–U+202E,
///   U+2066–U+2069), which reorder what is displayed;
/// - zero-width characters and joiners (U+200B–U+200D, U+2060, U+FEFF), which hide
///   text or change how wide it is drawn.
pub fn is_dangerous(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}'
        | '\u{b}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}'
    )
}

/// `text` with every [`is_dangerous`] character written as a visible escape, `\u{1b}`
/// for ESC. Everything else, `\n` and `\t` included, is kept. Borrows when nothing needs
/// changing (the usual case), and is idempotent: its output contains nothing dangerous.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_dangerous) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_dangerous(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `json` (a JSON document) with every [`is_dangerous`] character written as a `\uXXXX`
/// escape. It still decodes to exactly the same values, but a terminal that prints it
/// shows nothing active. serde_json already escapes C0; this covers DEL, C1, bidi and
/// zero-width characters, which JSON allows raw. Outside strings a JSON document is
/// ASCII punctuation, so every dangerous character is inside a string, where `\uXXXX` is
/// always valid (all of them are in the Basic Multilingual Plane).
pub fn escape_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_dangerous) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_dangerous(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` without its dangerous characters: for the console, where a visible escape
/// would not fit the cell it is drawn in.
pub fn strip(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_dangerous) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().filter(|c| !is_dangerous(*c)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each class the issue names, with the sequences seen in the wild.
    const HOSTILE: &str = "a\u{1b}]52;c;Y3VybA==\u{7}b\u{1b}]0;pwned\u{7}\u{1b}[2J\r\u{7f}\u{9b}31m\u{202e}gnp.exe\u{2066}x\u{2069}\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}\u{200e}\u{61c}";

    #[test]
    fn every_dangerous_class_becomes_a_visible_escape() {
        let shown = neutralise(HOSTILE);
        assert!(!shown.chars().any(is_dangerous), "{shown}");
        for escape in [
            "\\u{1b}",
            "\\u{7}",
            "\\u{d}",
            "\\u{7f}",
            "\\u{9b}",
            "\\u{202e}",
            "\\u{2066}",
            "\\u{2069}",
            "\\u{200b}",
            "\\u{200c}",
            "\\u{200d}",
            "\\u{2060}",
            "\\u{feff}",
        ] {
            assert!(shown.contains(escape), "{escape} missing from {shown}");
        }
        assert!(shown.starts_with("a\\u{1b}]52;c;Y3VybA==\\u{7}b"));
        assert_eq!(neutralise(&shown), shown, "idempotent");
    }

    #[test]
    fn ordinary_text_is_borrowed_untouched() {
        let plain = "Checkout 5xx — rollback ✓\n\tnext update 14:30 UTC · naïve 日本語 👩";
        assert!(matches!(neutralise(plain), Cow::Borrowed(_)));
        assert!(matches!(escape_json(plain), Cow::Borrowed(_)));
        assert!(matches!(strip(plain), Cow::Borrowed(_)));
    }

    #[test]
    fn escaped_json_decodes_to_the_verbatim_text() {
        let json = serde_json::to_string(&serde_json::json!({ "note": HOSTILE })).unwrap();
        let escaped = escape_json(&json);
        assert!(!escaped.chars().any(is_dangerous), "{escaped}");
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back["note"], HOSTILE);
    }

    #[test]
    fn strip_removes_only_the_dangerous() {
        assert_eq!(strip("a\u{200d}b\u{1b}[2Jc\n"), "ab[2Jc\n");
    }
}
