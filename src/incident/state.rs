//! The incident's state: everything a responder sees, rebuilt by applying events in
//! order (`apply.rs`). Nothing here reads a clock or does I/O.

use super::blast::BlastRadius;
use super::role::Role;
use super::runbook::Phase;
use super::severity::Severity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;

/// Where the incident is in its lifecycle.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Investigating,
        Status::Identified,
        Status::Monitoring,
        Status::Resolved,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Status::Investigating => "Investigating",
            Status::Identified => "Identified",
            Status::Monitoring => "Monitoring",
            Status::Resolved => "Resolved",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a status: use investigating, identified, monitoring or resolved")]
pub struct BadStatus(pub String);

impl FromStr for Status {
    type Err = BadStatus;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase();
        Status::ALL
            .into_iter()
            .find(|s| s.title().to_ascii_lowercase() == wanted)
            .ok_or_else(|| BadStatus(text.to_string()))
    }
}

/// What kind of timeline entry this is. People write notes, decisions and actions;
/// comms and system entries are written by the incident itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Note,
    Decision,
    Action,
    Comms,
    System,
}

impl EntryKind {
    pub const ALL: [EntryKind; 5] = [
        EntryKind::Note,
        EntryKind::Decision,
        EntryKind::Action,
        EntryKind::Comms,
        EntryKind::System,
    ];

    pub fn id(self) -> &'static str {
        match self {
            EntryKind::Note => "note",
            EntryKind::Decision => "decision",
            EntryKind::Action => "action",
            EntryKind::Comms => "comms",
            EntryKind::System => "system",
        }
    }

    pub fn is_written_by_people(self) -> bool {
        matches!(
            self,
            EntryKind::Note | EntryKind::Decision | EntryKind::Action
        )
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an entry kind: use note, decision or action")]
pub struct BadEntryKind(pub String);

impl FromStr for EntryKind {
    type Err = BadEntryKind;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase();
        EntryKind::ALL
            .into_iter()
            .find(|k| k.id() == wanted)
            .ok_or_else(|| BadEntryKind(text.to_string()))
    }
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// The seq of the event that wrote it (its stable id).
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub author: String,
    pub kind: EntryKind,
    pub text: String,
    /// When the author typed it, if well before it was committed (queued offline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typed_at: Option<DateTime<Utc>>,
    /// The latest correction, which supersedes `text` when shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<Correction>,
    /// Corrections superseded by a later one, oldest first (for the detail view).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<Correction>,
    /// A change to the incident itself (declared, title, severity, status, a seat),
    /// which views show as prominently as people's entries. Derived from the event
    /// kind, so not exported.
    #[serde(skip)]
    pub milestone: bool,
}

impl TimelineEntry {
    /// The text to show: the latest correction if any.
    pub fn current_text(&self) -> &str {
        self.correction.as_ref().map_or(&self.text, |c| &c.text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub author: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub id: String,
    pub text: String,
    /// The group title: a checklist's or a playbook's title, or "Ad hoc".
    pub group: String,
    pub phase: Option<Phase>,
    pub role: Option<Role>,
    /// Due this long after declaring.
    pub within_minutes: Option<u32>,
    pub done: Option<Tick>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tick {
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub template: String,
    pub fields: BTreeMap<String, String>,
    pub text: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub seq: u64,
    pub template: String,
    pub title: String,
    pub audience: super::template::Audience,
    pub channels: Vec<String>,
    pub text: String,
    pub by: String,
    pub at: DateTime<Utc>,
    /// The incident's headline when it was published: what its deliveries say.
    pub headline: Headline,
    /// Per channel: pending, delivered or failed.
    pub deliveries: BTreeMap<String, Delivery>,
}

/// What an incident is called and where it stands at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headline {
    pub title: String,
    pub public_title: Option<String>,
    pub severity: Option<Severity>,
    pub status: Status,
}

/// How an action run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    Succeeded,
    Failed,
    /// The hub cannot know whether the target acted (a timeout of a non-idempotent
    /// action, or the hub stopped while it was in flight): a person must check.
    Unknown,
}

/// Where an action run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    DryRun,
    AwaitingApproval,
    /// Approved (or needing no approval): the hub will start it.
    Ready,
    Running,
    Denied,
    Finished(RunOutcome),
}

impl RunStatus {
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::DryRun => "dry run",
            RunStatus::AwaitingApproval => "awaiting approval",
            RunStatus::Ready => "starting",
            RunStatus::Running => "running",
            RunStatus::Denied => "denied",
            RunStatus::Finished(RunOutcome::Succeeded) => "succeeded",
            RunStatus::Finished(RunOutcome::Failed) => "FAILED",
            RunStatus::Finished(RunOutcome::Unknown) => "OUTCOME UNKNOWN",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRun {
    /// The seq of the request: the run's id.
    pub run: u64,
    pub action: String,
    pub title: String,
    pub params: BTreeMap<String, String>,
    pub preview: super::action::Request,
    pub roles: Vec<Role>,
    pub two_person: bool,
    pub fingerprint: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    /// The severity when it was requested: what its preview was rendered with.
    pub severity: Option<Severity>,
    pub status: RunStatus,
    pub decided_by: Option<String>,
    pub attempts: u32,
    pub result_status: Option<i64>,
    pub duration_ms: u64,
    pub excerpt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// `None` while pending (published, not yet delivered).
    pub ok: Option<bool>,
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// The whole incident as of `seq`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub id: String,
    pub title: String,
    /// What public updates call the incident (never the internal title, which may
    /// name customers); set at the first public publish.
    pub public_title: Option<String>,
    pub summary: Option<String>,
    pub severity: Option<Severity>,
    pub status: Status,
    pub declared_by: String,
    pub declared_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// First time the incident reached Monitoring (or Resolved without Monitoring).
    pub mitigated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the incident last entered Monitoring and stayed there (for the unfreeze clock).
    pub stable_since: Option<DateTime<Utc>>,
    /// Seated roles: who holds each.
    pub roles: BTreeMap<Role, String>,
    /// The newest timeline entries, in seq order: at least [`TIMELINE_KEPT`] of them
    /// (all, in an incident that has written fewer), at most twice that. Older ones are
    /// read from the log when someone scrolls to them: an incident's memory does not
    /// grow with its history.
    pub timeline: Vec<TimelineEntry>,
    /// How many timeline entries were written before `timeline`'s first one.
    #[serde(default)]
    pub timeline_dropped: u64,
    /// The corrections of entries no longer in `timeline`, by entry seq: (latest,
    /// earlier ones oldest first). Kept so a page read back from the log shows them.
    #[serde(skip)]
    pub dropped_corrections: BTreeMap<u64, (Correction, Vec<Correction>)>,
    pub checklist: Vec<ChecklistItem>,
    pub blast: BlastRadius,
    /// Regulatory flags that are on, with the moment of awareness.
    pub flags: BTreeMap<String, DateTime<Utc>>,
    /// The impact and response times people set, with who set each.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub times: BTreeMap<super::times::TimeKind, super::times::MarkedTime>,
    /// Follow-ups, in the order they were added (numbered from 1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub followups: Vec<super::followup::Followup>,
    /// The post-mortem's sections as written (section id → text, who, when).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub postmortem: BTreeMap<String, super::postmortem::Section>,
    /// Clocks marked done: id → (when, by whom, note).
    pub completed_clocks: BTreeMap<String, (DateTime<Utc>, String, String)>,
    pub playbooks: Vec<String>,
    /// Latest draft per template.
    pub drafts: BTreeMap<String, Draft>,
    pub published: Vec<Published>,
    /// Containment action runs, in request order.
    pub action_runs: Vec<ActionRun>,
    /// Alert groups (Alertmanager `groupKey`s) linked to this incident.
    pub alert_groups: BTreeSet<String>,
    /// Everyone who has done something in this incident.
    pub participants: BTreeSet<String>,
    /// Channels whose page for this incident is open (paged on declare, not resolved
    /// yet): the first acknowledgement and the resolve are told to them.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub paged: BTreeSet<String>,
    /// Chat bridges' threads and progress, by bridge (`slack`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub chat: BTreeMap<String, super::chat::ChatBridge>,
    /// The last applied event's seq (0 before the incident exists).
    pub seq: u64,
    /// Command ids already applied, with the seq of their last event (idempotency):
    /// those of the last [`COMMAND_IDS_KEPT`] events that carried one.
    #[serde(skip)]
    pub command_ids: HashMap<String, u64>,
    /// The events behind `command_ids`, oldest first: (seq, command id).
    #[serde(skip)]
    pub command_order: VecDeque<(u64, String)>,
    /// The declare's command id and the seq of its last event (a re-sent declare is
    /// answered with them, hub-wide).
    #[serde(skip)]
    pub declared_by_command: Option<(String, u64)>,
}

/// The fewest timeline entries [`State::timeline`] keeps in memory. A whole SEV1 fits
/// (tens to hundreds of entries); a year-long incident keeps its newest screenfuls, and
/// its snapshot stays small enough to open in milliseconds.
pub const TIMELINE_KEPT: usize = 1024;

/// How many command ids an incident remembers for idempotency (the ids of its last this
/// many events that carried one): a command re-sent after that many others is applied
/// again. Clients re-send within seconds or, from an offline queue, when they are back;
/// bounded so memory and snapshots never grow with history.
pub const COMMAND_IDS_KEPT: usize = 10_000;

impl State {
    pub fn exists(&self) -> bool {
        self.seq > 0
    }

    /// The roles `name` holds in this incident.
    pub fn seats_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = Role> + 'a {
        self.roles
            .iter()
            .filter(move |(_, who)| who.as_str() == name)
            .map(|(role, _)| *role)
    }

    pub fn holder(&self, role: Role) -> Option<&str> {
        self.roles.get(&role).map(String::as_str)
    }

    /// Timeline entry `seq`, if it is among those kept in memory.
    pub fn entry(&self, seq: u64) -> Option<&TimelineEntry> {
        // Timeline entries are appended in seq order, so binary search is valid.
        self.timeline
            .binary_search_by_key(&seq, |e| e.seq)
            .ok()
            .and_then(|i| self.timeline.get(i))
    }

    /// How many timeline entries the incident has written in all.
    pub fn timeline_len(&self) -> u64 {
        self.timeline_dropped + self.timeline.len() as u64
    }

    /// The seq of the oldest timeline entry kept in memory (`None` when there is none).
    pub fn first_kept_seq(&self) -> Option<u64> {
        self.timeline.first().map(|e| e.seq)
    }

    /// Puts the corrections of a dropped entry back onto it (read from the log).
    pub fn restore_corrections(&self, entry: &mut TimelineEntry) {
        if let Some((latest, earlier)) = self.dropped_corrections.get(&entry.seq) {
            entry.correction = Some(latest.clone());
            entry.earlier = earlier.clone();
        }
    }

    pub fn item_index(&self, id: &str) -> Option<usize> {
        self.checklist.iter().position(|item| item.id == id)
    }

    /// The time of the last public or internal update that reached someone: delivered
    /// on at least one channel, or published with no channel to deliver to.
    pub fn last_update_at(&self) -> Option<DateTime<Utc>> {
        self.published
            .iter()
            .rev()
            .filter(|p| {
                matches!(
                    p.audience,
                    super::template::Audience::Public | super::template::Audience::Internal
                )
            })
            .find(|p| p.channels.is_empty() || p.deliveries.values().any(|d| d.ok == Some(true)))
            .map(|p| p.at)
    }

    pub fn run(&self, run: u64) -> Option<&ActionRun> {
        self.action_runs.iter().find(|r| r.run == run)
    }

    pub fn published_at_seq(&self, seq: u64) -> Option<&Published> {
        self.published.iter().find(|p| p.seq == seq)
    }
}
