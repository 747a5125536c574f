//! The lobby's headline figures: the last 90 days of the hub's incidents in one line —
//! how many and how many open, the median time to acknowledge, mitigate and resolve,
//! response deadlines and regulatory clocks missed, post-mortems overdue, follow-ups
//! open and overdue — judged from each summary's scorecard by the same rules as
//! `warroom report` (which has the full breakdown by severity and owner).

use crate::engine::IncidentSummary;
use crate::incident::Runbooks;
use crate::incident::clocks::format_duration;
use crate::incident::scorecard::{Headline, Judged, percentile};
use crate::incident::state::Status;
use chrono::{DateTime, Duration, Utc};

/// The period the lobby looks back over.
pub const PERIOD_DAYS: i64 = 90;

/// The figures of the incidents declared in the last [`PERIOD_DAYS`] before `now`, as
/// short phrases in reading order, or `None` when there are none.
pub fn headline(
    items: &[IncidentSummary],
    runbooks: &Runbooks,
    now: DateTime<Utc>,
) -> Option<Vec<String>> {
    let since = now - Duration::days(PERIOD_DAYS);
    let judged: Vec<(Status, Judged)> = items
        .iter()
        .filter(|i| i.quarantined.is_none() && i.declared_at.is_some_and(|d| d >= since))
        .map(|i| {
            let headline = Headline {
                severity: i.severity,
                status: i.status,
                declared_at: i.declared_at,
                resolved_at: i.resolved_at,
            };
            (i.status, i.scorecard.judge(&headline, runbooks, now))
        })
        .collect();
    if judged.is_empty() {
        return None;
    }
    let open = judged
        .iter()
        .filter(|(s, _)| *s != Status::Resolved)
        .count();
    let median = |pick: fn(&Judged) -> Option<i64>| {
        let mut values: Vec<i64> = judged.iter().filter_map(|(_, j)| pick(j)).collect();
        percentile(&mut values, 50)
            .map_or("n/a".to_string(), |s| format_duration(Duration::seconds(s)))
    };
    let sum = |pick: fn(&Judged) -> usize| judged.iter().map(|(_, j)| pick(j)).sum::<usize>();
    let incidents = match judged.len() {
        1 => "1 incident".to_string(),
        n => format!("{n} incidents"),
    };
    Some(vec![
        format!("Last {PERIOD_DAYS} days: {incidents} ({open} open)"),
        format!(
            "median to acknowledge {}, mitigate {}, resolve {}",
            median(|j| j.acknowledge),
            median(|j| j.mitigate),
            median(|j| j.resolve)
        ),
        format!(
            "missed: {} response, {} regulatory",
            sum(|j| usize::from(j.response_missed)),
            sum(|j| j.regulatory_missed)
        ),
        format!(
            "{} post-mortem overdue",
            sum(|j| usize::from(j.postmortem_overdue))
        ),
        format!(
            "follow-ups: {} open, {} overdue",
            sum(|j| j.followups_open),
            sum(|j| j.followups_overdue)
        ),
    ])
}

/// `phrases` joined with ` · `, packed into lines of at most `width` columns (a phrase
/// longer than a line gets a line of its own, cut by the caller).
pub fn pack(phrases: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for phrase in phrases {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 3 + phrase.chars().count() <= width => {
                line.push_str(" · ");
                line.push_str(phrase);
            }
            _ => lines.push(phrase.clone()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use crate::incident::Severity;
    use crate::incident::scorecard::Scorecard;
    use chrono::{NaiveDate, TimeZone};

    fn item(
        id: &str,
        declared: DateTime<Utc>,
        ack_after: i64,
        resolved_after: Option<i64>,
        followups: &[NaiveDate],
    ) -> IncidentSummary {
        IncidentSummary {
            id: id.into(),
            severity: Some(Severity::Sev2),
            status: if resolved_after.is_some() {
                Status::Resolved
            } else {
                Status::Investigating
            },
            declared_at: Some(declared),
            resolved_at: resolved_after.map(|m| declared + Duration::minutes(m)),
            scorecard: Scorecard {
                acknowledged_at: Some(declared + Duration::minutes(ack_after)),
                followups_open: followups.to_vec(),
                ..Scorecard::default()
            },
            ..IncidentSummary::default()
        }
    }

    #[test]
    fn figures_over_the_period_as_computed_by_hand() {
        let runbooks = catalog::embedded().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let day = |d: i64| now - Duration::days(d);
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let items = [
            item("INC-1", day(2), 4, Some(120), &[date(2026, 12, 10)]),
            item("INC-2", day(10), 70, Some(60), &[date(2026, 11, 1)]),
            item("INC-3", day(1), 10, None, &[]),
            // Outside the 90 days: not counted.
            item("INC-0", day(200), 500, Some(900), &[date(2026, 1, 1)]),
        ];
        let line = headline(&items, &runbooks, now).unwrap().join(" · ");
        // Acknowledged after 4, 70 and 10 minutes: the median is 10m. Resolved after
        // 120 and 60 minutes: nearest rank 50% of two is the lower, 1h. SEV2 asks for
        // a response within 60 minutes: INC-2 missed it; resolved ten days ago, its
        // post-mortem (five business days) is overdue.
        assert_eq!(
            line,
            "Last 90 days: 3 incidents (1 open) · median to acknowledge 10m, mitigate n/a, resolve 1h 00m · missed: 1 response, 0 regulatory · 1 post-mortem overdue · follow-ups: 2 open, 1 overdue"
        );
        assert_eq!(headline(&items[3..], &runbooks, now), None);
    }

    #[test]
    fn phrases_pack_into_the_width() {
        let phrases: Vec<String> = [
            "Last 90 days: 3 incidents",
            "median 10m",
            "follow-ups: 2 open",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            pack(&phrases, 40),
            [
                "Last 90 days: 3 incidents · median 10m",
                "follow-ups: 2 open"
            ]
        );
        assert_eq!(pack(&phrases, 10).len(), 3);
    }
}
