//! Follow-ups: the actions an incident leaves behind, each with one owner, a due date,
//! a priority and a state (open, done, won't do) — the post-mortem's remediations. Made
//! from a timeline entry, a checklist item or on their own, numbered per incident.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How urgent a follow-up is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub enum Priority {
    P1,
    #[default]
    P2,
    P3,
    P4,
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
            Priority::P4 => "P4",
        })
    }
}

impl FromStr for Priority {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_uppercase().as_str() {
            "P1" => Ok(Priority::P1),
            "P2" => Ok(Priority::P2),
            "P3" => Ok(Priority::P3),
            "P4" => Ok(Priority::P4),
            _ => Err(format!("`{text}` is not a priority: use P1, P2, P3 or P4")),
        }
    }
}

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowupState {
    #[default]
    Open,
    Done,
    WontDo,
}

impl FollowupState {
    pub fn label(self) -> &'static str {
        match self {
            FollowupState::Open => "open",
            FollowupState::Done => "done",
            FollowupState::WontDo => "won't do",
        }
    }
}

/// What a follow-up came from, if anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Origin {
    /// A timeline entry (its seq).
    Entry(u64),
    /// A checklist item (its id).
    Item(String),
}

/// One follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Followup {
    /// 1, 2, 3… within the incident.
    pub number: u32,
    pub text: String,
    pub owner: String,
    pub due: NaiveDate,
    pub priority: Priority,
    pub state: FollowupState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Origin>,
    pub by: String,
    pub at: DateTime<Utc>,
    /// Its issue in a tracker, or how sending it there went (`warroom followup send`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<TrackerLink>,
}

/// Where a follow-up stands with an issue tracker (a hub's `[[tracker]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum TrackerLink {
    /// Asked for by the event at seq `requested`; the hub's runner has not reported yet.
    Sending { tracker: String, requested: u64 },
    /// The issue the tracker created.
    Linked { tracker: String, url: String },
    /// The tracker refused, or could not be reached: nothing was created, so the
    /// follow-up may be sent again.
    Failed { tracker: String, detail: String },
    /// Nobody knows whether an issue was created (the hub stopped mid-send, no answer
    /// in time, an answer without the issue's URL): check the tracker before sending
    /// again.
    Unknown { tracker: String, detail: String },
}

impl TrackerLink {
    pub fn tracker(&self) -> &str {
        match self {
            TrackerLink::Sending { tracker, .. }
            | TrackerLink::Linked { tracker, .. }
            | TrackerLink::Failed { tracker, .. }
            | TrackerLink::Unknown { tracker, .. } => tracker,
        }
    }
}

/// How the hub's runner says sending a follow-up went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendOutcome {
    /// Created; the command carries the issue's URL.
    Linked,
    /// Nothing was created.
    Failed,
    /// Perhaps created: check the tracker.
    Unknown,
}

/// The longest issue URL recorded on a follow-up.
pub const ISSUE_URL_MAX_CHARS: usize = 2_000;

impl Followup {
    /// Open and past its due date at `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.state == FollowupState::Open && self.due < today
    }

    /// The URL of its issue in a tracker, once linked.
    pub fn issue_url(&self) -> Option<&str> {
        match &self.issue {
            Some(TrackerLink::Linked { url, .. }) => Some(url),
            _ => None,
        }
    }

    /// `- [ ] text — owner — due (P2)`, as the post-mortem lists remediations (then `—
    /// <issue URL>` once sent to a tracker), with what people typed and the URL passed
    /// through `typed` (made inert for the output's markup).
    pub fn as_remediation(&self, typed: impl Fn(&str) -> String) -> String {
        let mark = match self.state {
            FollowupState::Open => "[ ]",
            FollowupState::Done => "[x]",
            FollowupState::WontDo => "[~]",
        };
        let wont = if self.state == FollowupState::WontDo {
            " (won't do)"
        } else {
            ""
        };
        let issue = self
            .issue_url()
            .map_or(String::new(), |url| format!(" — {}", typed(url)));
        format!(
            "- {mark} {} — {} — {} ({}){wont}{issue}",
            typed(&self.text),
            typed(&self.owner),
            self.due,
            self.priority
        )
    }
}

/// A follow-up typed on one line, as the console's prompt takes it:
/// `OWNER DUE [P1-P4] TEXT`, DUE as `YYYY-MM-DD` or `+Nd` (days from `today`).
pub fn parse_line(
    line: &str,
    today: NaiveDate,
) -> Result<(String, NaiveDate, Priority, String), String> {
    const SHAPE: &str = "write OWNER DUE [P1-P4] TEXT, e.g. `bob +7d P1 add a canary`";
    let mut words = line.split_whitespace();
    let owner = words.next().ok_or(SHAPE)?.to_string();
    let due_text = words.next().ok_or(SHAPE)?;
    let due = match due_text.strip_prefix('+').and_then(|d| d.strip_suffix('d')) {
        Some(days) => {
            let days: u32 = days.parse().map_err(|_| format!("`{due_text}`: {SHAPE}"))?;
            today + chrono::Duration::days(i64::from(days))
        }
        None => NaiveDate::parse_from_str(due_text, "%Y-%m-%d")
            .map_err(|_| format!("`{due_text}` is not a date: YYYY-MM-DD or +Nd"))?,
    };
    let rest: Vec<&str> = words.collect();
    let (priority, text) = match rest.split_first() {
        Some((first, tail)) if first.parse::<Priority>().is_ok() => (
            first.parse::<Priority>().unwrap_or_default(),
            tail.join(" "),
        ),
        _ => (Priority::default(), rest.join(" ")),
    };
    if text.is_empty() {
        return Err(SHAPE.to_string());
    }
    Ok((owner, due, priority, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_followup_line_is_owner_due_priority_and_text() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(
            parse_line("bob +7d P1 add a canary", today),
            Ok((
                "bob".into(),
                NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
                Priority::P1,
                "add a canary".into()
            ))
        );
        assert_eq!(
            parse_line("carol 2026-12-15 lower the threshold", today).map(|f| (f.2, f.3)),
            Ok((Priority::P2, "lower the threshold".into()))
        );
        assert!(
            parse_line("bob tomorrow fix", today)
                .unwrap_err()
                .contains("not a date")
        );
        assert!(
            parse_line("bob +3d", today)
                .unwrap_err()
                .contains("OWNER DUE")
        );
    }
}
