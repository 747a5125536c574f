//! Keeping an open incident level with what other writers (other hubs on a shared
//! store) commit to it: taking an announced batch that continues the head as it is
//! ([`Incident::follow_batch`], no read at all), or reading the log from the head to
//! where it ends now ([`Incident::catch_up`]). Either way the events are applied to the
//! state and their stored JSON handed back in seq order, for broadcasting.

use std::sync::Arc;

use super::{Incident, decode_events};
use crate::store::{Committed, IncidentLog, MAX_RANGE, StoreError};

impl Incident {
    /// For a store shared with other hubs: calls `notify` with each batch anyone commits
    /// to this incident, while the guard is held; `None` for the file store.
    pub fn follow(
        &self,
        notify: Box<dyn Fn(Committed) + Send + Sync>,
    ) -> Result<Option<crate::store::Following>, StoreError> {
        self.log.follow(notify)
    }

    /// Takes a batch another writer committed and announced, if it continues this
    /// incident's head (its lines checked against the chain): its events applied, their
    /// stored JSON returned. `None` if it does not continue the head (call
    /// [`Incident::catch_up`] when the log may have moved) or the state is out of step.
    pub fn follow_batch(&mut self, committed: &Committed) -> Option<Vec<Arc<str>>> {
        if self.out_of_step {
            return None; // the next execute reads the log back first
        }
        let stored = self.log.accept(committed)?;
        // The handle already ends after the batch: if its events cannot be decoded, the
        // state is rebuilt from the log before the next batch.
        let events = match decode_events(&stored, &self.log.name()) {
            Ok(events) => events,
            Err(error) => {
                tracing::warn!(incident = %self.state.id, %error, "another hub committed events this hub cannot read; rebuilding from the log before the next write");
                self.out_of_step = true;
                return None;
            }
        };
        for event in &events {
            self.state.apply(event);
        }
        self.since_snapshot += events.len() as u64;
        Some(stored.into_iter().map(|e| e.json).collect())
    }

    /// Whether the state is the log's (it is not after a failed write or read left it
    /// apart; the next [`Incident::execute`] rebuilds it first).
    pub fn in_step(&self) -> bool {
        !self.out_of_step
    }

    /// The stored JSON of events `from..=to`, read from the log page by page (for
    /// sending events the state took in without handing them out: a rebuild after a
    /// failed write).
    pub fn stored_json(&self, from: u64, to: u64) -> Result<Vec<Arc<str>>, StoreError> {
        let mut out = Vec::new();
        let mut next = from;
        while next <= to {
            let page_end = to.min(next + MAX_RANGE - 1);
            out.extend(
                self.log
                    .read_range(next, page_end)?
                    .into_iter()
                    .map(|e| e.json),
            );
            next = page_end + 1;
        }
        Ok(out)
    }

    /// The chain hash of event `seq`'s line: the head's without reading, when it is the
    /// head (the usual case).
    pub fn hash_at(&self, seq: u64) -> Result<String, StoreError> {
        let head = IncidentLog::head(&self.log);
        if seq == head.seq {
            return Ok(head.hash);
        }
        if seq == 0 {
            return Ok(crate::store::GENESIS_PREV.to_owned());
        }
        let stored = self.log.read_range(seq, seq)?;
        Ok(stored
            .into_iter()
            .next()
            .map(|e| e.hash)
            .unwrap_or_default())
    }

    /// Events another writer (another hub on a shared store) committed after this
    /// incident's head: read from the log, applied, and their stored JSON returned in
    /// seq order for broadcasting. Nothing for the file store.
    pub fn catch_up(&mut self) -> Result<Vec<Arc<str>>, StoreError> {
        if self.out_of_step {
            return Ok(Vec::new()); // the next execute reads the log back first
        }
        let from = IncidentLog::head(&self.log).seq;
        let to = self.log.refresh()?.seq;
        let mut caught_up = Vec::new();
        let mut next = from + 1;
        while next <= to {
            let page_end = to.min(next + MAX_RANGE - 1);
            // The handle already ends at `to`: if the events cannot be read now, the
            // state is rebuilt from the log before the next batch.
            let stored = self.log.read_range(next, page_end).inspect_err(|_| {
                self.out_of_step = true;
            })?;
            let events = decode_events(&stored, &self.log.name()).inspect_err(|_| {
                self.out_of_step = true;
            })?;
            for event in &events {
                self.state.apply(event);
            }
            caught_up.extend(stored.into_iter().map(|e| e.json));
            next = page_end + 1;
        }
        self.since_snapshot += to.saturating_sub(from);
        Ok(caught_up)
    }
}
