//! Exports derived from the log, never stored apart: the incident ticket and a
//! blameless post-mortem draft (Markdown, from the catalog's templates), the whole
//! incident as JSON, and the timeline as CSV.

use super::clocks::{self, Clock};
use super::event::Event;
use super::render::{Markup, render_as};
use super::runbook::{FieldValues, Runbooks};
use super::safe_text::{escape_json, neutralise};
use super::state::State;
use super::times::Metrics;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Markdown,
    /// The Markdown export as one self-contained HTML page ([`super::html`]).
    Html,
    Json,
    Csv,
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(ExportFormat::Markdown),
            "html" => Ok(ExportFormat::Html),
            "json" => Ok(ExportFormat::Json),
            "csv" => Ok(ExportFormat::Csv),
            other => Err(format!(
                "`{other}` is not an export format: use md, html, json or csv"
            )),
        }
    }
}

/// The log's head an export was made from: the seq of the last event it includes and
/// the chain hash of that event's line. Written `SEQ:HASH`, which
/// `warroom verify LOG --head SEQ:HASH` checks a copy of the log against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LogHead {
    pub seq: u64,
    pub hash: String,
}

impl std::fmt::Display for LogHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("the catalog has no `{0}` template, which this export needs")]
    MissingTemplate(&'static str),
    #[error("could not encode the export as JSON: {0}")]
    Json(String),
    #[error("could not write the export as CSV: {0}")]
    Csv(String),
}

/// The templates a Markdown export renders, in order.
pub const MARKDOWN_TEMPLATES: [&str; 2] = ["incident_ticket", "postmortem"];

/// Which part of a Markdown export: the ticket and the post-mortem (with the timeline
/// once, in the ticket), one of them, or the timeline alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Part {
    #[default]
    All,
    Ticket,
    Postmortem,
    Timeline,
}

impl std::str::FromStr for Part {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(Part::All),
            "ticket" => Ok(Part::Ticket),
            "postmortem" | "post-mortem" => Ok(Part::Postmortem),
            "timeline" => Ok(Part::Timeline),
            _ => Err(format!(
                "`{text}` is not a part: use ticket, postmortem, timeline or all"
            )),
        }
    }
}

/// Exports the incident as `format`. Every format states `head`, the log head the
/// state and events were read at (`None`: the source did not say, e.g. an older hub).
pub fn export(
    state: &State,
    events: &[Event],
    head: Option<&LogHead>,
    runbooks: &Runbooks,
    format: ExportFormat,
    now: DateTime<Utc>,
) -> Result<String, ExportError> {
    export_part(state, events, head, runbooks, format, Part::All, now)
}

/// [`export`], of one `part` (Markdown and HTML; the other formats are always whole).
pub fn export_part(
    state: &State,
    events: &[Event],
    head: Option<&LogHead>,
    runbooks: &Runbooks,
    format: ExportFormat,
    part: Part,
    now: DateTime<Utc>,
) -> Result<String, ExportError> {
    // The state keeps only the newest entries in memory; an export is the whole
    // incident, so its timeline is worded again from every event (as a page is).
    let whole;
    let state = if state.timeline_dropped > 0 {
        let mut full = state.clone();
        full.timeline = events.iter().filter_map(|e| state.page_entry(e)).collect();
        full.timeline_dropped = 0;
        whole = full;
        &whole
    } else {
        state
    };
    // The log keeps what people typed verbatim; what leaves here is safe to open in a
    // terminal (see `safe_text`).
    let text = match format {
        ExportFormat::Markdown => markdown(state, head, runbooks, part, now)?,
        ExportFormat::Html => {
            let markdown = markdown(state, head, runbooks, part, now)?;
            let title = format!("{} ({})", state.title, state.id);
            super::html::page(&title, &markdown)
        }
        ExportFormat::Json => {
            return Ok(escape_json(&json(state, events, head, runbooks, now)?).into_owned());
        }
        ExportFormat::Csv => csv(state, head)?,
    };
    Ok(neutralise(&text).into_owned())
}

/// The line under a Markdown export that names its head.
fn head_note(head: Option<&LogHead>) -> String {
    match head {
        Some(head) => format!(
            "_Exported from the incident log at head `{head}` (seq {}). Check a copy of the log against this document with `warroom verify LOG --head {head}`._",
            head.seq
        ),
        None => "_Exported without a log head: its source did not say which (a hub older than this warroom). Export from the data directory to get one._".to_string(),
    }
}

fn markdown(
    state: &State,
    head: Option<&LogHead>,
    runbooks: &Runbooks,
    part: Part,
    now: DateTime<Utc>,
) -> Result<String, ExportError> {
    let templates: &[&'static str] = match part {
        Part::All => &MARKDOWN_TEMPLATES,
        Part::Ticket => &["incident_ticket"],
        Part::Postmortem => &["postmortem"],
        Part::Timeline => {
            let title = super::markdown::text(&state.title);
            let lines = super::render::timeline_markdown(state);
            let text = format!("# Timeline: {title} ({})\n\n{lines}", state.id);
            return Ok(format!("{text}\n\n---\n\n{}\n", head_note(head)));
        }
    };
    let mut parts = Vec::new();
    for id in templates {
        let template = runbooks
            .template(id)
            .ok_or(ExportError::MissingTemplate(id))?;
        let mut fields = record_fields(state, runbooks);
        if part == Part::All && *id == "postmortem" {
            // One timeline per document: the ticket above carries it.
            fields.insert(
                "timeline".into(),
                "The timeline is in the ticket above.".into(),
            );
        }
        let rendered = render_as(Markup::Markdown, template, state, runbooks, &fields, now);
        let mut text = rendered.text.trim_end().to_string();
        // An unwritten section says so plainly (and how to write it), not ⟨name⟩.
        for name in &rendered.missing {
            let how = if super::postmortem::title(name).is_some() {
                format!(
                    "_Not written yet_ (`warroom postmortem {} --set {name}=…`)",
                    state.id
                )
            } else {
                "_Not written yet_".to_string()
            };
            text = text.replace(&format!("⟨{name}⟩"), &how);
        }
        parts.push(text);
    }
    parts.push(head_note(head));
    Ok(parts.join("\n\n---\n\n") + "\n")
}

/// Fields of the record templates (ticket, post-mortem) the incident already knows by
/// the time it is exported, so they are not left for people to fill: where updates
/// went (the last published update's channels, else the hub's), and, once resolved
/// with a root cause written, the hypotheses it settled.
fn record_fields(state: &State, runbooks: &Runbooks) -> FieldValues {
    let mut fields = FieldValues::new();
    let channels = state
        .published
        .iter()
        .rev()
        .map(|p| &p.channels)
        .find(|c| !c.is_empty())
        .unwrap_or(&runbooks.channels);
    let update_channel = if channels.is_empty() {
        "this war room (no delivery channel configured)".to_string()
    } else {
        channels.join(", ")
    };
    fields.insert("update_channel".into(), update_channel);
    if state.resolved_at.is_some()
        && let Some(cause) = state.postmortem.get("root_cause")
    {
        fields.insert(
            "hypotheses".into(),
            format!("Settled by the root cause: {}", cause.text),
        );
    }
    fields
}

#[derive(Serialize)]
struct JsonExport<'a> {
    exported_at: DateTime<Utc>,
    /// `null` when the source did not say.
    head: Option<&'a LogHead>,
    incident: &'a State,
    metrics: Metrics,
    clocks: Vec<Clock>,
    events: &'a [Event],
}

fn json(
    state: &State,
    events: &[Event],
    head: Option<&LogHead>,
    runbooks: &Runbooks,
    now: DateTime<Utc>,
) -> Result<String, ExportError> {
    let export = JsonExport {
        exported_at: now,
        head,
        incident: state,
        metrics: Metrics::of(state, runbooks, now),
        clocks: clocks::compute(state, runbooks, now),
        events,
    };
    serde_json::to_string_pretty(&export)
        .map(|s| s + "\n")
        .map_err(|e| ExportError::Json(e.to_string()))
}

/// RFC 4180 CSV of the timeline: seq, UTC time, author, kind, text (corrections win),
/// and on every row the log head it was exported at (empty when unknown), so a row
/// copied elsewhere still names its witness. What people typed is neutralised and
/// made formula-safe, cell by cell.
fn csv(state: &State, head: Option<&LogHead>) -> Result<String, ExportError> {
    let head = head.map(LogHead::to_string).unwrap_or_default();
    let mut writer = csv_writer(Vec::new())?;
    for entry in &state.timeline {
        csv_row(&mut writer, entry, &head)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ExportError::Csv(e.error().to_string()))?;
    String::from_utf8(bytes).map_err(|e| ExportError::Csv(e.to_string()))
}

/// A CSV writer over `out` with the export's header row written.
pub fn csv_writer<W: std::io::Write>(out: W) -> Result<csv::Writer<W>, ExportError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    writer
        .write_record([
            "seq",
            "at_utc",
            "author",
            "kind",
            "text",
            "corrected",
            "log_head",
        ])
        .map_err(|e| ExportError::Csv(e.to_string()))?;
    Ok(writer)
}

/// One timeline entry as a CSV row, exported at `head` (empty when unknown).
pub fn csv_row<W: std::io::Write>(
    writer: &mut csv::Writer<W>,
    entry: &super::state::TimelineEntry,
    head: &str,
) -> Result<(), ExportError> {
    writer
        .write_record([
            entry.seq.to_string().as_str(),
            &entry.at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            &csv_cell(&entry.author),
            entry.kind.id(),
            &csv_cell(entry.current_text()),
            if entry.correction.is_some() {
                "true"
            } else {
                "false"
            },
            head,
        ])
        .map_err(|e| ExportError::Csv(e.to_string()))
}

/// A cell a spreadsheet shows as the text typed: dangerous characters as visible
/// escapes, and a cell that would start a formula (`=`, `+`, `-`, `@`, TAB or CR, as
/// OWASP lists them) prefixed with `'`, which spreadsheets take as "this is text".
pub fn csv_cell(text: &str) -> String {
    let text = neutralise(text);
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_would_start_a_formula_are_text() {
        for formula in [
            "=HYPERLINK(\"http://evil.example\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
        ] {
            assert_eq!(csv_cell(formula), format!("'{formula}"));
        }
        assert_eq!(
            csv_cell("\rx"),
            "\\u{d}x",
            "a CR is neutralised before it can start one"
        );
        assert_eq!(csv_cell("rolled back; 5xx -50%"), "rolled back; 5xx -50%");
    }

    #[test]
    fn formats_parse() {
        assert_eq!("md".parse(), Ok(ExportFormat::Markdown));
        assert_eq!("JSON".parse(), Ok(ExportFormat::Json));
        assert!("pdf".parse::<ExportFormat>().is_err());
    }
}
