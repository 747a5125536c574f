//! Encoding a batch of events as log lines: each event serialized once, chained onto
//! the head before it, and checked the way a reader will read it back. The file log
//! writes these bytes to its file; the NATS store publishes them as one message. Both
//! therefore store the same bytes with the same hashes, so a log verifies the same
//! whichever backend kept it.

use std::sync::Arc;

use super::LogRecord;
use super::chain;
use super::error::{Damage, StoreError};
use super::event_log::decode;

/// A batch encoded as log lines, ready to be stored.
pub(crate) struct EncodedBatch {
    /// Every line, each ending in `\n`.
    pub(crate) bytes: Vec<u8>,
    /// The event JSON of each line, as hashed and stored, in order.
    pub(crate) jsons: Vec<Arc<str>>,
    /// Where each line starts in `bytes`, in order.
    pub(crate) starts: Vec<usize>,
    /// The hash of the last line (the log's head hash once the batch is stored).
    pub(crate) head: String,
}

/// Encodes `events` to follow a log whose head is `prev_seq` / `prev_hash`. Refuses a
/// batch whose seqs do not count on from `prev_seq + 1` ([`StoreError::SeqMismatch`])
/// and an event that a reader could not read back ([`StoreError::Unreadable`]).
pub(crate) fn encode_batch<E: LogRecord>(
    prev_seq: u64,
    prev_hash: &str,
    events: &[E],
) -> Result<EncodedBatch, StoreError> {
    for (expected, event) in (prev_seq + 1..).zip(events) {
        if event.seq() != expected {
            return Err(StoreError::SeqMismatch {
                expected,
                found: event.seq(),
            });
        }
    }
    let mut buf = Vec::new();
    let mut jsons = Vec::with_capacity(events.len());
    let mut starts = Vec::with_capacity(events.len());
    let mut head = prev_hash.to_owned();
    for (seq, event) in (prev_seq + 1..).zip(events) {
        let json =
            serde_json::to_string(event).map_err(|cause| StoreError::Serialize { seq, cause })?;
        let hash = chain::chain_hash(&head, json.as_bytes());
        let start = buf.len();
        chain::encode_line(&mut buf, &head, &hash, &json);
        let unreadable = |damage| StoreError::Unreadable { seq, damage };
        // Check the line as the reader will split it: up to its first '\n'. A '\n'
        // inside the JSON (possible only through a raw value in E) ends it early.
        let end = buf[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(buf.len(), |i| start + i);
        let line_no = usize::try_from(seq).unwrap_or(usize::MAX);
        chain::check_line(&buf[start..end], &head, line_no, seq).map_err(unreadable)?;
        if end + 1 != buf.len() {
            return Err(unreadable(Damage::NotCanonical));
        }
        decode::<E>(&json, seq).map_err(unreadable)?;
        head = hash;
        starts.push(start);
        jsons.push(Arc::from(json));
    }
    Ok(EncodedBatch {
        bytes: buf,
        jsons,
        starts,
        head,
    })
}
