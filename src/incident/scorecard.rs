//! An incident's scorecard: the few facts that judge its response (when it was
//! detected, acknowledged and mitigated, which regulatory flags are on, which clocks
//! were met, and when its open follow-ups are due), small enough to travel in its
//! summary. The lobby and `warroom report` judge incidents from these with the same
//! functions the incident itself uses ([`Metrics::of`], [`clocks::compute`]), so a
//! headline figure never disagrees with the incident's own header.

use super::Severity;
use super::clocks::{self, ClockState};
use super::followup::FollowupState;
use super::runbook::Runbooks;
use super::state::{State, Status};
use super::times::{MarkedTime, Metrics, TimeKind};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What judges one incident's response, taken from its state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scorecard {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_at: Option<DateTime<Utc>>,
    /// Marked by people, else the first time it reached Monitoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigated_at: Option<DateTime<Utc>>,
    /// Regulatory flags that are on, with the moment of awareness.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flags: BTreeMap<String, DateTime<Utc>>,
    /// Clocks marked done (regulatory notices, the post-mortem).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub clocks_met: BTreeSet<String>,
    /// The due dates of the follow-ups still open.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub followups_open: Vec<NaiveDate>,
}

/// What an incident's scorecard says at a moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Judged {
    /// Seconds from detection (or the declaration) to the first human acknowledgement,
    /// to mitigation, and to the resolve: `None` until each happened.
    pub acknowledge: Option<i64>,
    pub mitigate: Option<i64>,
    pub resolve: Option<i64>,
    pub response_missed: bool,
    pub regulatory_missed: usize,
    pub postmortem_overdue: bool,
    pub followups_open: usize,
    pub followups_overdue: usize,
}

impl Scorecard {
    pub fn of(state: &State) -> Scorecard {
        let time = |k: TimeKind| state.times.get(&k).map(|t| t.at);
        Scorecard {
            acknowledged_at: state.acknowledged_at,
            detected_at: time(TimeKind::Detected),
            mitigated_at: time(TimeKind::Mitigated).or(state.mitigated_at),
            flags: state.flags.clone(),
            clocks_met: state.completed_clocks.keys().cloned().collect(),
            followups_open: state
                .followups
                .iter()
                .filter(|f| f.state == FollowupState::Open)
                .map(|f| f.due)
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self == &Scorecard::default()
    }

    /// Judges the incident (its `headline`: severity, status, declared and resolved
    /// times from its summary) at `now`.
    pub fn judge(&self, headline: &Headline, runbooks: &Runbooks, now: DateTime<Utc>) -> Judged {
        let state = self.as_state(headline);
        let metrics = Metrics::of(&state, runbooks, now);
        let seconds = |d: Option<chrono::Duration>| d.map(|d| d.num_seconds());
        let overdue: Vec<_> = clocks::compute(&state, runbooks, now)
            .into_iter()
            .filter(|c| c.state == ClockState::Overdue)
            .collect();
        let today = now.date_naive();
        Judged {
            acknowledge: seconds(metrics.time_to_acknowledge),
            mitigate: seconds(metrics.time_to_mitigate),
            resolve: seconds(metrics.time_to_resolve),
            response_missed: metrics.response_deadline_met == Some(false),
            regulatory_missed: overdue.iter().filter(|c| c.regulatory).count(),
            postmortem_overdue: overdue.iter().any(|c| c.id == "postmortem"),
            followups_open: self.followups_open.len(),
            followups_overdue: self.followups_open.iter().filter(|d| **d < today).count(),
        }
    }

    /// A state holding exactly what `Metrics::of` and `clocks::compute` read for the
    /// figures judged here (not the update cadence, which needs every update).
    fn as_state(&self, headline: &Headline) -> State {
        let marked = |at: DateTime<Utc>| MarkedTime {
            at,
            by: String::new(),
        };
        let mut times = BTreeMap::new();
        if let Some(at) = self.detected_at {
            times.insert(TimeKind::Detected, marked(at));
        }
        if let Some(at) = self.mitigated_at {
            times.insert(TimeKind::Mitigated, marked(at));
        }
        let met = |id: &String| {
            (
                id.clone(),
                (DateTime::<Utc>::MIN_UTC, String::new(), String::new()),
            )
        };
        State {
            severity: headline.severity,
            status: headline.status,
            declared_at: headline.declared_at,
            resolved_at: headline.resolved_at,
            acknowledged_at: self.acknowledged_at,
            mitigated_at: self.mitigated_at,
            times,
            flags: self.flags.clone(),
            completed_clocks: self.clocks_met.iter().map(met).collect(),
            ..State::default()
        }
    }
}

/// The summary's facts a scorecard is judged with.
#[derive(Debug, Clone, Copy)]
pub struct Headline {
    pub severity: Option<Severity>,
    pub status: Status,
    pub declared_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The nearest-rank percentile `p` (0-100) of `values`, sorted here.
pub fn percentile(values: &mut [i64], p: usize) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    // Nearest rank: the smallest value with at least p% of the values at or below it.
    let rank = (p * values.len()).div_ceil(100).max(1);
    values.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use crate::incident::{Actor, Command, Role, decide};
    use chrono::{Duration, TimeZone};

    #[test]
    fn the_scorecard_judges_as_the_incident_does() {
        let runbooks = catalog::embedded().unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let alice = Actor::new("alice", [Role::Commander]);
        let bot = Actor::new("system:alertmanager", [Role::Ops]);
        let mut state = State::default();
        let mut run = |who: &Actor, command: Command, at: DateTime<Utc>| {
            let events = decide(&state, who, &command, at, &runbooks, None).unwrap();
            for e in &events {
                state.apply(e);
            }
        };
        let declare = Command::Declare {
            id: "INC-S".into(),
            title: "Checkout 502s".into(),
            severity: Severity::Sev1,
            playbook: None,
            summary: None,
        };
        run(&bot, declare, t0);
        let m = |minutes: i64| t0 + Duration::minutes(minutes);
        run(&alice, Command::Acknowledge, m(20));
        run(
            &alice,
            Command::SetTime {
                which: TimeKind::Mitigated,
                time: m(50),
            },
            m(55),
        );
        run(
            &alice,
            Command::SetStatus {
                status: Status::Resolved,
                reason: Some("held".into()),
            },
            m(90),
        );
        let now = m(60 * 24 * 14);
        let card = Scorecard::of(&state);
        let headline = Headline {
            severity: state.severity,
            status: state.status,
            declared_at: state.declared_at,
            resolved_at: state.resolved_at,
        };
        let judged = card.judge(&headline, &runbooks, now);
        let metrics = Metrics::of(&state, &runbooks, now);
        assert_eq!(judged.acknowledge, Some(20 * 60));
        assert_eq!(judged.mitigate, Some(50 * 60));
        assert_eq!(judged.resolve, Some(90 * 60));
        assert_eq!(
            judged.response_missed,
            metrics.response_deadline_met == Some(false)
        );
        assert!(judged.response_missed, "SEV1 asks for 15 minutes");
        let overdue = clocks::compute(&state, &runbooks, now)
            .iter()
            .any(|c| c.id == "postmortem" && c.state == ClockState::Overdue);
        assert!(
            overdue && judged.postmortem_overdue,
            "five business days passed"
        );
        // Round trip through the summary's JSON.
        let back: Scorecard = serde_json::from_str(&serde_json::to_string(&card).unwrap()).unwrap();
        assert_eq!(back, card);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let mut v = vec![50, 10, 40, 20, 30];
        assert_eq!(percentile(&mut v, 50), Some(30));
        assert_eq!(percentile(&mut v, 90), Some(50));
        assert_eq!(percentile(&mut [], 50), None);
    }
}
