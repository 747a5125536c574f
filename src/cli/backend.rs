//! Where CLI commands go. The command layer talks to a [`Backend`]; today that is a
//! local data directory, and a hub connection implements the same trait, so every
//! command behaves the same either way.

use crate::engine::{DataDir, EngineError, IncidentSummary, Submission};
use crate::incident::export::LogHead;
use crate::incident::{Actor, Command, Event, Runbooks, State};
use crate::protocol::Catalog;
use chrono::Utc;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Failed(String),
}

/// A usage error: what someone typed cannot work (exit code 2).
pub fn usage(error: impl std::fmt::Display) -> CliError {
    CliError::Usage(error.to_string())
}

/// Parses an argument's text, or says why it cannot be parsed (a usage error).
pub fn parse_value<T: std::str::FromStr>(text: &str) -> Result<T, CliError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(usage)
}

/// An incident as loaded: its state, its events and the log head they were read at.
pub type Loaded = (State, Vec<Event>, Option<LogHead>);

use crate::incident::export::{ExportFormat, Part, export_part};

pub trait Backend {
    fn runbooks(&self) -> &Runbooks;
    /// Declares an incident; returns its id and first events.
    fn declare(&mut self, command: Command) -> Result<(String, Vec<Event>), CliError>;
    /// Submits one command to an incident; returns the events it caused.
    fn submit(&mut self, incident: &str, command: Command) -> Result<Vec<Event>, CliError>;
    /// The incident's current state, without its events: opened from its snapshot
    /// locally, from a `snapshot` frame over a hub; its cost does not grow with the
    /// incident's history.
    fn load_state(&mut self, incident: &str) -> Result<State, CliError>;
    /// The incident's state and all its events, with the log head they were read at,
    /// for exports (`None`: a hub too old to say). Reads the whole log.
    fn load_with_head(&mut self, incident: &str) -> Result<Loaded, CliError>;
    fn list(&mut self) -> Result<Vec<IncidentSummary>, CliError>;
    /// Writes the incident's export as `format` to `out`. By default the whole incident
    /// is loaded first; a local data directory streams it from the log instead.
    fn export_to(
        &mut self,
        incident: &str,
        format: ExportFormat,
        part: Part,
        now: chrono::DateTime<chrono::Utc>,
        out: &mut dyn std::io::Write,
    ) -> Result<(), CliError> {
        let (state, events, head) = self.load_with_head(incident)?;
        let runbooks = self.runbooks();
        let text = export_part(&state, &events, head.as_ref(), runbooks, format, part, now)
            .map_err(|e| CliError::Failed(e.to_string()))?;
        out.write_all(text.as_bytes())
            .map_err(|e| CliError::Failed(format!("cannot write the export: {e}")))
    }
    /// The containment actions and delivery channels where the commands go: the hub's
    /// own, or (locally) those loaded from the hub configuration's actions file.
    fn catalog(&mut self) -> Result<Catalog, CliError>;
    /// True when a hub receives the commands (and so can run actions and deliver
    /// updates); false for a local data directory, which only records them.
    fn is_hub(&self) -> bool;
}

/// Commands applied straight to a data directory on this machine.
pub struct LocalBackend {
    data: DataDir,
    actor: Actor,
    runbooks: Runbooks,
}

impl LocalBackend {
    pub fn new(data: DataDir, actor: Actor, runbooks: Runbooks) -> LocalBackend {
        LocalBackend {
            data,
            actor,
            runbooks,
        }
    }

    fn submission(&self, command: Command) -> Submission {
        Submission {
            actor: self.actor.clone(),
            command,
            command_id: None,
        }
    }

    /// Opens an incident, saying on stderr if a torn final write was cut off.
    fn open(&self, incident: &str) -> Result<crate::engine::Incident, CliError> {
        let opened = self.data.open(incident)?;
        if let Some(torn) = opened.torn_tail() {
            warn_torn(incident, torn);
        }
        Ok(opened)
    }
}

impl Backend for LocalBackend {
    fn runbooks(&self) -> &Runbooks {
        &self.runbooks
    }

    fn declare(&mut self, command: Command) -> Result<(String, Vec<Event>), CliError> {
        self.data.check_no_hub()?;
        let incident = self
            .data
            .declare(self.submission(command), Utc::now(), &self.runbooks)?;
        let events = incident
            .read_events(1, incident.head().seq)
            .map_err(crate::engine::EngineError::from)?;
        Ok((incident.state().id.clone(), events))
    }

    fn submit(&mut self, incident: &str, command: Command) -> Result<Vec<Event>, CliError> {
        self.data.check_no_hub()?;
        let mut opened = self.open(incident)?;
        let submission = self.submission(command);
        Ok(opened.execute_one(submission, Utc::now(), &self.runbooks)?)
    }

    fn load_state(&mut self, incident: &str) -> Result<State, CliError> {
        Ok(self.open(incident)?.state().clone())
    }

    fn export_to(
        &mut self,
        incident: &str,
        format: ExportFormat,
        part: Part,
        now: chrono::DateTime<chrono::Utc>,
        out: &mut dyn std::io::Write,
    ) -> Result<(), CliError> {
        let opened = self.open(incident)?;
        crate::engine::export::export_to(&opened, &self.runbooks, format, part, now, out)
            .map_err(|e| CliError::Failed(e.to_string()))
    }

    fn load_with_head(&mut self, incident: &str) -> Result<Loaded, CliError> {
        let opened = self.open(incident)?;
        let head = opened.head();
        Ok((
            opened.state().clone(),
            opened
                .all_events()
                .map_err(crate::engine::EngineError::from)?,
            Some(head),
        ))
    }

    fn list(&mut self) -> Result<Vec<IncidentSummary>, CliError> {
        Ok(self.data.summaries(warn_torn)?)
    }

    fn catalog(&mut self) -> Result<Catalog, CliError> {
        Ok(Catalog {
            actions: self.runbooks.actions.clone(),
            channels: self.runbooks.channels.clone(),
            trackers: self.runbooks.trackers.clone(),
        })
    }

    fn is_hub(&self) -> bool {
        false
    }
}

fn warn_torn(incident: &str, torn: &crate::store::TornTail) {
    eprintln!(
        "warroom: {incident}: cut off an unfinished write at line {} ({} bytes, never acknowledged)",
        torn.line, torn.bytes
    );
}
