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
