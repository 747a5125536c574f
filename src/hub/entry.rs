//! One incident as the registry keeps it: a small always-resident [`Entry`] (its summary
//! for `list` and `/health`, the count of runs and deliveries in flight) and a [`Slot`]
//! saying whether an actor is live, the incident is closed, or its log is quarantined.
//!
//! Opening is one function, [`open`], used at start-up and whenever a closed incident
//! is needed again; closing is the actor releasing itself (`actor`). Both happen under
//! the slot's lock, so there is never more than one actor — one writer — per log.

use super::actor::IncidentHandle;
use crate::engine::{DataDir, EngineError, Incident, IncidentSummary};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

/// Whether an incident has a live actor.
pub enum Slot {
    /// Nothing in memory but the entry: no thread, no open file.
    Closed,
    Live(IncidentHandle),
    /// The log cannot be served (damaged, empty, or another incident's); the reason.
    /// The file is never touched; an operator repairs or removes it and restarts.
    Quarantined(String),
}

pub struct Entry {
    summary: RwLock<IncidentSummary>,
    /// Taken (briefly) by whoever looks at or changes the slot: openers asynchronously,
    /// the actor releasing itself from its own thread.
    pub slot: tokio::sync::Mutex<Slot>,
    /// Runs and deliveries handed to the runner and not yet finished.
    in_flight: Arc<AtomicUsize>,
}

impl Entry {
    pub fn new(summary: IncidentSummary, slot: Slot) -> Entry {
        Entry {
            summary: RwLock::new(summary),
            slot: tokio::sync::Mutex::new(slot),
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn summary(&self) -> IncidentSummary {
        match self.summary.read() {
            Ok(summary) => summary.clone(),
            // A writer panicked mid-update; the value is still a whole summary.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn set_summary(&self, summary: IncidentSummary) {
        match self.summary.write() {
            Ok(mut slot) => *slot = summary,
            Err(poisoned) => *poisoned.into_inner() = summary,
        }
    }

    pub fn is_quarantined(&self) -> bool {
        self.summary().quarantined.is_some()
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    pub fn in_flight_counter(&self) -> Arc<AtomicUsize> {
        self.in_flight.clone()
    }
}

/// Opens incident `id` from `data`: replays and verifies its log. The one way an
/// incident comes into memory (a later snapshot store changes only this).
pub fn open(data: &DataDir, id: &str) -> Result<Incident, EngineError> {
    let incident = data.open_listed(id)?;
    if let Some(torn) = incident.torn_tail() {
        tracing::warn!(incident = %id, line = torn.line, bytes = torn.bytes, "cut off an unfinished write left by a crash (never acknowledged)");
    }
    Ok(incident)
}
