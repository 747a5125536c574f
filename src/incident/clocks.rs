//! Clocks: deadlines computed from state, the runbooks' timing rules and `now`. Nothing
//! is stored: a clock is what the rules say about this incident at this moment.

use super::runbook::{Runbooks, Span};
use super::state::{State, Status};
use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use serde::Serialize;

/// How a clock stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Due later; plenty of time.
    Running,
    /// Due within the last quarter of its span.
    Warning,
    /// Past due and not met.
    Overdue,
    /// Done (met before or after its due time).
    Met,
    /// A milestone reached (e.g. stable long enough to unfreeze): good news, not a breach.
    Ready,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clock {
    /// Stable id, e.g. `response`, `next_update`, `gdpr_art33.1`.
    pub id: String,
    pub label: String,
    pub started: DateTime<Utc>,
    pub due: DateTime<Utc>,
    pub state: ClockState,
    /// True when a person marks it done (regulatory notices, retrospectives).
    pub completable: bool,
    /// A regulatory clock.
    pub regulatory: bool,
}

impl Clock {
    fn new(
        id: impl Into<String>,
        label: impl Into<String>,
        started: DateTime<Utc>,
        due: DateTime<Utc>,
    ) -> Clock {
        Clock {
            id: id.into(),
            label: label.into(),
            started,
            due,
            state: ClockState::Running,
            completable: false,
            regulatory: false,
        }
    }

    /// Sets `state` from `now` and whether it was met.
    fn judge(mut self, now: DateTime<Utc>, met: bool) -> Clock {
        self.state = if met {
            ClockState::Met
        } else if now >= self.due {
            ClockState::Overdue
        } else if (self.due - now) * 4 <= self.due - self.started {
            ClockState::Warning
        } else {
            ClockState::Running
        };
        self
    }
}

/// Every clock that applies to `state` at `now`, most urgent first (overdue, then by
/// due time; met and ready ones last).
pub fn compute(state: &State, runbooks: &Runbooks, now: DateTime<Utc>) -> Vec<Clock> {
    let Some(declared) = state.declared_at else {
        return Vec::new();
    };
    let level = state.severity.and_then(|s| runbooks.level(s));
    let mut clocks = Vec::new();
    let done = |id: &str| state.completed_clocks.contains_key(id);

    if let Some(minutes) = level.and_then(|l| l.response_minutes) {
        let due = declared + Duration::minutes(i64::from(minutes));
        clocks.push(
            Clock::new("response", "Respond (acknowledge)", declared, due)
                .judge(now, state.acknowledged_at.is_some()),
        );
    }
    if state.status != Status::Resolved
        && let Some(minutes) = level.and_then(|l| l.update_every_minutes)
    {
        let from = state.last_update_at().unwrap_or(declared);
        let due = from + Duration::minutes(i64::from(minutes));
        clocks.push(
            Clock::new("next_update", "Next stakeholder update", from, due).judge(now, false),
        );
    }
    if let (Status::Monitoring, Some(stable)) = (state.status, state.stable_since) {
        let minutes = runbooks.clocks.operational.unfreeze_after_stable_minutes;
        let due = stable + Duration::minutes(i64::from(minutes));
        let mut clock = Clock::new(
            "unfreeze",
            format!("Deploy freeze may lift after {minutes} min stable"),
            stable,
            due,
        );
        clock.state = if now >= due {
            ClockState::Ready
        } else {
            ClockState::Running
        };
        clocks.push(clock);
    }
    if let Some(resolved) = state.resolved_at {
        if let Some(hours) = level.and_then(|l| l.retrospective_hours) {
            let due = resolved + Duration::hours(i64::from(hours));
            let mut clock = Clock::new("retrospective", "Hold the retrospective", resolved, due);
            clock.completable = true;
            clocks.push(clock.judge(now, done("retrospective")));
        }
        if let Some(days) = level.and_then(|l| l.postmortem_business_days) {
            let due = add_business_days(resolved, days);
            let mut clock = Clock::new("postmortem", "Publish the post-mortem", resolved, due);
            clock.completable = true;
            clocks.push(clock.judge(now, done("postmortem")));
        }
    }
    for regulation in &runbooks.clocks.regulation {
        let Some(aware) = state.flags.get(&regulation.flag) else {
            continue;
        };
        for (n, deadline) in regulation.deadline.iter().enumerate() {
            let Some(span) = deadline.span() else {
                continue;
            };
            let due = match span {
                Span::Minutes(m) => *aware + Duration::minutes(i64::from(m)),
                Span::BusinessDays(d) => add_business_days(*aware, d),
            };
            let id = format!("{}.{}", regulation.id, n + 1);
            let met = done(&id);
            let mut clock = Clock::new(id, deadline.label.clone(), *aware, due);
            clock.completable = true;
            clock.regulatory = true;
            clocks.push(clock.judge(now, met));
        }
    }
    clocks.sort_by_key(|c| (urgency(c.state), c.due));
    clocks
}

fn urgency(state: ClockState) -> u8 {
    match state {
        ClockState::Overdue => 0,
        ClockState::Warning => 1,
        ClockState::Running => 2,
        ClockState::Ready => 3,
        ClockState::Met => 4,
    }
}

/// `start` plus `days` working days, skipping Saturdays and Sundays (holidays are not
/// modelled; the catalog says so).
pub fn add_business_days(start: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let mut at = start;
    let mut left = days;
    while left > 0 {
        at += Duration::days(1);
        if !matches!(at.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    at
}

/// `1h 05m`, `3d 4h`, `12m`, `45s`: compact, for headers and exports.
pub fn format_duration(duration: Duration) -> String {
    let secs = duration.num_seconds();
    let sign = if secs < 0 { "-" } else { "" };
    let secs = secs.unsigned_abs();
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    if d > 0 {
        format!("{sign}{d}d {h}h")
    } else if h > 0 {
        format!("{sign}{h}h {m:02}m")
    } else if m > 0 {
        format!("{sign}{m}m")
    } else {
        format!("{sign}{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn business_days_skip_weekends() {
        // 2026-11-20 is a Friday.
        let friday = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
        assert_eq!(
            add_business_days(friday, 4),
            Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
        );
        let saturday = Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap();
        assert_eq!(
            add_business_days(saturday, 1),
            Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
        );
    }

    #[test]
    fn durations_are_compact() {
        assert_eq!(format_duration(Duration::seconds(45)), "45s");
        assert_eq!(format_duration(Duration::minutes(12)), "12m");
        assert_eq!(format_duration(Duration::minutes(65)), "1h 05m");
        assert_eq!(format_duration(Duration::hours(76)), "3d 4h");
        assert_eq!(format_duration(Duration::minutes(-3)), "-3m");
    }
}
