//! Plain-text views for the terminal: `warroom status`, `warroom list`, `warroom runs`
//! and what the action and publishing commands caused. Readable in an 80-column SSH
//! session, stable enough to grep.

use crate::engine::IncidentSummary;
use crate::incident::clocks::{self, ClockState, format_duration};
use crate::incident::loose_ends::LooseEnds;
use crate::incident::safe_text::neutralise;
use crate::incident::state::{ActionRun, RunStatus};
use crate::incident::times::{Metrics, TimeKind, human};
use crate::incident::{Event, EventKind, Role, Runbooks, State};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The warning after resolving with loose ends (`incident::loose_ends`, the list the
/// console's resolve dialog shows), made safe for a terminal; `None` when nothing is
/// still open.
pub fn still_open(state: &State, now: DateTime<Utc>) -> Option<String> {
    let lines = LooseEnds::of(state, now).lines();
    if lines.is_empty() {
        return None;
    }
    let mut out = format!(
        "warroom: warning: {} was resolved with these still open:\n",
        state.id
    );
    for line in lines {
        let _ = writeln!(out, "  - {line}");
    }
    Some(neutralise(&out).into_owned())
}

/// How many timeline entries `status` shows.
const RECENT_ENTRIES: usize = 15;

pub fn status(state: &State, runbooks: &Runbooks, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let severity = state
        .severity
        .map_or("SEV?".to_string(), |s| s.code().to_string());
    let severity_name = state
        .severity
        .and_then(|s| runbooks.level(s))
        .map_or("", |l| l.name.as_str());
    let elapsed = state
        .declared_at
        .map_or("?".to_string(), |d| format_duration(now - d));
    let _ = writeln!(
        out,
        "{}  {severity} {severity_name}  {}  elapsed {elapsed}",
        state.id, state.status
    );
    let _ = writeln!(out, "{}", state.title);
    let seats: Vec<String> = Role::ALL
        .into_iter()
        .filter(|r| r.is_seat())
        .map(|r| format!("{}: {}", r.title(), state.holder(r).unwrap_or("—")))
        .collect();
    let _ = writeln!(out, "{}", seats.join(" · "));

    let clocks = clocks::compute(state, runbooks, now);
    if !clocks.is_empty() {
        let _ = writeln!(out, "\nClocks");
        for clock in clocks {
            let label = match clock.state {
                ClockState::Overdue => "OVERDUE",
                ClockState::Warning => "soon",
                ClockState::Running => "running",
                ClockState::Met => "met",
                ClockState::Ready => "ready",
            };
            let relative = if clock.due >= now {
                format!("in {}", format_duration(clock.due - now))
            } else {
                format!("{} ago", format_duration(now - clock.due))
            };
            let _ = writeln!(
                out,
                "  {label:<8} {:<44} due {} ({relative})  [{}]",
                clock.label,
                clock.due.format("%Y-%m-%d %H:%M UTC"),
                clock.id
            );
        }
    }

    let done = state.checklist.iter().filter(|i| i.done.is_some()).count();
    let _ = writeln!(out, "\nChecklist ({done}/{} done)", state.checklist.len());
    let mut group = "";
    for (n, item) in state.checklist.iter().enumerate() {
        if item.group != group {
            group = &item.group;
            let _ = writeln!(out, "  {group}");
        }
        let mark = if item.done.is_some() { "x" } else { " " };
        let mut extra = Vec::new();
        if let Some(role) = item.role {
            extra.push(role.id().to_string());
        }
        if let Some(minutes) = item.within_minutes {
            extra.push(format!("within {minutes}m"));
        }
        if let Some(tick) = &item.done {
            extra.push(format!("{} {}", tick.by, tick.at.format("%H:%M")));
        }
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!("  ({})", extra.join(", "))
        };
        let _ = writeln!(out, "  {:>3} [{mark}] {}{extra}", n + 1, item.text);
    }

    if !state.blast.tenants.is_empty() || !state.blast.services.is_empty() {
        let _ = writeln!(out, "\nBlast radius");
        let width = state
            .blast
            .tenants
            .iter()
            .map(|t| t.chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        if !state.blast.tenants.is_empty() {
            let mut header = format!("  {:<width$}", "tenant");
            for region in &state.blast.regions {
                let _ = write!(header, "  {region:<10}");
            }
            let _ = writeln!(out, "{}", header.trim_end());
            for tenant in &state.blast.tenants {
                let mut row = format!("  {tenant:<width$}");
                for region in &state.blast.regions {
                    let _ = write!(row, "  {:<10}", state.blast.cell(tenant, region).id());
                }
                let _ = writeln!(out, "{}", row.trim_end());
            }
        }
        if !state.blast.services.is_empty() {
            let services: Vec<String> = state
                .blast
                .services
                .iter()
                .map(|(name, s)| format!("{name} ({s})"))
                .collect();
            let _ = writeln!(out, "  services: {}", services.join(", "));
        }
    }

    if !state.flags.is_empty() {
        let flags: Vec<String> = state
            .flags
            .iter()
            .map(|(flag, since)| format!("{flag} (aware {})", since.format("%Y-%m-%d %H:%M UTC")))
            .collect();
        let _ = writeln!(out, "\nRegulatory flags: {}", flags.join(", "));
    }

    let _ = write!(out, "{}", times_and_metrics(state, runbooks, now));

    let total = state.timeline.len();
    let shown = total.min(RECENT_ENTRIES);
    let _ = writeln!(out, "\nTimeline (last {shown} of {total})");
    for entry in state.timeline.iter().skip(total - shown) {
        let text = entry
            .current_text()
            .replace('\n', "\n                                        ");
        let corrected = if entry.correction.is_some() {
            " (corrected)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  #{:<4} {} {:<10} {:<8} {text}{corrected}",
            entry.seq,
            entry.at.format("%H:%M:%S"),
            truncate(&entry.author, 10),
            entry.kind.id()
        );
    }
    out
}

pub fn list(summaries: &[IncidentSummary]) -> String {
    if summaries.is_empty() {
        return "No incidents. Declare one: warroom declare --title \"…\" --severity SEV2\n".into();
    }
    let mut out = String::new();
    for s in summaries {
        if let Some(reason) = &s.quarantined {
            let _ = writeln!(out, "{:<18} QUARANTINED: {reason}", s.id);
            continue;
        }
        let _ = writeln!(
            out,
            "{:<18} {:<5} {:<13} {:<17} {}",
            s.id,
            s.severity.map_or("?", |v| v.code()),
            s.status.title(),
            s.declared_at
                .map_or("?".into(), |d| d.format("%Y-%m-%d %H:%M").to_string()),
            s.title
        );
    }
    out
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// Said wherever local mode records something a hub would have done.
const LOCAL_ONLY: &str = "recorded in the local log only: nothing was run or sent. Actions run and updates are delivered only by a hub: `warroom serve`, or the console's embedded hub (`warroom`).";

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Role ids, comma-separated.
pub fn joined(roles: &[Role]) -> String {
    roles.iter().map(|r| r.id()).collect::<Vec<_>>().join(", ")
}

fn params_text(params: &BTreeMap<String, String>) -> String {
    params.iter().map(|(k, v)| format!(" {k}={v}")).collect()
}

/// What `event` means for the person who caused it.
pub fn describe(event: &Event, incident: &str, hub: bool) -> String {
    let head = format!("#{} {}", event.seq, event.kind.name());
    let next = |on_hub: String| if hub { on_hub } else { LOCAL_ONLY.to_string() };
    match &event.kind {
        EventKind::ActionRequested {
            action,
            title,
            params,
            preview,
            roles,
            two_person,
            dry_run,
            ..
        } => {
            let what = format!(
                "{head}: run #{} {title} ({action}){}",
                event.seq,
                params_text(params)
            );
            let preview = indent(&preview.describe());
            if *dry_run {
                return format!(
                    "{what}\ndry run: nothing was sent. Exactly what it would send (secrets as ${{NAME}}):\n{preview}"
                );
            }
            let after = match two_person {
                true => format!(
                    "awaiting approval: a different responder with one of {} approves it with `warroom approve {incident} {}` (or denies it)",
                    joined(roles),
                    event.seq
                ),
                false => next(format!(
                    "the hub runs it now: `warroom runs {incident}` shows the outcome"
                )),
            };
            format!("{what}\nrequest (secrets as ${{NAME}}):\n{preview}\n{after}")
        }
        EventKind::ActionApproved { run } => format!(
            "{head}: run #{run} approved\n{}",
            next(format!(
                "the hub runs it now: `warroom runs {incident}` shows the outcome"
            ))
        ),
        EventKind::ActionDenied { run, reason } if reason.is_empty() => {
            format!("{head}: run #{run} denied")
        }
        EventKind::ActionDenied { run, reason } => format!("{head}: run #{run} denied: {reason}"),
        EventKind::CommsPublished {
            title,
            channels,
            text,
            ..
        } => {
            let to = match channels.is_empty() {
                true => "no delivery channel: recorded for people to paste by hand".to_string(),
                false if hub => format!("delivering to {}", channels.join(", ")),
                false => format!("for {}: {LOCAL_ONLY}", channels.join(", ")),
            };
            format!("{head}: “{title}” ({to})\n{}", indent(text))
        }
        EventKind::DeliveryRetryRequested { published, channel } => format!(
            "{head}: update #{published} to {channel} again\n{}",
            next("the hub tries the delivery again".into())
        ),
        _ => head,
    }
}

fn status_text(run: &ActionRun) -> String {
    let mut parts = vec![run.status.label().to_string()];
    if let Some(status) = run.result_status {
        parts.push(format!("status {status}"));
    }
    if run.attempts > 1 {
        parts.push(format!("{} attempts", run.attempts));
    }
    if matches!(run.status, RunStatus::Finished(_)) && run.duration_ms > 0 {
        parts.push(format!("{:.1} s", run.duration_ms as f64 / 1000.0));
    }
    parts.join(", ")
}

/// `warroom runs`: one line per run, what it waits for, and the start of its result.
pub fn runs(runs: &[ActionRun], incident: &str) -> String {
    let mut out = String::new();
    if runs.is_empty() {
        let _ = writeln!(
            out,
            "no action runs in {incident} yet: `warroom actions` lists what can run, `warroom act {incident} ACTION` requests one"
        );
        return out;
    }
    for run in runs {
        let decided =
            (run.decided_by.as_ref()).map_or(String::new(), |who| format!(", decided by {who}"));
        let _ = writeln!(
            out,
            "#{:<5} {:<28} {} ({}){} · {} {}{decided}",
            run.run,
            status_text(run),
            run.title,
            run.action,
            params_text(&run.params),
            run.requested_by,
            run.requested_at.format("%H:%M UTC"),
        );
        if run.status == RunStatus::AwaitingApproval {
            let _ = writeln!(
                out,
                "       needs a different responder with one of {}: warroom approve {incident} {} | warroom deny {incident} {}",
                joined(&run.roles),
                run.run,
                run.run
            );
        }
        if let Some(first) = run.excerpt.lines().find(|l| !l.trim().is_empty()) {
            let _ = writeln!(out, "       {}", first.trim());
        }
    }
    out
}

/// The impact times people set and the response metrics, as `status` and `times` show
/// them.
pub fn times_and_metrics(state: &State, runbooks: &Runbooks, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let set: Vec<String> = TimeKind::ALL
        .into_iter()
        .filter_map(|k| {
            let t = state.times.get(&k)?;
            Some(format!(
                "{} {} ({})",
                k.title(),
                t.at.format("%Y-%m-%d %H:%M UTC"),
                t.by
            ))
        })
        .collect();
    if !set.is_empty() {
        let _ = writeln!(out, "\nTimes: {}", set.join(" · "));
    }
    let metrics = Metrics::of(state, runbooks, now);
    let metric = |d: Option<chrono::Duration>| d.map_or("—".to_string(), human);
    let _ = writeln!(
        out,
        "\nTime to detect {} · acknowledge {} · mitigate {} · resolve {} · impact {}",
        metric(metrics.time_to_detect),
        metric(metrics.time_to_acknowledge),
        metric(metrics.time_to_mitigate),
        metric(metrics.time_to_resolve),
        metric(metrics.impact_duration),
    );
    if let Some(minutes) = metrics.response_minutes {
        let verdict = match metrics.response_deadline_met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "open",
        };
        let cadence = metrics.update_every_minutes.map_or(String::new(), |every| {
            format!(
                " · updates every {every} min: {} late",
                metrics.update_cadence_misses
            )
        });
        let _ = writeln!(out, "Response within {minutes} min: {verdict}{cadence}");
    }
    out
}
