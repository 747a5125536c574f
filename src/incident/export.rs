//! Exports derived from the log, never stored apart: the incident ticket and a
//! blameless post-mortem draft (Markdown, from the catalog's templates), the whole
//! incident as JSON, and the timeline as CSV.

use super::clocks::{self, Clock};
use super::event::Event;
use super::render::{Metrics, render};
use super::runbook::{FieldValues, Runbooks};
use super::state::State;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Markdown,
    Json,
    Csv,
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(ExportFormat::Markdown),
            "json" => Ok(ExportFormat::Json),
            "csv" => Ok(ExportFormat::Csv),
            other => Err(format!(
                "`{other}` is not an export format: use md, json or csv"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("the catalog has no `{0}` template, which this export needs")]
    MissingTemplate(&'static str),
    #[error("could not encode the export as JSON: {0}")]
    Json(String),
}

/// The templates a Markdown export renders, in order.
pub const MARKDOWN_TEMPLATES: [&str; 2] = ["incident_ticket", "postmortem"];

pub fn export(
    state: &State,
    events: &[Event],
    runbooks: &Runbooks,
    format: ExportFormat,
    now: DateTime<Utc>,
) -> Result<String, ExportError> {
    match format {
        ExportFormat::Markdown => markdown(state, runbooks, now),
        ExportFormat::Json => json(state, events, runbooks, now),
        ExportFormat::Csv => Ok(csv(state)),
    }
}

fn markdown(state: &State, runbooks: &Runbooks, now: DateTime<Utc>) -> Result<String, ExportError> {
    let mut parts = Vec::new();
    for id in MARKDOWN_TEMPLATES {
        let template = runbooks
            .template(id)
            .ok_or(ExportError::MissingTemplate(id))?;
        let rendered = render(template, state, runbooks, &FieldValues::new(), now);
        parts.push(rendered.text.trim_end().to_string());
    }
    Ok(parts.join("\n\n---\n\n") + "\n")
}

#[derive(Serialize)]
struct JsonExport<'a> {
    exported_at: DateTime<Utc>,
    incident: &'a State,
    metrics: Metrics,
    clocks: Vec<Clock>,
    events: &'a [Event],
}

fn json(
    state: &State,
    events: &[Event],
    runbooks: &Runbooks,
    now: DateTime<Utc>,
) -> Result<String, ExportError> {
    let export = JsonExport {
        exported_at: now,
        incident: state,
        metrics: Metrics::of(state),
        clocks: clocks::compute(state, runbooks, now),
        events,
    };
    serde_json::to_string_pretty(&export)
        .map(|s| s + "\n")
        .map_err(|e| ExportError::Json(e.to_string()))
}

/// RFC 4180 CSV of the timeline: seq, UTC time, author, kind, text (corrections win).
fn csv(state: &State) -> String {
    let mut out = String::from("seq,at_utc,author,kind,text,corrected\n");
    for entry in &state.timeline {
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            entry.seq,
            entry.at.format("%Y-%m-%dT%H:%M:%SZ"),
            csv_field(&entry.author),
            entry.kind,
            csv_field(entry.current_text()),
            entry.correction.is_some()
        ));
    }
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\"\nok"), "\"say \"\"hi\"\"\nok\"");
    }

    #[test]
    fn formats_parse() {
        assert_eq!("md".parse(), Ok(ExportFormat::Markdown));
        assert_eq!("JSON".parse(), Ok(ExportFormat::Json));
        assert!("pdf".parse::<ExportFormat>().is_err());
    }
}
