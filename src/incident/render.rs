//! Filling comms templates from an incident: the values of the built-in placeholders
//! (see `template::BUILT_IN_PLACEHOLDERS`) and the post-mortem metrics.

use super::clocks::{self, ClockState, format_duration};
use super::markdown;
use super::role::Role;
use super::runbook::{FieldValues, Runbooks};
use super::state::{EntryKind, State};
use super::template::Template;
use super::times::{Metrics, TimeKind, human};
use chrono::{DateTime, Utc};

/// A rendered template: the text, and the declared fields still unfilled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub missing: Vec<String>,
}

/// How values that people typed are written into a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    /// As typed: comms updates are plain text.
    Plain,
    /// Escaped so they render as text in a Markdown document (see `markdown::text`).
    Markdown,
}

impl Markup {
    fn text(self, text: &str) -> String {
        match self {
            Markup::Plain => text.to_string(),
            Markup::Markdown => markdown::text(text).into_owned(),
        }
    }
}

/// Renders `template` for `state` at `now`; `fields` supplies the person-filled values.
pub fn render(
    template: &Template,
    state: &State,
    runbooks: &Runbooks,
    fields: &FieldValues,
    now: DateTime<Utc>,
) -> Rendered {
    render_as(Markup::Plain, template, state, runbooks, fields, now)
}

/// [`render`], writing every value people typed in `markup`.
pub fn render_as(
    markup: Markup,
    template: &Template,
    state: &State,
    runbooks: &Runbooks,
    fields: &FieldValues,
    now: DateTime<Utc>,
) -> Rendered {
    fill(markup, false, template, state, runbooks, fields, now)
}

/// Fills `template`: person-filled `fields` first, then the built-in values; with
/// `keep_publish_times`, the publish-time placeholders stay as `{name}`.
fn fill(
    markup: Markup,
    keep_publish_times: bool,
    template: &Template,
    state: &State,
    runbooks: &Runbooks,
    fields: &FieldValues,
    now: DateTime<Utc>,
) -> Rendered {
    let (text, missing) = template.fill(|name| {
        if keep_publish_times && PUBLISH_TIME_PLACEHOLDERS.contains(&name) {
            return Some(format!("{{{name}}}"));
        }
        fields
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| markup.text(v))
            .or_else(|| built_in_as(markup, name, state, runbooks, now))
    });
    Rendered { text, missing }
}

fn scope(names: &[String]) -> Vec<&str> {
    as_strs(names)
}

fn as_strs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

/// Placeholders whose value depends on the moment an update goes out. A draft rendered
/// for publishing keeps them as `{name}`; `decide` stamps them with the hub's time
/// when it publishes, so a confirmation left open a minute, or an update queued
/// offline, never says "posted 20:52" at 20:53.
pub const PUBLISH_TIME_PLACEHOLDERS: [&str; 3] = ["now", "elapsed", "next_update_at"];

/// Like [`render`], but leaves the publish-time placeholders as `{name}` for the hub
/// to stamp (see [`stamp_publish_times`]).
pub fn render_for_publish(
    template: &Template,
    state: &State,
    runbooks: &Runbooks,
    fields: &FieldValues,
    now: DateTime<Utc>,
) -> Rendered {
    fill(Markup::Plain, true, template, state, runbooks, fields, now)
}

/// Fills `{now}`, `{elapsed}` and `{next_update_at}` in a text being published at
/// `now`. This publish restarts the update clock, so the next update is due one
/// cadence from now (or "at resolution" once resolved or with no cadence).
pub fn stamp_publish_times(
    text: &str,
    state: &State,
    runbooks: &Runbooks,
    now: DateTime<Utc>,
) -> String {
    if !PUBLISH_TIME_PLACEHOLDERS
        .iter()
        .any(|name| text.contains(&format!("{{{name}}}")))
    {
        return text.to_string();
    }
    let cadence = state
        .severity
        .and_then(|s| runbooks.level(s))
        .and_then(|l| l.update_every_minutes)
        .filter(|_| state.status != super::state::Status::Resolved);
    let next = cadence.map_or("at resolution".to_string(), |minutes| {
        utc(now + chrono::Duration::minutes(i64::from(minutes)))
    });
    let elapsed = state
        .declared_at
        .map_or("n/a".to_string(), |d| format_duration(now - d));
    text.replace("{now}", &utc(now))
        .replace("{elapsed}", &elapsed)
        .replace("{next_update_at}", &next)
}

/// `2026-11-22 04:15 UTC`.
pub fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn list_or(items: Vec<&str>, empty: &str) -> String {
    if items.is_empty() {
        empty.to_string()
    } else {
        items.join(", ")
    }
}

/// The value of a built-in placeholder, `None` for a name that is not built in.
pub fn built_in(
    name: &str,
    state: &State,
    runbooks: &Runbooks,
    now: DateTime<Utc>,
) -> Option<String> {
    built_in_as(Markup::Plain, name, state, runbooks, now)
}

/// [`built_in`] with what people typed (titles, names, notes, checklist items) written
/// in `markup`; the structure around it (list markers, times) is the template's own.
fn built_in_as(
    markup: Markup,
    name: &str,
    state: &State,
    runbooks: &Runbooks,
    now: DateTime<Utc>,
) -> Option<String> {
    let typed = |text: &str| markup.text(text);
    // The remediations are the follow-ups (with whatever people wrote under them).
    if name == "remediations" && !state.followups.is_empty() {
        let mut lines: Vec<String> = state
            .followups
            .iter()
            .map(|f| f.as_remediation(typed))
            .collect();
        if let Some(section) = state.postmortem.get(name) {
            lines.push(String::new());
            lines.push(typed(&section.text));
        }
        return Some(lines.join("\n"));
    }
    // A post-mortem section people wrote (in the console or with `warroom postmortem`).
    if let Some(section) = state.postmortem.get(name) {
        return Some(typed(&section.text));
    }
    let holder = |role: Role| typed(state.holder(role).unwrap_or("unassigned"));
    // Only the metrics placeholders need them: computed when one is filled.
    let metrics = || Metrics::of(state, runbooks, now);
    let duration = |d: Option<chrono::Duration>| d.map_or("n/a".to_string(), format_duration);
    let value = match name {
        "incident_id" => state.id.clone(),
        "title" => typed(&state.title),
        // Unset, it stays a visible ⟨public_title⟩ marker that publishing refuses.
        "public_title" => typed(state.public_title.as_deref()?),
        "severity" => state
            .severity
            .map_or("unset".into(), |s| s.code().to_string()),
        "severity_name" => state
            .severity
            .and_then(|s| runbooks.level(s))
            .map_or("unset".into(), |l| typed(&l.name)),
        "status" => state.status.title().to_string(),
        "declared_at" => state.declared_at.map_or("unknown".into(), utc),
        "resolved_at" => state.resolved_at.map_or("not yet resolved".into(), utc),
        "now" => utc(now),
        "elapsed" => duration(state.declared_at.map(|d| now - d)),
        "commander" => holder(Role::Commander),
        "scribe" => holder(Role::Scribe),
        "comms_lead" => holder(Role::Comms),
        "ops_lead" => holder(Role::Ops),
        "security_lead" => holder(Role::Security),
        "playbooks" => {
            let titles = state
                .playbooks
                .iter()
                .map(|id| {
                    runbooks
                        .playbook(id)
                        .map_or(id.as_str(), |p| p.title.as_str())
                })
                .collect();
            typed(&list_or(titles, "none"))
        }
        // The scope: everything ever confirmed harmed, recovered included; what each
        // looks like now is separate (`tenants_now`, `services_now`).
        "affected_tenants" => typed(&list_or(
            scope(&state.blast.scope_tenants),
            "none identified",
        )),
        "affected_regions" => typed(&list_or(
            scope(&state.blast.scope_regions),
            "none identified",
        )),
        "affected_services" => typed(&list_or(
            scope(&state.blast.scope_services),
            "none identified",
        )),
        "tenants_now" => typed(&list_or(as_strs(&state.blast.tenants_now()), "none named")),
        "services_now" => typed(&list_or(as_strs(&state.blast.services_now()), "none named")),
        "next_update_at" => clocks::compute(state, runbooks, now)
            .into_iter()
            .find(|c| c.id == "next_update")
            .map_or("at resolution".into(), |c| utc(c.due)),
        "time_to_detect" => duration(metrics().time_to_detect),
        "time_to_acknowledge" => duration(metrics().time_to_acknowledge),
        "time_to_mitigate" => duration(metrics().time_to_mitigate),
        "time_to_resolve" => duration(metrics().time_to_resolve),
        "impact_duration" => duration(metrics().impact_duration),
        "response_deadline" => response_deadline(&metrics()),
        "update_cadence" => update_cadence(&metrics()),
        "postmortem_due" => postmortem_due(state, runbooks, now),
        "impact_started_at" => marked(state, TimeKind::ImpactStart),
        "detected_at" => marked(state, TimeKind::Detected),
        "mitigated_at" => marked(state, TimeKind::Mitigated),
        "impact_ended_at" => marked(state, TimeKind::ImpactEnd),
        "timeline" => timeline_lines(state, markup, |_| true),
        "decisions" => {
            let lines = timeline_lines(state, markup, |kind| kind == EntryKind::Decision);
            if lines.is_empty() {
                "- none recorded".into()
            } else {
                lines
            }
        }
        "open_items_summary" => open_items_summary(state, now),
        "open_items" => {
            let open: Vec<String> = state
                .checklist
                .iter()
                .filter(|i| i.done.is_none())
                .map(|i| format!("- [ ] {}", typed(&i.text)))
                .collect();
            if open.is_empty() {
                "- none".into()
            } else {
                open.join("\n")
            }
        }
        _ => return None,
    };
    Some(value)
}

/// The most overdue items named in `open_items_summary`.
const MOST_OVERDUE: usize = 3;

/// Open checklist items in a few lines: how many, how many overdue, how many each
/// owning role has, and the most overdue by name (a status update, not the checklist).
fn open_items_summary(state: &State, now: DateTime<Utc>) -> String {
    let open: Vec<_> = state
        .checklist
        .iter()
        .filter(|i| i.done.is_none())
        .collect();
    if open.is_empty() {
        return "- none".into();
    }
    let overdue_by = |item: &&super::state::ChecklistItem| {
        let within = chrono::Duration::minutes(i64::from(item.within_minutes?));
        let late = now - (state.declared_at? + within);
        (late > chrono::Duration::zero()).then_some(late)
    };
    let mut overdue: Vec<_> = open
        .iter()
        .filter_map(|i| Some((overdue_by(i)?, *i)))
        .collect();
    overdue.sort_by_key(|(late, _)| std::cmp::Reverse(*late));
    let mut owners: Vec<(String, usize)> = Vec::new();
    for item in &open {
        let owner = item
            .role
            .map_or("unassigned".to_string(), |r| r.title().to_lowercase());
        match owners.iter_mut().find(|(o, _)| *o == owner) {
            Some((_, n)) => *n += 1,
            None => owners.push((owner, 1)),
        }
    }
    owners.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let owners: Vec<String> = owners.iter().map(|(o, n)| format!("{o} {n}")).collect();
    let mut out = format!(
        "- {} open, {} overdue\n- by owner: {}",
        open.len(),
        overdue.len(),
        owners.join(", ")
    );
    for (late, item) in overdue.iter().take(MOST_OVERDUE) {
        out.push_str(&format!(
            "\n- overdue {}: {}",
            format_duration(*late),
            item.text
        ));
    }
    if overdue.len() > MOST_OVERDUE {
        out.push_str(&format!(
            "\n- and {} more overdue (see the checklist)",
            overdue.len() - MOST_OVERDUE
        ));
    }
    out
}

/// `- 04:15 UTC alice: text` per entry, multi-line texts indented.
/// The whole timeline as Markdown list items (what a Markdown export's timeline part is).
pub fn timeline_markdown(state: &State) -> String {
    timeline_lines(state, Markup::Markdown, |_| true)
}

fn timeline_lines(state: &State, markup: Markup, keep: impl Fn(EntryKind) -> bool) -> String {
    let mut out = String::new();
    for entry in state.timeline.iter().filter(|e| keep(e.kind)) {
        if !out.is_empty() {
            out.push('\n');
        }
        // A published update is told in full where it was published; on the timeline
        // its first line and where to find the rest.
        let shown = match (entry.kind, entry.current_text().split_once('\n')) {
            (EntryKind::Comms, Some((first, _))) => {
                format!("{first} (the full text: update #{})", entry.seq)
            }
            _ => entry.current_text().to_string(),
        };
        let text = markup.text(&shown).replace('\n', "\n  ");
        let corrected = if entry.correction.is_some() {
            " (corrected)"
        } else {
            ""
        };
        out.push_str(&format!(
            "- {} {}: {text}{corrected}",
            entry.at.format("%Y-%m-%d %H:%M:%S UTC"),
            markup.text(&entry.author)
        ));
    }
    out
}

/// "met (acknowledged 4m 10s after detection; within 15 min)" and the like.
fn response_deadline(metrics: &Metrics) -> String {
    let Some(minutes) = metrics.response_minutes else {
        return "n/a (no response time for this severity)".into();
    };
    let took = metrics.time_to_acknowledge.map_or(String::new(), |d| {
        format!(", acknowledged after {}", human(d))
    });
    match metrics.response_deadline_met {
        Some(true) => format!("met (within {minutes} min{took})"),
        Some(false) => format!("missed (within {minutes} min asked{took})"),
        None => format!("open (within {minutes} min)"),
    }
}

/// When the post-mortem is due (business days after the resolve, from the severity
/// matrix) and whether that was kept.
fn postmortem_due(state: &State, runbooks: &Runbooks, now: DateTime<Utc>) -> String {
    let days = state
        .severity
        .and_then(|s| runbooks.level(s))
        .and_then(|l| l.postmortem_business_days);
    let (Some(days), Some(_)) = (days, state.resolved_at) else {
        return match days {
            None => "n/a (no post-mortem deadline for this severity)".into(),
            Some(days) => format!("{days} business days after the resolve"),
        };
    };
    let Some(clock) = clocks::compute(state, runbooks, now)
        .into_iter()
        .find(|c| c.id == "postmortem")
    else {
        return format!("{days} business days after the resolve");
    };
    let verdict = match clock.state {
        ClockState::Met => "published",
        ClockState::Overdue => "overdue",
        _ => "open",
    };
    format!(
        "{} ({days} business days after the resolve; {verdict})",
        clock.due.format("%Y-%m-%d %H:%M UTC")
    )
}

/// "2 updates later than every 30 min" and the like.
fn update_cadence(metrics: &Metrics) -> String {
    match (metrics.update_every_minutes, metrics.update_cadence_misses) {
        (None, _) => "n/a (no cadence for this severity)".into(),
        (Some(every), 0) => format!("kept (an update at least every {every} min)"),
        (Some(every), 1) => format!("1 update later than every {every} min"),
        (Some(every), n) => format!("{n} updates later than every {every} min"),
    }
}

/// A time people set, with who set it, or "not set".
fn marked(state: &State, which: TimeKind) -> String {
    state.times.get(&which).map_or("not set".into(), |t| {
        format!("{} (set by {})", utc(t.at), t.by)
    })
}
