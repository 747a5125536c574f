//! `warroom followup add|done|wont|reopen|send` (one incident's follow-ups; `send`
//! asks the hub to create an issue in a tracker and waits for its URL) and `warroom
//! followups` (every incident's, filtered: open, one owner's, overdue; as text or
//! JSON, with each linked issue's URL). Reading across incidents uses each incident's state (its snapshot locally, a
//! `snapshot` frame over a hub), never its history.

use super::args::FollowupAction;
use super::backend::{Backend, CliError, parse_value, usage};
use super::output::{emit, json_pretty, write_all};
use crate::incident::Command;
use crate::incident::followup::{Followup, FollowupState, Origin, Priority, TrackerLink};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::io::Write;
use std::time::{Duration, Instant};

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
        FollowupAction::Send {
            incident,
            number,
            tracker,
            ..
        } => {
            let command = Command::SendFollowup {
                number: *number,
                tracker: tracker.clone(),
            };
            let events = backend.submit(incident, command)?;
            for event in &events {
                emit(out, &format!("#{} {}", event.seq, event.kind.name()))?;
            }
            return wait_for_issue(backend, out, incident, *number);
        }
    };
    for event in backend.submit(incident, command)? {
        emit(out, &format!("#{} {}", event.seq, event.kind.name()))?;
    }
    Ok(())
}

/// How long `followup send` waits for the tracker's answer (each tracker answers or
/// gives up within its own `timeout_seconds`, at most 120 s).
const SEND_WAIT: Duration = Duration::from_secs(150);

/// Waits until the hub's runner has said how sending follow-up `number` went, and
/// prints it: the issue's URL, or why not (then fails).
fn wait_for_issue(
    backend: &mut dyn Backend,
    out: &mut dyn Write,
    incident: &str,
    number: u32,
) -> Result<(), CliError> {
    let started = Instant::now();
    loop {
        let state = backend.load_state(incident)?;
        let issue = state
            .followups
            .iter()
            .find(|f| f.number == number)
            .and_then(|f| f.issue.clone());
        match issue {
            Some(TrackerLink::Linked { tracker, url }) => {
                return emit(
                    out,
                    &format!("follow-up #{number} linked ({tracker}): {url}"),
                );
            }
            Some(TrackerLink::Failed { tracker, detail }) => {
                return Err(CliError::Failed(format!(
                    "sending follow-up #{number} to {tracker} failed: {detail}. It stays open: `warroom followup send {incident} {number}` tries again"
                )));
            }
            Some(TrackerLink::Unknown { tracker, detail }) => {
                return Err(CliError::Failed(format!(
                    "sending follow-up #{number} to {tracker}: outcome unknown: {detail}"
                )));
            }
            Some(TrackerLink::Sending { .. }) | None => {}
        }
        if started.elapsed() > SEND_WAIT {
            return emit(
                out,
                &format!(
                    "still sending after {} s: `warroom followups` shows the issue once it is linked",
                    SEND_WAIT.as_secs()
                ),
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
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
    /// The linked issue's URL, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    issue_url: Option<&'a str>,
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
                issue_url: followup.issue_url(),
            })
            .collect();
        return write_all(out, &(json_pretty(&listed)? + "\n"));
    }
    if found.is_empty() {
        return emit(out, "no follow-ups match");
    }
    for (incident, f) in &found {
        let late = if f.overdue(today) { "  OVERDUE" } else { "" };
        let issue = match &f.issue {
            Some(TrackerLink::Linked { url, .. }) => format!("  {url}"),
            Some(TrackerLink::Sending { tracker, .. }) => format!("  (sending to {tracker})"),
            Some(TrackerLink::Failed { tracker, .. }) => format!("  ({tracker}: send FAILED)"),
            Some(TrackerLink::Unknown { tracker, .. }) => {
                format!("  ({tracker}: outcome unknown, check it)")
            }
            None => String::new(),
        };
        emit(
            out,
            &format!(
                "{incident} #{:<3} {} {}  {:<9} {:<12} {}{late}{issue}",
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
