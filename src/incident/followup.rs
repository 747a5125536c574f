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
}

impl Followup {
    /// Open and past its due date at `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.state == FollowupState::Open && self.due < today
    }

    /// `- [ ] text — owner — due (P2)`, as the post-mortem lists remediations, with what
    /// people typed passed through `typed` (made inert for the output's markup).
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
        format!(
            "- {mark} {} — {} — {} ({}){wont}",
            typed(&self.text),
            typed(&self.owner),
            self.due,
            self.priority
        )
    }
}
