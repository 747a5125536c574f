//! The incident engine: an incident's state joined to its durable log. It decides a
//! batch of commands, appends every resulting event with one fsync (group commit), and
//! only then reports them as done. The hub's incident task and the local CLI both drive
//! incidents through it, so both behave the same. Every write goes through the storage
//! seam ([`IncidentLog::append`](crate::store::IncidentLog::append), expecting the head
//! the decisions were made on); the data directory's store is the file store.

mod data_dir;

pub use data_dir::{
    AUTO_NUMBER_CEILING, DataDir, IncidentSummary, LoadFacts, StoredSummary, SummaryCounts,
    quarantine_reason,
};

use crate::incident::export::LogHead;
use crate::incident::{Actor, Command, Event, Rejection, Runbooks, State, decide};
use crate::store::{
    FileStore, IncidentLog, IncidentStore, LogRecord, Pinned, StoreError, TornTail,
};
use chrono::{DateTime, Utc};
use std::sync::Arc;

impl LogRecord for Event {
    fn seq(&self) -> u64 {
        self.seq
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no incident `{0}` here: `warroom list` shows the incidents")]
    NotFound(String),
    #[error("rejected ({}): {}", .0.code.id(), .0.message)]
    Rejected(Rejection),
    #[error("cannot create {path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error(
        "{path} is empty: a declare that never completed left it; it holds nothing and can be deleted"
    )]
    EmptyLog { path: String },
    #[error("{path} holds incident `{found}`, not the one its name says: it was copied or renamed")]
    WrongIncident { path: String, found: String },
    #[error(
        "a warroom hub is serving {root}: send commands through it (--hub URL --token TOKEN), or stop it first"
    )]
    HubServes { root: String },
    #[error("{path}: the file name is not a valid incident id")]
    BadFileName { path: String },
}

/// One command as submitted: who, what, and the client's id for it (idempotency).
#[derive(Debug, Clone)]
pub struct Submission {
    pub actor: Actor,
    pub command: Command,
    pub command_id: Option<String>,
}

/// What became of one submission in a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Decided, written and fsync'd: these events now exist.
    Applied(Vec<Event>),
    /// The command id was applied before; `last_seq` is its last event.
    Duplicate {
        last_seq: u64,
    },
    Rejected(Rejection),
}

/// The outcome of a batch: one outcome per submission, plus the stored JSON of every
/// new event in seq order (the exact bytes in the log, for broadcasting).
#[derive(Debug, Clone)]
pub struct Committed {
    pub outcomes: Vec<Outcome>,
    pub event_json: Vec<Arc<str>>,
}

/// One open incident: its state, every event (for resync and exports) and its log.
pub struct Incident {
    state: State,
    events: Vec<Event>,
    /// The file store's log handle, reached only through [`IncidentLog`].
    log: <FileStore as IncidentStore>::Log,
    torn_tail: Option<TornTail>,
}

impl Incident {
    /// Replays incident `id` from `store`. A torn final line (a crash mid-write, never
    /// acknowledged) is cut off; [`Incident::torn_tail`] says so.
    pub fn open(store: &FileStore, id: &str) -> Result<Incident, StoreError> {
        let opened = store.open::<Event>(id)?;
        let state = State::replay(&opened.events);
        Ok(Incident {
            state,
            events: opened.events,
            log: opened.log,
            torn_tail: opened.torn_tail,
        })
    }

    /// Decides `declare` against an empty incident and, only if it is accepted, creates
    /// incident `id` in `store` with its first events. If that first write fails (a full
    /// disk), the store removes what it created: a declare that failed leaves nothing.
    pub fn create(
        store: &FileStore,
        id: &str,
        submission: &Submission,
        now: DateTime<Utc>,
        runbooks: &Runbooks,
    ) -> Result<Incident, EngineError> {
        let empty = State::default();
        let events = decide(
            &empty,
            &submission.actor,
            &submission.command,
            now,
            runbooks,
            submission.command_id.as_deref(),
        )
        .map_err(EngineError::Rejected)?;
        let (log, _json) = store.create(id, &events)?;
        let state = State::replay(&events);
        let mut incident = Incident {
            state,
            events,
            log,
            torn_tail: None,
        };
        incident.write_summary();
        Ok(incident)
    }

    /// Writes the incident's summary (what `list` and the hub's start-up read, see
    /// [`StoredSummary`]) through the store, pinned to the log's head. Called after every
    /// commit. A failure is logged and otherwise ignored: the events are already durable,
    /// and a summary that is missing or behind its log is rebuilt from the log by the
    /// next `list` or hub start.
    pub fn write_summary(&mut self) {
        let stored = StoredSummary::of(self);
        let summary = &stored.summary;
        let bytes = match serde_json::to_vec(&stored) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::warn!(incident = %summary.id, %error, "could not encode the incident's summary");
                return;
            }
        };
        let pinned = Pinned {
            head: IncidentLog::head(&self.log),
            bytes,
        };
        if let Err(error) = self.log.write_summary(&pinned) {
            tracing::warn!(incident = %summary.id, %error, "could not write the incident's summary; `list` will rebuild it from the log");
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn torn_tail(&self) -> Option<&TornTail> {
        self.torn_tail.as_ref()
    }

    pub fn head_hash(&self) -> &str {
        self.log.head_hash()
    }

    /// The log's head: the last event's seq and its line's chain hash.
    pub fn head(&self) -> LogHead {
        let head = IncidentLog::head(&self.log);
        LogHead {
            seq: head.seq,
            hash: head.hash,
        }
    }

    /// Decides every submission in order (each sees the state left by the ones before),
    /// appends all resulting events with one fsync, then reports. If the write fails,
    /// nothing of the batch happened: state is rebuilt from the events that are on disk.
    pub fn execute(
        &mut self,
        batch: &[Submission],
        now: DateTime<Utc>,
        runbooks: &Runbooks,
    ) -> Result<Committed, EngineError> {
        let committed_len = self.events.len();
        // The head every decision below starts from: the append expects it, so a batch
        // decided on a state that is no longer the log's is refused, never interleaved.
        let decided_on = IncidentLog::head(&self.log);
        let mut outcomes = Vec::with_capacity(batch.len());
        for submission in batch {
            if let Some(last_seq) = submission
                .command_id
                .as_ref()
                .and_then(|id| self.state.command_ids.get(id))
            {
                outcomes.push(Outcome::Duplicate {
                    last_seq: *last_seq,
                });
                continue;
            }
            match decide(
                &self.state,
                &submission.actor,
                &submission.command,
                now,
                runbooks,
                submission.command_id.as_deref(),
            ) {
                Ok(events) => {
                    for event in &events {
                        self.state.apply(event);
                    }
                    self.events.extend(events.iter().cloned());
                    outcomes.push(Outcome::Applied(events));
                }
                Err(rejection) => outcomes.push(Outcome::Rejected(rejection)),
            }
        }
        let new_events = self.events.get(committed_len..).unwrap_or_default();
        if new_events.is_empty() {
            return Ok(Committed {
                outcomes,
                event_json: Vec::new(),
            });
        }
        match IncidentLog::append(&mut self.log, &decided_on, new_events) {
            Ok(event_json) => {
                self.write_summary();
                Ok(Committed {
                    outcomes,
                    event_json,
                })
            }
            Err(error) => {
                self.events.truncate(committed_len);
                self.state = State::replay(&self.events);
                Err(error.into())
            }
        }
    }

    /// Executes one command and returns its events, or the rejection as an error.
    pub fn execute_one(
        &mut self,
        submission: Submission,
        now: DateTime<Utc>,
        runbooks: &Runbooks,
    ) -> Result<Vec<Event>, EngineError> {
        let committed = self.execute(std::slice::from_ref(&submission), now, runbooks)?;
        match committed.outcomes.into_iter().next() {
            Some(Outcome::Applied(events)) => Ok(events),
            Some(Outcome::Duplicate { .. }) | None => Ok(Vec::new()),
            Some(Outcome::Rejected(rejection)) => Err(EngineError::Rejected(rejection)),
        }
    }
}
