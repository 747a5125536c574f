//! Reading an incident's subject: its last message, the next message after a stream
//! sequence, the message holding a given event (a binary search over stream sequences,
//! so a page deep in a long log costs a few requests, not a scan), and the checked lines
//! of a batch.
//!
//! Every message on an incident's subject is one committed batch: its payload is the
//! batch's log lines exactly as the file log writes them (each ending in `\n`), and its
//! `Warroom-Seq` header says which events it holds, `FIRST-LAST`, for finding them.

use async_nats::jetstream::message::StreamMessage;
use async_nats::jetstream::stream::{RawMessageErrorKind, Stream};

use super::error::NatsError;
use super::setup::{refused, unavailable};
use crate::store::chain::{self, line_head};
use crate::store::error::{LineError, StoreError};
use crate::store::{Head, StoredEvent};

/// The header naming the events a message holds.
pub(super) const SEQ_HEADER: &str = "Warroom-Seq";

/// One message of an incident's subject, with the events it says it holds.
#[derive(Debug, Clone)]
pub(super) struct Batch {
    pub(super) stream_seq: u64,
    pub(super) first: u64,
    pub(super) last: u64,
    pub(super) payload: bytes::Bytes,
}

impl Batch {
    fn of(subject: &str, message: StreamMessage) -> Result<Batch, NatsError> {
        let malformed = |reason: &str| NatsError::Malformed {
            subject: subject.to_owned(),
            stream_seq: message.sequence,
            reason: reason.to_owned(),
        };
        let range = message
            .headers
            .get(SEQ_HEADER)
            .map(|v| v.as_str().to_owned())
            .ok_or_else(|| malformed("no Warroom-Seq header"))?;
        let (first, last) = range
            .split_once('-')
            .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
            .filter(|(a, b)| *a >= 1 && a <= b)
            .ok_or_else(|| malformed("its Warroom-Seq header is not FIRST-LAST"))?;
        if !message.payload.ends_with(b"\n") {
            return Err(malformed("its payload does not end a line"));
        }
        Ok(Batch {
            stream_seq: message.sequence,
            first,
            last,
            payload: message.payload,
        })
    }

    /// The head the batch's last line claims, checked against that line only.
    pub(super) fn head(&self, subject: &str) -> Result<Head, NatsError> {
        let body = &self.payload[..self.payload.len() - 1];
        let last = body.rsplit(|&b| b == b'\n').next().unwrap_or(body);
        match line_head(last) {
            Some((seq, hash)) if seq == self.last => Ok(Head { seq, hash }),
            _ => Err(NatsError::Malformed {
                subject: subject.to_owned(),
                stream_seq: self.stream_seq,
                reason: "its last line is not a valid log line for its last event".into(),
            }),
        }
    }

    /// Checks every line against the chain, from `prev` (the hash of event
    /// `self.first - 1`), and hands each as a [`StoredEvent`] to `each`. Returns the
    /// hash of the last line.
    pub(super) fn check_lines(
        &self,
        subject: &str,
        prev: &str,
        each: &mut dyn FnMut(StoredEvent) -> Result<(), StoreError>,
    ) -> Result<String, StoreError> {
        let body = &self.payload[..self.payload.len() - 1];
        let mut prev = prev.to_owned();
        let mut expected = self.first;
        for line in body.split(|&b| b == b'\n') {
            let line_no = usize::try_from(expected).unwrap_or(usize::MAX);
            let checked = chain::check_line(line, &prev, line_no, expected).map_err(|damage| {
                StoreError::Damaged {
                    path: subject.into(),
                    error: LineError {
                        line: line_no,
                        damage,
                    },
                }
            })?;
            prev = checked.hash.to_owned();
            each(StoredEvent {
                seq: checked.seq,
                hash: checked.hash.to_owned(),
                json: checked.event.into(),
            })?;
            expected += 1;
        }
        if expected != self.last + 1 {
            return Err(NatsError::Malformed {
                subject: subject.to_owned(),
                stream_seq: self.stream_seq,
                reason: format!(
                    "its header says events {}-{}, its lines hold {}-{}",
                    self.first,
                    self.last,
                    self.first,
                    expected - 1
                ),
            }
            .into());
        }
        Ok(prev)
    }
}

fn get_failed(op: &str, error: async_nats::jetstream::stream::RawMessageError) -> NatsError {
    match error.kind() {
        RawMessageErrorKind::JetStream(e) if !is_cluster_trouble(e.error_code()) => refused(op, e),
        RawMessageErrorKind::InvalidSubject => refused(op, error),
        _ => unavailable(op, error),
    }
}

/// JetStream errors that mean "no leader / no quorum right now": retryable.
pub(super) fn is_cluster_trouble(code: async_nats::jetstream::ErrorCode) -> bool {
    use async_nats::jetstream::ErrorCode as C;
    [
        C::CLUSTER_NOT_AVAILABLE,
        C::CLUSTER_NOT_ACTIVE,
        C::CLUSTER_NOT_LEADER,
        C::CLUSTER_INCOMPLETE,
        C::CLUSTER_NO_PEERS,
        C::STREAM_OFFLINE,
        C::INSUFFICIENT_RESOURCES,
    ]
    .contains(&code)
}

/// The last message on `subject`, if any.
pub(super) async fn last(stream: &Stream, subject: &str) -> Result<Option<Batch>, NatsError> {
    match stream.get_last_raw_message_by_subject(subject).await {
        Ok(message) => Batch::of(subject, message).map(Some),
        Err(e) if e.kind() == RawMessageErrorKind::NoMessageFound => Ok(None),
        Err(e) => Err(get_failed(&format!("read the end of {subject}"), e)),
    }
}

/// The first message on `subject` at stream sequence `from` or later, if any.
pub(super) async fn next(
    stream: &Stream,
    subject: &str,
    from: u64,
) -> Result<Option<Batch>, NatsError> {
    let got = stream
        .raw_message_builder()
        .sequence(from)
        .next_by_subject(subject)
        .send()
        .await;
    match got {
        Ok(message) => Batch::of(subject, message).map(Some),
        Err(e) if e.kind() == RawMessageErrorKind::NoMessageFound => Ok(None),
        Err(e) => Err(get_failed(&format!("read {subject}"), e)),
    }
}

/// The messages on `subject` after stream sequence `after`, up to stream sequence
/// `until` (inclusive) and at most `max` of them, in order.
pub(super) async fn after(
    stream: &Stream,
    subject: &str,
    after: u64,
    until: u64,
    max: usize,
) -> Result<Vec<Batch>, NatsError> {
    let mut out = Vec::new();
    let mut from = after + 1;
    while out.len() < max && from <= until {
        match next(stream, subject, from).await? {
            Some(batch) if batch.stream_seq <= until => {
                from = batch.stream_seq + 1;
                out.push(batch);
            }
            _ => break,
        }
    }
    Ok(out)
}

/// The message on `subject` holding event `seq`, searching stream sequences up to
/// `until` (the stream sequence of the log's last message): `None` if no message there
/// holds it.
pub(super) async fn holding(
    stream: &Stream,
    subject: &str,
    seq: u64,
    until: u64,
) -> Result<Option<Batch>, NatsError> {
    let (mut low, mut high) = (1, until);
    while low <= high {
        let middle = low + (high - low) / 2;
        let Some(batch) = next(stream, subject, middle).await? else {
            // Nothing on the subject from `middle` on: the event is before it.
            high = middle - 1;
            continue;
        };
        if batch.stream_seq > until || batch.first > seq {
            // The first message at or after `middle` starts after the event, so the
            // event's message (if any) is before `middle`.
            high = middle - 1;
        } else if batch.last < seq {
            low = batch.stream_seq + 1;
        } else {
            return Ok(Some(batch));
        }
    }
    Ok(None)
}
