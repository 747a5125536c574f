//! Filling comms templates from an incident: the values of the built-in placeholders
//! (see `template::BUILT_IN_PLACEHOLDERS`) and the post-mortem metrics.

use super::clocks::{self, format_duration};
use super::markdown;
use super::role::Role;
use super::runbook::{FieldValues, Runbooks};
use super::state::{EntryKind, State};
use super::template::Template;
use chrono::{DateTime, Utc};
use serde::Serialize;

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
    let (text, missing) = template.fill(|name| {
        fields
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| markup.text(v))
            .or_else(|| built_in_as(markup, name, state, runbooks, now))
    });
    Rendered { text, missing }
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
    let holder = |role: Role| typed(state.holder(role).unwrap_or("unassigned"));
    let metrics = Metrics::of(state);
    let duration = |d: Option<chrono::Duration>| d.map_or("n/a".to_string(), format_duration);
    let value = match name {
        "incident_id" => state.id.clone(),
        "title" => typed(&state.title),
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
        "affected_tenants" => typed(&list_or(state.blast.affected_tenants(), "none identified")),
        "affected_regions" => typed(&list_or(state.blast.affected_regions(), "none identified")),
        "affected_services" => typed(&list_or(state.blast.affected_services(), "none identified")),
        "next_update_at" => clocks::compute(state, runbooks, now)
            .into_iter()
            .find(|c| c.id == "next_update")
            .map_or("at resolution".into(), |c| utc(c.due)),
        "time_to_acknowledge" => duration(metrics.time_to_acknowledge),
        "time_to_mitigate" => duration(metrics.time_to_mitigate),
        "time_to_resolve" => duration(metrics.time_to_resolve),
        "timeline" => timeline_lines(state, markup, |_| true),
        "decisions" => {
            let lines = timeline_lines(state, markup, |kind| kind == EntryKind::Decision);
            if lines.is_empty() {
                "- none recorded".into()
            } else {
                lines
            }
        }
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

/// `- 04:15 UTC alice: text` per entry, multi-line texts indented.
fn timeline_lines(state: &State, markup: Markup, keep: impl Fn(EntryKind) -> bool) -> String {
    let mut out = String::new();
    for entry in state.timeline.iter().filter(|e| keep(e.kind)) {
        if !out.is_empty() {
            out.push('\n');
        }
        let text = markup.text(entry.current_text()).replace('\n', "\n  ");
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

/// Response metrics, all measured from declaration, all derived from the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Metrics {
    #[serde(with = "opt_seconds")]
    pub time_to_acknowledge: Option<chrono::Duration>,
    #[serde(with = "opt_seconds")]
    pub time_to_mitigate: Option<chrono::Duration>,
    #[serde(with = "opt_seconds")]
    pub time_to_resolve: Option<chrono::Duration>,
}

impl Metrics {
    pub fn of(state: &State) -> Metrics {
        let since = |at: Option<DateTime<Utc>>| Some(at? - state.declared_at?);
        Metrics {
            time_to_acknowledge: since(state.acknowledged_at),
            time_to_mitigate: since(state.mitigated_at),
            time_to_resolve: since(state.resolved_at),
        }
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
