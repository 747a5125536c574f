//! Creating an incident's subject: its first batch published expecting the subject to
//! be empty. A declare that carries a command id is published under a message id made
//! of it, so the same declare sent to a second hub (a client that failed over before
//! its answer) is a duplicate in the stream's window, answered with the incident the
//! first one made ([`StoreError::DeclaredAs`]).

use std::sync::Arc;

use super::log::{Published, batch_message_id, genesis, publish};
use super::setup::unavailable;
use super::{NatsLog, Shared, read};
use crate::store::batch::encode_batch;
use crate::store::chain::chain_hash;
use crate::store::error::StoreError;
use crate::store::{Head, LogRecord};

pub(super) fn create<E: LogRecord>(
    shared: &Arc<Shared>,
    id: &str,
    first: &[E],
) -> Result<(NatsLog, Vec<Arc<str>>), StoreError> {
    let subject = shared.subject(id)?;
    let genesis = genesis();
    let batch = encode_batch(0, &genesis.hash, first)?;
    let last = first.len() as u64;
    let already = || StoreError::AlreadyExists {
        path: subject.clone().into(),
    };
    // A declare that carries a command id is stored under an id made of it alone:
    // the same declare re-sent to another hub (a client that lost the first before
    // its answer) is then a duplicate in the stream's window whatever number that
    // hub gave it, and is answered with the incident the first one made.
    let message_id = match first.first().and_then(LogRecord::command_id) {
        Some(command) => format!("declare:{}", chain_hash("declare", command.as_bytes())),
        None => batch_message_id(id, 1, &batch.head),
    };
    let payload = batch.bytes.clone();
    let published = publish(shared, &subject, 0, (1, last, message_id), batch.bytes)?;
    let stream_seq = match published {
        Published::WrongLast => return Err(already()),
        Published::Stored {
            duplicate: false,
            stream_seq,
            ..
        } => stream_seq,
        Published::Stored {
            duplicate: true,
            stream_seq,
            retried,
        } => {
            // Stored before under this id: this very batch (an earlier try of this
            // call, whose ack was lost), the same batch created before (the id is
            // taken), or the same declare made elsewhere.
            let stored = stored_at(shared, stream_seq)?;
            let prefix = format!("{}.incident.", shared.name);
            match stored.subject.as_str().strip_prefix(&prefix) {
                Some(stored_id) if stored_id == id && stored.payload == payload && retried => {
                    stream_seq
                }
                Some(other) if other != id => {
                    return Err(StoreError::DeclaredAs {
                        id: other.to_owned(),
                        last: stored.last,
                    });
                }
                _ => return Err(already()),
            }
        }
    };
    Ok((
        NatsLog {
            shared: shared.clone(),
            id: id.to_owned(),
            subject,
            head: Head {
                seq: last,
                hash: batch.head,
            },
            stream_seq,
        },
        batch.jsons,
    ))
}

/// The message at `stream_seq`: its subject, payload and (if it is a batch) last event.
struct StoredMessage {
    subject: async_nats::Subject,
    payload: bytes::Bytes,
    last: u64,
}

fn stored_at(shared: &Shared, stream_seq: u64) -> Result<StoredMessage, StoreError> {
    let stream = &shared.stream;
    let op = format!("read message {stream_seq} of the stream");
    let message = shared.bridge.run_retrying(&op, &shared.client, || async {
        stream
            .get_raw_message(stream_seq)
            .await
            .map_err(|e| unavailable(&op, e))
    })?;
    let last = message
        .headers
        .get(read::SEQ_HEADER)
        .and_then(|v| v.as_str().split_once('-'))
        .and_then(|(_, last)| last.parse().ok())
        .unwrap_or(0);
    Ok(StoredMessage {
        subject: message.subject,
        payload: message.payload,
        last,
    })
}
