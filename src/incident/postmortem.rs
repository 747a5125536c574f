//! The post-mortem people write: its sections (those of the post-mortem template that
//! only people can fill), each written as an event so it is shared live and audited,
//! what is still unwritten, and a draft of a section from what the incident already
//! knows (`draft`).

use super::render::utc;
use super::runbook::Runbooks;
use super::state::{EntryKind, RunOutcome, RunStatus, State, Status};
use super::template::{Segment, Template};
use super::times::{Metrics, TimeKind, human};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// The sections people write, in the template's order: (id, title).
pub const SECTIONS: [(&str, &str); 9] = [
    ("summary", "Summary"),
    ("impact", "Impact"),
    ("detection", "Detection"),
    ("root_cause", "Root cause"),
    ("contributing_factors", "Contributing factors"),
    ("went_well", "What went well"),
    ("went_badly", "What did not go well"),
    ("remediations", "Remediations"),
    ("attachments", "Attachments"),
];

/// A section as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub text: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// The title of section `id`, if it is one.
pub fn title(id: &str) -> Option<&'static str> {
    SECTIONS.iter().find(|(s, _)| *s == id).map(|(_, t)| *t)
}

/// The sections not written yet, in order.
pub fn unwritten(state: &State) -> Vec<&'static str> {
    SECTIONS
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !state.postmortem.contains_key(*id))
        .collect()
}

/// The most characters one section may hold (the domain's limit, the same as a comms
/// text's): `decide` refuses more, and the console counts against it.
pub const SECTION_MAX_CHARS: usize = super::limits::COMMS_MAX_CHARS;

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
mod tests {
    use super::*;
    use crate::incident::event::{Event, EventKind};
    use crate::incident::severity::Severity;
    use crate::incident::template::{Audience, TemplateFile};
    use crate::incident::times::MarkedTime;
    use chrono::{Duration, TimeZone};

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 5, 0, 0).unwrap() + Duration::minutes(minute)
    }

    fn runbooks() -> Runbooks {
        let file: TemplateFile = toml::from_str(include_str!(
            "../../assets/templates/internal_resolution.toml"
        ))
        .unwrap();
        Runbooks {
            templates: vec![Template::try_from(file).unwrap()],
            ..Runbooks::default()
        }
    }

    /// An incident declared at 05:00 by alice, with `kinds` applied a minute apart.
    fn state(kinds: Vec<(&str, EventKind)>) -> State {
        let mut state = State::default();
        let declare = EventKind::Declared {
            id: "INC-1".into(),
            title: "Exports leak".into(),
            severity: Severity::Sev1,
            summary: None,
        };
        let all = std::iter::once(("alice", declare)).chain(kinds);
        for (n, (actor, kind)) in all.enumerate() {
            let seq = n as u64 + 1;
            state.apply(&Event {
                seq,
                at: at(seq as i64 - 1),
                actor: actor.into(),
                command_id: None,
                kind,
            });
        }
        state
    }

    fn resolved() -> EventKind {
        EventKind::StatusChanged {
            from: Status::Investigating,
            to: Status::Resolved,
            reason: None,
        }
    }

    fn published(text: &str) -> EventKind {
        EventKind::CommsPublished {
            template: "internal_resolution".into(),
            title: "Internal: resolution".into(),
            audience: Audience::Internal,
            channels: vec![],
            text: text.into(),
        }
    }

    const RESOLUTION: &str = "RESOLVED: INC-1 | Exports leak\n\
        Impact:    12 tenants saw others' invoices for 47 minutes\n\
        Root cause (preliminary): the tenant filter was skipped on the export path\n\
        Follow-up: ⟨follow_up⟩\n";

    #[test]
    fn fields_are_read_back_from_an_update_as_published() {
        let found = read_fields(&runbooks().templates[0], RESOLUTION);
        assert_eq!(
            found,
            vec![
                (
                    "impact_summary".to_string(),
                    "12 tenants saw others' invoices for 47 minutes".to_string()
                ),
                (
                    "root_cause_summary".to_string(),
                    "the tenant filter was skipped on the export path".to_string()
                ),
            ],
            "an unfilled ⟨follow_up⟩ is not a value"
        );
    }

    #[test]
    fn summary_impact_and_root_cause_come_from_the_resolution_update() {
        let decision = EventKind::NoteAdded {
            kind: EntryKind::Decision,
            text: "disable\nCSV exports".into(),
            typed_at: None,
        };
        let state = state(vec![
            ("bob", decision),
            ("alice", resolved()),
            ("carol", published(RESOLUTION)),
        ]);
        let runbooks = runbooks();
        let summary = draft(&state, &runbooks, at(10), "summary").unwrap();
        assert!(
            summary.starts_with(
                "Exports leak (SEV1) was declared at 2026-11-22 05:00 UTC and resolved at \
                 2026-11-22 05:02 UTC. It was mitigated after 2m 00s, resolved after 2m 00s."
            ),
            "{summary}"
        );
        assert!(summary.contains("Impact: 12 tenants saw others' invoices for 47 minutes"));
        assert!(summary.contains("Key decisions:\n- 05:01 disable CSV exports (bob)"));
        let impact = draft(&state, &runbooks, at(10), "impact").unwrap();
        assert_eq!(impact, "12 tenants saw others' invoices for 47 minutes");
        assert_eq!(
            draft(&state, &runbooks, at(10), "root_cause").as_deref(),
            Some(
                "Preliminary, from the resolution update: the tenant filter was skipped on \
                 the export path"
            )
        );
        for people_only in [
            "contributing_factors",
            "remediations",
            "attachments",
            "nope",
        ] {
            assert_eq!(draft(&state, &runbooks, at(10), people_only), None);
        }
    }

    #[test]
    fn nothing_known_means_no_draft() {
        let state = state(vec![]);
        for (id, _) in SECTIONS {
            assert_eq!(draft(&state, &runbooks(), at(5), id), None, "{id}");
        }
        // Resolved without a resolution update: a summary, but no impact or cause.
        let state = self::state(vec![("alice", resolved())]);
        assert!(draft(&state, &runbooks(), at(5), "summary").is_some());
        assert_eq!(draft(&state, &runbooks(), at(5), "impact"), None);
        assert_eq!(draft(&state, &runbooks(), at(5), "root_cause"), None);
    }

    #[test]
    fn detection_comes_from_the_marked_times_and_the_alert() {
        let mark = |which, minute| EventKind::TimeSet {
            which,
            time: at(minute),
            previous: None,
        };
        let alert = EventKind::AlertReceived {
            group_key: "g".into(),
            firing: true,
            summary: "ExportErrors high".into(),
            suggested_playbook: None,
        };
        let state = state(vec![
            ("system:alertmanager", alert),
            ("bob", mark(TimeKind::ImpactStart, -30)),
            ("bob", mark(TimeKind::Detected, -5)),
        ]);
        assert_eq!(
            state.times.get(&TimeKind::Detected),
            Some(&MarkedTime {
                at: at(-5),
                by: "bob".into()
            })
        );
        let text = draft(&state, &runbooks(), at(10), "detection").unwrap();
        assert_eq!(
            text,
            "The impact started at 2026-11-22 04:30 UTC (set by bob).\n\
             It was detected at 2026-11-22 04:55 UTC (set by bob).\n\
             Time to detect: 25m 00s.\n\
             Raised by an alert from alertmanager at 2026-11-22 05:01 UTC: ExportErrors high"
        );
    }

    #[test]
    fn what_went_well_and_badly_comes_from_the_measurements_once_resolved() {
        let mut runbooks = runbooks();
        runbooks.severity.level.push(
            toml::from_str(
                "code = \"SEV1\"\nalias = \"P0\"\nname = \"Critical\"\n\
                 response_minutes = 15\nupdate_every_minutes = 30\n",
            )
            .unwrap(),
        );
        let run = |title: &str| EventKind::ActionRequested {
            action: title.to_lowercase(),
            title: title.into(),
            params: Default::default(),
            preview: crate::incident::action::Request::Exec {
                argv: vec!["true".into()],
                cwd: None,
                env: Vec::new(),
            },
            roles: Vec::new(),
            two_person: false,
            dry_run: false,
            fingerprint: String::new(),
        };
        let finished = |run, outcome| EventKind::ActionFinished {
            run,
            outcome,
            status: None,
            duration_ms: 0,
            excerpt: String::new(),
        };
        let open = state(vec![
            ("alice", EventKind::Acknowledged),
            ("alice", run("Freeze")),
            ("system:runner", finished(3, RunOutcome::Succeeded)),
            ("alice", run("Isolate")),
            ("system:runner", finished(5, RunOutcome::Failed)),
        ]);
        assert_eq!(
            draft(&open, &runbooks, at(10), "went_well"),
            None,
            "not over yet"
        );
        let mut resolved_state = open.clone();
        resolved_state.apply(&Event {
            seq: 6,
            at: at(6),
            actor: "alice".into(),
            command_id: None,
            kind: resolved(),
        });
        let well = draft(&resolved_state, &runbooks, at(10), "went_well").unwrap();
        assert_eq!(
            well,
            "- acknowledged within the 15-minute response deadline (after 1m 00s)\n\
             - an update went out at least every 30 min\n\
             - containment: Freeze succeeded"
        );
        let badly = draft(&resolved_state, &runbooks, at(10), "went_badly").unwrap();
        assert_eq!(badly, "- containment: Isolate failed");
    }
}
