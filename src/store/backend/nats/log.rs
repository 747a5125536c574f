//! [`NatsLog`]: one incident's subject, open for appending, and [`NatsView`], a
//! read-only view of it up to a head. An append publishes the whole batch as one message
//! (so a batch is all-or-nothing, as in the file log) with
//! `Nats-Expected-Last-Subject-Sequence` set to the stream sequence of the message the
//! handle's head is in: JetStream stores it only if nobody else appended to the subject
//! since, which keeps one order per incident across hubs. The ack comes after the
//! stream's replicas (a quorum) stored it.

use std::sync::Arc;

use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;

use super::error::NatsError;
use super::follow::Committed;
use super::read::{self, SEQ_HEADER};
use super::setup::{refused, unavailable};
use super::{Shared, sidecar_path};
use crate::store::backend::sidecar;
use crate::store::batch::encode_batch;
use crate::store::chain::GENESIS_PREV;
use crate::store::error::{LineError, StoreError};
use crate::store::event_log::decode;
use crate::store::{Head, IncidentLog, LogRecord, LogView, MAX_RANGE, Pinned, StoredEvent};

/// One incident's log in the stream, open for appending.
#[derive(Debug)]
pub struct NatsLog {
    pub(super) shared: Arc<Shared>,
    pub(super) id: String,
    pub(super) subject: String,
    pub(super) head: Head,
    /// The stream sequence of the message holding the head's event (0: none yet).
    pub(super) stream_seq: u64,
}

/// A read-only view of one incident's log up to the head it was made at.
#[derive(Debug, Clone)]
pub struct NatsView {
    shared: Arc<Shared>,
    subject: String,
    head: Head,
    stream_seq: u64,
}

/// What publishing one batch came to.
pub(super) enum Published {
    /// Stored at this stream sequence; or, `duplicate`, a message with its id was
    /// stored there before. `retried`: this publish was sent more than once (an earlier
    /// try may be that message).
    Stored {
        stream_seq: u64,
        duplicate: bool,
        retried: bool,
    },
    /// The subject did not end where the publish expected.
    WrongLast,
}

/// The message id of a batch: it names exactly these bytes at this place in this
/// history (the last hash chains everything before it), so JetStream drops a resend as
/// a duplicate and never mistakes a different batch for the same seqs for this one.
pub(super) fn batch_message_id(id: &str, first: u64, last_hash: &str) -> String {
    format!("{id}:{first}:{last_hash}")
}

/// Publishes `bytes` (the lines of events `first..=last`) to `subject` as `message_id`
/// iff the subject's last message is at stream sequence `expected_last`.
pub(super) fn publish(
    shared: &Shared,
    subject: &str,
    expected_last: u64,
    (first, last, message_id): (u64, u64, String),
    bytes: Vec<u8>,
) -> Result<Published, NatsError> {
    let max = shared.client.server_info().max_payload;
    if max > 0 && bytes.len() > max {
        return Err(NatsError::TooLarge {
            bytes: bytes.len(),
            max,
        });
    }
    let payload = bytes::Bytes::from(bytes);
    let message = PublishMessage::build()
        .payload(payload.clone())
        .header(SEQ_HEADER, format!("{first}-{last}"))
        .message_id(message_id)
        .expected_last_subject_sequence(expected_last);
    let op = format!("append to {subject}");
    let js = &shared.js;
    // Made again, the same message, while the cluster cannot answer (its stream leader
    // just died): a publish the old leader stored is then answered as a duplicate (the
    // same message id) or as a lost race (the expected last sequence), never stored
    // twice.
    let tries = std::sync::atomic::AtomicU32::new(0);
    shared.bridge.run_retrying(&op, &shared.client, || async {
        let retried = tries.fetch_add(1, std::sync::atomic::Ordering::Relaxed) > 0;
        let ack = async {
            js.send_publish(subject.to_owned(), message.clone())
                .await?
                .await
        };
        match ack.await {
            Ok(ack) => {
                // Stored by a quorum: followers may now take it as it is. (Not a
                // duplicate: what is stored under its id may be on another subject.)
                if !ack.duplicate {
                    let announced = (first, last, ack.sequence);
                    super::follow::announce(shared, subject, announced, payload.clone()).await;
                }
                Ok(Published::Stored {
                    stream_seq: ack.sequence,
                    duplicate: ack.duplicate,
                    retried,
                })
            }
            Err(e) if is_wrong_last(&e) => Ok(Published::WrongLast),
            Err(e) => Err(publish_failed(&op, e, max)),
        }
    })
}

/// JetStream's "the subject does not end where you expected": 10071 names where it does
/// end; servers since 2.9.21 answer 10164 (no number) when another publish with the
/// same expectation is still in flight, which is the same lost race.
fn is_wrong_last(error: &async_nats::jetstream::context::PublishError) -> bool {
    use async_nats::jetstream::ErrorCode;
    error.kind() == PublishErrorKind::WrongLastSequence
        || std::error::Error::source(error)
            .and_then(|s| s.downcast_ref::<async_nats::jetstream::Error>())
            .is_some_and(|e| e.error_code() == ErrorCode::STREAM_WRONG_LAST_SEQUENCE_CONSTANT)
}

fn publish_failed(
    op: &str,
    error: async_nats::jetstream::context::PublishError,
    max: usize,
) -> NatsError {
    match error.kind() {
        PublishErrorKind::MaxPayloadExceeded => NatsError::TooLarge {
            bytes: max + 1,
            max,
        },
        PublishErrorKind::Other => {
            let code = std::error::Error::source(&error)
                .and_then(|s| s.downcast_ref::<async_nats::jetstream::Error>())
                .map(|e| e.error_code());
            // 10158, "duplicate message id is in process": an earlier try of this very
            // publish is still waiting for a quorum; whether it lands is not known yet.
            let in_process =
                code == Some(async_nats::jetstream::ErrorCode::STREAM_DUPLICATE_MESSAGE_CONFLICT);
            match code {
                Some(code) if !read::is_cluster_trouble(code) && !in_process => refused(op, &error),
                _ => unavailable(op, &error),
            }
        }
        // No answer, a dropped connection, no stream leader to answer ("no responders"):
        // nothing can be counted on as stored, and the same append can be tried again.
        _ => unavailable(op, &error),
    }
}

/// The head the subject ends at now and the stream sequence of its last message.
pub(super) fn current_head(shared: &Shared, subject: &str) -> Result<(Head, u64), StoreError> {
    let stream = &shared.stream;
    let last = shared.bridge.run_retrying(
        &format!("read the end of {subject}"),
        &shared.client,
        || read::last(stream, subject),
    )?;
    match last {
        None => Ok((genesis(), 0)),
        Some(batch) => Ok((batch.head(subject)?, batch.stream_seq)),
    }
}

pub(super) fn genesis() -> Head {
    Head {
        seq: 0,
        hash: GENESIS_PREV.to_owned(),
    }
}

/// Hands events `from..=to` of `subject` to `each`, in order, each line checked against
/// the one before it (the first against itself), reading messages up to stream sequence
/// `until` a few at a time (memory stays bounded by a few batches).
pub(super) fn read_events(
    shared: &Shared,
    subject: &str,
    (from, to): (u64, u64),
    until: u64,
    each: &mut dyn FnMut(StoredEvent) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    const CHUNK: usize = 64;
    let stream = &shared.stream;
    let op = format!("read {subject}");
    let first = shared
        .bridge
        .run_retrying(&op, &shared.client, || {
            read::holding(stream, subject, from, until)
        })?
        .ok_or_else(|| NatsError::Malformed {
            subject: subject.to_owned(),
            stream_seq: until,
            reason: format!("no message holds event {from}, which the log's head covers"),
        })?;
    // The first line is checked against its own `prev` (event 1 against the genesis):
    // what comes before it was checked when it was written, and `open` checks the whole
    // chain.
    let mut prev = if first.first == 1 {
        GENESIS_PREV
    } else {
        own_prev(&first.payload).unwrap_or(GENESIS_PREV)
    }
    .to_owned();
    // Every batch after the first must start where the one before it ended.
    let mut expected_next = first.first;
    let mut batches = vec![first];
    loop {
        let mut last_stream_seq = 0;
        for batch in &batches {
            if batch.first != expected_next {
                return Err(NatsError::Malformed {
                    subject: subject.to_owned(),
                    stream_seq: batch.stream_seq,
                    reason: format!("it starts at event {}, not {expected_next}", batch.first),
                }
                .into());
            }
            let mut handed = |event: StoredEvent| {
                if (from..=to).contains(&event.seq) {
                    each(event)?;
                }
                Ok(())
            };
            prev = batch.check_lines(subject, &prev, &mut handed)?;
            if batch.last >= to {
                return Ok(());
            }
            expected_next = batch.last + 1;
            last_stream_seq = batch.stream_seq;
        }
        batches = shared.bridge.run_retrying(&op, &shared.client, || {
            read::after(stream, subject, last_stream_seq, until, CHUNK)
        })?;
        if batches.is_empty() {
            return Err(NatsError::Malformed {
                subject: subject.to_owned(),
                stream_seq: until,
                reason: format!("the subject ends before event {to}"),
            }
            .into());
        }
    }
}

/// The `prev` hash a payload's first line names.
fn own_prev(payload: &[u8]) -> Option<&str> {
    let prev = payload.strip_prefix(br#"{"prev":""#)?.get(..64)?;
    std::str::from_utf8(prev).ok()
}

/// Decodes a stored event, naming the subject and seq if it does not decode.
pub(super) fn decode_event<E: LogRecord>(
    subject: &str,
    event: &StoredEvent,
) -> Result<E, StoreError> {
    decode::<E>(&event.json, event.seq).map_err(|damage| StoreError::Damaged {
        path: subject.into(),
        error: LineError {
            line: usize::try_from(event.seq).unwrap_or(usize::MAX),
            damage,
        },
    })
}

/// Checks a range against a log ending at `head`.
fn check_range(from: u64, to: u64, head: &Head) -> Result<(), StoreError> {
    if from == 0 || from > to || to > head.seq {
        return Err(StoreError::OutOfRange {
            from,
            to,
            last: head.seq,
        });
    }
    if to - from + 1 > MAX_RANGE {
        return Err(StoreError::RangeTooLong {
            from,
            to,
            max: MAX_RANGE,
        });
    }
    Ok(())
}

fn range(
    shared: &Shared,
    subject: &str,
    head: &Head,
    until: u64,
    (from, to): (u64, u64),
) -> Result<Vec<StoredEvent>, StoreError> {
    check_range(from, to, head)?;
    let mut out = Vec::new();
    read_events(shared, subject, (from, to), until, &mut |event| {
        out.push(event);
        Ok(())
    })?;
    Ok(out)
}

impl NatsLog {
    /// The incident's subject.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The head's chain hash.
    pub fn head_hash(&self) -> &str {
        &self.head.hash
    }

    /// Moves the handle to the head the subject ends at now, if another writer took it
    /// further (never back): the caller then reads the events in between.
    pub fn refresh(&mut self) -> Result<Head, StoreError> {
        let (head, stream_seq) = current_head(&self.shared, &self.subject)?;
        if head.seq > self.head.seq {
            self.head = head;
            self.stream_seq = stream_seq;
        }
        Ok(self.head.clone())
    }

    /// Calls `notify` with each batch anyone commits to this incident from now on,
    /// while the returned guard is held (see [`super::follow`]).
    pub fn follow(
        &self,
        notify: Box<dyn Fn(Committed) + Send + Sync>,
    ) -> Result<super::Following, StoreError> {
        super::follow::follow(&self.shared, &self.subject, notify)
    }

    /// Takes a batch another writer announced if it is the next one: it starts right
    /// after the head and its lines chain onto the head's hash. Then the handle ends
    /// where the batch does and its events are returned, checked, for applying; `None`
    /// (nothing changed) if it is not the next batch or does not chain, and the caller
    /// reads the log instead ([`NatsLog::refresh`]).
    pub fn accept(&mut self, committed: &Committed) -> Option<Vec<StoredEvent>> {
        let batch = &committed.batch;
        if batch.first != self.head.seq + 1 || batch.stream_seq <= self.stream_seq {
            return None;
        }
        // Not sized from the header: it is only a claim until the lines are checked.
        let mut events = Vec::new();
        let checked = batch.check_lines(&self.subject, &self.head.hash, &mut |event| {
            events.push(event);
            Ok(())
        });
        match checked {
            Ok(hash) => {
                self.head = Head {
                    seq: batch.last,
                    hash,
                };
                self.stream_seq = batch.stream_seq;
                Some(events)
            }
            Err(error) => {
                tracing::debug!(subject = %self.subject, %error, "an announced batch does not chain onto this hub's head; reading the stream instead");
                None
            }
        }
    }

    /// Ok if the log holds `head` (its seq, with that chain hash); else why not.
    fn check_holds(&self, head: &Head) -> Result<(), String> {
        if *head == self.head {
            return Ok(());
        }
        if head.seq > self.head.seq {
            return Err(format!("the log ends at seq {}", self.head.seq));
        }
        let hash = if head.seq == 0 {
            GENESIS_PREV.to_owned()
        } else {
            self.read_range(head.seq, head.seq)
                .map_err(|e| e.to_string())?
                .into_iter()
                .next()
                .map(|e| e.hash)
                .unwrap_or_default()
        };
        if hash == head.hash {
            Ok(())
        } else {
            Err(format!("the log's seq {} hashes to {hash}", head.seq))
        }
    }

    fn write_pinned(&self, what: &'static str, pinned: &Pinned) -> Result<(), StoreError> {
        self.check_holds(&pinned.head)
            .map_err(|reason| StoreError::NotInLog {
                what,
                path: self.subject.clone().into(),
                claimed: pinned.head.clone(),
                reason,
            })?;
        let bucket = if what == "snapshot" {
            &self.shared.snapshots
        } else {
            &self.shared.summaries
        };
        let value = sidecar::encode(pinned);
        let op = format!("write the {what} of {}", self.id);
        self.shared.bridge.run(&op, async {
            bucket
                .put(&self.id, value.into())
                .await
                .map(|_| ())
                .map_err(|e| unavailable(&op, e))
        })?;
        Ok(())
    }
}

impl IncidentLog for NatsLog {
    type View = NatsView;

    fn head(&self) -> Head {
        self.head.clone()
    }

    fn append<E: LogRecord>(
        &mut self,
        expected: &Head,
        events: &[E],
    ) -> Result<Vec<Arc<str>>, StoreError> {
        if *expected != self.head {
            return Err(StoreError::Conflict {
                expected: expected.clone(),
                actual: self.head.clone(),
            });
        }
        let batch = encode_batch(self.head.seq, &self.head.hash, events)?;
        if batch.bytes.is_empty() {
            return Ok(batch.jsons);
        }
        let (first, last) = (self.head.seq + 1, self.head.seq + events.len() as u64);
        let message_id = batch_message_id(&self.id, first, &batch.head);
        let published = publish(
            &self.shared,
            &self.subject,
            self.stream_seq,
            (first, last, message_id),
            batch.bytes,
        )?;
        match published {
            Published::Stored { stream_seq, .. } => {
                // A duplicate is this very batch (its id names its bytes and history),
                // stored by an earlier attempt: the log holds it all the same.
                self.head = Head {
                    seq: last,
                    hash: batch.head,
                };
                self.stream_seq = stream_seq;
                Ok(batch.jsons)
            }
            Published::WrongLast => {
                // Another writer (another hub) got there first: learn where the log
                // ends now, so the caller can read what it missed and decide again.
                let (actual, stream_seq) = current_head(&self.shared, &self.subject)?;
                self.head = actual.clone();
                self.stream_seq = stream_seq;
                Err(StoreError::Conflict {
                    expected: expected.clone(),
                    actual,
                })
            }
        }
    }

    fn read_range(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>, StoreError> {
        range(
            &self.shared,
            &self.subject,
            &self.head,
            self.stream_seq,
            (from, to),
        )
    }

    fn view(&self) -> NatsView {
        NatsView {
            shared: self.shared.clone(),
            subject: self.subject.clone(),
            head: self.head.clone(),
            stream_seq: self.stream_seq,
        }
    }

    fn write_snapshot(&mut self, snapshot: &Pinned) -> Result<(), StoreError> {
        self.write_pinned("snapshot", snapshot)
    }

    fn read_snapshot(&self) -> Result<Option<Pinned>, StoreError> {
        let Some(snapshot) = self.shared.read_pinned("snapshot", &self.id)? else {
            return Ok(None);
        };
        self.check_holds(&snapshot.head)
            .map_err(|reason| StoreError::NotInLog {
                what: "snapshot",
                path: sidecar_path(&self.shared, "snapshot", &self.id),
                claimed: snapshot.head.clone(),
                reason,
            })?;
        Ok(Some(snapshot))
    }

    fn write_summary(&mut self, summary: &Pinned) -> Result<(), StoreError> {
        self.write_pinned("summary", summary)
    }
}

impl LogView for NatsView {
    fn head(&self) -> Head {
        self.head.clone()
    }

    fn read_range(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>, StoreError> {
        range(
            &self.shared,
            &self.subject,
            &self.head,
            self.stream_seq,
            (from, to),
        )
    }
}
