//! `warroom times ID [--impact-start T] [--detected T] [--mitigated T] [--impact-end T]`:
//! sets the impact and response times (each a `set_time` command, in that order) and
//! prints them with the response metrics; with no time given, only prints. A time is
//! RFC 3339 (`2026-11-30T09:10:00Z`) or `HH:MM` (UTC, today).

use super::backend::{Backend, CliError, usage};
use super::output::{emit, write_all};
use super::show::times_and_metrics;
use crate::incident::Command;
use crate::incident::times::TimeKind;
use crate::incident::times::parse_time;
use chrono::{DateTime, Utc};
use std::io::Write;

/// What `warroom times` was given, per kind (the flag's text).
pub struct TimesGiven<'a> {
    pub impact_start: Option<&'a str>,
    pub detected: Option<&'a str>,
    pub mitigated: Option<&'a str>,
    pub impact_end: Option<&'a str>,
}

pub fn run(
    backend: &mut dyn Backend,
    out: &mut dyn Write,
    incident: &str,
    given: &TimesGiven<'_>,
    now: DateTime<Utc>,
) -> Result<(), CliError> {
    let wanted = [
        (TimeKind::ImpactStart, "--impact-start", given.impact_start),
        (TimeKind::Detected, "--detected", given.detected),
        (TimeKind::Mitigated, "--mitigated", given.mitigated),
        (TimeKind::ImpactEnd, "--impact-end", given.impact_end),
    ];
    // Every time is parsed before anything is sent: a typo writes nothing.
    let mut commands = Vec::new();
    for (which, flag, text) in wanted {
        if let Some(text) = text {
            let at =
                parse_time(text, now).map_err(|why| usage(format!("{flag} `{text}`: {why}")))?;
            commands.push(Command::SetTime { which, time: at });
        }
    }
    for command in commands {
        for event in backend.submit(incident, command)? {
            emit(out, &format!("#{} {}", event.seq, event.kind.name()))?;
        }
    }
    let state = backend.load_state(incident)?;
    write_all(out, &times_and_metrics(&state, backend.runbooks(), now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_are_rfc3339_or_a_time_today_in_utc() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        assert_eq!(
            parse_time("09:10", now),
            Ok(Utc.with_ymd_and_hms(2026, 11, 30, 9, 10, 0).unwrap())
        );
        assert_eq!(
            parse_time("2026-11-29T23:05:00+01:00", now),
            Ok(Utc.with_ymd_and_hms(2026, 11, 29, 22, 5, 0).unwrap())
        );
        assert!(parse_time("9.10", now).unwrap_err().contains("HH:MM"));
        assert!(parse_time("25:00", now).is_err());
    }
}
