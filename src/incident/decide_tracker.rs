//! Follow-ups sent to an issue tracker: `decide` for asking the hub to send one
//! (`send_followup`: whoever may add follow-ups; refused while a send is in flight and
//! once it is linked; a failed or unknown send may be asked for again) and for the
//! runner's outcome (`record_followup_send`, the hub's runner only), how those events
//! change a follow-up, and the timeline line each writes.

use super::authority::require;
use super::command::{Actor, Command};
use super::event::{Event, EventKind};
use super::followup::{Followup, ISSUE_URL_MAX_CHARS, SendOutcome, TrackerLink};
use super::limits::NOTE_MAX_CHARS;
use super::rejection::Rejection;
use super::role::Permission;
use super::runbook::Runbooks;
use super::state::State;

/// `None` when `command` is not one of these; otherwise the decision.
pub fn decide(
    state: &State,
    actor: &Actor,
    command: &Command,
    runbooks: &Runbooks,
) -> Option<Result<Vec<EventKind>, Rejection>> {
    Some(match command {
        Command::SendFollowup { number, tracker } => {
            send(state, actor, *number, tracker.as_deref(), runbooks)
        }
        Command::RecordFollowupSend {
            number,
            requested,
            outcome,
            url,
            status,
            detail,
        } => record(
            state,
            actor,
            *number,
            *requested,
            *outcome,
            url.as_deref(),
            *status,
            detail,
        ),
        _ => return None,
    })
}

fn followup(state: &State, number: u32) -> Result<&Followup, Rejection> {
    state
        .followups
        .iter()
        .find(|f| f.number == number)
        .ok_or_else(|| Rejection::not_found(format!("no follow-up #{number}")))
}

/// Which of the hub's trackers `asked` names (the only one when `None`).
fn pick_tracker(runbooks: &Runbooks, asked: Option<&str>) -> Result<String, Rejection> {
    let known = &runbooks.trackers;
    if known.is_empty() {
        return Err(Rejection::not_found(
            "this hub has no issue tracker configured: its operator adds a [[tracker]] to the hub configuration (README: Follow-ups to your issue tracker)",
        ));
    }
    match asked {
        Some(name) if known.iter().any(|k| k == name) => Ok(name.to_string()),
        Some(name) => Err(Rejection::not_found(format!(
            "unknown tracker `{name}`: this hub has {}",
            known.join(", ")
        ))),
        None => match known.as_slice() {
            [only] => Ok(only.clone()),
            _ => Err(Rejection::invalid(format!(
                "this hub has several trackers ({}): name one",
                known.join(", ")
            ))),
        },
    }
}

fn send(
    state: &State,
    actor: &Actor,
    number: u32,
    asked: Option<&str>,
    runbooks: &Runbooks,
) -> Result<Vec<EventKind>, Rejection> {
    require(state, actor, Permission::Write)?;
    let found = followup(state, number)?;
    let tracker = pick_tracker(runbooks, asked)?;
    match &found.issue {
        Some(TrackerLink::Linked { url, .. }) => Err(Rejection::unchanged(format!(
            "follow-up #{number} is already linked to {url}"
        ))),
        Some(TrackerLink::Sending { tracker, .. }) => Err(Rejection::unchanged(format!(
            "follow-up #{number} is being sent to {tracker}: wait for the outcome"
        ))),
        Some(TrackerLink::Failed { .. } | TrackerLink::Unknown { .. }) | None => {
            Ok(vec![EventKind::FollowupSendRequested { number, tracker }])
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    state: &State,
    actor: &Actor,
    number: u32,
    requested: u64,
    outcome: SendOutcome,
    url: Option<&str>,
    status: Option<i64>,
    detail: &str,
) -> Result<Vec<EventKind>, Rejection> {
    super::authority::runner_only(actor, "only the hub's runner records outcomes")?;
    let found = followup(state, number)?;
    let tracker = match &found.issue {
        Some(TrackerLink::Sending {
            tracker,
            requested: asked,
        }) if *asked == requested => tracker.clone(),
        _ => {
            return Err(Rejection::unchanged(format!(
                "follow-up #{number} has no send #{requested} in flight"
            )));
        }
    };
    let detail: String = detail.chars().take(NOTE_MAX_CHARS).collect();
    Ok(vec![match outcome {
        SendOutcome::Linked => {
            let url = url.map(str::trim).unwrap_or_default();
            let one_line = !url.is_empty() && !url.chars().any(char::is_control);
            if !one_line || url.chars().count() > ISSUE_URL_MAX_CHARS {
                return Err(Rejection::invalid(format!(
                    "an issue URL must be one line of at most {ISSUE_URL_MAX_CHARS} characters"
                )));
            }
            EventKind::FollowupLinked {
                number,
                tracker,
                url: url.to_string(),
            }
        }
        SendOutcome::Failed | SendOutcome::Unknown => EventKind::FollowupSendFailed {
            number,
            tracker,
            status,
            detail,
            unknown: outcome == SendOutcome::Unknown,
        },
    }])
}

/// Applies one of this module's events to the follow-ups (others are ignored).
pub(super) fn apply(followups: &mut [Followup], event: &Event) {
    let (number, link) = match &event.kind {
        EventKind::FollowupSendRequested { number, tracker } => (
            number,
            TrackerLink::Sending {
                tracker: tracker.clone(),
                requested: event.seq,
            },
        ),
        EventKind::FollowupLinked {
            number,
            tracker,
            url,
        } => (
            number,
            TrackerLink::Linked {
                tracker: tracker.clone(),
                url: url.clone(),
            },
        ),
        EventKind::FollowupSendFailed {
            number,
            tracker,
            detail,
            unknown,
            ..
        } => {
            let (tracker, detail) = (tracker.clone(), detail.clone());
            let link = match unknown {
                true => TrackerLink::Unknown { tracker, detail },
                false => TrackerLink::Failed { tracker, detail },
            };
            (number, link)
        }
        _ => return,
    };
    if let Some(found) = followups.iter_mut().find(|f| f.number == *number) {
        found.issue = Some(link);
    }
}

/// The timeline line of one of this module's events (`None` for others).
pub(super) fn line(event: &EventKind) -> Option<String> {
    Some(match event {
        EventKind::FollowupSendRequested { number, tracker } => {
            format!("Follow-up #{number}: sending to {tracker}")
        }
        EventKind::FollowupLinked {
            number,
            tracker,
            url,
        } => format!("Follow-up #{number} linked to its issue in {tracker}: {url}"),
        EventKind::FollowupSendFailed {
            number,
            tracker,
            status,
            detail,
            unknown,
        } => {
            let code = status.map_or(String::new(), |s| format!(" (status {s})"));
            let word = if *unknown {
                "OUTCOME UNKNOWN — check the tracker for the issue before sending it again"
            } else {
                "FAILED — the follow-up stays open; send it again to retry"
            };
            let tail = match detail.is_empty() {
                true => String::new(),
                false => format!(": {detail}"),
            };
            format!("Follow-up #{number}: sending to {tracker} {word}{code}{tail}")
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::decide_effects::RUNNER;
    use crate::incident::rejection::RejectCode;
    use crate::incident::role::Role;
    use chrono::{NaiveDate, Utc};

    fn with_followup() -> State {
        let mut state = State::default();
        state.followups.push(Followup {
            number: 1,
            text: "Add a canary".into(),
            owner: "bob".into(),
            due: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
            priority: Default::default(),
            state: Default::default(),
            from: None,
            by: "alice".into(),
            at: Utc::now(),
            issue: None,
        });
        state
    }

    fn send(
        state: &State,
        trackers: &[&str],
        tracker: Option<&str>,
    ) -> Result<Vec<EventKind>, Rejection> {
        let runbooks = Runbooks {
            trackers: trackers.iter().map(|t| t.to_string()).collect(),
            ..Runbooks::default()
        };
        let command = Command::SendFollowup {
            number: 1,
            tracker: tracker.map(str::to_string),
        };
        let alice = Actor::new("alice", [Role::Commander]);
        decide(state, &alice, &command, &runbooks)
            .unwrap_or_else(|| Err(Rejection::invalid("not ours")))
    }

    #[test]
    fn the_tracker_is_named_or_the_only_one() {
        let state = with_followup();
        let requested = |tracker: &str| {
            Ok(vec![EventKind::FollowupSendRequested {
                number: 1,
                tracker: tracker.into(),
            }])
        };
        assert_eq!(send(&state, &["github"], None), requested("github"));
        assert_eq!(
            send(&state, &["github", "jira"], Some("jira")),
            requested("jira")
        );
        let several = send(&state, &["github", "jira"], None).unwrap_err();
        assert_eq!(
            several.message,
            "this hub has several trackers (github, jira): name one"
        );
        let none = send(&state, &[], None).unwrap_err();
        assert!(
            none.message
                .starts_with("this hub has no issue tracker configured")
        );
        assert_eq!(
            send(&State::default(), &["github"], None).unwrap_err().code,
            RejectCode::NotFound
        );
    }

    #[test]
    fn only_the_runner_records_and_only_the_send_in_flight() {
        let mut state = with_followup();
        let record = |requested: u64| Command::RecordFollowupSend {
            number: 1,
            requested,
            outcome: SendOutcome::Linked,
            url: Some("https://t.example/1".into()),
            status: Some(201),
            detail: String::new(),
        };
        let runbooks = Runbooks::default();
        let alice = Actor::new("alice", [Role::Commander]);
        let runner = Actor::new(RUNNER, [Role::Responder]);
        state.followups[0].issue = Some(TrackerLink::Sending {
            tracker: "github".into(),
            requested: 7,
        });
        let forged = decide(&state, &alice, &record(7), &runbooks).unwrap_or(Ok(Vec::new()));
        assert_eq!(forged.unwrap_err().code, RejectCode::Forbidden);
        let stale = decide(&state, &runner, &record(6), &runbooks).unwrap_or(Ok(Vec::new()));
        assert_eq!(stale.unwrap_err().code, RejectCode::Unchanged);
        let linked = decide(&state, &runner, &record(7), &runbooks).unwrap_or(Ok(Vec::new()));
        assert_eq!(
            linked,
            Ok(vec![EventKind::FollowupLinked {
                number: 1,
                tracker: "github".into(),
                url: "https://t.example/1".into()
            }])
        );
    }
}
