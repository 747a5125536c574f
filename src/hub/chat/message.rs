//! What the thread reads: each mirrored entry as one line block (`HH:MM UTC · who ·
//! what`), the root message naming the incident, and several entries that piled up
//! under the rate limit joined into one message, in order. Text people typed is made
//! inert for Slack here — dangerous characters shown as escapes, and `&`, `<`, `>`
//! escaped as Slack's docs require, so `<!channel>` in a note pings nobody — while the
//! log keeps it verbatim.

use super::{Headline, MirrorEntry};
use crate::incident::safe_text::neutralise;

/// A message holds entries up to about this many characters (Slack advises under
/// 4,000; longer messages are cut off or split by clients).
pub const MESSAGE_CHARS: usize = 3_500;
/// One entry longer than this is cut, with a note, so it fits a message on its own.
const ENTRY_CHARS: usize = 3_000;

/// `text` as Slack shows it literally: control characters as visible escapes, and
/// the three characters Slack reads as markup escaped.
pub fn escape(text: &str) -> String {
    let safe = neutralise(text);
    let mut out = String::with_capacity(safe.len());
    for c in safe.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// One entry as the thread shows it.
pub fn entry(entry: &MirrorEntry) -> String {
    let text: String = entry.text.chars().take(ENTRY_CHARS).collect();
    let cut = if text.len() < entry.text.len() {
        " … (cut; the full entry is in warroom)"
    } else {
        ""
    };
    format!(
        "{} UTC · {} · {}{cut}",
        entry.at.format("%H:%M"),
        escape(&entry.actor),
        escape(&text)
    )
}

/// The thread's first message: which incident this is, as it stands now.
pub fn root(incident: &str, headline: &Headline) -> String {
    let severity = headline.severity.map_or("SEV?", |s| s.code());
    format!(
        "{} · {severity} · {} — {}. warroom mirrors this incident in this thread.",
        escape(incident),
        escape(&headline.title),
        headline.status
    )
}

/// How many of `entries` (at least one) go into the next message, and its text.
pub fn batch<'a>(entries: impl IntoIterator<Item = &'a MirrorEntry>) -> (usize, String) {
    let mut text = String::new();
    let mut taken = 0;
    for next in entries {
        let line = entry(next);
        if taken > 0 && text.chars().count() + 1 + line.chars().count() > MESSAGE_CHARS {
            break;
        }
        if taken > 0 {
            text.push('\n');
        }
        text.push_str(&line);
        taken += 1;
    }
    (taken, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seq: u64, text: &str) -> MirrorEntry {
        MirrorEntry {
            seq,
            at: chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            actor: "alice".into(),
            text: text.into(),
        }
    }

    #[test]
    fn typed_markup_cannot_ping_or_link() {
        let shown = entry(&at(1, "<!channel> see <http://x|here> & \u{1b}[2J"));
        assert_eq!(
            shown,
            "03:04 UTC · alice · &lt;!channel&gt; see &lt;http://x|here&gt; &amp; \\u{1b}[2J"
        );
    }

    #[test]
    fn entries_that_piled_up_go_out_together_in_order_within_the_size() {
        let entries: Vec<MirrorEntry> = (1..=3).map(|n| at(n, &format!("entry {n}"))).collect();
        let (taken, text) = batch(&entries);
        assert_eq!(taken, 3);
        assert!(text.find("entry 1") < text.find("entry 2"));
        assert!(text.find("entry 2") < text.find("entry 3"));
        let long: Vec<MirrorEntry> = (1..=3).map(|n| at(n, &"x".repeat(2_000))).collect();
        let (taken, text) = batch(&long);
        assert_eq!(taken, 1, "two would pass the message size");
        assert!(text.chars().count() <= MESSAGE_CHARS);
        let huge = [at(1, &"y".repeat(10_000))];
        let (taken, text) = batch(&huge);
        assert_eq!(taken, 1, "one entry always goes, cut");
        assert!(text.ends_with("(cut; the full entry is in warroom)"));
        assert!(text.chars().count() <= MESSAGE_CHARS);
    }
}
