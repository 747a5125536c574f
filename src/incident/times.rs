//! The times that matter for learning from an incident, as people set them: when the
//! impact started, when it was detected, when it was mitigated and when the impact
//! ended (each with who set it), and the response metrics measured from them — time to
//! detect, to acknowledge, to mitigate, to resolve — with the severity matrix's
//! response deadline and update cadence judged against what happened.

use super::runbook::Runbooks;
use super::state::State;
use super::template::Audience;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeKind {
    ImpactStart,
    Detected,
    Mitigated,
    ImpactEnd,
}

impl TimeKind {
    pub const ALL: [TimeKind; 4] = [
        TimeKind::ImpactStart,
        TimeKind::Detected,
        TimeKind::Mitigated,
        TimeKind::ImpactEnd,
    ];

    pub fn id(self) -> &'static str {
        match self {
            TimeKind::ImpactStart => "impact_start",
            TimeKind::Detected => "detected",
            TimeKind::Mitigated => "mitigated",
            TimeKind::ImpactEnd => "impact_end",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            TimeKind::ImpactStart => "Impact started",
            TimeKind::Detected => "Detected",
            TimeKind::Mitigated => "Mitigated",
            TimeKind::ImpactEnd => "Impact ended",
        }
    }
}

impl fmt::Display for TimeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a time: use impact_start, detected, mitigated or impact_end")]
pub struct BadTimeKind(pub String);

impl FromStr for TimeKind {
    type Err = BadTimeKind;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        TimeKind::ALL
            .into_iter()
            .find(|k| k.id() == wanted)
            .ok_or_else(|| BadTimeKind(text.to_string()))
    }
}

/// A time someone set, and who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkedTime {
    pub at: DateTime<Utc>,
    pub by: String,
}

/// Why a time cannot be set, if it cannot: in the future, or out of order with the
/// impact's start (nothing of the impact can precede its start).
pub fn refusal(
    state: &State,
    which: TimeKind,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<String> {
    // A minute of slack: clocks on laptops drift.
    if at > now + Duration::minutes(1) {
        return Some(format!(
            "{} {} is in the future (now is {})",
            which.title().to_lowercase(),
            at.format("%Y-%m-%d %H:%M UTC"),
            now.format("%H:%M UTC")
        ));
    }
    let start = state.times.get(&TimeKind::ImpactStart).map(|t| t.at);
    match which {
        TimeKind::ImpactStart => {
            let later = [TimeKind::Detected, TimeKind::Mitigated, TimeKind::ImpactEnd]
                .into_iter()
                .filter_map(|k| state.times.get(&k).map(|t| (k, t.at)))
                .find(|(_, t)| *t < at);
            later.map(|(k, t)| {
                format!(
                    "the impact cannot start after it was {} ({})",
                    k.title().to_lowercase(),
                    t.format("%Y-%m-%d %H:%M UTC")
                )
            })
        }
        other => start.filter(|s| at < *s).map(|s| {
            format!(
                "{} {} is before the impact started ({})",
                other.title().to_lowercase(),
                at.format("%Y-%m-%d %H:%M UTC"),
                s.format("%Y-%m-%d %H:%M UTC")
            )
        }),
    }
}

/// Response metrics, each derived from the log and the times people set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Metrics {
    /// Impact start → detected.
    #[serde(with = "opt_seconds")]
    pub time_to_detect: Option<Duration>,
    /// Detected (or declared, when no detection time is set) → first human
    /// acknowledgement (a human declaring acknowledges; an automation does not).
    #[serde(with = "opt_seconds")]
    pub time_to_acknowledge: Option<Duration>,
    /// Detected (or declared) → mitigated (the time set, else first Monitoring).
    #[serde(with = "opt_seconds")]
    pub time_to_mitigate: Option<Duration>,
    /// Detected (or declared) → resolved.
    #[serde(with = "opt_seconds")]
    pub time_to_resolve: Option<Duration>,
    /// Impact start → impact end.
    #[serde(with = "opt_seconds")]
    pub impact_duration: Option<Duration>,
    /// The severity matrix's response deadline (acknowledged within it): `None` when
    /// not yet acknowledged and still within it.
    pub response_deadline_met: Option<bool>,
    pub response_minutes: Option<u32>,
    /// Public or internal updates that came later than the severity's cadence, counting
    /// from the declaration until resolution (or now).
    pub update_cadence_misses: u32,
    pub update_every_minutes: Option<u32>,
}

impl Metrics {
    /// The metrics of `state` as of `now`, judged against the severity matrix in
    /// `runbooks` (the response deadline and update cadence of the incident's severity).
    pub fn of(state: &State, runbooks: &Runbooks, now: DateTime<Utc>) -> Metrics {
        let level = state.severity.and_then(|s| runbooks.level(s));
        let time = |k: TimeKind| state.times.get(&k).map(|t| t.at);
        let detected = time(TimeKind::Detected);
        let start = detected.or(state.declared_at);
        let between = |from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>| Some(to? - from?);
        let mitigated = time(TimeKind::Mitigated).or(state.mitigated_at);
        let response_minutes = level.and_then(|l| l.response_minutes);
        let update_every_minutes = level.and_then(|l| l.update_every_minutes);
        let response_deadline_met = match (response_minutes, start) {
            (Some(minutes), Some(from)) => {
                let deadline = from + Duration::minutes(i64::from(minutes));
                match state.acknowledged_at {
                    Some(ack) => Some(ack <= deadline),
                    None if now > deadline => Some(false),
                    None => None,
                }
            }
            _ => None,
        };
        Metrics {
            time_to_detect: between(time(TimeKind::ImpactStart), detected),
            time_to_acknowledge: between(start, state.acknowledged_at),
            time_to_mitigate: between(start, mitigated),
            time_to_resolve: between(start, state.resolved_at),
            impact_duration: between(time(TimeKind::ImpactStart), time(TimeKind::ImpactEnd)),
            response_deadline_met,
            response_minutes,
            update_cadence_misses: update_every_minutes
                .map_or(0, |every| cadence_misses(state, every, now)),
            update_every_minutes,
        }
    }
}

/// How many times the gap between updates (public or internal, from the declaration)
/// was longer than `every` minutes while the incident was open.
fn cadence_misses(state: &State, every: u32, now: DateTime<Utc>) -> u32 {
    let Some(declared) = state.declared_at else {
        return 0;
    };
    let end = state.resolved_at.unwrap_or(now);
    let limit = Duration::minutes(i64::from(every));
    let mut last = declared;
    let mut misses = 0;
    let updates = state
        .published
        .iter()
        .filter(|p| matches!(p.audience, Audience::Public | Audience::Internal))
        .map(|p| p.at)
        .filter(|at| *at <= end);
    for at in updates.chain(std::iter::once(end)) {
        if at - last > limit {
            misses += 1;
        }
        last = at;
    }
    misses
}

/// A time as people type it: RFC 3339, or `HH:MM` meaning that time today (UTC).
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    match NaiveTime::parse_from_str(text, "%H:%M") {
        Ok(time) => Ok(now.date_naive().and_time(time).and_utc()),
        Err(_) => {
            Err("not a time: write RFC 3339 (2026-11-30T09:10:00Z) or HH:MM (UTC, today)".into())
        }
    }
}

/// A duration as people read it: `42s`, `7m 05s`, `2h 03m`, `3d 4h`.
pub fn human(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// Durations as whole seconds in JSON exports.
mod opt_seconds {
    use serde::Serializer;

    pub fn serialize<S: Serializer>(
        value: &Option<chrono::Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.serialize_some(&d.num_seconds()),
            None => s.serialize_none(),
        }
    }
}
