//! The incident engine: an incident's state joined to its durable log. It decides a
//! batch of commands, appends every resulting event with one fsync (group commit), and
//! only then reports them as done. The hub's incident task and the local CLI both drive
//! incidents through it, so both behave the same. Every write goes through the storage
//! seam ([`IncidentLog::append`](crate::store::IncidentLog::append), expecting the head
//! the decisions were made on); the data directory's store is the file store, or the
//! NATS JetStream store a hub's `[store]` names ([`AnyStore`]).

mod data_dir;
pub mod export;
mod follow;
mod snapshot_check;
mod store_marker;
mod summary;
mod summary_watch;

pub use data_dir::{AUTO_NUMBER_CEILING, DataDir, quarantine_reason};
pub use snapshot_check::{SnapshotCheck, check_snapshot};
pub use summary::{IncidentSummary, LoadFacts, StoredSummary, SummaryCounts};

use crate::incident::export::LogHead;
use crate::incident::{
    Actor, Command, Event, EventKind, Rejection, Runbooks, State, decide, snapshot,
};
use crate::store::{
    AnyLog, AnyStore, AnyView, IncidentLog, IncidentStore, LogRecord, LogView, MAX_RANGE, Pinned,
    StoreError, StoredEvent, TornTail,
};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::{Duration, Instant};

impl LogRecord for Event {
    fn seq(&self) -> u64 {
        self.seq
    }

    fn command_id(&self) -> Option<&str> {
        self.command_id.as_deref()
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
    /// How many appends of this batch lost the race to another writer (a shared store)
    /// and were decided again: the hub counts them (`warroom_store_conflicts_total`).
    pub conflicts: u32,
    /// Time spent in the store's appends for this batch, the ones that lost a race
    /// included; zero when nothing was written.
    pub append_time: Duration,
}

/// Write a snapshot after this many events since the last one (and at every status
/// change, and when the incident is closed): opening replays at most this many events.
/// Measured: a snapshot of a state with a full timeline window costs a few ms, so this
/// keeps its share of a commit's cost small at the hub's durable rate.
pub const SNAPSHOT_EVERY: u64 = 8192;

/// No snapshot for an incident with fewer events than this: replaying it costs about
/// what reading a snapshot does (its snapshot would be as large as its log, since the
/// whole timeline is kept), so most incidents, a few hundred events long, never have one.
pub const SNAPSHOT_MIN_EVENTS: u64 = 2048;

/// How many times [`Incident::execute`] decides a batch again after another writer
/// appended first, before it gives up and reports the conflict.
pub const CONFLICT_RETRIES: u32 = 3;

/// One open incident: its state and its log (events are read back from the log by
/// range, never held: see [`Incident::read_events`]).
pub struct Incident {
    state: State,
    /// The store's log handle (a file or a JetStream subject), reached only through
    /// [`IncidentLog`].
    log: AnyLog,
    torn_tail: Option<TornTail>,
    /// Events applied since the last snapshot (or since an open that found none).
    since_snapshot: u64,
    /// The state is not the log's: a failed write left it ahead and the log could not
    /// be read back then (a store that is unavailable for a while), or another writer's
    /// events could not be read. The next [`Incident::execute`] rebuilds it first.
    out_of_step: bool,
    /// How long the store took to create the log with its first events, for an
    /// incident this handle declared (the hub's `warroom_store_append_seconds`).
    created_in: Option<Duration>,
}

impl Incident {
    /// Opens incident `id` from `store`: from its snapshot and the events after it when
    /// it has a usable one, else by replaying its whole log (and then writing a snapshot
    /// if the log was long). A snapshot that is damaged, from another version or not at
    /// a head the log holds is logged and ignored: it is never trusted over the log. A
    /// torn final line (a crash mid-write, never acknowledged) is cut off;
    /// [`Incident::torn_tail`] says so.
    pub fn open(store: &AnyStore, id: &str) -> Result<Incident, StoreError> {
        match store.read_snapshot_of(id) {
            Ok(Some(pinned)) => match snapshot::decode(&pinned.bytes) {
                Ok(mut state) => {
                    let mut replayed = 0;
                    let resumed = store.open_replaying(id, Some(&pinned.head), &mut |e: Event| {
                        state.apply(&e);
                        replayed += 1;
                    });
                    match resumed {
                        Ok(resumed) => {
                            return Ok(Incident {
                                state,
                                log: resumed.log,
                                torn_tail: resumed.torn_tail,
                                since_snapshot: replayed,
                                out_of_step: false,
                                created_in: None,
                            });
                        }
                        Err(error @ StoreError::NotInLog { .. }) => {
                            tracing::warn!(incident = %id, %error, "ignored the snapshot; replaying the log");
                        }
                        Err(error) => return Err(error),
                    }
                }
                Err(error) => {
                    tracing::warn!(incident = %id, %error, "ignored the snapshot; replaying the log");
                }
            },
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(incident = %id, %error, "ignored the snapshot; replaying the log");
            }
        }
        let mut state = State::default();
        let resumed = store.open_replaying(id, None, &mut |e: Event| state.apply(&e))?;
        let mut incident = Incident {
            since_snapshot: state.seq,
            state,
            log: resumed.log,
            torn_tail: resumed.torn_tail,
            out_of_step: false,
            created_in: None,
        };
        if incident.since_snapshot >= SNAPSHOT_EVERY {
            incident.write_snapshot();
        }
        Ok(incident)
    }

    /// Decides `declare` against an empty incident and, only if it is accepted, creates
    /// incident `id` in `store` with its first events. If that first write fails (a full
    /// disk), the store removes what it created: a declare that failed leaves nothing.
    pub fn create(
        store: &AnyStore,
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
        let creating = Instant::now();
        let (log, _json) = store.create(id, &events)?;
        let created_in = Some(creating.elapsed());
        let state = State::replay(&events);
        let mut incident = Incident {
            since_snapshot: state.seq,
            state,
            log,
            torn_tail: None,
            out_of_step: false,
            created_in,
        };
        incident.write_summary();
        Ok(incident)
    }

    /// For an incident this handle declared: how long the store took to create its log
    /// with the first events. `None` for one opened from the store.
    pub fn created_in(&self) -> Option<Duration> {
        self.created_in
    }

    /// Writes a snapshot of the state at the log's head (durably, replacing the last
    /// one), if the incident is long enough to need one ([`SNAPSHOT_MIN_EVENTS`]). A failure is logged and otherwise ignored: the log has everything, and the
    /// next open replays more of it.
    pub fn write_snapshot(&mut self) {
        // A state ahead of the log (a failed write not yet read back) is not the state
        // at the log's head.
        if self.state.seq < SNAPSHOT_MIN_EVENTS || self.out_of_step {
            return;
        }
        let bytes = match snapshot::encode(&self.state) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::warn!(incident = %self.state.id, %error, "could not encode a snapshot");
                return;
            }
        };
        let pinned = Pinned {
            head: IncidentLog::head(&self.log),
            bytes,
        };
        match self.log.write_snapshot(&pinned) {
            Ok(()) => self.since_snapshot = 0,
            Err(error) => {
                tracing::warn!(incident = %self.state.id, %error, "could not write a snapshot; the next open replays more of the log");
            }
        }
    }

    /// Events `from..=to` as decoded from the log (at most [`MAX_RANGE`] at once).
    pub fn read_events(&self, from: u64, to: u64) -> Result<Vec<Event>, StoreError> {
        decode_events(&self.log.read_range(from, to)?, &self.log.name())
    }

    /// Every event, read from the log page by page: for exports, which hold the whole
    /// incident anyway. Memory grows with the incident; nothing else calls this.
    pub fn all_events(&self) -> Result<Vec<Event>, StoreError> {
        let last = self.head().seq;
        let mut events = Vec::new();
        let mut next = 1;
        while next <= last {
            let to = last.min(next + MAX_RANGE - 1);
            events.extend(self.read_events(next, to)?);
            next = to + 1;
        }
        Ok(events)
    }

    /// A read-only view of the log as acknowledged now, for reading pages elsewhere.
    pub fn view(&self) -> AnyView {
        self.log.view()
    }

    /// Writes the incident's summary (what `list` and the hub's start-up read, see
    /// [`StoredSummary`]) through the store, pinned to the log's head. Called after every
    /// commit. A failure is logged and otherwise ignored: the events are already durable,
    /// and a summary that is missing or behind its log is rebuilt from the log by the
    /// next `list` or hub start.
    pub fn write_summary(&mut self) {
        if self.out_of_step {
            return; // see write_snapshot
        }
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
    ///
    /// If another writer (another hub on a shared store) appended first, the append is
    /// a conflict: the state is rebuilt from the log, which now holds the other writer's
    /// events, and the batch is decided again against it, at most
    /// [`CONFLICT_RETRIES`] times (command ids make that safe: a command the other
    /// writer already applied is a duplicate). The other writer's events then come first
    /// in [`Committed::event_json`], so whoever broadcasts it sends every new event.
    pub fn execute(
        &mut self,
        batch: &[Submission],
        now: DateTime<Utc>,
        runbooks: &Runbooks,
    ) -> Result<Committed, EngineError> {
        if self.out_of_step {
            // The last failed write could not read the log back: do it now, or refuse
            // (the store is still unavailable) rather than decide on events never stored.
            self.state = self.rebuild_state()?;
            self.out_of_step = false;
        }
        let mut caught_up: Vec<Arc<str>> = Vec::new();
        let mut conflicts = 0;
        let mut append_time = Duration::ZERO;
        loop {
            // The head every decision below starts from: the append expects it, so a
            // batch decided on a state that is no longer the log's is refused, never
            // interleaved.
            let decided_on = IncidentLog::head(&self.log);
            let (outcomes, new_events) = self.decide_batch(batch, now, runbooks);
            if new_events.is_empty() {
                return Ok(Committed {
                    outcomes,
                    event_json: caught_up,
                    conflicts,
                    append_time,
                });
            }
            let appending = Instant::now();
            let appended = IncidentLog::append(&mut self.log, &decided_on, &new_events);
            append_time += appending.elapsed();
            match appended {
                Ok(event_json) => {
                    self.since_snapshot += new_events.len() as u64;
                    let status_changed = new_events
                        .iter()
                        .any(|e| matches!(e.kind, EventKind::StatusChanged { .. }));
                    if status_changed || self.since_snapshot >= SNAPSHOT_EVERY {
                        self.write_snapshot();
                    }
                    self.write_summary();
                    caught_up.extend(event_json);
                    return Ok(Committed {
                        outcomes,
                        event_json: caught_up,
                        conflicts,
                        append_time,
                    });
                }
                Err(error) => {
                    // Nothing of the batch is stored: the state goes back to the log's
                    // (which, after a conflict, includes the other writer's events).
                    match self.rebuild_state() {
                        Ok(state) => self.state = state,
                        Err(rebuild) => {
                            tracing::error!(incident = %self.state.id, error = %rebuild, "could not rebuild the state after a failed write; trying again before the next batch");
                            self.out_of_step = true;
                            return Err(error.into());
                        }
                    }
                    let now_at = IncidentLog::head(&self.log);
                    let lost_a_race = matches!(error, StoreError::Conflict { .. })
                        && now_at.seq > decided_on.seq
                        && self.state.seq == now_at.seq;
                    if !lost_a_race || conflicts >= CONFLICT_RETRIES {
                        return Err(error.into());
                    }
                    conflicts += 1;
                    tracing::info!(incident = %self.state.id, %error, "another writer appended first; deciding the batch again");
                    self.since_snapshot += now_at.seq - decided_on.seq;
                    caught_up.extend(self.stored_json(decided_on.seq + 1, now_at.seq)?);
                }
            }
        }
    }

    /// Decides each submission against the state left by the ones before, applying the
    /// accepted ones to the state: the outcomes and every new event, in order.
    fn decide_batch(
        &mut self,
        batch: &[Submission],
        now: DateTime<Utc>,
        runbooks: &Runbooks,
    ) -> (Vec<Outcome>, Vec<Event>) {
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut new_events = Vec::new();
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
                    new_events.extend(events.iter().cloned());
                    outcomes.push(Outcome::Applied(events));
                }
                Err(rejection) => outcomes.push(Outcome::Rejected(rejection)),
            }
        }
        (outcomes, new_events)
    }

    /// The state as the log holds it: from the snapshot if it is usable, plus the events
    /// after it, read through the log's view (this handle keeps the log locked).
    fn rebuild_state(&self) -> Result<State, StoreError> {
        let view = self.log.view();
        let snapshot = self
            .log
            .read_snapshot()
            .ok()
            .flatten()
            .and_then(|pinned| Some((snapshot::decode(&pinned.bytes).ok()?, pinned.head.seq)));
        let (mut state, mut next) = match snapshot {
            Some((state, seq)) => (state, seq + 1),
            None => (State::default(), 1),
        };
        let last = view.head().seq;
        while next <= last {
            let to = last.min(next + MAX_RANGE - 1);
            for event in decode_events(&view.read_range(next, to)?, "")? {
                state.apply(&event);
            }
            next = to + 1;
        }
        Ok(state)
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

impl Drop for Incident {
    /// Closing an incident leaves a snapshot at its head, so the next open replays
    /// nothing.
    fn drop(&mut self) {
        if self.since_snapshot > 0 && self.state.exists() {
            self.write_snapshot();
        }
    }
}

/// Decodes stored events (a damaged one is reported as damage of the log at `path`).
pub fn decode_events(stored: &[StoredEvent], path: &str) -> Result<Vec<Event>, StoreError> {
    stored
        .iter()
        .map(|s| {
            serde_json::from_str::<Event>(&s.json).map_err(|cause| StoreError::Damaged {
                path: path.into(),
                error: crate::store::LineError {
                    line: usize::try_from(s.seq).unwrap_or(usize::MAX),
                    damage: crate::store::Damage::Undecodable(cause),
                },
            })
        })
        .collect()
}
