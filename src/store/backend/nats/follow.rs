//! Following an incident: hearing, within milliseconds, every batch any hub commits to
//! it, so a hub that has the incident open can send those events to its own subscribers.
//!
//! A writer that has its JetStream ack (the batch is stored by a quorum) publishes the
//! same batch once more, as a core NATS message on `<stream>.committed.<id>` (outside the
//! stream: nothing stores it), with the events it holds and the stream sequence it was
//! stored at. A follower whose log ends right before the batch checks its lines against
//! its own head's hash and takes them as they are ([`super::NatsLog::accept`]): no
//! request to the stream at all. Anything else (a gap, a batch it already has, a line
//! that does not chain) is only a hint that the log moved: the follower reads the stream.
//!
//! Why not subscribe to the stream's own subject: a core subscriber there hears every
//! publish, including the loser of a compare-and-set race that JetStream refused, so
//! what it hears cannot be taken as stored. A core subscription is at-most-once: a lost
//! notification (a reconnect, a full inbox) is made up for by the next one, by the
//! actor's periodic look at where the log ends, or by the next append's conflict.

use async_nats::HeaderMap;
use bytes::Bytes;
use futures_util::StreamExt;

use super::Shared;
use super::read::{Batch, SEQ_HEADER};
use super::setup::unavailable;
use crate::store::error::StoreError;

/// The header naming the stream sequence a committed batch was stored at.
const STREAM_SEQ_HEADER: &str = "Warroom-Stream-Seq";

/// While held, the incident is followed; dropping it stops that.
#[derive(Debug)]
pub struct Following {
    task: tokio::task::AbortHandle,
}

impl Following {
    pub(super) fn new(task: tokio::task::AbortHandle) -> Following {
        Following { task }
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A batch some writer committed to an incident, as it announced it: stored at
/// `stream_seq`, holding events `first..=last`. Not trusted beyond that: its lines are
/// checked against the follower's chain before anything is taken from it.
#[derive(Debug, Clone)]
pub struct Committed {
    pub(super) batch: Batch,
}

impl Committed {
    /// The first event the batch holds.
    pub fn first(&self) -> u64 {
        self.batch.first
    }

    /// The last event the batch holds.
    pub fn last(&self) -> u64 {
        self.batch.last
    }
}

/// The core subject a committed batch of the incident on `subject` is announced on.
pub(super) fn committed_subject(shared: &Shared, subject: &str) -> String {
    let id = subject.rsplit('.').next().unwrap_or_default();
    format!("{}.committed.{id}", shared.name)
}

/// Announces a batch just stored (see the module doc). Best effort: a follower that
/// misses it reads the stream instead, so a failure is only logged.
pub(super) async fn announce(
    shared: &Shared,
    subject: &str,
    (first, last, stream_seq): (u64, u64, u64),
    payload: Bytes,
) {
    let mut headers = HeaderMap::new();
    headers.insert(SEQ_HEADER, format!("{first}-{last}").as_str());
    headers.insert(STREAM_SEQ_HEADER, stream_seq.to_string().as_str());
    let to = committed_subject(shared, subject);
    if let Err(error) = shared
        .client
        .publish_with_headers(to, headers, payload)
        .await
    {
        tracing::debug!(%subject, %error, "could not announce a committed batch; followers read the stream instead");
    }
}

/// Reads an announcement; `None` if it is not one.
fn committed(headers: Option<&HeaderMap>, payload: Bytes) -> Option<Committed> {
    let headers = headers?;
    let (first, last) = headers
        .get(SEQ_HEADER)?
        .as_str()
        .split_once('-')
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
        .filter(|(a, b)| *a >= 1 && a <= b)?;
    let stream_seq = headers.get(STREAM_SEQ_HEADER)?.as_str().parse().ok()?;
    payload.ends_with(b"\n").then_some(Committed {
        batch: Batch {
            stream_seq,
            first,
            last,
            payload,
        },
    })
}

/// Calls `notify` with each batch committed to the incident on `subject` from now on
/// (by anyone, this process included).
pub(super) fn follow(
    shared: &Shared,
    subject: &str,
    notify: Box<dyn Fn(Committed) + Send + Sync>,
) -> Result<Following, StoreError> {
    let op = format!("follow {subject}");
    let client = &shared.client;
    let announced = committed_subject(shared, subject);
    // Subscribed (and the server told, by the flush) before this returns: nothing
    // committed after it can go unheard.
    let mut messages = shared.bridge.run(&op, async {
        let messages = client
            .subscribe(announced)
            .await
            .map_err(|e| unavailable(&op, e))?;
        client.flush().await.map_err(|e| unavailable(&op, e))?;
        Ok(messages)
    })?;
    let task = shared.bridge.spawn(async move {
        while let Some(message) = messages.next().await {
            if let Some(committed) = committed(message.headers.as_ref(), message.payload) {
                notify(committed);
            }
        }
    })?;
    Ok(Following::new(task))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(seq: &str, stream_seq: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(SEQ_HEADER, seq);
        headers.insert(STREAM_SEQ_HEADER, stream_seq);
        headers
    }

    #[test]
    fn an_announcement_names_its_events_and_where_they_were_stored() {
        let got = committed(Some(&headers("5-7", "42")), Bytes::from_static(b"x\n")).unwrap();
        assert_eq!((got.first(), got.last(), got.batch.stream_seq), (5, 7, 42));
    }

    #[test]
    fn anything_else_on_the_subject_is_ignored() {
        let line = || Bytes::from_static(b"x\n");
        assert!(committed(None, line()).is_none(), "no headers");
        assert!(committed(Some(&headers("7-5", "42")), line()).is_none());
        assert!(committed(Some(&headers("0-1", "42")), line()).is_none());
        assert!(committed(Some(&headers("5", "42")), line()).is_none());
        assert!(committed(Some(&headers("5-7", "x")), line()).is_none());
        let unended = Bytes::from_static(b"x");
        assert!(committed(Some(&headers("5-7", "42")), unended).is_none());
    }
}
