//! A post-mortem section's starting text from what the incident already knows: the
//! resolution update's fields read back from its text, the marked times, decisions,
//! containment runs and the response metrics.

use crate::incident::render::utc;
use crate::incident::runbook::Runbooks;
use crate::incident::state::{EntryKind, RunOutcome, RunStatus, State, Status};
use crate::incident::template::{Segment, Template};
use crate::incident::times::{Metrics, TimeKind, human};
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// A starting text for `section` from what the incident already knows, or `None` when
/// it knows nothing useful for it. Pure: the console's editor starts an unwritten
/// section from it (marked as a draft until saved) and `warroom postmortem` says which
/// sections have one ready.
///
/// - summary: title, severity, when declared and resolved, the response metrics, the
///   resolution update's impact and preliminary root cause, the key decisions and the
///   actions taken (people's action entries, containment runs and their outcomes);
/// - impact: the resolution update's impact (and the symptom the status page gave),
///   the impact window people marked, the blast radius;
/// - detection: the marked impact start and detection (who set them), time to detect,
///   the alert that raised it, the response deadline;
/// - root cause: the resolution update's preliminary root cause;
/// - what went well / badly: the response deadline and update cadence as measured,
///   containment runs that worked or failed.
///
/// Contributing factors, remediations (the follow-ups are the remediations) and
/// attachments are for people.
pub fn draft(
    state: &State,
    runbooks: &Runbooks,
    now: DateTime<Utc>,
    section: &str,
) -> Option<String> {
    let fields = resolution_fields(state, runbooks);
    let field = |part: &str| {
        fields
            .iter()
            .find(|(name, _)| name.contains(part))
            .map(|(_, value)| value.as_str())
    };
    let metrics = Metrics::of(state, runbooks, now);
    let text = match section {
        "summary" => summary(state, &metrics, field("impact"), field("root_cause")),
        "impact" => impact(state, field("impact"), field("symptom")),
        "detection" => detection(state, &metrics),
        "root_cause" => {
            field("root_cause").map(|c| format!("Preliminary, from the resolution update: {c}"))
        }
        "went_well" => went(state, &metrics, true),
        "went_badly" => went(state, &metrics, false),
        _ => None,
    };
    text.filter(|t| !t.trim().is_empty())
}

/// The field values people typed into the resolution updates (those published once
/// resolved, or from a template named for resolving), read back from the published
/// text against its template; the newest update's value wins.
fn resolution_fields(state: &State, runbooks: &Runbooks) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    let resolutions = state
        .published
        .iter()
        .rev()
        .filter(|p| p.headline.status == Status::Resolved || p.template.contains("resolv"));
    for published in resolutions {
        let Some(template) = runbooks.template(&published.template) else {
            continue;
        };
        for (name, value) in read_fields(template, &published.text) {
            if !found.iter().any(|(n, _)| *n == name) {
                found.push((name, value));
            }
        }
    }
    found
}

/// The values of `template`'s fields in `text` (a rendered, maybe edited, update):
/// each field is what stands between the words before it on its template line and
/// the words after it on that line. A field whose words were edited away, or that was
/// left unfilled (`⟨name⟩`), is not found.
fn read_fields(template: &Template, text: &str) -> Vec<(String, String)> {
    let segments = &template.segments;
    let mut values = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let Segment::Placeholder(name) = segment else {
            continue;
        };
        if !template.fields.contains_key(name) {
            continue;
        }
        let before = match i.checked_sub(1).and_then(|j| segments.get(j)) {
            Some(Segment::Text(t)) => t.rsplit('\n').next().unwrap_or(""),
            _ => "",
        };
        let after = match segments.get(i + 1) {
            Some(Segment::Text(t)) => t.split('\n').next().unwrap_or(""),
            _ => "",
        };
        let before = before.trim_start();
        if before.trim().is_empty() {
            continue;
        }
        let value = text.lines().find_map(|line| {
            let start = line.find(before)? + before.len();
            let rest = &line[start..];
            Some(match after.trim() {
                "" => rest,
                _ => rest.find(after).map_or(rest, |end| &rest[..end]),
            })
        });
        if let Some(value) = value.map(str::trim)
            && !value.is_empty()
            && !value.contains('⟨')
        {
            values.push((name.clone(), value.to_string()));
        }
    }
    values
}

fn summary(
    state: &State,
    metrics: &Metrics,
    impact: Option<&str>,
    cause: Option<&str>,
) -> Option<String> {
    let resolved = state.resolved_at?;
    let mut out = String::new();
    let severity = state.severity.map_or(String::new(), |s| format!(" ({s})"));
    let declared = state
        .declared_at
        .map_or(String::new(), |at| format!(" was declared at {}", utc(at)));
    let _ = write!(
        out,
        "{}{severity}{declared} and resolved at {}.",
        state.title,
        utc(resolved)
    );
    let took: Vec<String> = [
        ("acknowledged", metrics.time_to_acknowledge),
        ("mitigated", metrics.time_to_mitigate),
        ("resolved", metrics.time_to_resolve),
    ]
    .into_iter()
    .filter_map(|(what, d)| d.map(|d| format!("{what} after {}", human(d))))
    .collect();
    if !took.is_empty() {
        let _ = write!(out, " It was {}.", took.join(", "));
    }
    if let Some(impact) = impact {
        let _ = write!(out, "\n\nImpact: {impact}");
    }
    if let Some(cause) = cause {
        let _ = write!(out, "\nRoot cause (preliminary): {cause}");
    }
    let decisions = entries(state, EntryKind::Decision);
    if !decisions.is_empty() {
        let _ = write!(out, "\n\nKey decisions:\n{}", decisions.join("\n"));
    }
    let mut actions = entries(state, EntryKind::Action);
    actions.extend(
        state
            .action_runs
            .iter()
            .filter(|r| r.status != RunStatus::DryRun)
            .map(|r| {
                format!(
                    "- {} {}: {} (requested by {})",
                    r.requested_at.format("%H:%M"),
                    r.title,
                    r.status.label(),
                    r.requested_by
                )
            }),
    );
    if !actions.is_empty() {
        let _ = write!(out, "\n\nActions taken:\n{}", actions.join("\n"));
    }
    Some(out)
}

/// `- HH:MM text (author)` for each timeline entry of `kind` still in memory.
fn entries(state: &State, kind: EntryKind) -> Vec<String> {
    state
        .timeline
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| {
            let text = e.current_text().replace('\n', " ");
            format!("- {} {} ({})", e.at.format("%H:%M"), text.trim(), e.author)
        })
        .collect()
}

fn impact(state: &State, impact: Option<&str>, symptom: Option<&str>) -> Option<String> {
    let mut lines = Vec::new();
    if let Some(impact) = impact {
        lines.push(impact.to_string());
    }
    if let Some(symptom) = symptom {
        lines.push(format!("Customers may have experienced {symptom}."));
    }
    let time = |k: TimeKind| state.times.get(&k).map(|t| t.at);
    match (time(TimeKind::ImpactStart), time(TimeKind::ImpactEnd)) {
        (Some(start), Some(end)) => lines.push(format!(
            "The impact lasted {} ({} to {}).",
            human(end - start),
            utc(start),
            utc(end)
        )),
        (Some(start), None) => lines.push(format!("The impact started at {}.", utc(start))),
        _ => {}
    }
    if lines.is_empty() {
        return None;
    }
    let blast = &state.blast;
    let named = |what: &str, names: Vec<&str>| {
        (!names.is_empty()).then(|| format!("- {what}: {}", names.join(", ")))
    };
    let scope: Vec<String> = [
        named(
            "Tenants",
            blast.scope_tenants.iter().map(String::as_str).collect(),
        ),
        named(
            "Regions",
            blast.scope_regions.iter().map(String::as_str).collect(),
        ),
        named(
            "Services",
            blast.scope_services.iter().map(String::as_str).collect(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !scope.is_empty() {
        lines.push(String::new());
        lines.extend(scope);
    }
    Some(lines.join("\n"))
}

fn detection(state: &State, metrics: &Metrics) -> Option<String> {
    let mut lines = Vec::new();
    for (kind, what) in [
        (TimeKind::ImpactStart, "The impact started"),
        (TimeKind::Detected, "It was detected"),
    ] {
        if let Some(t) = state.times.get(&kind) {
            lines.push(format!("{what} at {} (set by {}).", utc(t.at), t.by));
        }
    }
    if let Some(d) = metrics.time_to_detect {
        lines.push(format!("Time to detect: {}.", human(d)));
    }
    let alert = state
        .timeline
        .iter()
        .find(|e| e.author.starts_with("system:") && e.text.starts_with("Alert firing:"));
    match alert {
        Some(alert) => lines.push(format!(
            "Raised by an alert from {} at {}: {}",
            alert.author.trim_start_matches("system:"),
            utc(alert.at),
            alert.text.trim_start_matches("Alert firing:").trim()
        )),
        None if state.declared_by.starts_with("system:") => lines.push(format!(
            "Declared automatically by {}.",
            state.declared_by.trim_start_matches("system:")
        )),
        None => {}
    }
    if lines.is_empty() {
        return None;
    }
    if let (Some(minutes), Some(met)) = (metrics.response_minutes, metrics.response_deadline_met) {
        let verdict = if met { "met" } else { "missed" };
        lines.push(format!(
            "The response deadline ({minutes} min to acknowledge) was {verdict}."
        ));
    }
    Some(lines.join("\n"))
}

/// What the measurements say went well (`well`) or badly, once it is over.
fn went(state: &State, metrics: &Metrics, well: bool) -> Option<String> {
    state.resolved_at?;
    let mut lines = Vec::new();
    if let (Some(minutes), Some(met)) = (metrics.response_minutes, metrics.response_deadline_met)
        && met == well
    {
        let took = metrics
            .time_to_acknowledge
            .map_or(String::new(), |d| format!(" (after {})", human(d)));
        let verdict = if met { "within" } else { "later than" };
        lines.push(format!(
            "- acknowledged {verdict} the {minutes}-minute response deadline{took}"
        ));
    }
    if let Some(every) = metrics.update_every_minutes {
        match (metrics.update_cadence_misses, well) {
            (0, true) => lines.push(format!("- an update went out at least every {every} min")),
            (n, false) if n > 0 => lines.push(format!(
                "- {n} update(s) came later than the {every}-minute cadence"
            )),
            _ => {}
        }
    }
    for run in &state.action_runs {
        let line = |verdict: &str| format!("- containment: {} {verdict}", run.title);
        match (run.status, well) {
            (RunStatus::Finished(RunOutcome::Succeeded), true) => lines.push(line("succeeded")),
            (RunStatus::Finished(RunOutcome::Failed), false) => lines.push(line("failed")),
            (RunStatus::Finished(RunOutcome::Unknown), false) => {
                lines.push(line("ended with its outcome unknown"))
            }
            _ => {}
        }
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

#[cfg(test)]
#[path = "draft_tests.rs"]
mod tests;
