//! Deciding the timeline's commands: notes people write (and their corrections, by the
//! author, the scribe or the commander) and alerts recorded by the hub's intake.

use super::authority::{record_roles, require};
use super::command::{Actor, Command};
use super::event::{EventKind, TYPED_AT_SLACK_SECONDS};
use super::limits::{NOTE_MAX_CHARS, check_text};
use super::rejection::{RejectCode, Rejection};
use super::role::{Permission, Role};
use super::state::State;
use chrono::{DateTime, Utc};

/// `None` when `command` is not one of these.
pub(super) fn decide(
    state: &State,
    actor: &Actor,
    command: &Command,
    now: DateTime<Utc>,
) -> Option<Result<Vec<EventKind>, Rejection>> {
    if !matches!(
        command,
        Command::AddNote { .. } | Command::CorrectNote { .. } | Command::RecordAlert { .. }
    ) {
        return None;
    }
    Some(decide_handled(state, actor, command, now))
}

fn decide_handled(
    state: &State,
    actor: &Actor,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Vec<EventKind>, Rejection> {
    let one = |kind: EventKind| Ok(vec![kind]);
    match command {
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
        _ => Err(Rejection::invalid("not a command this module decides")),
    }
}
