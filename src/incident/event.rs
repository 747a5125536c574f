//! Events: what happened, stamped by the single writer with `seq`, UTC time and actor.
//! State changes only by applying events, in order; the log of events is the timeline
//! and the audit trail.

use super::blast::{BlastAxis, CellState};
use super::role::Role;
use super::runbook::Phase;
use super::severity::Severity;
use super::state::{EntryKind, Status};
use super::template::Audience;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// The client-made id of the command that caused this event, for idempotency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// A note typed this close to its commit time carries no separate typed time.
pub const TYPED_AT_SLACK_SECONDS: i64 = 5;

/// `ItemsAdded.source` for a playbook's steps: `playbook:<id>`.
pub const PLAYBOOK_SOURCE: &str = "playbook:";
/// `ItemsAdded.source` for a catalog checklist: `checklist:<id>`.
pub const CHECKLIST_SOURCE: &str = "checklist:";
/// `ItemsAdded.source` for an item a responder typed.
pub const AD_HOC_SOURCE: &str = "adhoc";

/// A checklist item as copied into the log when it was added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemSpec {
    pub id: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Declared {
        id: String,
        title: String,
        severity: Severity,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
    },
    Acknowledged,
    TitleChanged {
        from: String,
        to: String,
    },
    SeverityChanged {
        from: Severity,
        to: Severity,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    StatusChanged {
        from: Status,
        to: Status,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    RoleAssigned {
        role: Role,
        person: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<String>,
    },
    RoleReleased {
        role: Role,
        person: String,
    },
    NoteAdded {
        kind: EntryKind,
        text: String,
        /// When it was typed, where that differs from the commit time by more than
        /// [`TYPED_AT_SLACK_SECONDS`] (a note queued offline).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        typed_at: Option<DateTime<Utc>>,
    },
    NoteCorrected {
        entry: u64,
        text: String,
    },
    /// Items added to the checklist under a group (a checklist, a playbook, or ad hoc).
    ItemsAdded {
        group: String,
        source: String,
        items: Vec<ItemSpec>,
    },
    ItemTicked {
        item: String,
    },
    ItemUnticked {
        item: String,
    },
    ItemAssigned {
        item: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<Role>,
    },
    CellSet {
        tenant: String,
        region: String,
        state: CellState,
        previous: CellState,
    },
    ServiceSet {
        service: String,
        state: CellState,
        previous: CellState,
    },
    BlastRenamed {
        axis: BlastAxis,
        from: String,
        to: String,
    },
    BlastRemoved {
        axis: BlastAxis,
        name: String,
    },
    PublicTitleSet {
        title: String,
    },
    FlagSet {
        flag: String,
        on: bool,
        aware_at: DateTime<Utc>,
    },
    ClockCompleted {
        clock: String,
        #[serde(default)]
        note: String,
    },
    FollowupAdded {
        number: u32,
        text: String,
        owner: String,
        due: chrono::NaiveDate,
        priority: super::followup::Priority,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<super::followup::Origin>,
    },
    FollowupStateSet {
        number: u32,
        state: super::followup::FollowupState,
    },
    /// A person asked the hub to send follow-up `number` to `tracker` (this event's seq
    /// names the request); the hub's runner acts on it once it is on disk.
    FollowupSendRequested {
        number: u32,
        tracker: String,
    },
    /// The hub's runner: the tracker created the issue at `url`.
    FollowupLinked {
        number: u32,
        tracker: String,
        url: String,
    },
    /// The hub's runner: sending failed (nothing created), or — `unknown` — nobody
    /// knows whether an issue was created. `detail` never holds a secret.
    FollowupSendFailed {
        number: u32,
        tracker: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<i64>,
        #[serde(default)]
        detail: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        unknown: bool,
    },
    PostmortemWritten {
        section: String,
        text: String,
    },
    /// (`time`, not `at`: an event's own `at` is when it was recorded.)
    TimeSet {
        which: super::times::TimeKind,
        time: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<DateTime<Utc>>,
    },
    DraftSaved {
        template: String,
        #[serde(default)]
        fields: std::collections::BTreeMap<String, String>,
        text: String,
    },
    ActionRequested {
        action: String,
        title: String,
        #[serde(default)]
        params: std::collections::BTreeMap<String, String>,
        /// Exactly what will be sent, secrets as `${NAME}`.
        preview: super::action::Request,
        roles: Vec<Role>,
        two_person: bool,
        #[serde(default)]
        dry_run: bool,
        /// The action definition's fingerprint when requested.
        fingerprint: String,
    },
    ActionApproved {
        run: u64,
    },
    ActionDenied {
        run: u64,
        #[serde(default)]
        reason: String,
    },
    ActionStarted {
        run: u64,
        attempt: u32,
    },
    ActionFinished {
        run: u64,
        outcome: super::state::RunOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<i64>,
        #[serde(default)]
        duration_ms: u64,
        #[serde(default)]
        excerpt: String,
    },
    DeliveryRecorded {
        published: u64,
        channel: String,
        ok: bool,
        #[serde(default)]
        detail: String,
    },
    DeliveryRetryRequested {
        published: u64,
        channel: String,
    },
    /// A `page_on_declare` channel paged for the incident (or, `resolve`, resolved that
    /// page once the incident was resolved), or failed to.
    PageSent {
        channel: String,
        #[serde(default)]
        resolve: bool,
        ok: bool,
        #[serde(default)]
        detail: String,
    },
    /// A channel told the incident's first acknowledgement on (PagerDuty: an
    /// `acknowledge` for its alert), or failed to.
    AcknowledgementDelivered {
        channel: String,
        ok: bool,
        #[serde(default)]
        detail: String,
    },
    AlertReceived {
        group_key: String,
        firing: bool,
        summary: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        suggested_playbook: Option<String>,
    },
    CommsPublished {
        template: String,
        title: String,
        audience: Audience,
        #[serde(default)]
        channels: Vec<String>,
        text: String,
    },
    // ---- The chat bridge's bookkeeping (`incident::chat`), by `system:runner` ----
    /// The incident's thread in a chat (`chat`: the bridge, `slack`) was started.
    ChatThreadStarted {
        chat: String,
        channel: String,
        ts: String,
    },
    /// Every mirrored event up to `through` is in the thread (no timeline line).
    ChatMirrored {
        chat: String,
        through: u64,
    },
    /// The bridge gave up posting for now (recorded once per distinct failure).
    ChatFailed {
        chat: String,
        error: String,
    },
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Declared { .. } => "declared",
            EventKind::Acknowledged => "acknowledged",
            EventKind::TitleChanged { .. } => "title_changed",
            EventKind::SeverityChanged { .. } => "severity_changed",
            EventKind::StatusChanged { .. } => "status_changed",
            EventKind::RoleAssigned { .. } => "role_assigned",
            EventKind::RoleReleased { .. } => "role_released",
            EventKind::NoteAdded { .. } => "note_added",
            EventKind::NoteCorrected { .. } => "note_corrected",
            EventKind::ItemsAdded { .. } => "items_added",
            EventKind::ItemTicked { .. } => "item_ticked",
            EventKind::ItemUnticked { .. } => "item_unticked",
            EventKind::ItemAssigned { .. } => "item_assigned",
            EventKind::CellSet { .. } => "cell_set",
            EventKind::ServiceSet { .. } => "service_set",
            EventKind::BlastRenamed { .. } => "blast_renamed",
            EventKind::BlastRemoved { .. } => "blast_removed",
            EventKind::PublicTitleSet { .. } => "public_title_set",
            EventKind::FlagSet { .. } => "flag_set",
            EventKind::ClockCompleted { .. } => "clock_completed",
            EventKind::TimeSet { .. } => "time_set",
            EventKind::PostmortemWritten { .. } => "postmortem_written",
            EventKind::FollowupAdded { .. } => "followup_added",
            EventKind::FollowupStateSet { .. } => "followup_state_set",
            EventKind::FollowupSendRequested { .. } => "followup_send_requested",
            EventKind::FollowupLinked { .. } => "followup_linked",
            EventKind::FollowupSendFailed { .. } => "followup_send_failed",
            EventKind::DraftSaved { .. } => "draft_saved",
            EventKind::CommsPublished { .. } => "comms_published",
            EventKind::AlertReceived { .. } => "alert_received",
            EventKind::ActionRequested { .. } => "action_requested",
            EventKind::ActionApproved { .. } => "action_approved",
            EventKind::ActionDenied { .. } => "action_denied",
            EventKind::ActionStarted { .. } => "action_started",
            EventKind::ActionFinished { .. } => "action_finished",
            EventKind::DeliveryRecorded { .. } => "delivery_recorded",
            EventKind::DeliveryRetryRequested { .. } => "delivery_retry_requested",
            EventKind::AcknowledgementDelivered { .. } => "acknowledgement_delivered",
            EventKind::PageSent { .. } => "page_sent",
            EventKind::ChatThreadStarted { .. } => "chat_thread_started",
            EventKind::ChatMirrored { .. } => "chat_mirrored",
            EventKind::ChatFailed { .. } => "chat_failed",
        }
    }
}
