//! The chat bridge, outbound: each incident mirrored into its own Slack thread. An
//! incident actor (or the registry, for a declare) hands the runner a [`MirrorJob`]
//! after each commit that holds mirrored events ([`mirror_job`]; which ones:
//! `incident::chat::mirrored`), and one
//! when it opens an incident whose thread is behind its log ([`catch_up`]). The
//! runner passes them to the [`Bridge`] (`bridge`), which posts them in order, one
//! incident at a time, through the hub-wide rate limit (`message` words them, `slack`
//! talks to the Web API).
//!
//! The log is the bridge's memory: the thread's `ts` (`chat_thread_started`) and how
//! far it has got (`chat_mirrored`, a quiet marker) are events written as
//! `system:runner`, so a restarted hub continues the same thread from where it stopped
//! and posts nothing twice — except the one message a crash may catch between Slack's
//! answer and the marker's fsync.

mod bridge;
mod message;
mod slack;

pub use bridge::Bridge;

use crate::engine::Incident;
use crate::incident::chat::mirrored_text;
use crate::incident::{Event, Severity, Status};
use chrono::{DateTime, Utc};

/// The one bridge this hub has; the name its events carry.
pub const SLACK: &str = "slack";
/// A catch-up reads at most this many events behind the head: an incident whose
/// thread fell further behind (a bridge broken for weeks) mirrors only its newest.
const CATCH_UP_EVENTS: u64 = 10_000;

/// One mirrored event, as the thread will show it (text verbatim from the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub text: String,
}

/// The incident's headline, for the thread's first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headline {
    pub title: String,
    pub severity: Option<Severity>,
    pub status: Status,
}

/// Entries to mirror for one incident, with what its log says of the thread.
#[derive(Debug, Clone)]
pub struct MirrorJob {
    pub incident: String,
    pub headline: Headline,
    /// The thread's channel and `ts`, if the log has one.
    pub thread: Option<(String, String)>,
    /// The log's marker: every mirrored event up to here is in the thread.
    pub through: u64,
    pub entries: Vec<MirrorEntry>,
}

fn job(incident: &Incident, entries: Vec<MirrorEntry>) -> MirrorJob {
    let state = incident.state();
    let bridge = state.chat.get(SLACK);
    MirrorJob {
        incident: state.id.clone(),
        headline: Headline {
            title: state.title.clone(),
            severity: state.severity,
            status: state.status,
        },
        thread: bridge
            .and_then(|b| b.thread.as_ref())
            .map(|t| (t.channel.clone(), t.ts.clone())),
        through: bridge.map_or(0, |b| b.mirrored_through),
        entries,
    }
}

fn entries<'a>(
    incident: &Incident,
    events: impl IntoIterator<Item = &'a Event>,
) -> Vec<MirrorEntry> {
    let state = incident.state();
    events
        .into_iter()
        .filter_map(|event| {
            // Worded with the state after the batch: a line only looks up what never
            // changes once written (a run's title).
            let text = mirrored_text(state, event)?;
            Some(MirrorEntry {
                seq: event.seq,
                at: event.at,
                actor: event.actor.clone(),
                text,
            })
        })
        .collect()
}

/// The job for `events` just committed to `incident`, if any of them is mirrored.
pub fn mirror_job<'a>(
    incident: &Incident,
    events: impl IntoIterator<Item = &'a Event>,
) -> Option<MirrorJob> {
    let entries = entries(incident, events);
    (!entries.is_empty()).then(|| job(incident, entries))
}

/// For an incident being opened: the mirrored events after the log's marker, when the
/// bridge has touched this incident before (a thread, or a recorded failure). Events a
/// previous hub committed but never posted go out now, before anything new.
pub fn catch_up(incident: &Incident) -> Option<MirrorJob> {
    let state = incident.state();
    let through = state.chat.get(SLACK)?.mirrored_through;
    if through >= state.seq {
        return None;
    }
    let from = (through + 1).max(state.seq.saturating_sub(CATCH_UP_EVENTS - 1));
    let events = match incident.read_events(from, state.seq) {
        Ok(events) => events,
        Err(error) => {
            tracing::error!(incident = %state.id, %error, "cannot read the events the chat thread is missing");
            return None;
        }
    };
    mirror_job(incident, &events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{DataDir, Submission};
    use crate::incident::decide_effects::RUNNER;
    use crate::incident::{Actor, Role};
    use serde_json::json;

    fn by(name: &str, command: serde_json::Value) -> Submission {
        let roles = if name == RUNNER {
            [Role::Responder]
        } else {
            [Role::Commander]
        };
        Submission {
            actor: Actor::new(name, roles),
            command: serde_json::from_value(command).unwrap(),
            command_id: None,
        }
    }

    fn texts(job: &MirrorJob) -> Vec<&str> {
        job.entries.iter().map(|e| e.text.as_str()).collect()
    }

    #[test]
    fn a_catch_up_brings_exactly_what_the_thread_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let runbooks = crate::catalog::embedded().unwrap();
        let declare = json!({"type": "declare", "title": "T", "severity": "SEV3"});
        let mut incident = DataDir::new(dir.path())
            .declare(by("alice", declare), Utc::now(), &runbooks)
            .unwrap();
        assert!(catch_up(&incident).is_none(), "never mirrored: no catch-up");
        let execute = |incident: &mut Incident, submissions: Vec<Submission>| {
            incident
                .execute(&submissions, Utc::now(), &runbooks)
                .unwrap();
        };
        let thread =
            json!({"type": "record_chat_thread", "chat": "slack", "channel": "C1", "ts": "1.1"});
        execute(&mut incident, vec![by(RUNNER, thread)]);
        let decided = json!({"type": "add_note", "kind": "decision", "text": "Roll back"});
        let noted = json!({"type": "add_note", "kind": "note", "text": "not mirrored"});
        execute(
            &mut incident,
            vec![by("alice", decided), by("alice", noted)],
        );
        let job = catch_up(&incident).expect("behind the log");
        assert_eq!(job.thread, Some(("C1".into(), "1.1".into())));
        let declared = job.entries.first().map(|e| e.seq);
        assert_eq!(declared, Some(1), "from the start: nothing was marked");
        assert!(texts(&job).contains(&"Roll back"));
        assert!(!texts(&job).contains(&"not mirrored"));

        let last = job.entries.last().unwrap().seq;
        let marker = json!({"type": "record_chat_mirrored", "chat": "slack", "through": last});
        execute(&mut incident, vec![by(RUNNER, marker)]);
        assert!(catch_up(&incident).is_none(), "up to date");
        let status = json!({"type": "set_status", "status": "identified"});
        execute(&mut incident, vec![by("alice", status)]);
        let job = catch_up(&incident).expect("one new entry");
        assert_eq!(texts(&job), ["Status Investigating → Identified"]);
        assert_eq!(job.through, last);
    }
}
