//! Exports of an incident on disk written as its log is read, a page at a time, so
//! their memory stays bounded however long the incident (CSV and JSON; a Markdown
//! export is a document for people and is built whole, from every event). They say
//! what `incident::export` says, and neutralise the same way.

use std::io::Write;

use chrono::{DateTime, Utc};

use super::Incident;
use crate::incident::export::{ExportError, ExportFormat, Part, csv_row, csv_writer, export_part};
use crate::incident::safe_text::escape_json;
use crate::incident::{Event, Runbooks, clocks, times::Metrics};
use crate::store::{MAX_RANGE, StoreError};

/// Events read at a time.
const PAGE: u64 = 4096;

/// Why a streamed export stopped.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not write the export: {0}")]
    Write(#[from] std::io::Error),
}

/// Writes `incident` as `format` to `out`, reading its log page by page.
pub fn export_to(
    incident: &Incident,
    runbooks: &Runbooks,
    format: ExportFormat,
    part: Part,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) -> Result<(), StreamError> {
    match format {
        ExportFormat::Markdown | ExportFormat::Html => {
            let events = incident.all_events()?;
            let head = incident.head();
            let state = incident.state();
            let text = export_part(state, &events, Some(&head), runbooks, format, part, now)?;
            out.write_all(text.as_bytes())?;
        }
        ExportFormat::Csv => csv(incident, out)?,
        ExportFormat::Json => json(incident, runbooks, now, out)?,
    }
    out.flush()?;
    Ok(())
}

/// Calls `each` with every event in order, a page at a time.
fn for_each_event(
    incident: &Incident,
    mut each: impl FnMut(&Event) -> Result<(), StreamError>,
) -> Result<(), StreamError> {
    let last = incident.head().seq;
    let mut next = 1;
    while next <= last {
        let to = last.min(next + PAGE.min(MAX_RANGE) - 1);
        for event in incident.read_events(next, to)? {
            each(&event)?;
        }
        next = to + 1;
    }
    Ok(())
}

fn csv(incident: &Incident, out: &mut dyn Write) -> Result<(), StreamError> {
    let head = incident.head().to_string();
    let state = incident.state();
    let mut writer = csv_writer(out)?;
    for_each_event(incident, |event| {
        if let Some(entry) = state.page_entry(event) {
            csv_row(&mut writer, &entry, &head)?;
        }
        Ok(())
    })?;
    writer.flush()?;
    Ok(())
}

/// The JSON export's shape (`exported_at`, `head`, `incident` with its whole
/// `timeline`, `metrics`, `clocks`, `events`), written member by member: the timeline
/// and the events are each streamed from the log.
fn json(
    incident: &Incident,
    runbooks: &Runbooks,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) -> Result<(), StreamError> {
    let state = incident.state();
    let encode = |value: &dyn erased::Json| -> Result<String, StreamError> {
        Ok(escape_json(&value.encode()?).into_owned())
    };
    let mut head_state = serde_json::to_value(state).map_err(json_error)?;
    if let Some(object) = head_state.as_object_mut() {
        object.remove("timeline");
        object.insert("timeline_dropped".into(), 0.into());
    }
    let members = head_state.as_object().cloned().unwrap_or_default();
    write!(out, "{{\n  \"exported_at\": {},\n", encode(&now)?)?;
    writeln!(out, "  \"head\": {},", encode(&incident.head())?)?;
    out.write_all(b"  \"incident\": {\n")?;
    for (key, value) in &members {
        writeln!(out, "    {}: {},", encode(key)?, encode(value)?)?;
    }
    out.write_all(b"    \"timeline\": [")?;
    let mut first = true;
    for_each_event(incident, |event| {
        if let Some(entry) = state.page_entry(event) {
            let comma = if std::mem::take(&mut first) { "" } else { "," };
            write!(out, "{comma}\n      {}", encode(&entry)?)?;
        }
        Ok(())
    })?;
    out.write_all(b"\n    ]\n  },\n")?;
    writeln!(
        out,
        "  \"metrics\": {},",
        encode(&Metrics::of(state, runbooks, now))?
    )?;
    writeln!(
        out,
        "  \"clocks\": {},",
        encode(&clocks::compute(state, runbooks, now))?
    )?;
    out.write_all(b"  \"events\": [")?;
    let mut first = true;
    for_each_event(incident, |event| {
        let comma = if std::mem::take(&mut first) { "" } else { "," };
        write!(out, "{comma}\n    {}", encode(event)?)?;
        Ok(())
    })?;
    out.write_all(b"\n  ]\n}\n")?;
    Ok(())
}

fn json_error(error: serde_json::Error) -> StreamError {
    StreamError::Export(ExportError::Json(error.to_string()))
}

/// Serialising values of different types through one closure.
mod erased {
    pub trait Json {
        fn encode(&self) -> Result<String, super::StreamError>;
    }

    impl<T: serde::Serialize> Json for T {
        fn encode(&self) -> Result<String, super::StreamError> {
            serde_json::to_string(self).map_err(super::json_error)
        }
    }
}
