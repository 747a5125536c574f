//! What is kept of an incident for listing it and for a hub's start-up without opening
//! its log: [`IncidentSummary`] (the listing, with its counts and scorecard) and
//! [`StoredSummary`] (that, plus [`LoadFacts`]: alert groups, the declare's command id,
//! whether work was left in flight), written beside the log after every commit.

use super::Incident;
use crate::incident::scorecard::Scorecard;
use crate::incident::{Role, Severity, Status};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// One line of `warroom list`, and the summary kept beside each log (written after every
/// commit, read by `list` instead of replaying). Fields added later have serde defaults,
/// so a summary from an older hub or an older file still reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct IncidentSummary {
    pub id: String,
    pub title: String,
    pub severity: Option<Severity>,
    pub status: Status,
    pub declared_at: Option<DateTime<Utc>>,
    pub commander: Option<String>,
    pub events: u64,
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Seated roles: who holds each.
    #[serde(default)]
    pub seats: BTreeMap<Role, String>,
    #[serde(default)]
    pub counts: SummaryCounts,
    /// Set when the incident's log cannot be served (it failed verification, or it is
    /// empty): why, in words. Such an incident is listed so an operator sees it, but it
    /// cannot be opened until its file is repaired or removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantined: Option<String>,
    /// What judges the response (the lobby's headline figures): absent in summaries
    /// written before it existed, which then count as nothing known.
    #[serde(default, skip_serializing_if = "Scorecard::is_empty")]
    pub scorecard: Scorecard,
}

/// The summary as it is kept beside each log: the listing, plus what the hub's start-up
/// needs to build the incident's resident entry without opening its log. The listing's
/// fields sit at the top level (flattened), so `list` reads the same file as an
/// [`IncidentSummary`]; `load` never goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StoredSummary {
    #[serde(flatten)]
    pub summary: IncidentSummary,
    /// Missing in summaries written before it existed: such a summary is not enough for
    /// the hub's start-up, which then opens the log (and writes the summary again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadFacts>,
}

/// What the hub's start-up keeps of an incident besides its listing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LoadFacts {
    /// The alert group keys that route alerts to this incident: none once it is
    /// resolved (a new alert for the group then declares a new incident).
    pub alert_groups: Vec<String>,
    /// The declare's command id and the seq of its last event, for answering a resent
    /// declare.
    pub declared_by: Option<(String, u64)>,
    /// True when a previous hub may have left work in flight that start-up must settle
    /// (what `hub::effects::recover` settles): an action run ready or running without
    /// an outcome, a delivery still pending, or a follow-up being sent to a tracker.
    pub unsettled: bool,
}

impl StoredSummary {
    /// The summary kept for an open incident.
    pub fn of(incident: &Incident) -> StoredSummary {
        StoredSummary {
            summary: IncidentSummary::of(incident),
            load: Some(LoadFacts::of(incident)),
        }
    }
}

impl LoadFacts {
    pub fn of(incident: &Incident) -> LoadFacts {
        let state = incident.state();
        let alert_groups = if state.status == Status::Resolved {
            Vec::new()
        } else {
            state.alert_groups.iter().cloned().collect()
        };
        let declared_by = state.declared_by_command.clone();
        LoadFacts {
            alert_groups,
            declared_by,
            unsettled: unsettled(state),
        }
    }
}

/// Whether `state` holds work a hub that stopped would have left unfinished: exactly
/// what `hub::effects::recover` settles on start-up.
fn unsettled(state: &crate::incident::State) -> bool {
    use crate::incident::state::RunStatus;
    let run_open = state
        .action_runs
        .iter()
        .any(|run| matches!(run.status, RunStatus::Ready | RunStatus::Running));
    let delivery_pending = state
        .published
        .iter()
        .any(|update| update.deliveries.values().any(|d| d.ok.is_none()));
    let tracker_send_open = state.followups.iter().any(|f| {
        matches!(
            f.issue,
            Some(crate::incident::followup::TrackerLink::Sending { .. })
        )
    });
    run_open || delivery_pending || tracker_send_open
}

/// How much an incident holds, for a listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SummaryCounts {
    /// Timeline entries.
    pub timeline: usize,
    pub checklist: usize,
    pub checklist_done: usize,
    /// Containment action runs requested.
    pub runs: usize,
    /// Updates published.
    pub published: usize,
    pub participants: usize,
}

impl IncidentSummary {
    /// The summary of an open incident.
    pub fn of(incident: &Incident) -> IncidentSummary {
        IncidentSummary::of_state(incident.state())
    }

    /// The summary of an incident as `state` has it (a replica's, in the console).
    pub fn of_state(state: &crate::incident::State) -> IncidentSummary {
        IncidentSummary {
            id: state.id.clone(),
            title: state.title.clone(),
            severity: state.severity,
            status: state.status,
            declared_at: state.declared_at,
            commander: state
                .holder(crate::incident::Role::Commander)
                .map(str::to_string),
            events: state.seq,
            resolved_at: state.resolved_at,
            seats: state.roles.clone(),
            counts: SummaryCounts {
                timeline: usize::try_from(state.timeline_len()).unwrap_or(usize::MAX),
                checklist: state.checklist.len(),
                checklist_done: state.checklist.iter().filter(|i| i.done.is_some()).count(),
                runs: state.action_runs.len(),
                published: state.published.len(),
                participants: state.participants.len(),
            },
            quarantined: None,
            scorecard: Scorecard::of(state),
        }
    }

    /// The entry for an incident whose log cannot be served, and why.
    pub fn quarantined(id: &str, reason: String) -> IncidentSummary {
        IncidentSummary {
            id: id.to_string(),
            quarantined: Some(reason),
            ..IncidentSummary::default()
        }
    }
}
