//! The NATS JetStream backend of the storage seam ([`NatsStore`]): several hubs share
//! one set of incidents through a replicated stream. docs/STORAGE.md says how each
//! method maps; in short:
//!
//! * one stream (`warroom` by default) with one subject per incident,
//!   `<stream>.incident.<id>`; each message is one committed batch, its payload the
//!   batch's log lines exactly as the file log writes them (same bytes, same hashes), so
//!   a log read back from the stream verifies as a file would;
//! * an append is a publish expecting the subject's last stream sequence (the
//!   compare-and-set that keeps one order per incident); a lost race is the seam's
//!   [`StoreError::Conflict`], acknowledged means stored by a quorum of replicas;
//! * snapshots and summaries are values in the key-value buckets `<stream>_snapshots`
//!   and `<stream>_summaries`, keyed by incident id, in the file store's side-file format.
//!
//! The engine calls the store from std threads; the async client runs on a small
//! runtime the store owns ([`bridge`]), every request bounded by a deadline.

mod bridge;
mod create;
mod error;
mod follow;
mod log;
mod read;
mod setup;
mod watch;

pub use error::NatsError;
pub use follow::{Committed, Following};
pub use log::{NatsLog, NatsView};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use self::bridge::Bridge;
use self::log::{current_head, decode_event, genesis, read_events};
use self::setup::{subjects_of, unavailable};
use super::{IncidentStore, Pinned, sidecar};
use crate::store::error::StoreError;
use crate::store::{Head, LogRecord, Opened, Resumed};

/// How a hub reaches its NATS servers and which stream it keeps incidents in.
#[derive(Clone, PartialEq, Eq)]
pub struct NatsConfig {
    /// `nats://host:port` (or `tls://…`) URLs; the client tries them in turn.
    pub servers: Vec<String>,
    /// The stream's name; also the first token of every subject and the buckets' prefix.
    pub stream: String,
    /// How many servers keep each message (1 for a single server, 3 for a cluster).
    pub replicas: usize,
    pub auth: NatsAuth,
    /// The longest one request may take before the store says it is unavailable.
    pub deadline: Duration,
    /// For `tls://` servers: the CA (PEM) their certificates are checked against,
    /// instead of the system's roots.
    pub ca: Option<PathBuf>,
}

/// How the client authenticates.
#[derive(Clone, PartialEq, Eq)]
pub enum NatsAuth {
    None,
    /// A `.creds` file (a user JWT and its nkey seed).
    CredsFile(PathBuf),
    /// A token (already read from the hub's environment).
    Token(String),
}

impl std::fmt::Debug for NatsAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NatsAuth::None => f.write_str("None"),
            NatsAuth::CredsFile(path) => write!(f, "CredsFile({})", path.display()),
            // Never the token itself.
            NatsAuth::Token(_) => f.write_str("Token(hidden)"),
        }
    }
}

impl std::fmt::Debug for NatsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsConfig")
            .field("servers", &self.servers)
            .field("stream", &self.stream)
            .field("replicas", &self.replicas)
            .field("auth", &self.auth)
            .field("deadline", &self.deadline)
            .field("ca", &self.ca)
            .finish()
    }
}

impl NatsConfig {
    /// Servers, stream `warroom`, 3 replicas, no credentials, 10 s per request.
    pub fn new(servers: Vec<String>) -> NatsConfig {
        NatsConfig {
            servers,
            stream: "warroom".to_owned(),
            replicas: 3,
            auth: NatsAuth::None,
            deadline: Duration::from_secs(10),
            ca: None,
        }
    }
}

/// True if `name` can name a stream and prefix its buckets and subjects.
pub fn valid_stream_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The connection and what the store reaches through it, shared by the store, its
/// logs and their views.
pub(super) struct Shared {
    client: async_nats::Client,
    js: async_nats::jetstream::Context,
    stream: async_nats::jetstream::stream::Stream,
    snapshots: async_nats::jetstream::kv::Store,
    summaries: async_nats::jetstream::kv::Store,
    name: String,
    /// The servers it was given, for telling operators (`/health`).
    servers: Vec<String>,
    /// Last, so the client and its handles go before the runtime they live on.
    bridge: Bridge,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("stream", &self.name)
            .finish()
    }
}

/// Where a snapshot or summary lives, for messages: `<bucket>/<id>`.
fn sidecar_path(shared: &Shared, what: &str, id: &str) -> PathBuf {
    let bucket = if what == "snapshot" {
        "snapshots"
    } else {
        "summaries"
    };
    PathBuf::from(format!("{}_{bucket}/{id}", shared.name))
}

impl Shared {
    fn subject(&self, id: &str) -> Result<String, StoreError> {
        // The engine's rule (ASCII letters, digits, `-`, `_`) keeps an id one subject
        // token and a valid key; anything else could reach another incident's subject.
        if !valid_stream_name(id) {
            return Err(StoreError::BadId { id: id.to_owned() });
        }
        Ok(format!("{}.incident.{id}", self.name))
    }

    /// A snapshot or summary as stored, not checked against the log.
    fn read_pinned(&self, what: &'static str, id: &str) -> Result<Option<Pinned>, StoreError> {
        self.subject(id)?;
        let bucket = if what == "snapshot" {
            &self.snapshots
        } else {
            &self.summaries
        };
        let op = format!("read the {what} of {id}");
        let value = self.bridge.run(&op, async {
            bucket.get(id).await.map_err(|e| unavailable(&op, e))
        })?;
        match value {
            None => Ok(None),
            Some(bytes) => sidecar::decode(&bytes, what, &sidecar_path(self, what, id)).map(Some),
        }
    }
}

/// The incidents in one JetStream stream (see the module doc). Cheap to clone: clones
/// share one connection.
#[derive(Debug, Clone)]
pub struct NatsStore {
    shared: Arc<Shared>,
}

impl NatsStore {
    /// Connects to the servers and finds (or creates) the stream and its buckets:
    /// [`NatsError::Unreachable`] naming the servers if none answers,
    /// [`NatsError::StreamMismatch`] if the stream exists with other settings.
    pub fn connect(config: &NatsConfig) -> Result<NatsStore, NatsError> {
        if !valid_stream_name(&config.stream) {
            return Err(NatsError::Config(format!(
                "stream `{}` must be 1-64 ASCII letters, digits, `-` or `_`",
                config.stream
            )));
        }
        if config.servers.is_empty() {
            return Err(NatsError::Config("no servers to connect to".into()));
        }
        let bridge = Bridge::new(config.deadline)?;
        // Connected on the store's runtime: the client's tasks live there.
        let connected = bridge.run("connect", setup::connect(config))?;
        Ok(NatsStore {
            shared: Arc::new(Shared {
                client: connected.client,
                js: connected.js,
                stream: connected.stream,
                snapshots: connected.snapshots,
                summaries: connected.summaries,
                name: config.stream.clone(),
                servers: config.servers.clone(),
                bridge,
            }),
        })
    }

    /// The stream's name.
    pub fn stream(&self) -> &str {
        &self.shared.name
    }

    /// The version of the server the client is connected to, as it says (`2.9.10`).
    pub fn server_version(&self) -> String {
        self.shared.client.server_info().version
    }

    /// Why a stream kept on `replicas` servers is not safe here, if the server is one
    /// that can accept two racing writes to one subject (nats-server before 2.9.21
    /// checks the expected last sequence before replication, nats-server issue #4320:
    /// two hubs writing one incident at once, or one write left pending by a lost
    /// quorum and the next one, can then fork its log). One replica is not affected.
    pub fn racy_server(&self, replicas: usize) -> Option<String> {
        if replicas < 2 {
            return None;
        }
        racy_version(&self.server_version())
    }

    /// The servers the store was configured with (it reconnects to any of them).
    pub fn servers(&self) -> &[String] {
        &self.shared.servers
    }

    /// Whether the client is connected to a server now (it reconnects by itself; while
    /// it is not, every request fails as unavailable).
    pub fn connected(&self) -> bool {
        self.shared.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Whether incident `id` has any message on its subject (valid or not: a subject
    /// holding something else is an incident to quarantine, not a missing one).
    pub fn contains(&self, id: &str) -> Result<bool, StoreError> {
        let subject = self.shared.subject(id)?;
        match current_head(&self.shared, &subject) {
            Ok((head, _)) => Ok(head.seq > 0),
            Err(StoreError::Nats(NatsError::Malformed { .. })) => Ok(true),
            Err(e) => Err(e),
        }
    }

    fn no_such_incident(subject: &str) -> StoreError {
        StoreError::Io {
            op: "open",
            path: subject.into(),
            cause: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such incident in the stream",
            ),
        }
    }
}

impl IncidentStore for NatsStore {
    type Log = NatsLog;

    fn ids(&self) -> Result<Vec<String>, StoreError> {
        let shared = &self.shared;
        let filter = subjects_of(&shared.name);
        let prefix = format!("{}.incident.", shared.name);
        let op = "list the incidents";
        let subjects = shared.bridge.run(op, async {
            let mut subjects = shared
                .stream
                .info_with_subjects(&filter)
                .await
                .map_err(|e| unavailable(op, e))?;
            let mut out = Vec::new();
            while let Some(entry) = subjects.next().await {
                out.push(entry.map_err(|e| unavailable(op, e))?.0);
            }
            Ok(out)
        })?;
        Ok(subjects
            .iter()
            .filter_map(|s| s.strip_prefix(&prefix).map(str::to_owned))
            .collect())
    }

    fn create<E: LogRecord>(
        &self,
        id: &str,
        first: &[E],
    ) -> Result<(NatsLog, Vec<Arc<str>>), StoreError> {
        create::create(&self.shared, id, first)
    }

    fn open<E: LogRecord>(&self, id: &str) -> Result<Opened<E, NatsLog>, StoreError> {
        let mut events = Vec::new();
        let resumed = self.open_replaying(id, None, &mut |e| events.push(e))?;
        Ok(Opened {
            log: resumed.log,
            events,
            torn_tail: None,
        })
    }

    fn open_replaying<E: LogRecord>(
        &self,
        id: &str,
        from: Option<&Head>,
        each: &mut dyn FnMut(E),
    ) -> Result<Resumed<NatsLog>, StoreError> {
        let shared = &self.shared;
        let subject = shared.subject(id)?;
        let (head, stream_seq) = current_head(shared, &subject)?;
        if head.seq == 0 {
            return Err(NatsStore::no_such_incident(&subject));
        }
        let not_in_log = |claimed: &Head, reason: String| StoreError::NotInLog {
            what: "snapshot",
            path: subject.clone().into(),
            claimed: claimed.clone(),
            reason,
        };
        let start = match from {
            None => 1,
            Some(at) if at.seq > head.seq => {
                return Err(not_in_log(at, format!("the log ends at seq {}", head.seq)));
            }
            Some(at) if at.seq == 0 && at.hash != genesis().hash => {
                return Err(not_in_log(at, "seq 0 is only the genesis hash".into()));
            }
            Some(at) => at.seq.max(1),
        };
        // Events from `start` are read and chained; the one at a snapshot's head must be
        // the snapshot's, checked before anything is handed over.
        let snapshot_at = from.filter(|at| at.seq > 0);
        let mut last = None;
        read_events(
            shared,
            &subject,
            (start, head.seq),
            stream_seq,
            &mut |event| {
                match snapshot_at {
                    Some(at) if event.seq == at.seq => {
                        if event.hash != at.hash {
                            return Err(not_in_log(
                                at,
                                format!("the log's seq {} hashes to {}", at.seq, event.hash),
                            ));
                        }
                    }
                    _ => each(decode_event(&subject, &event)?),
                }
                last = Some(Head {
                    seq: event.seq,
                    hash: event.hash,
                });
                Ok(())
            },
        )?;
        // A whole replay checked every link from the genesis, one from a snapshot's head
        // every link after it; either way the chain must end at the head read first.
        if last.as_ref() != Some(&head) {
            return Err(NatsError::Malformed {
                subject: subject.clone(),
                stream_seq,
                reason: "its lines do not end at the head its last message names".into(),
            }
            .into());
        }
        Ok(Resumed {
            log: NatsLog {
                shared: shared.clone(),
                id: id.to_owned(),
                subject,
                head,
                stream_seq,
            },
            torn_tail: None,
        })
    }

    fn read_snapshot_of(&self, id: &str) -> Result<Option<Pinned>, StoreError> {
        self.shared.read_pinned("snapshot", id)
    }

    fn summaries(&self) -> Result<Vec<(String, Pinned)>, StoreError> {
        let shared = &self.shared;
        let op = "list the summaries";
        let keys = shared.bridge.run(op, async {
            let mut keys = shared
                .summaries
                .keys()
                .await
                .map_err(|e| unavailable(op, e))?;
            let mut out = Vec::new();
            while let Some(key) = keys.next().await {
                out.push(key.map_err(|e| unavailable(op, e))?);
            }
            Ok(out)
        })?;
        let mut out = Vec::with_capacity(keys.len());
        for id in keys {
            // One bad value never hides the others; its incident's caller rebuilds it.
            if let Ok(Some(summary)) = shared.read_pinned("summary", &id) {
                out.push((id, summary));
            }
        }
        Ok(out)
    }

    fn current_summaries(&self) -> Result<Vec<(String, Pinned)>, StoreError> {
        let mut out = Vec::new();
        for (id, summary) in self.summaries()? {
            if self.stored_head(&id)?.as_ref() == Some(&summary.head) {
                out.push((id, summary));
            }
        }
        Ok(out)
    }

    fn stored_head(&self, id: &str) -> Result<Option<Head>, StoreError> {
        let subject = self.shared.subject(id)?;
        match current_head(&self.shared, &subject) {
            Ok((head, _)) if head.seq == 0 => Ok(None),
            Ok((head, _)) => Ok(Some(head)),
            // A last message that is not a valid batch: no head; opening says why.
            Err(StoreError::Nats(NatsError::Malformed { .. })) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The warning for a nats-server `version` before 2.9.21 (see [`NatsStore::racy_server`]).
fn racy_version(version: &str) -> Option<String> {
    let numbers: Vec<u32> = version
        .split(['.', '-'])
        .take(3)
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    let older = match numbers.as_slice() {
        [major, minor, patch] => (*major, *minor, *patch) < (2, 9, 21),
        _ => false,
    };
    older.then(|| {
        format!(
            "nats-server {version} can store two racing writes to one incident on a replicated stream (nats-server issue #4320, fixed in 2.9.21): two hubs writing at once, or a write left pending by a lost quorum and the next one, can fork an incident's log; upgrade the servers to 2.9.21 or later"
        )
    })
}

#[cfg(test)]
mod version_tests {
    use super::racy_version;

    #[test]
    fn servers_before_2_9_21_are_named_racy() {
        assert!(racy_version("2.9.10").is_some_and(|w| w.contains("nats-server 2.9.10")));
        assert!(racy_version("2.8.4").is_some());
        assert_eq!(racy_version("2.9.21"), None);
        assert_eq!(racy_version("2.15.1"), None);
        assert_eq!(racy_version("2.10.0-beta.1"), None);
        assert_eq!(racy_version("garbage"), None);
    }
}
