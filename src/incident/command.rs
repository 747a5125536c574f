//! Commands: what a person asks the incident to do. The hub (or the local engine)
//! passes each through `decide`, which turns it into events or rejects it.

use super::blast::{BlastAxis, CellState};
use super::role::Role;
use super::severity::Severity;
use super::state::{EntryKind, Status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who is asking: a name and the roles their credentials grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub name: String,
    pub roles: std::collections::BTreeSet<Role>,
}

impl Actor {
    pub fn new(name: impl Into<String>, roles: impl IntoIterator<Item = Role>) -> Actor {
        Actor {
            name: name.into(),
            roles: roles.into_iter().collect(),
        }
    }

    /// Automations (alert intake) act as `system:<source>`; they do not acknowledge.
    pub fn is_automation(&self) -> bool {
        self.name.starts_with("system:")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// Opens a new incident. `id` is chosen by whoever stores it (it must be unique there).
    Declare {
        /// Empty (or absent): the hub or data directory picks the next free id.
        #[serde(default)]
        id: String,
        title: String,
        severity: Severity,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        playbook: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
    },
    Acknowledge,
    SetTitle {
        title: String,
    },
    SetSeverity {
        severity: Severity,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    SetStatus {
        status: Status,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    AssignRole {
        role: Role,
        person: String,
    },
    ReleaseRole {
        role: Role,
    },
    AddNote {
        #[serde(default = "default_note_kind")]
        kind: EntryKind,
        text: String,
        /// When the person finished typing it, by their clock: a note queued while the
        /// link was down is committed later, and the timeline shows both times.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        typed_at: Option<DateTime<Utc>>,
    },
    /// Supersedes the text of timeline entry `entry` (its seq); the original stays in the log.
    CorrectNote {
        entry: u64,
        text: String,
    },
    AddItem {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<Role>,
    },
    ApplyPlaybook {
        playbook: String,
    },
    /// `item` is an item id, its 1-based number, or an unambiguous id suffix.
    Tick {
        item: String,
    },
    Untick {
        item: String,
    },
    AssignItem {
        item: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<Role>,
    },
    SetCell {
        tenant: String,
        region: String,
        state: CellState,
    },
    SetService {
        service: String,
        state: CellState,
    },
    /// Renames a tenant, region or service (a typo, a better name); history stays.
    RenameBlast {
        axis: BlastAxis,
        from: String,
        to: String,
    },
    /// Takes a tenant, region or service named by mistake off the blast radius.
    RemoveBlast {
        axis: BlastAxis,
        name: String,
    },
    /// The title public updates carry instead of the internal one (which may name
    /// customers). Asked for at the first public publish.
    SetPublicTitle {
        title: String,
    },
    /// Switches a regulatory flag (and so its clocks) on or off. `aware_at` back-dates
    /// the moment of awareness; it defaults to now.
    SetFlag {
        flag: String,
        on: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        aware_at: Option<DateTime<Utc>>,
    },
    /// Sets when the impact started, when it was detected, when it was mitigated or
    /// when the impact ended (UTC; not in the future, not before the impact started).
    SetTime {
        which: super::times::TimeKind,
        time: DateTime<Utc>,
    },
    /// Writes one section of the post-mortem (replacing what it said; empty text
    /// clears it). Sections: see [`postmortem::SECTIONS`](super::postmortem::SECTIONS).
    WritePostmortem {
        section: String,
        text: String,
    },
    /// Adds a follow-up with one owner and a due date (not in the past).
    AddFollowup {
        text: String,
        owner: String,
        due: chrono::NaiveDate,
        #[serde(default)]
        priority: super::followup::Priority,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<super::followup::Origin>,
    },
    /// Marks follow-up `number` open, done or won't do.
    SetFollowupState {
        number: u32,
        state: super::followup::FollowupState,
    },
    /// Sends follow-up `number` to one of the hub's issue trackers (`tracker` may be left
    /// out when the hub has exactly one). Refused while a send is in flight and once
    /// the follow-up is linked; a failed send may be sent again.
    SendFollowup {
        number: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tracker: Option<String>,
    },
    /// The hub's runner: how sending follow-up `number` (asked for at seq `requested`)
    /// went; `url` is the created issue's, for `linked`.
    RecordFollowupSend {
        number: u32,
        requested: u64,
        outcome: super::followup::SendOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<i64>,
        #[serde(default)]
        detail: String,
    },
    /// Marks a clock (e.g. a regulatory notification) as done.
    CompleteClock {
        clock: String,
        #[serde(default)]
        note: String,
    },
    SaveDraft {
        template: String,
        #[serde(default)]
        fields: BTreeMap<String, String>,
        text: String,
    },
    /// Asks the hub to run a containment action (or, with `dry_run`, to show exactly what
    /// it would send).
    RequestAction {
        action: String,
        #[serde(default)]
        params: BTreeMap<String, String>,
        #[serde(default)]
        dry_run: bool,
    },
    /// A second responder approves a two-person action run (`run` is its request's seq).
    ApproveAction {
        run: u64,
    },
    DenyAction {
        run: u64,
        #[serde(default)]
        reason: String,
    },
    /// The hub's runner: an attempt started.
    RecordActionStarted {
        run: u64,
        attempt: u32,
    },
    /// The hub's runner: how a run ended.
    RecordActionResult {
        run: u64,
        outcome: super::state::RunOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<i64>,
        #[serde(default)]
        duration_ms: u64,
        #[serde(default)]
        excerpt: String,
    },
    /// The hub's runner: a published update's delivery to one channel.
    RecordDelivery {
        published: u64,
        channel: String,
        ok: bool,
        #[serde(default)]
        detail: String,
    },
    /// Try a failed delivery again.
    RetryDelivery {
        published: u64,
        channel: String,
    },
    /// The hub's runner: a `page_on_declare` channel's page for an incident an
    /// automation declared (`resolve: false`), or its resolve once the incident was
    /// resolved (`resolve: true`).
    RecordPage {
        channel: String,
        #[serde(default)]
        resolve: bool,
        ok: bool,
        #[serde(default)]
        detail: String,
    },
    /// The hub's runner: the `acknowledge` a channel sent (PagerDuty's alert for the
    /// incident) when a person first acknowledged the incident.
    RecordAcknowledgement {
        channel: String,
        ok: bool,
        #[serde(default)]
        detail: String,
    },
    /// Records an alert notification (from alert intake) on the timeline.
    RecordAlert {
        group_key: String,
        firing: bool,
        summary: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        suggested_playbook: Option<String>,
    },
    /// Publishes `text` (already rendered and edited by a person) for `template`.
    Publish {
        template: String,
        text: String,
        #[serde(default)]
        channels: Vec<String>,
    },
    // ---- The hub's chat bridge (`incident::chat`); only `system:runner` ----
    /// The incident's thread was started (`ts`: the root message's id).
    RecordChatThread {
        chat: String,
        channel: String,
        ts: String,
    },
    /// Every mirrored event up to `through` has been posted into the thread.
    RecordChatMirrored {
        chat: String,
        through: u64,
    },
    /// The bridge gave up posting for now, and why.
    RecordChatFailure {
        chat: String,
        error: String,
    },
}

fn default_note_kind() -> EntryKind {
    EntryKind::Note
}

impl Command {
    /// A short name for metrics and rejections.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Declare { .. } => "declare",
            Command::Acknowledge => "acknowledge",
            Command::SetTitle { .. } => "set_title",
            Command::SetSeverity { .. } => "set_severity",
            Command::SetStatus { .. } => "set_status",
            Command::AssignRole { .. } => "assign_role",
            Command::ReleaseRole { .. } => "release_role",
            Command::AddNote { .. } => "add_note",
            Command::CorrectNote { .. } => "correct_note",
            Command::AddItem { .. } => "add_item",
            Command::ApplyPlaybook { .. } => "apply_playbook",
            Command::Tick { .. } => "tick",
            Command::Untick { .. } => "untick",
            Command::AssignItem { .. } => "assign_item",
            Command::SetCell { .. } => "set_cell",
            Command::SetService { .. } => "set_service",
            Command::RenameBlast { .. } => "rename_blast",
            Command::RemoveBlast { .. } => "remove_blast",
            Command::SetPublicTitle { .. } => "set_public_title",
            Command::SetFlag { .. } => "set_flag",
            Command::CompleteClock { .. } => "complete_clock",
            Command::SetTime { .. } => "set_time",
            Command::WritePostmortem { .. } => "write_postmortem",
            Command::AddFollowup { .. } => "add_followup",
            Command::SetFollowupState { .. } => "set_followup_state",
            Command::SendFollowup { .. } => "send_followup",
            Command::RecordFollowupSend { .. } => "record_followup_send",
            Command::SaveDraft { .. } => "save_draft",
            Command::Publish { .. } => "publish",
            Command::RecordAlert { .. } => "record_alert",
            Command::RequestAction { .. } => "request_action",
            Command::ApproveAction { .. } => "approve_action",
            Command::DenyAction { .. } => "deny_action",
            Command::RecordActionStarted { .. } => "record_action_started",
            Command::RecordActionResult { .. } => "record_action_result",
            Command::RecordDelivery { .. } => "record_delivery",
            Command::RetryDelivery { .. } => "retry_delivery",
            Command::RecordAcknowledgement { .. } => "record_acknowledgement",
            Command::RecordPage { .. } => "record_page",
            Command::RecordChatThread { .. } => "record_chat_thread",
            Command::RecordChatMirrored { .. } => "record_chat_mirrored",
            Command::RecordChatFailure { .. } => "record_chat_failure",
        }
    }
}
