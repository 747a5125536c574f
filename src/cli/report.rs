//! `warroom report [--since 90d] [--json|--csv]`: what the incidents of a period say
//! together — how many by severity and status, the p50/p90 of time to acknowledge,
//! mitigate and resolve per severity, response deadlines and update cadences missed,
//! regulatory clocks missed, post-mortems overdue, and follow-ups open and overdue by
//! owner. Read from each incident's state (its snapshot), never its history.

use super::backend::{Backend, CliError};
use super::list_filter::ListFilter;
use super::output::{json_pretty, write_all};
use crate::incident::clocks::{self, ClockState};
use crate::incident::followup::FollowupState;
pub use crate::incident::scorecard::percentile;
use crate::incident::times::{Metrics, human};
use crate::incident::{Severity, State, Status};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One severity's figures.
#[derive(Debug, Default, Serialize)]
pub struct BySeverity {
    pub incidents: usize,
    pub open: usize,
    pub resolved: usize,
    /// Seconds, nearest-rank percentiles over the incidents that have the metric.
    pub acknowledge_p50: Option<i64>,
    pub acknowledge_p90: Option<i64>,
    pub mitigate_p50: Option<i64>,
    pub mitigate_p90: Option<i64>,
    pub resolve_p50: Option<i64>,
    pub resolve_p90: Option<i64>,
    pub response_deadlines_missed: usize,
    pub update_cadence_misses: u32,
}

/// Follow-ups of one owner.
#[derive(Debug, Default, Serialize)]
pub struct Owned {
    pub open: usize,
    pub overdue: usize,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub since: Option<DateTime<Utc>>,
    pub incidents: usize,
    pub by_severity: BTreeMap<String, BySeverity>,
    pub regulatory_clocks_missed: usize,
    pub postmortems_overdue: usize,
    pub followups_by_owner: BTreeMap<String, Owned>,
}

/// The report over `states` (already filtered to the period) as of `now`.
pub fn compute(
    states: &[State],
    runbooks: &crate::incident::Runbooks,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Report {
    let mut report = Report {
        since,
        incidents: states.len(),
        ..Report::default()
    };
    let mut samples: BTreeMap<String, [Vec<i64>; 3]> = BTreeMap::new();
    let today = now.date_naive();
    for state in states {
        let severity = state
            .severity
            .map_or("none".to_string(), |s: Severity| s.to_string());
        let metrics = Metrics::of(state, runbooks, now);
        let entry = report.by_severity.entry(severity.clone()).or_default();
        entry.incidents += 1;
        if state.status == Status::Resolved {
            entry.resolved += 1;
        } else {
            entry.open += 1;
        }
        if metrics.response_deadline_met == Some(false) {
            entry.response_deadlines_missed += 1;
        }
        entry.update_cadence_misses += metrics.update_cadence_misses;
        let series = samples.entry(severity).or_default();
        let seconds = |d: Option<Duration>| d.map(|d| d.num_seconds());
        for (slot, value) in series.iter_mut().zip([
            seconds(metrics.time_to_acknowledge),
            seconds(metrics.time_to_mitigate),
            seconds(metrics.time_to_resolve),
        ]) {
            slot.extend(value);
        }
        for clock in clocks::compute(state, runbooks, now) {
            if clock.state != ClockState::Overdue {
                continue;
            }
            if clock.regulatory {
                report.regulatory_clocks_missed += 1;
            } else if clock.id == "postmortem" {
                report.postmortems_overdue += 1;
            }
        }
        for followup in &state.followups {
            if followup.state != FollowupState::Open {
                continue;
            }
            let owned = report
                .followups_by_owner
                .entry(followup.owner.clone())
                .or_default();
            owned.open += 1;
            if followup.overdue(today) {
                owned.overdue += 1;
            }
        }
    }
    for (severity, [mut ack, mut mitigate, mut resolve]) in samples {
        if let Some(entry) = report.by_severity.get_mut(&severity) {
            entry.acknowledge_p50 = percentile(&mut ack, 50);
            entry.acknowledge_p90 = percentile(&mut ack, 90);
            entry.mitigate_p50 = percentile(&mut mitigate, 50);
            entry.mitigate_p90 = percentile(&mut mitigate, 90);
            entry.resolve_p50 = percentile(&mut resolve, 50);
            entry.resolve_p90 = percentile(&mut resolve, 90);
        }
    }
    report
}

pub fn run(
    backend: &mut dyn Backend,
    out: &mut dyn std::io::Write,
    since: Option<&str>,
    format: &str,
    now: DateTime<Utc>,
) -> Result<(), CliError> {
    let filter = ListFilter::parse("all", since, now)?;
    let mut states = Vec::new();
    for summary in backend.list()? {
        if summary.quarantined.is_none() && filter.keeps(&summary) {
            states.push(backend.load_state(&summary.id)?);
        }
    }
    let since_at = filter.since();
    let report = compute(&states, backend.runbooks(), since_at, now);
    let text = match format {
        "json" => json_pretty(&report)? + "\n",
        "csv" => csv(&report),
        _ => plain(&report),
    };
    write_all(out, &text)
}

fn csv(report: &Report) -> String {
    let mut out = String::from(
        "severity,incidents,open,resolved,acknowledge_p50_s,acknowledge_p90_s,mitigate_p50_s,mitigate_p90_s,resolve_p50_s,resolve_p90_s,response_deadlines_missed,update_cadence_misses\n",
    );
    let n = |v: Option<i64>| v.map_or(String::new(), |v| v.to_string());
    for (severity, s) in &report.by_severity {
        let _ = writeln!(
            out,
            "{severity},{},{},{},{},{},{},{},{},{},{},{}",
            s.incidents,
            s.open,
            s.resolved,
            n(s.acknowledge_p50),
            n(s.acknowledge_p90),
            n(s.mitigate_p50),
            n(s.mitigate_p90),
            n(s.resolve_p50),
            n(s.resolve_p90),
            s.response_deadlines_missed,
            s.update_cadence_misses
        );
    }
    out
}

fn plain(report: &Report) -> String {
    let mut out = String::new();
    let period = report.since.map_or("all time".to_string(), |s| {
        format!("since {}", s.format("%Y-%m-%d %H:%M UTC"))
    });
    let noun = if report.incidents == 1 {
        "incident"
    } else {
        "incidents"
    };
    let _ = writeln!(out, "{} {noun}, {period}", report.incidents);
    let d = |v: Option<i64>| v.map_or("—".to_string(), |s| human(Duration::seconds(s)));
    for (severity, s) in &report.by_severity {
        let _ = writeln!(
            out,
            "{severity}: {} ({} open, {} resolved) · acknowledge p50 {} p90 {} · mitigate p50 {} p90 {} · resolve p50 {} p90 {} · deadlines missed {} · late updates {}",
            s.incidents,
            s.open,
            s.resolved,
            d(s.acknowledge_p50),
            d(s.acknowledge_p90),
            d(s.mitigate_p50),
            d(s.mitigate_p90),
            d(s.resolve_p50),
            d(s.resolve_p90),
            s.response_deadlines_missed,
            s.update_cadence_misses
        );
    }
    let _ = writeln!(
        out,
        "Regulatory clocks missed: {} · post-mortems overdue: {}",
        report.regulatory_clocks_missed, report.postmortems_overdue
    );
    for (owner, owned) in &report.followups_by_owner {
        let _ = writeln!(
            out,
            "Follow-ups of {owner}: {} open, {} overdue",
            owned.open, owned.overdue
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let mut ten: Vec<i64> = (1..=10).rev().collect();
        assert_eq!(percentile(&mut ten, 50), Some(5));
        assert_eq!(percentile(&mut ten, 90), Some(9));
        assert_eq!(percentile(&mut [7], 90), Some(7));
        assert_eq!(percentile(&mut [], 50), None);
        let mut three = [30, 10, 20];
        assert_eq!(percentile(&mut three, 50), Some(20));
        assert_eq!(percentile(&mut three, 90), Some(30));
    }
}
