//! `decide`: turns a command into events, or rejects it with a reason a person can act
//! on. Pure: the time and the runbooks are passed in; the permission check lives here,
//! so a forged client gains nothing.

use super::command::{Actor, Command};
use super::decide_checklist::{playbook_items, unknown_playbook};
use super::event::{CHECKLIST_SOURCE, Event, EventKind, ItemSpec, TYPED_AT_SLACK_SECONDS};
use super::limits::{
    COMMS_MAX_CHARS, NOTE_MAX_CHARS, TITLE_MAX_CHARS, check_incident_id, check_name, check_reason,
    check_text,
};
use super::role::{Permission, Role, allowed_roles, permits};
use super::runbook::Runbooks;
use super::state::{EntryKind, State, Status};
use super::template::Audience;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

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

/// The roles that decide who may touch production — request, approve or deny a
/// containment action: the roles the actor's credentials grant, and nothing else.
/// Seats never count here: whoever may declare becomes the commander, and the commander
/// hands out seats, so counting seats would let any responder grant themselves any
/// action.
pub fn production_roles(actor: &Actor) -> &BTreeSet<Role> {
    &actor.roles
}

/// True when `roles` hold nothing but observer (or nothing at all): such an actor may
/// do nothing, and a seat gives them nothing either.
pub fn is_observer_only(roles: &BTreeSet<Role>) -> bool {
    roles.iter().all(|r| *r == Role::Observer)
}

/// The roles that govern the incident record — severity, status, comms, checklist,
/// notes: the granted roles plus the seats held in this incident. An observer's seats
/// count for nothing (the hub also refuses to seat an observer), so an observer stays
/// read-only whatever the log says.
pub fn record_roles(state: &State, actor: &Actor) -> BTreeSet<Role> {
    let mut roles = actor.roles.clone();
    if !is_observer_only(&actor.roles) {
        roles.extend(state.seats_of(&actor.name));
    }
    roles
}

/// Checks `permission` against the actor's [`record_roles`] (every permission in the
/// table governs the record; production is checked by `decide_effects`).
pub(super) fn require(
    state: &State,
    actor: &Actor,
    permission: Permission,
) -> Result<(), Rejection> {
    if permits(&record_roles(state, actor), permission) {
        return Ok(());
    }
    let allowed: Vec<&str> = allowed_roles(permission).iter().map(|r| r.id()).collect();
    Err(Rejection::new(
        RejectCode::Forbidden,
        format!(
            "{} may not {}: that needs one of {}",
            actor.name,
            permission.describe(),
            allowed.join(", ")
        ),
    ))
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
    let one = |kind: EventKind| Ok(vec![kind]);
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
        Command::Acknowledge => {
            require(state, actor, Permission::Write)?;
            match state.acknowledged_at {
                Some(at) => Err(Rejection::unchanged(format!(
                    "already acknowledged at {}",
                    at.format("%H:%M UTC")
                ))),
                None => one(EventKind::Acknowledged),
            }
        }
        Command::SetTitle { title } => {
            require(state, actor, Permission::Steer)?;
            check_text("the title", title, TITLE_MAX_CHARS)?;
            let title = title.trim().to_string();
            if title == state.title {
                return Err(Rejection::unchanged("the title is already that"));
            }
            one(EventKind::TitleChanged {
                from: state.title.clone(),
                to: title,
            })
        }
        Command::SetPublicTitle { title } => {
            require(state, actor, Permission::PublishComms)?;
            check_text("the public title", title, TITLE_MAX_CHARS)?;
            let title = title.trim().to_string();
            if state.public_title.as_deref() == Some(title.as_str()) {
                return Err(Rejection::unchanged("the public title is already that"));
            }
            one(EventKind::PublicTitleSet { title })
        }
        Command::SetSeverity { severity, reason } => {
            require(state, actor, Permission::Steer)?;
            check_reason(reason)?;
            let from = state.severity.unwrap_or(*severity);
            if from == *severity {
                return Err(Rejection::unchanged(format!(
                    "severity is already {severity}"
                )));
            }
            one(EventKind::SeverityChanged {
                from,
                to: *severity,
                reason: reason.clone(),
            })
        }
        Command::SetStatus { status, reason } => {
            require(state, actor, Permission::Steer)?;
            check_reason(reason)?;
            if *status == state.status {
                return Err(Rejection::unchanged(format!("status is already {status}")));
            }
            one(EventKind::StatusChanged {
                from: state.status,
                to: *status,
                reason: reason.clone(),
            })
        }
        Command::AssignRole { role, person } => {
            let taking_vacant_command = *role == Role::Commander
                && state.holder(Role::Commander).is_none()
                && *person == actor.name;
            if taking_vacant_command {
                require(state, actor, Permission::TakeCommand)?;
            } else {
                require(state, actor, Permission::AssignRoles)?;
            }
            if !role.is_seat() {
                return Err(Rejection::invalid(format!(
                    "{role} is not a seat: responders and observers are everyone else"
                )));
            }
            check_name("the person", person)?;
            let person = person.trim().to_string();
            let previous = state.holder(*role).map(str::to_string);
            if previous.as_deref() == Some(person.as_str()) {
                return Err(Rejection::unchanged(format!(
                    "{person} is already {}",
                    role.title().to_lowercase()
                )));
            }
            one(EventKind::RoleAssigned {
                role: *role,
                person,
                previous,
            })
        }
        Command::ReleaseRole { role } => {
            let holder = state.holder(*role).ok_or_else(|| {
                Rejection::unchanged(format!("nobody is {}", role.title().to_lowercase()))
            })?;
            if holder != actor.name {
                require(state, actor, Permission::AssignRoles)?;
            }
            one(EventKind::RoleReleased {
                role: *role,
                person: holder.to_string(),
            })
        }
        Command::AddNote {
            kind,
            text,
            typed_at,
        } => {
            require(state, actor, Permission::Write)?;
            if !kind.is_written_by_people() {
                return Err(Rejection::invalid(format!(
                    "a {kind} entry is written by warroom itself: use note, decision or action"
                )));
            }
            check_text("the note", text, NOTE_MAX_CHARS)?;
            // Kept only when it says something: typed well before the commit (queued
            // while the link was down). A clock ahead of the hub's is not believed.
            let typed_at =
                typed_at.filter(|t| *t <= now && (now - *t).num_seconds() > TYPED_AT_SLACK_SECONDS);
            one(EventKind::NoteAdded {
                kind: *kind,
                text: text.trim_end().to_string(),
                typed_at,
            })
        }
        Command::CorrectNote { entry, text } => {
            require(state, actor, Permission::Write)?;
            check_text("the correction", text, NOTE_MAX_CHARS)?;
            let target = state.entry(*entry).ok_or_else(|| {
                if state.first_kept_seq().is_some_and(|first| *entry < first)
                    && state.timeline_dropped > 0
                {
                    // Entries older than the kept window are on disk only: correcting
                    // them would need their author and kind in memory for all history.
                    Rejection::invalid(format!(
                        "entry #{entry} is older than the newest {} timeline entries, the ones that can be corrected; add a note instead",
                        super::state::TIMELINE_KEPT
                    ))
                } else {
                    Rejection::not_found(format!("no timeline entry #{entry}"))
                }
            })?;
            if !target.kind.is_written_by_people() {
                return Err(Rejection::invalid(format!(
                    "entry #{entry} was written by warroom; add a note instead"
                )));
            }
            let roles = record_roles(state, actor);
            let may = target.author == actor.name
                || roles.contains(&Role::Commander)
                || roles.contains(&Role::Scribe);
            if !may {
                return Err(Rejection::new(
                    RejectCode::Forbidden,
                    format!(
                        "only {} (the author), the scribe or the commander may correct entry #{entry}",
                        target.author
                    ),
                ));
            }
            one(EventKind::NoteCorrected {
                entry: *entry,
                text: text.trim_end().to_string(),
            })
        }
        Command::SaveDraft {
            template,
            fields,
            text,
        } => {
            require(state, actor, Permission::DraftComms)?;
            runbooks
                .template(template)
                .ok_or_else(|| unknown_template(template))?;
            if text.chars().count() > COMMS_MAX_CHARS {
                return Err(Rejection::too_large(format!(
                    "the draft is over {COMMS_MAX_CHARS} characters"
                )));
            }
            one(EventKind::DraftSaved {
                template: template.clone(),
                fields: fields.clone(),
                text: text.clone(),
            })
        }
        Command::RecordAlert {
            group_key,
            firing,
            summary,
            suggested_playbook,
        } => {
            require(state, actor, Permission::Write)?;
            check_text("the alert summary", summary, NOTE_MAX_CHARS)?;
            check_text("the alert group key", group_key, NOTE_MAX_CHARS)?;
            one(EventKind::AlertReceived {
                group_key: group_key.clone(),
                firing: *firing,
                summary: summary.clone(),
                suggested_playbook: suggested_playbook.clone(),
            })
        }
        Command::Publish {
            template,
            text,
            channels,
        } => {
            require(state, actor, Permission::PublishComms)?;
            let found = runbooks
                .template(template)
                .ok_or_else(|| unknown_template(template))?;
            check_text("the update", text, COMMS_MAX_CHARS)?;
            // Public text goes out under the public title; without one the receiver
            // would get the internal title, which may name customers.
            if found.audience == Audience::Public && state.public_title.is_none() {
                return Err(Rejection::invalid(
                    "give the incident a public title first: public updates never carry the internal title (console: asked at publish; CLI: `warroom publish … --public-title TEXT`)",
                ));
            }
            if let Some(field) = unfilled_field(text) {
                return Err(Rejection::invalid(format!(
                    "fill in ⟨{field}⟩ before publishing"
                )));
            }
            // Only channels this hub has: a template's defaults are kept where they
            // exist; a channel asked for by name must exist. With none configured the
            // text is recorded for people to paste by hand.
            if let Some(unknown) = channels.iter().find(|c| !runbooks.channels.contains(c)) {
                let known = if runbooks.channels.is_empty() {
                    "none are configured".to_string()
                } else {
                    runbooks.channels.join(", ")
                };
                return Err(Rejection::not_found(format!(
                    "no delivery channel `{unknown}` on this hub ({known})"
                )));
            }
            let channels: Vec<String> = if channels.is_empty() {
                found
                    .channels
                    .iter()
                    .filter(|c| runbooks.channels.contains(c))
                    .cloned()
                    .collect()
            } else {
                channels.clone()
            };
            let text = super::render::stamp_publish_times(text, state, runbooks, now);
            one(EventKind::CommsPublished {
                template: template.clone(),
                title: found.title.clone(),
                audience: found.audience,
                channels,
                text: text.trim_end().to_string(),
            })
        }
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

fn unknown_template(id: &str) -> Rejection {
    Rejection::not_found(format!(
        "unknown template `{id}`: `warroom templates` lists them"
    ))
}

/// The first `⟨name⟩` marker a render left for an unfilled field.
fn unfilled_field(text: &str) -> Option<&str> {
    let start = text.find('⟨')? + '⟨'.len_utf8();
    let len = text.get(start..)?.find('⟩')?;
    text.get(start..start + len)
}

/// Status changes a commander may make: any, except to the same status.
pub fn status_choices(current: Status) -> Vec<Status> {
    Status::ALL.into_iter().filter(|s| *s != current).collect()
}

/// Kinds a person may write.
pub fn writable_kinds() -> [EntryKind; 3] {
    [EntryKind::Note, EntryKind::Decision, EntryKind::Action]
}
