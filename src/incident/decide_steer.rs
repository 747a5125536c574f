//! Deciding the commands that steer the incident (the header's business): acknowledge,
//! title and public title, severity, status, and who holds which seat.

use super::authority::require;
use super::command::{Actor, Command};
use super::event::EventKind;
use super::limits::{TITLE_MAX_CHARS, check_name, check_reason, check_text};
use super::rejection::Rejection;
use super::role::{Permission, Role};
use super::state::State;

/// `None` when `command` is not one of these.
pub(super) fn decide(
    state: &State,
    actor: &Actor,
    command: &Command,
) -> Option<Result<Vec<EventKind>, Rejection>> {
    if !matches!(
        command,
        Command::Acknowledge
            | Command::SetTitle { .. }
            | Command::SetPublicTitle { .. }
            | Command::SetSeverity { .. }
            | Command::SetStatus { .. }
            | Command::AssignRole { .. }
            | Command::ReleaseRole { .. }
    ) {
        return None;
    }
    Some(decide_handled(state, actor, command))
}

fn decide_handled(
    state: &State,
    actor: &Actor,
    command: &Command,
) -> Result<Vec<EventKind>, Rejection> {
    let one = |kind: EventKind| Ok(vec![kind]);
    match command {
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
        _ => Err(Rejection::invalid("not a command this module decides")),
    }
}
