//! `warroom list`'s filters: which statuses (`--status open|resolved|all`) and how
//! recently declared (`--since 30d`). Applied to the summaries after they are read, the
//! same way for a local data directory and for a hub's list.

use super::backend::{CliError, usage};
use crate::engine::IncidentSummary;
use crate::incident::Status;
use chrono::{DateTime, Duration, Utc};

/// Which incidents `list` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListFilter {
    status: StatusFilter,
    /// Declared at or after this moment.
    since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusFilter {
    /// Not resolved.
    Open,
    Resolved,
    All,
}

impl ListFilter {
    /// The filter `--status` and `--since` ask for, `now` being when `list` runs.
    pub fn parse(
        status: &str,
        since: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ListFilter, CliError> {
        let status = match status {
            "open" => StatusFilter::Open,
            "resolved" => StatusFilter::Resolved,
            "all" => StatusFilter::All,
            other => {
                return Err(usage(format!(
                    "--status {other:?}: expected open, resolved or all"
                )));
            }
        };
        let since = since
            .map(|text| {
                let age =
                    parse_age(text).map_err(|why| usage(format!("--since {text:?}: {why}")))?;
                Ok::<_, CliError>(
                    now.checked_sub_signed(age)
                        .unwrap_or(DateTime::<Utc>::MIN_UTC),
                )
            })
            .transpose()?;
        Ok(ListFilter { status, since })
    }

    /// True if `summary` is shown. A quarantined incident always is: its status and
    /// dates are unknown, and an operator must see it to repair it.
    /// The start of the period, if `--since` gave one.
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.since
    }

    pub fn keeps(&self, summary: &IncidentSummary) -> bool {
        if summary.quarantined.is_some() {
            return true;
        }
        let status = match self.status {
            StatusFilter::Open => summary.status != Status::Resolved,
            StatusFilter::Resolved => summary.status == Status::Resolved,
            StatusFilter::All => true,
        };
        let recent = match (self.since, summary.declared_at) {
            (None, _) => true,
            (Some(since), Some(declared)) => declared >= since,
            (Some(_), None) => false,
        };
        status && recent
    }
}

/// `30d`, `12h`, `45m`, `2w`: a whole number and a unit.
fn parse_age(text: &str) -> Result<Duration, String> {
    let expected = "expected a number and a unit, like 30d, 12h, 45m or 2w";
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| expected.to_string())?;
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().map_err(|_| expected.to_string())?;
    let age = match unit {
        "m" => Duration::try_minutes(number),
        "h" => Duration::try_hours(number),
        "d" => Duration::try_days(number),
        "w" => Duration::try_weeks(number),
        _ => return Err(expected.to_string()),
    };
    age.ok_or_else(|| "too long ago".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    fn summary(status: Status, days_ago: i64) -> IncidentSummary {
        IncidentSummary {
            id: format!("INC-{days_ago}"),
            status,
            declared_at: Some(now() - Duration::days(days_ago)),
            ..IncidentSummary::default()
        }
    }

    fn kept(status: &str, since: Option<&str>) -> Vec<String> {
        let filter = ListFilter::parse(status, since, now()).unwrap();
        [
            summary(Status::Investigating, 1),
            summary(Status::Resolved, 10),
            summary(Status::Monitoring, 40),
            IncidentSummary::quarantined("INC-bad", "damaged".into()),
        ]
        .into_iter()
        .filter(|s| filter.keeps(s))
        .map(|s| s.id)
        .collect()
    }

    #[test]
    fn status_and_since_filter_and_quarantined_ones_stay() {
        assert_eq!(kept("all", None), ["INC-1", "INC-10", "INC-40", "INC-bad"]);
        assert_eq!(kept("open", None), ["INC-1", "INC-40", "INC-bad"]);
        assert_eq!(kept("resolved", None), ["INC-10", "INC-bad"]);
        assert_eq!(kept("all", Some("30d")), ["INC-1", "INC-10", "INC-bad"]);
        assert_eq!(kept("open", Some("2d")), ["INC-1", "INC-bad"]);
        assert_eq!(kept("all", Some("12h")), ["INC-bad"]);
        assert_eq!(
            kept("all", Some("6w")),
            ["INC-1", "INC-10", "INC-40", "INC-bad"]
        );
    }

    #[test]
    fn bad_values_are_usage_errors_that_say_what_is_expected() {
        for (status, since, needle) in [
            ("closed", None, "open, resolved or all"),
            ("all", Some("30"), "like 30d"),
            ("all", Some("d"), "like 30d"),
            ("all", Some("3 days"), "like 30d"),
            ("all", Some("-3d"), "like 30d"),
            ("all", Some("99999999999999999w"), "too long ago"),
        ] {
            match ListFilter::parse(status, since, now()) {
                Err(CliError::Usage(message)) => {
                    assert!(message.contains(needle), "{message}")
                }
                other => panic!("{status} {since:?}: {other:?}"),
            }
        }
    }
}
