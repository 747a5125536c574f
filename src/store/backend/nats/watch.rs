//! Watching the summaries bucket: every summary any hub writes (after each commit it
//! makes) is handed to the hub as it lands, so a hub hears of incidents other hubs
//! declare, and of their new titles, severities and statuses, without opening them.
//!
//! A key-value watch is an ordered JetStream consumer the client re-creates by itself
//! when it falls behind; it starts with each key's latest value, then every new one.
//! If the watch ends all the same (the bucket's stream lost its leader for long), it is
//! made again after a pause, again from each key's latest value, so nothing written
//! meanwhile is missed for good (taking a summary in twice changes nothing).

use std::time::Duration;

use async_nats::jetstream::kv::Operation;
use futures_util::StreamExt;

use super::follow::Following;
use super::{Shared, sidecar_path};
use crate::store::backend::sidecar;
use crate::store::error::StoreError;
use crate::store::{NatsStore, Pinned};

/// Every key of the bucket.
const ALL_KEYS: &str = ">";

/// The pause before a watch that ended is made again.
const REWATCH_AFTER: Duration = Duration::from_secs(1);

impl NatsStore {
    /// Calls `notify(id, summary)` with each incident's latest summary, then with each
    /// summary written to the bucket from now on (by any hub, this one included), while
    /// the returned guard is held. Fails only if the first watch cannot be made.
    pub fn watch_summaries(
        &self,
        notify: Box<dyn Fn(String, Pinned) + Send + Sync>,
    ) -> Result<Following, StoreError> {
        let shared = self.shared.clone();
        let op = "watch the summaries";
        let first = shared.bridge.run(op, async {
            shared
                .summaries
                .watch_with_history(ALL_KEYS)
                .await
                .map_err(|e| super::setup::unavailable(op, e))
        })?;
        let task = shared.bridge.spawn({
            let shared = shared.clone();
            async move {
                let mut watch = Some(first);
                loop {
                    if let Some(entries) = watch.take() {
                        deliver(&shared, entries, &*notify).await;
                    }
                    tokio::time::sleep(REWATCH_AFTER).await;
                    match shared.summaries.watch_with_history(ALL_KEYS).await {
                        Ok(entries) => watch = Some(entries),
                        Err(error) => {
                            tracing::debug!(%error, "cannot watch the summaries now; trying again");
                        }
                    }
                }
            }
        })?;
        Ok(Following::new(task))
    }
}

/// Hands each summary put in the bucket to `notify` until the watch ends.
async fn deliver(
    shared: &Shared,
    mut entries: async_nats::jetstream::kv::Watch,
    notify: &(dyn Fn(String, Pinned) + Send + Sync),
) {
    while let Some(entry) = entries.next().await {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                tracing::debug!(%error, "the summaries watch failed");
                return;
            }
        };
        if entry.operation != Operation::Put {
            continue;
        }
        let path = sidecar_path(shared, "summary", &entry.key);
        match sidecar::decode(&entry.value, "summary", &path) {
            Ok(pinned) => notify(entry.key, pinned),
            Err(error) => {
                tracing::debug!(key = %entry.key, %error, "ignoring a summary that does not decode");
            }
        }
    }
}
