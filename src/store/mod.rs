//! The durable incident log: one append-only JSON-lines file per incident, SHA-256
//! hash-chained, so that any later change to a written line is detected.
//!
//! The module is generic: it knows the domain's event type only through [`LogRecord`].
//! Callers reach a log through the storage seam in [`backend`] ([`IncidentStore`],
//! [`IncidentLog`]); the file store ([`FileStore`] over [`EventLog`]) is the default.
//!
//! # Line format
//!
//! Every line is compact JSON terminated by `\n`, with the keys in exactly this order:
//!
//! ```text
//! {"prev":"<64 lowercase hex>","hash":"<64 lowercase hex>","event":<event JSON>}
//! ```
//!
//! * `hash = hex(SHA-256(prev_hex_ascii || "\n" || event_json))`, where `event_json` is
//!   the exact bytes stored in the line (verification hashes the stored bytes, never a
//!   re-serialization).
//! * The first line's `prev` is [`GENESIS_PREV`] (64 `'0'`s); every other line's `prev`
//!   is the previous line's `hash`.
//! * Every event carries a `seq`: 1 on the first line, then +1 per line.
//! * A line must be byte-for-byte the form above (no whitespace, no `\r`, no reordered
//!   keys), so the hash together with the link covers every byte of the line.
//!
//! # Crashes
//!
//! [`EventLog::append`] writes a batch with one `write` and one `fsync`. A crash can leave
//! a *torn tail*: a final segment without its `\n` that is a prefix of a line we wrote.
//! [`EventLog::open`] cuts it off and reports it in [`Opened::torn_tail`]; [`verify`]
//! reports it without touching the file. Anything else that is wrong is damage, reported
//! with its 1-based line number, and never repaired. A crash in the middle of a batch
//! may keep the batch's complete lines: they are valid, chained events and are replayed.

pub mod backend;
mod batch;
mod chain;
mod commit;
mod error;
mod event_log;
mod offsets;
pub mod private;
mod resume;
mod scan;
mod verify;

pub use backend::{
    AnyLog, AnyStore, AnyView, Committed, FileStore, Following, IncidentLog, IncidentStore,
    LogView, MAX_RANGE, NatsAuth, NatsConfig, NatsError, NatsStore, Pinned, StoredEvent,
};
pub use chain::GENESIS_PREV;
pub use error::{Damage, LineError, StoreError, VerifyError};
pub use event_log::{EventLog, Opened};
pub use resume::{FileView, Resumed};
pub use scan::TornTail;
pub use verify::{Head, HeadReport, VerifyReport, replay_prefix, verify, verify_head};

/// An event that can be stored in an [`EventLog`].
///
/// Its JSON form must be an object with a numeric `seq` field equal to [`LogRecord::seq`]
/// (the log reads `seq` from the stored JSON so that [`verify`] works without the domain
/// type). An optional string field `at` is reported by [`verify`] as the time range.
pub trait LogRecord: serde::Serialize + serde::de::DeserializeOwned {
    /// The event's position in its incident log: 1 for the first event, then +1.
    fn seq(&self) -> u64;

    /// The id of the command that made the event, if it carried one. A store shared by
    /// several writers recognises by its first event's the same declare sent to two of
    /// them ([`StoreError::DeclaredAs`]).
    fn command_id(&self) -> Option<&str> {
        None
    }
}
