//! Following an incident's subject: a core NATS subscription that hears every batch any
//! writer (another hub) commits to it, so a hub that has the incident open can read
//! those events and send them to its own subscribers within milliseconds. The
//! notification only says "the log reached seq N"; the events themselves are always
//! read from the stream (a core subscription is at-most-once: a lost notification is
//! made up for by the next one, or by the next append's conflict).

use futures_util::StreamExt;

use super::Shared;
use super::read::SEQ_HEADER;
use super::setup::unavailable;
use crate::store::error::StoreError;

/// While held, the subject is followed; dropping it stops that.
#[derive(Debug)]
pub struct Following {
    task: tokio::task::AbortHandle,
}

impl Drop for Following {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Calls `notify(last)` with the last seq of each batch committed to `subject` from now
/// on (by anyone, this process included).
pub(super) fn follow(
    shared: &Shared,
    subject: &str,
    notify: Box<dyn Fn(u64) + Send + Sync>,
) -> Result<Following, StoreError> {
    let op = format!("follow {subject}");
    let client = &shared.client;
    // Subscribed (and the server told, by the flush) before this returns: nothing
    // committed after it can go unheard.
    let mut messages = shared.bridge.run(&op, async {
        let messages = client
            .subscribe(subject.to_owned())
            .await
            .map_err(|e| unavailable(&op, e))?;
        client.flush().await.map_err(|e| unavailable(&op, e))?;
        Ok(messages)
    })?;
    let task = shared.bridge.spawn(async move {
        while let Some(message) = messages.next().await {
            let last = message
                .headers
                .as_ref()
                .and_then(|h| h.get(SEQ_HEADER))
                .and_then(|v| v.as_str().split_once('-'))
                .and_then(|(_, last)| last.parse::<u64>().ok());
            if let Some(last) = last {
                notify(last);
            }
        }
    })?;
    Ok(Following { task })
}
