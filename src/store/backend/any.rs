//! [`AnyStore`]: the store a data directory is configured with — the file store (the
//! default) or the NATS JetStream store — behind one type, so the engine and the hub
//! are written once against the seam and the choice is made at start-up (`[store]`).
//! Every method forwards to the chosen backend.

use std::sync::Arc;

use super::nats::{Committed, Following, NatsLog, NatsStore, NatsView};
use super::{FileStore, IncidentLog, IncidentStore, LogView, Pinned, StoredEvent};
use crate::store::{EventLog, FileView, Head, LogRecord, Opened, Resumed, StoreError};

/// One of the stores.
#[derive(Debug, Clone)]
pub enum AnyStore {
    File(FileStore),
    Nats(NatsStore),
}

/// The log handle of an [`AnyStore`].
#[derive(Debug)]
pub enum AnyLog {
    File(EventLog),
    Nats(NatsLog),
}

/// The view of an [`AnyLog`].
#[derive(Debug, Clone)]
pub enum AnyView {
    File(FileView),
    Nats(NatsView),
}

impl AnyLog {
    /// What the log is called in messages: its file, or its subject.
    pub fn name(&self) -> String {
        match self {
            AnyLog::File(log) => log.path().display().to_string(),
            AnyLog::Nats(log) => log.subject().to_owned(),
        }
    }

    /// The head's chain hash.
    pub fn head_hash(&self) -> &str {
        match self {
            AnyLog::File(log) => log.head_hash(),
            AnyLog::Nats(log) => log.head_hash(),
        }
    }

    /// The head the log ends at now, the handle moved to it if another writer took it
    /// further (a shared store); the file store's handle is its only writer.
    pub fn refresh(&mut self) -> Result<Head, StoreError> {
        match self {
            AnyLog::File(log) => Ok(IncidentLog::head(log)),
            AnyLog::Nats(log) => log.refresh(),
        }
    }

    /// For a shared store, calls `notify` with each batch anyone commits from now on,
    /// while the guard is held; `None` for the file store (nobody else writes).
    pub fn follow(
        &self,
        notify: Box<dyn Fn(Committed) + Send + Sync>,
    ) -> Result<Option<Following>, StoreError> {
        match self {
            AnyLog::File(_) => Ok(None),
            AnyLog::Nats(log) => log.follow(notify).map(Some),
        }
    }

    /// Takes an announced batch that continues the head as it is (see
    /// [`NatsLog::accept`]): its checked events, the handle moved past them; `None` if
    /// it does not continue the head (read the log instead) or on the file store.
    pub fn accept(&mut self, committed: &Committed) -> Option<Vec<StoredEvent>> {
        match self {
            AnyLog::File(_) => None,
            AnyLog::Nats(log) => log.accept(committed),
        }
    }
}

fn opened<E, L>(opened: Opened<E, L>, wrap: fn(L) -> AnyLog) -> Opened<E, AnyLog> {
    Opened {
        log: wrap(opened.log),
        events: opened.events,
        torn_tail: opened.torn_tail,
    }
}

fn resumed<L>(resumed: Resumed<L>, wrap: fn(L) -> AnyLog) -> Resumed<AnyLog> {
    Resumed {
        log: wrap(resumed.log),
        torn_tail: resumed.torn_tail,
    }
}

impl IncidentStore for AnyStore {
    type Log = AnyLog;

    fn ids(&self) -> Result<Vec<String>, StoreError> {
        match self {
            AnyStore::File(store) => store.ids(),
            AnyStore::Nats(store) => store.ids(),
        }
    }

    fn create<E: LogRecord>(
        &self,
        id: &str,
        first: &[E],
    ) -> Result<(AnyLog, Vec<Arc<str>>), StoreError> {
        match self {
            AnyStore::File(store) => store.create(id, first).map(|(l, j)| (AnyLog::File(l), j)),
            AnyStore::Nats(store) => store.create(id, first).map(|(l, j)| (AnyLog::Nats(l), j)),
        }
    }

    fn open<E: LogRecord>(&self, id: &str) -> Result<Opened<E, AnyLog>, StoreError> {
        match self {
            AnyStore::File(store) => store.open(id).map(|o| opened(o, AnyLog::File)),
            AnyStore::Nats(store) => store.open(id).map(|o| opened(o, AnyLog::Nats)),
        }
    }

    fn open_replaying<E: LogRecord>(
        &self,
        id: &str,
        from: Option<&Head>,
        each: &mut dyn FnMut(E),
    ) -> Result<Resumed<AnyLog>, StoreError> {
        match self {
            AnyStore::File(store) => store
                .open_replaying(id, from, each)
                .map(|r| resumed(r, AnyLog::File)),
            AnyStore::Nats(store) => store
                .open_replaying(id, from, each)
                .map(|r| resumed(r, AnyLog::Nats)),
        }
    }

    fn read_snapshot_of(&self, id: &str) -> Result<Option<Pinned>, StoreError> {
        match self {
            AnyStore::File(store) => store.read_snapshot_of(id),
            AnyStore::Nats(store) => store.read_snapshot_of(id),
        }
    }

    fn summaries(&self) -> Result<Vec<(String, Pinned)>, StoreError> {
        match self {
            AnyStore::File(store) => store.summaries(),
            AnyStore::Nats(store) => store.summaries(),
        }
    }

    fn current_summaries(&self) -> Result<Vec<(String, Pinned)>, StoreError> {
        match self {
            AnyStore::File(store) => store.current_summaries(),
            AnyStore::Nats(store) => store.current_summaries(),
        }
    }

    fn stored_head(&self, id: &str) -> Result<Option<Head>, StoreError> {
        match self {
            AnyStore::File(store) => store.stored_head(id),
            AnyStore::Nats(store) => store.stored_head(id),
        }
    }
}

impl IncidentLog for AnyLog {
    type View = AnyView;

    fn head(&self) -> Head {
        match self {
            AnyLog::File(log) => IncidentLog::head(log),
            AnyLog::Nats(log) => log.head(),
        }
    }

    fn append<E: LogRecord>(
        &mut self,
        expected: &Head,
        events: &[E],
    ) -> Result<Vec<Arc<str>>, StoreError> {
        match self {
            AnyLog::File(log) => IncidentLog::append(log, expected, events),
            AnyLog::Nats(log) => log.append(expected, events),
        }
    }

    fn read_range(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>, StoreError> {
        match self {
            AnyLog::File(log) => IncidentLog::read_range(log, from, to),
            AnyLog::Nats(log) => log.read_range(from, to),
        }
    }

    fn view(&self) -> AnyView {
        match self {
            AnyLog::File(log) => AnyView::File(IncidentLog::view(log)),
            AnyLog::Nats(log) => AnyView::Nats(log.view()),
        }
    }

    fn write_snapshot(&mut self, snapshot: &Pinned) -> Result<(), StoreError> {
        match self {
            AnyLog::File(log) => log.write_snapshot(snapshot),
            AnyLog::Nats(log) => log.write_snapshot(snapshot),
        }
    }

    fn read_snapshot(&self) -> Result<Option<Pinned>, StoreError> {
        match self {
            AnyLog::File(log) => log.read_snapshot(),
            AnyLog::Nats(log) => log.read_snapshot(),
        }
    }

    fn write_summary(&mut self, summary: &Pinned) -> Result<(), StoreError> {
        match self {
            AnyLog::File(log) => log.write_summary(summary),
            AnyLog::Nats(log) => log.write_summary(summary),
        }
    }
}

impl LogView for AnyView {
    fn head(&self) -> Head {
        match self {
            AnyView::File(view) => view.head(),
            AnyView::Nats(view) => view.head(),
        }
    }

    fn read_range(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>, StoreError> {
        match self {
            AnyView::File(view) => view.read_range(from, to),
            AnyView::Nats(view) => view.read_range(from, to),
        }
    }
}
