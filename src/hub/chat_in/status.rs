//! What `/warroom status INC` shows: one screen of an incident (title, severity,
//! status, who holds each seat, open checklist items, the last timeline entries), and
//! how text people typed is made inert for the chat that shows it. The log keeps what
//! was typed; neutralising happens here, at the output.

use crate::incident::markdown;
use crate::incident::safe_text::neutralise;
use crate::incident::state::State;

/// How many of the newest timeline entries the summary shows.
pub const LAST_ENTRIES: usize = 5;
/// The most characters of one entry's text shown (on one line).
const ENTRY_CHARS: usize = 160;

/// The chat an answer is for: Slack reads `mrkdwn`, Mattermost Markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    Slack,
    Mattermost,
}

impl Markup {
    /// `text` as the chat shows it: dangerous characters as visible escapes, then for
    /// Slack `&`, `<` and `>` as entities (so no `<!channel>`, mention or link can be
    /// made), for Mattermost Markdown's active characters escaped.
    pub fn escape(self, text: &str) -> String {
        let safe = neutralise(text);
        match self {
            Markup::Slack => escape_slack(&safe),
            Markup::Mattermost => markdown::text(&safe).into_owned(),
        }
    }

    fn bold(self, text: &str) -> String {
        match self {
            Markup::Slack => format!("*{text}*"),
            Markup::Mattermost => format!("**{text}**"),
        }
    }
}

/// Slack's three control characters as the entities Slack asks for.
pub fn escape_slack(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// `text` cut to `max` characters, ending with `…` when cut.
pub fn clip(text: &str, max: usize) -> String {
    crate::hub::intake::truncate(text, max)
}

/// The summary of `state` for `markup`.
pub fn summary(state: &State, markup: Markup) -> String {
    let e = |text: &str| markup.escape(text);
    let mut lines = Vec::new();
    lines.push(format!(
        "{} {}",
        markup.bold(&e(&state.id)),
        e(&clip(&state.title, 200))
    ));
    let severity = state
        .severity
        .map_or_else(|| "no severity".to_string(), |s| s.to_string());
    let acknowledged = match state.acknowledged_at {
        Some(at) => format!("acknowledged {}", at.format("%H:%M UTC")),
        None => "not acknowledged yet".to_string(),
    };
    lines.push(format!("{severity} · {} · {acknowledged}", state.status));
    let seats: Vec<String> = state
        .roles
        .iter()
        .map(|(role, who)| format!("{}: {}", role.title(), e(who)))
        .collect();
    lines.push(if seats.is_empty() {
        "Roles: nobody seated".to_string()
    } else {
        format!("Roles: {}", seats.join(", "))
    });
    let open = state
        .checklist
        .iter()
        .filter(|item| item.done.is_none())
        .count();
    lines.push(format!(
        "Checklist: {open} open of {}",
        state.checklist.len()
    ));
    let newest = state.timeline.iter().rev().take(LAST_ENTRIES);
    let mut entries: Vec<String> = newest
        .map(|entry| {
            let one_line: String = entry
                .current_text()
                .chars()
                .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
                .collect();
            format!(
                "• {} {} ({}): {}",
                entry.at.format("%H:%M"),
                e(&clip(&entry.author, 40)),
                entry.kind,
                e(&clip(&one_line, ENTRY_CHARS))
            )
        })
        .collect();
    entries.reverse();
    if entries.is_empty() {
        lines.push("No timeline entries yet.".to_string());
    } else {
        lines.push("Last entries:".to_string());
        lines.extend(entries);
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::state::{EntryKind, TimelineEntry};
    use crate::incident::{Role, Severity};

    fn entry(seq: u64, author: &str, text: &str) -> TimelineEntry {
        TimelineEntry {
            seq,
            at: chrono::DateTime::from_timestamp(1_773_478_800 + seq as i64 * 60, 0).unwrap(),
            author: author.into(),
            kind: EntryKind::Note,
            text: text.into(),
            typed_at: None,
            correction: None,
            earlier: Vec::new(),
            milestone: false,
        }
    }

    #[test]
    fn slack_text_cannot_mention_link_or_drive_a_terminal() {
        assert_eq!(
            Markup::Slack.escape("<!channel> a&b <https://x|y> \u{1b}[2J"),
            "&lt;!channel&gt; a&amp;b &lt;https://x|y&gt; \\u{1b}[2J"
        );
        assert_eq!(
            Markup::Mattermost.escape("![x](https://e/p.png) <b>"),
            "\\!\\[x\\](https://e/p.png) &lt;b&gt;"
        );
    }

    #[test]
    fn one_screen_with_the_last_entries_in_order() {
        let mut state = State {
            id: "INC-20260314-1".into(),
            title: "Checkout <5xx> & co".into(),
            severity: Some(Severity::Sev1),
            ..State::default()
        };
        state.roles.insert(Role::Commander, "alice".into());
        state.timeline = (1..=7)
            .map(|n| entry(n, "bob", &format!("step {n}\nsecond line")))
            .collect();
        let text = summary(&state, Markup::Slack);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "*INC-20260314-1* Checkout &lt;5xx&gt; &amp; co");
        assert_eq!(lines[1], "SEV1 · Investigating · not acknowledged yet");
        assert_eq!(lines[2], "Roles: Incident commander: alice");
        assert_eq!(lines[3], "Checklist: 0 open of 0");
        assert_eq!(lines[4], "Last entries:");
        assert_eq!(lines.len(), 5 + LAST_ENTRIES);
        assert!(
            lines[5].ends_with("bob (note): step 3 second line"),
            "{}",
            lines[5]
        );
        assert!(lines[9].ends_with("step 7 second line"), "{}", lines[9]);
        let md = summary(&state, Markup::Mattermost);
        assert!(
            md.starts_with("**INC-20260314-1** Checkout &lt;5xx&gt;"),
            "{md}"
        );
    }
}
