//! News of every incident in a store shared by several hubs: the summaries other hubs
//! write after each commit, handed to the hub as they land (see the NATS store's
//! `watch_summaries`), each checked as the hub's start-up checks a kept summary.

use super::data_dir::current_stored;
use super::{DataDir, EngineError, StoredSummary};
use crate::store::{AnyStore, Following};

impl DataDir {
    /// For a shared store, calls `notify` with each incident summary any hub writes
    /// from now on, while the guard is held; `None` for the file store (this hub is its
    /// only writer).
    pub fn watch_summaries(
        &self,
        notify: Box<dyn Fn(StoredSummary) + Send + Sync>,
    ) -> Result<Option<Following>, EngineError> {
        let AnyStore::Nats(store) = self.store() else {
            return Ok(None);
        };
        let following = store.watch_summaries(Box::new(move |id, pinned| {
            if let Some(stored) = current_stored(&id, &pinned) {
                notify(stored);
            }
        }))?;
        Ok(Some(following))
    }
}
