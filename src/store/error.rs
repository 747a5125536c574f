//! The event log's errors: what can be wrong with one line ([`Damage`], [`LineError`]),
//! and what [`verify`](super::verify) and [`EventLog`](super::EventLog) return.
//!
//! Every message carries its cause inline (a responder may only ever see the top-level
//! `Display`), so causes are plain fields, not `source()`s, to avoid printing them twice
//! in an error report chain.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// What is wrong with one line of a log. The messages complete the sentence
/// `line N: …`.
#[derive(Debug, Error)]
pub enum Damage {
    /// A terminated line with nothing on it.
    #[error("is empty (a blank line was inserted)")]
    Empty,
    /// Not JSON, or JSON with other keys than `prev`, `hash` and `event`.
    #[error("is not a valid log line ({0})")]
    NotJson(serde_json::Error),
    /// `prev` or `hash` is not 64 lowercase hex digits.
    #[error("`{field}` is not 64 lowercase hex digits")]
    BadHex {
        /// `"prev"` or `"hash"`.
        field: &'static str,
    },
    /// Valid JSON, but not byte-for-byte the form the log writes.
    #[error(
        "is not in the exact form warroom writes (extra whitespace, a carriage return, \
         or reordered keys: the line was edited)"
    )]
    NotCanonical,
    /// The stored hash is not the hash of the stored `prev` and event.
    #[error("hash does not match its contents (the line was changed)")]
    HashMismatch,
    /// The first line's `prev` is not [`GENESIS_PREV`](super::GENESIS_PREV).
    #[error("does not start the chain (prev is not 64 zeros: earlier lines were removed)")]
    NotGenesis,
    /// `prev` is not the previous line's hash.
    #[error(
        "does not follow line {previous} (prev hash differs: a line was removed, \
         inserted or reordered)"
    )]
    BrokenLink {
        /// The 1-based number of the line before.
        previous: usize,
    },
    /// The event is not an object with a numeric `seq`.
    #[error("event has no numeric `seq` ({0})")]
    NoSeq(serde_json::Error),
    /// The event's `seq` is not one more than the previous line's.
    #[error("event seq is {found}, expected {expected} (seqs must count up by one)")]
    SeqOutOfOrder {
        /// The seq this line must carry.
        expected: u64,
        /// The seq it carries.
        found: u64,
    },
    /// The chain is intact but the event is not readable as the caller's event type.
    #[error("event does not decode as a warroom event of this version ({0})")]
    Undecodable(serde_json::Error),
    /// The event decodes, but its `LogRecord::seq` differs from its JSON `seq` field.
    #[error("event decodes with seq {decoded}, but its JSON says seq {stored}")]
    SeqDisagrees {
        /// The `seq` field of the stored JSON.
        stored: u64,
        /// What `LogRecord::seq` says after decoding.
        decoded: u64,
    },
    /// A line longer than any warroom writes; reading stopped there.
    #[error(
        "is longer than {limit} bytes, far beyond any line warroom writes (not a warroom log, or damaged)"
    )]
    TooLong {
        /// The longest line accepted, in bytes.
        limit: usize,
    },
    /// The final line has no newline and is not a write cut short by a crash.
    #[error("is the last line, has no newline, and is not an unfinished write: {0}")]
    UnterminatedDamage(Box<Damage>),
}

/// Damage at a 1-based line number. Displays as `line N: <what is wrong>`.
#[derive(Debug, Error)]
#[error("line {line}: {damage}")]
pub struct LineError {
    /// 1-based line number in the file.
    pub line: usize,
    /// What is wrong with it.
    pub damage: Damage,
}

/// Why [`verify`](super::verify) rejected a log.
#[derive(Debug, Error)]
pub enum VerifyError {
    /// The file could not be read.
    #[error("cannot read {}: {cause}", path.display())]
    Io {
        /// The log file.
        path: PathBuf,
        /// The I/O error.
        cause: io::Error,
    },
    /// The file was read and is damaged.
    #[error(transparent)]
    Damaged(#[from] LineError),
    /// The chain is intact but ends before the recorded head.
    #[error(
        "the log ends at seq {events}, before the recorded head {head}: its tail was cut \
         off (or this copy is older than the witness)"
    )]
    HeadMissing {
        /// Events in the log.
        events: u64,
        /// The recorded head, `SEQ:HASH`.
        head: String,
    },
    /// The chain is intact but the event at the head's seq is not the one recorded.
    #[error(
        "the event at seq {seq} hashes to {found}, not to the recorded head {head}: the \
         log was rewritten at or before seq {seq} (and re-hashed to look intact)"
    )]
    HeadMismatch {
        /// The recorded head's seq.
        seq: u64,
        /// The hash the log has at that seq.
        found: String,
        /// The recorded head, `SEQ:HASH`.
        head: String,
    },
}

/// Why an [`EventLog`](super::EventLog) operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A file-system operation failed.
    #[error("cannot {op} {}: {cause}", path.display())]
    Io {
        /// What was being done, e.g. `"open"`.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        cause: io::Error,
    },
    /// [`EventLog::create`](super::EventLog::create) found a file already there.
    #[error("{} already exists (an incident log is never overwritten)", path.display())]
    AlreadyExists {
        /// The log file.
        path: PathBuf,
    },
    /// The declare (its command id) is stored already, as incident `id` whose first
    /// batch ends at `last`: another writer sharing the store took it first (a client
    /// that re-sent it to another hub after losing the first one).
    #[error("this declare was stored already, as incident {id}")]
    DeclaredAs {
        /// The incident it made.
        id: String,
        /// The seq of that incident's last declare event.
        last: u64,
    },
    /// Another handle (usually another warroom process) holds the log open.
    #[error("{} is already open in another warroom process", path.display())]
    Locked {
        /// The log file.
        path: PathBuf,
    },
    /// [`EventLog::open`](super::EventLog::open) found damage; the file was not changed.
    #[error("{} is damaged: {error}", path.display())]
    Damaged {
        /// The log file.
        path: PathBuf,
        /// Where and what.
        error: LineError,
    },
    /// An appended event does not carry the next seq.
    #[error("cannot append event with seq {found}: the log expects seq {expected}")]
    SeqMismatch {
        /// The next seq of the log.
        expected: u64,
        /// The seq of the offered event.
        found: u64,
    },
    /// An event could not be serialized.
    #[error("cannot serialize event {seq}: {cause}")]
    Serialize {
        /// The event's seq.
        seq: u64,
        /// The serializer's error.
        cause: serde_json::Error,
    },
    /// An event serializes to JSON that `open` could not read back; nothing was written.
    #[error("refusing to write event {seq}: the log could not read it back: {damage}")]
    Unreadable {
        /// The event's seq.
        seq: u64,
        /// What reading it back would report.
        damage: Damage,
    },
    /// Writing or syncing a batch failed; the file was truncated back to its last good
    /// length, so nothing of the batch remains. The log stays usable.
    #[error("cannot write to {}, the batch was not stored: {cause}", path.display())]
    WriteFailed {
        /// The log file.
        path: PathBuf,
        /// The I/O error of the write or sync.
        cause: io::Error,
    },
    /// Writing a batch failed and so did removing what was written: the file may end
    /// with part of the batch. The log is poisoned from now on.
    #[error(
        "cannot write to {} ({write}) and cannot undo the partial write ({rollback}); \
         no more events will be appended until the log is reopened",
        path.display()
    )]
    RollbackFailed {
        /// The log file.
        path: PathBuf,
        /// The error of the write or sync.
        write: io::Error,
        /// The error of the truncation or its sync.
        rollback: io::Error,
    },
    /// An append named a head that is not the log's: someone else appended first (or the
    /// caller's view is stale). Nothing was written; re-read the head and decide again.
    #[error(
        "conflict: the append expected the log to end at {expected}, but it ends at \
         {actual}; nothing was written"
    )]
    Conflict {
        /// The head the caller expected, `SEQ:HASH`.
        expected: super::Head,
        /// The log's actual head.
        actual: super::Head,
    },
    /// A range read asked for events the log does not have.
    #[error(
        "events {from}..={to} are outside the log, which holds 1..={last} \
         (a range starts at 1 and ends at or before the last seq)"
    )]
    OutOfRange {
        /// First seq asked for.
        from: u64,
        /// Last seq asked for.
        to: u64,
        /// The log's last seq.
        last: u64,
    },
    /// A range read asked for more events than one call returns.
    #[error("events {from}..={to} are more than {max} at once: ask for them in pages")]
    RangeTooLong {
        /// First seq asked for.
        from: u64,
        /// Last seq asked for.
        to: u64,
        /// The most events one read returns.
        max: u64,
    },
    /// A snapshot (or summary) names a seq and hash that are not in the log: it is
    /// stale, from another log, or forged. Written: refused; read: to be ignored.
    #[error(
        "the {what} for {} covers {claimed}, which this log does not have ({reason}); \
         it is ignored and rebuilt from the log",
        path.display()
    )]
    NotInLog {
        /// `"snapshot"` or `"summary"`.
        what: &'static str,
        /// The snapshot's or summary's file (or the log's, when writing).
        path: PathBuf,
        /// The head it claims to cover.
        claimed: super::Head,
        /// Why it does not match, in words.
        reason: String,
    },
    /// A snapshot (or summary) file is damaged or from another version.
    #[error("the {what} {} is unreadable ({reason}); it is ignored and rebuilt from the log", path.display())]
    BadSidecar {
        /// `"snapshot"` or `"summary"`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An incident id that cannot name a log in this store.
    #[error("`{id}` cannot name an incident log (empty, a path, or a hidden name)")]
    BadId {
        /// The id as given.
        id: String,
    },
    /// An earlier failed write could not be undone, so this handle refuses to append.
    #[error(
        "{} refuses new events: an earlier failed write could not be undone; reopen \
         the log to repair or verify it",
        path.display()
    )]
    Poisoned {
        /// The log file.
        path: PathBuf,
    },
    /// The NATS JetStream store failed (unreachable, unavailable, refused): see
    /// [`NatsError`](super::backend::NatsError).
    #[error(transparent)]
    Nats(#[from] super::backend::NatsError),
}
