//! `warroom followup add|done|wont|reopen` (one incident's follow-ups) and `warroom
//! followups` (every incident's, filtered: open, one owner's, overdue; as text or
//! JSON). Reading across incidents uses each incident's state (its snapshot locally, a
//! `snapshot` frame over a hub), never its history.

use super::args::FollowupAction;
use super::backend::{Backend, CliError, parse_value, usage};
use super::output::{emit, json_pretty, write_all};
use crate::incident::Command;
use crate::incident::followup::{Followup, FollowupState, Origin, Priority};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::io::Write;

pub fn act(
    backend: &mut dyn Backend,
    out: &mut dyn Write,
    action: &FollowupAction,
) -> Result<(), CliError> {
    let (incident, command) = match action {
        FollowupAction::Add {
            incident,
            text,
            owner,
            due,
            priority,
            from_entry,
            from_item,
            ..
        } => {
            let due = NaiveDate::parse_from_str(due.trim(), "%Y-%m-%d")
                .map_err(|_| usage(format!("--due `{due}`: write the date as YYYY-MM-DD")))?;
            let priority: Priority = parse_value(priority)?;
            let from = match (from_entry, from_item) {
                (Some(seq), _) => Some(Origin::Entry(*seq)),
                (None, Some(item)) => Some(Origin::Item(item.clone())),
                (None, None) => None,
            };
            let command = Command::AddFollowup {
                text: text.clone(),
                owner: owner.clone(),
                due,
                priority,
                from,
            };
            (incident, command)
        }
        FollowupAction::Done {
            incident, number, ..
        } => (incident, state_command(*number, FollowupState::Done)),
        FollowupAction::Wont {
            incident, number, ..
        } => (incident, state_command(*number, FollowupState::WontDo)),
        FollowupAction::Reopen {
            incident, number, ..
        } => (incident, state_command(*number, FollowupState::Open)),
    };
    for event in backend.submit(incident, command)? {
        emit(out, &format!("#{} {}", event.seq, event.kind.name()))?;
    }
    Ok(())
}

fn state_command(number: u32, state: FollowupState) -> Command {
    Command::SetFollowupState { number, state }
}

/// Which follow-ups `warroom followups` lists.
pub struct Filter<'a> {
    pub open: bool,
    pub owner: Option<&'a str>,
    pub overdue: bool,
}

#[derive(Serialize)]
struct Listed<'a> {
    incident: &'a str,
    #[serde(flatten)]
    followup: &'a Followup,
    overdue: bool,
}

pub fn across(
    backend: &mut dyn Backend,
    out: &mut dyn Write,
    filter: &Filter<'_>,
    json: bool,
    now: DateTime<Utc>,
) -> Result<(), CliError> {
    let today = now.date_naive();
    let mut found: Vec<(String, Followup)> = Vec::new();
    for summary in backend.list()? {
        if summary.quarantined.is_some() {
            continue;
        }
        let state = backend.load_state(&summary.id)?;
        for followup in state.followups {
            let keep = (!filter.open || followup.state == FollowupState::Open)
                && filter.owner.is_none_or(|o| followup.owner == o)
                && (!filter.overdue || followup.overdue(today));
            if keep {
                found.push((summary.id.clone(), followup));
            }
        }
    }
    found.sort_by(|(ia, a), (ib, b)| {
        (a.due, a.priority, ia, a.number).cmp(&(b.due, b.priority, ib, b.number))
    });
    if json {
        let listed: Vec<Listed<'_>> = found
            .iter()
            .map(|(incident, followup)| Listed {
                incident,
                followup,
                overdue: followup.overdue(today),
            })
            .collect();
        return write_all(out, &(json_pretty(&listed)? + "\n"));
    }
    if found.is_empty() {
        return emit(out, "no follow-ups match");
    }
    for (incident, f) in &found {
        let late = if f.overdue(today) { "  OVERDUE" } else { "" };
        emit(
            out,
            &format!(
                "{incident} #{:<3} {} {}  {:<9} {:<12} {}{late}",
                f.number,
                f.due,
                f.priority,
                f.state.label(),
                f.owner,
                f.text
            ),
        )?;
    }
    Ok(())
}
