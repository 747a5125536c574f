//! The storage seam: the narrow interface every incident store implements
//! ([`IncidentStore`] for the set of incidents, [`IncidentLog`] for one incident's
//! writable log), so the engine writes through one path whatever keeps the bytes. The
//! file store ([`FileStore`], over [`EventLog`](super::EventLog)) is the default;
//! [`NatsStore`] keeps incidents in a replicated NATS JetStream stream. The
//! contract any other backend must meet is docs/STORAGE.md and the suite in
//! `tests/storage_contract/`.

mod any;
mod file;
pub mod nats;
mod sidecar;
mod summary_index;

pub use any::{AnyLog, AnyStore, AnyView};
pub use file::FileStore;
pub use nats::{Committed, Following, NatsAuth, NatsConfig, NatsError, NatsStore};

use std::sync::Arc;

use super::{Head, LogRecord, Opened, Resumed, StoreError};

/// The most events one [`IncidentLog::read_range`] returns: a page, not a replay.
pub const MAX_RANGE: u64 = 65_536;

/// One stored event as read back: its seq, its line's chain hash, and the event JSON
/// exactly as stored (and hashed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub seq: u64,
    /// 64 lowercase hex digits.
    pub hash: String,
    pub json: Arc<str>,
}

/// Opaque bytes pinned to the log head they were made from: a snapshot of an incident's
/// state, or its summary. The store never interprets `bytes`; it only checks that `head`
/// is in the log and that the bytes come back as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    /// The seq and chain hash this covers (seq 0 with the genesis hash: nothing yet).
    pub head: Head,
    pub bytes: Vec<u8>,
}

/// A set of incidents, each with its own hash-chained log.
///
/// Ids are names the caller has already validated (the engine's incident-id rule); a
/// store refuses ids it could not keep apart ([`StoreError::BadId`]).
pub trait IncidentStore {
    /// The writable handle on one incident's log. Holding one makes the holder this
    /// incident's writer *in this process*; other writers (other hubs) are kept honest by
    /// the expected head of every [`IncidentLog::append`].
    type Log: IncidentLog;

    /// Every incident id in the store, in no promised order.
    fn ids(&self) -> Result<Vec<String>, StoreError>;

    /// Creates incident `id` with its first batch of events (seq 1..), durably, and
    /// returns its log and the stored JSON of the batch. Fails with
    /// [`StoreError::AlreadyExists`] if the id is taken; a create that fails leaves no
    /// incident behind (a crash may leave an empty one, which `open` reports empty).
    fn create<E: LogRecord>(
        &self,
        id: &str,
        first: &[E],
    ) -> Result<(Self::Log, Vec<Arc<str>>), StoreError>;

    /// Opens incident `id`: verifies its whole chain and decodes every event. A torn
    /// tail (an unacknowledged write cut short) is removed and reported; any other
    /// damage is [`StoreError::Damaged`] and nothing is changed.
    fn open<E: LogRecord>(&self, id: &str) -> Result<Opened<E, Self::Log>, StoreError>;

    /// Opens incident `id` and hands every event after `from` to `each`, in order,
    /// decoded: `from` is the head of a snapshot the caller has read (with
    /// [`IncidentStore::read_snapshot_of`]) and could use. The log must hold `from`, or
    /// this fails with [`StoreError::NotInLog`] and changes nothing; the caller then
    /// opens again with `None`, which replays every event. The events after `from` are
    /// checked as `open` checks them, with the same torn-tail rule; memory stays bounded
    /// whatever the log's length.
    fn open_replaying<E: LogRecord>(
        &self,
        id: &str,
        from: Option<&Head>,
        each: &mut dyn FnMut(E),
    ) -> Result<Resumed<Self::Log>, StoreError>;

    /// Incident `id`'s snapshot as stored, not yet checked against the log (that is
    /// [`IncidentStore::open_replaying`]'s job): `None` if it has none;
    /// [`StoreError::BadSidecar`] if it is damaged or of another format.
    fn read_snapshot_of(&self, id: &str) -> Result<Option<Pinned>, StoreError>;

    /// The summaries written with [`IncidentLog::write_summary`], per id, without opening
    /// any log. A summary may lag its log (a crash between the append and the summary):
    /// its [`Pinned::head`] says what it covers, and a reader that needs it exact compares
    /// it with the log's head.
    fn summaries(&self) -> Result<Vec<(String, Pinned)>, StoreError>;

    /// The summaries that are current: each pinned to the head its log ends at now (the
    /// store checks that its own way — the file store against each log's last line, or
    /// through its index of summaries, by the log's size and time being unchanged since
    /// such a check). Incidents without a current summary are left out; the caller
    /// builds theirs from the log. Like [`IncidentStore::stored_head`], this says
    /// nothing about the chain being intact.
    fn current_summaries(&self) -> Result<Vec<(String, Pinned)>, StoreError>;

    /// The head incident `id`'s log ends at as stored, read cheaply (the file store reads
    /// its last line only) and without verifying the chain: for telling whether a summary
    /// is current, never for trusting the log. `None` if there is no such log, it is
    /// empty, or its end is not a valid event line (the caller then opens it and learns
    /// why). A torn tail is not part of the head, as after `open`.
    fn stored_head(&self, id: &str) -> Result<Option<Head>, StoreError>;
}

/// One incident's log, open for appending. `Send`: the hub moves it to the incident's
/// actor thread.
pub trait IncidentLog: Send + std::fmt::Debug {
    /// The last event's seq and its line's chain hash (seq 0 and
    /// [`GENESIS_PREV`](super::GENESIS_PREV) when empty).
    fn head(&self) -> Head;

    /// Appends `events` (which must carry seqs `expected.seq + 1`, `+ 2`, …) if and only
    /// if the log still ends at `expected`; otherwise [`StoreError::Conflict`] and nothing
    /// is written. `Ok` means durable: the events survive a crash of this process and of
    /// the machine (fsync'd, or acknowledged by a quorum). Returns the stored JSON of
    /// each event, the exact bytes that were hashed, in order.
    fn append<E: LogRecord>(
        &mut self,
        expected: &Head,
        events: &[E],
    ) -> Result<Vec<Arc<str>>, StoreError>;

    /// The view [`IncidentLog::view`] returns.
    type View: LogView + Clone + 'static;

    /// Events `from..=to` (1-based, inclusive) as stored, in seq order, at most
    /// [`MAX_RANGE`] at once. A range outside `1..=head.seq` is
    /// [`StoreError::OutOfRange`].
    fn read_range(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>, StoreError>;

    /// A read-only view of the log as acknowledged now, which other threads can page
    /// through (a subscriber's catch-up, a page of old timeline) while this handle goes
    /// on appending. Cheap: it holds no file open and copies no events.
    fn view(&self) -> Self::View;

    /// Replaces the incident's snapshot, atomically: a reader sees the old one or the
    /// new one, never a mix. Refused ([`StoreError::NotInLog`]) unless the log holds
    /// `snapshot.head`.
    fn write_snapshot(&mut self, snapshot: &Pinned) -> Result<(), StoreError>;

    /// The incident's snapshot, if it has one that matches the log. One that is damaged,
    /// from another version ([`StoreError::BadSidecar`]) or names a head the log does not
    /// have ([`StoreError::NotInLog`]) is an error the caller logs and ignores: a snapshot
    /// is never trusted over the log.
    fn read_snapshot(&self) -> Result<Option<Pinned>, StoreError>;

    /// Replaces the incident's summary (what `list` shows), atomically; refused like a
    /// snapshot unless the log holds `summary.head`.
    fn write_summary(&mut self, summary: &Pinned) -> Result<(), StoreError>;
}

/// A read-only view of one log up to the head it was made at ([`IncidentLog::view`]).
pub trait LogView: Send + Sync + std::fmt::Debug {
    /// The head the view ends at: reads beyond it are [`StoreError::OutOfRange`].
    fn head(&self) -> Head;

    /// As [`IncidentLog::read_range`], within the view.
    fn read_range(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>, StoreError>;
}
