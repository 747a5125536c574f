//! `decide`: turns a command into events, or rejects it with a reason a person can act
//! on. Pure: the time and the runbooks are passed in; the permission check lives here,
//! so a forged client gains nothing.

use super::command::{Actor, Command};
use super::decide_checklist::{playbook_items, unknown_playbook};
use super::event::{CHECKLIST_SOURCE, Event, EventKind, ItemSpec};
use super::limits::{NOTE_MAX_CHARS, TITLE_MAX_CHARS, check_incident_id, check_text};
use super::role::{Permission, Role};
use super::runbook::Runbooks;
use super::state::{EntryKind, State, Status};
use chrono::{DateTime, Utc};

use super::authority::require;
pub use super::authority::{is_observer_only, production_roles, record_roles};
pub use super::decide_checklist::resolve_item;
pub use super::rejection::{RejectCode, Rejection};

/// Decides `command` and stamps the resulting events with the next seqs, `now`, the
/// actor and `command_id`.
pub fn decide(
    state: &State,
    actor: &Actor,
    command: &Command,
    now: DateTime<Utc>,
    runbooks: &Runbooks,
    command_id: Option<&str>,
) -> Result<Vec<Event>, Rejection> {
    let kinds = decide_kinds(state, actor, command, now, runbooks)?;
    Ok(kinds
        .into_iter()
        .zip(state.seq + 1..)
        .map(|(kind, seq)| Event {
            seq,
            at: now,
            actor: actor.name.clone(),
            command_id: command_id.map(str::to_string),
            kind,
        })
        .collect())
}

fn decide_kinds(
    state: &State,
    actor: &Actor,
    command: &Command,
    now: DateTime<Utc>,
    runbooks: &Runbooks,
) -> Result<Vec<EventKind>, Rejection> {
    if let Command::Declare {
        id,
        title,
        severity,
        playbook,
        summary,
    } = command
    {
        require(state, actor, Permission::Declare)?;
        if state.exists() {
            return Err(Rejection::new(
                RejectCode::AlreadyExists,
                format!("incident {} already exists", state.id),
            ));
        }
        check_incident_id(id)?;
        check_text("the title", title, TITLE_MAX_CHARS)?;
        if let Some(summary) = summary {
            check_text("the summary", summary, NOTE_MAX_CHARS)?;
        }
        let playbook = match playbook {
            Some(wanted) => Some(
                runbooks
                    .playbook(wanted)
                    .ok_or_else(|| unknown_playbook(wanted))?,
            ),
            None => None,
        };
        let mut events = vec![EventKind::Declared {
            id: id.clone(),
            title: title.trim().to_string(),
            severity: *severity,
            summary: summary.clone(),
        }];
        if !actor.is_automation() {
            events.push(EventKind::Acknowledged);
            events.push(EventKind::RoleAssigned {
                role: Role::Commander,
                person: actor.name.clone(),
                previous: None,
            });
        }
        if let Some(checklist) = runbooks.checklist_on_declare() {
            events.push(EventKind::ItemsAdded {
                group: checklist.title.clone(),
                source: format!("{CHECKLIST_SOURCE}{}", checklist.id),
                items: checklist
                    .item
                    .iter()
                    .map(|entry| ItemSpec {
                        id: format!("{}.{}", checklist.id, entry.id),
                        text: entry.text.clone(),
                        role: entry.role,
                        within_minutes: entry.within_minutes,
                        phase: None,
                    })
                    .collect(),
            });
        }
        if let Some(playbook) = playbook {
            events.push(playbook_items(playbook));
        }
        return Ok(events);
    }

    if !state.exists() {
        return Err(Rejection::new(
            RejectCode::NoIncident,
            "there is no such incident: declare it first",
        ));
    }
    let mut events = decide_on_existing(state, actor, command, now, runbooks)?;
    let acknowledges = !actor.is_automation()
        && state.acknowledged_at.is_none()
        && !matches!(command, Command::Acknowledge);
    if acknowledges {
        // The first human touch acknowledges: time-to-acknowledge is measured from it.
        events.insert(0, EventKind::Acknowledged);
    }
    Ok(events)
}

fn decide_on_existing(
    state: &State,
    actor: &Actor,
    command: &Command,
    now: DateTime<Utc>,
    runbooks: &Runbooks,
) -> Result<Vec<EventKind>, Rejection> {
    if let Some(result) = super::decide_effects::decide(state, actor, command, runbooks) {
        return result;
    }
    if let Some(result) = super::chat::decide(state, actor, command) {
        return result;
    }
    if let Some(result) = super::decide_checklist::decide(state, actor, command, now, runbooks) {
        return result;
    }
    if let Some(result) = super::decide_tracker::decide(state, actor, command, runbooks) {
        return result;
    }
    if let Some(result) = super::decide_steer::decide(state, actor, command) {
        return result;
    }
    if let Some(result) = super::decide_timeline::decide(state, actor, command, now) {
        return result;
    }
    if let Some(result) = super::decide_comms::decide(state, actor, command, now, runbooks) {
        return result;
    }
    match command {
        Command::Declare { .. } => unreachable_declare(),
        // Handled by `decide_effects` above; listed so a new command is a compile error.
        Command::RequestAction { .. }
        | Command::ApproveAction { .. }
        | Command::DenyAction { .. }
        | Command::RecordActionStarted { .. }
        | Command::RecordActionResult { .. }
        | Command::RecordDelivery { .. }
        | Command::RecordAcknowledgement { .. }
        | Command::RecordPage { .. }
        | Command::RetryDelivery { .. } => Err(Rejection::invalid("handled elsewhere")),
        // Handled by `chat` above; listed so a new command is a compile error.
        Command::RecordChatThread { .. }
        | Command::RecordChatMirrored { .. }
        | Command::RecordChatFailure { .. } => Err(Rejection::invalid("handled elsewhere")),
        // Handled by `decide_checklist` above; listed so a new command is a compile error.
        Command::AddItem { .. }
        | Command::ApplyPlaybook { .. }
        | Command::Tick { .. }
        | Command::Untick { .. }
        | Command::AssignItem { .. }
        | Command::SetCell { .. }
        | Command::SetService { .. }
        | Command::RenameBlast { .. }
        | Command::RemoveBlast { .. }
        | Command::SetFlag { .. }
        | Command::SetTime { .. }
        | Command::WritePostmortem { .. }
        | Command::AddFollowup { .. }
        | Command::SetFollowupState { .. }
        | Command::CompleteClock { .. } => Err(Rejection::invalid("handled elsewhere")),
        // Handled by `decide_tracker` above; listed so a new command is a compile error.
        Command::SendFollowup { .. } | Command::RecordFollowupSend { .. } => {
            Err(Rejection::invalid("handled elsewhere"))
        }
        // Handled by `decide_steer`, `decide_timeline` and `decide_comms` above; listed
        // so a new command is a compile error.
        Command::Acknowledge
        | Command::SetTitle { .. }
        | Command::SetPublicTitle { .. }
        | Command::SetSeverity { .. }
        | Command::SetStatus { .. }
        | Command::AssignRole { .. }
        | Command::ReleaseRole { .. }
        | Command::AddNote { .. }
        | Command::CorrectNote { .. }
        | Command::SaveDraft { .. }
        | Command::RecordAlert { .. }
        | Command::Publish { .. } => Err(Rejection::invalid("handled elsewhere")),
    }
}

/// Declare is handled before the incident exists; reaching here would be a logic slip,
/// so say so instead of panicking.
fn unreachable_declare() -> Result<Vec<EventKind>, Rejection> {
    Err(Rejection::new(
        RejectCode::AlreadyExists,
        "this incident already exists",
    ))
}

/// Status changes a commander may make: any, except to the same status.
pub fn status_choices(current: Status) -> Vec<Status> {
    Status::ALL.into_iter().filter(|s| *s != current).collect()
}

/// Kinds a person may write.
pub fn writable_kinds() -> [EntryKind; 3] {
    [EntryKind::Note, EntryKind::Decision, EntryKind::Action]
}
