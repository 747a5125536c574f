//! A data directory on disk: `incidents/<id>.jsonl`, one hash-chained log per incident
//! (the [`FileStore`] over `incidents/`, through which every log is created and opened;
//! or, for a hub whose `[store]` says so, a NATS JetStream stream: [`DataDir::with_nats`]);
//! choosing the next free incident id; and the summary of every incident (`summary`),
//! naming those whose log cannot be served (quarantined) instead of failing on them.

use super::{EngineError, Incident, IncidentSummary, StoredSummary, Submission};
use crate::incident::{Command, Runbooks};
use crate::store::{AnyStore, FileStore, IncidentStore, NatsStore, Pinned, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where warroom keeps its incidents.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
    /// Where the incidents are when not in `incidents/`: a hub's `[store] kind = "nats"`.
    nats: Option<NatsStore>,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir {
            root: root.into(),
            nats: None,
        }
    }

    /// The same directory with its incidents kept in a NATS JetStream stream instead of
    /// `incidents/`; the directory still holds the hub's own files (its lock, when
    /// responders were last seen, the SSH host key).
    pub fn with_nats(self, store: NatsStore) -> DataDir {
        DataDir {
            nats: Some(store),
            ..self
        }
    }

    /// `--data`, else `$WARROOM_DATA`, else `<user data dir>/warroom`.
    pub fn default_root() -> PathBuf {
        std::env::var_os("WARROOM_DATA")
            .map(PathBuf::from)
            .or_else(|| dirs::data_dir().map(|d| d.join("warroom")))
            .unwrap_or_else(|| PathBuf::from(".warroom"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file a hub holds locked while it serves this directory.
    pub fn hub_lock_path(&self) -> PathBuf {
        self.root.join("hub.lock")
    }

    /// Fails when a hub serves this directory: it is then the only writer, and opens and
    /// closes incidents as it needs them, so a change made beside it would bypass it.
    pub fn check_no_hub(&self) -> Result<(), EngineError> {
        let path = self.hub_lock_path();
        let Ok(file) = std::fs::OpenOptions::new().write(true).open(&path) else {
            return Ok(()); // no hub has ever served it, or it is not ours to judge
        };
        match file.try_lock() {
            Ok(()) => Ok(()), // released when `file` is dropped
            Err(std::fs::TryLockError::WouldBlock) => Err(EngineError::HubServes {
                root: self.root.display().to_string(),
            }),
            Err(std::fs::TryLockError::Error(_)) => Ok(()),
        }
    }

    pub fn incidents_dir(&self) -> PathBuf {
        self.root.join("incidents")
    }

    /// The store holding the incident logs.
    pub fn store(&self) -> AnyStore {
        match &self.nats {
            Some(store) => AnyStore::Nats(store.clone()),
            None => AnyStore::File(FileStore::new(self.incidents_dir())),
        }
    }

    /// Where incident `id`'s log file is in the file store (whether or not it exists).
    pub fn log_path(&self, id: &str) -> PathBuf {
        FileStore::new(self.incidents_dir()).log_path(id)
    }

    /// True if the incidents are in a store other hubs may write too (NATS JetStream):
    /// an incident this hub has not heard of may still exist there.
    pub fn is_shared(&self) -> bool {
        self.nats.is_some()
    }

    /// The store's kind and state as `/health` reports it: `{"kind": "file"}`, or
    /// `{"kind": "nats", "servers": […], "stream": …, "connected": bool}`.
    pub fn store_health(&self) -> serde_json::Value {
        match &self.nats {
            None => serde_json::json!({ "kind": "file" }),
            Some(store) => serde_json::json!({
                "kind": "nats",
                "servers": store.servers().iter().map(|url| without_userinfo(url)).collect::<Vec<_>>(),
                "stream": store.stream(),
                "connected": store.connected(),
            }),
        }
    }

    /// What incident `id`'s log is called in messages: its file, or its subject.
    fn location(&self, id: &str) -> String {
        match &self.nats {
            Some(store) => format!("{}.incident.{id}", store.stream()),
            None => self.log_path(id).display().to_string(),
        }
    }

    /// Whether incident `id` has a log (the file exists, or the subject has messages).
    fn exists(&self, id: &str) -> Result<bool, EngineError> {
        match &self.nats {
            Some(store) => Ok(store.contains(id)?),
            None => Ok(self.log_path(id).exists()),
        }
    }

    /// Incident ids, oldest first (ids sort by date, then number).
    pub fn ids(&self) -> Result<Vec<String>, EngineError> {
        let mut ids = self.store().ids().map_err(|error| match error {
            StoreError::Io { path, cause, .. } => EngineError::Io {
                path: path.display().to_string(),
                cause,
            },
            other => EngineError::Store(other),
        })?;
        ids.sort_by_key(|id| sort_key(id));
        Ok(ids)
    }

    /// `INC-YYYYMMDD-N`: the lowest free N above the day's highest auto-numbered-looking
    /// id. Only plain numbers up to [`AUTO_NUMBER_CEILING`] count as such, so an explicit
    /// id like `INC-<today>-4294967295` (or one for a future day) can neither overflow the
    /// count nor make every later number taken: auto-numbering always finds a free id.
    pub fn next_id(&self, now: DateTime<Utc>) -> Result<String, EngineError> {
        let prefix = format!("INC-{}-", now.format("%Y%m%d"));
        let taken: std::collections::HashSet<String> = self
            .ids()?
            .into_iter()
            .filter(|id| id.starts_with(&prefix))
            .collect();
        let highest = taken
            .iter()
            .filter_map(|id| auto_number(id.strip_prefix(&prefix)?))
            .max()
            .unwrap_or(0);
        // Every candidate is checked against the ids on disk, so an explicit id that
        // happens to sit just above the highest is skipped, not collided with. The set
        // is finite, so the walk ends long before u64 could run out.
        let mut number = highest;
        loop {
            number = number.checked_add(1).ok_or_else(|| {
                EngineError::Rejected(crate::incident::Rejection::new(
                    crate::incident::RejectCode::AlreadyExists,
                    format!("no free incident number is left for {prefix}N"),
                ))
            })?;
            let id = format!("{prefix}{number}");
            if !taken.contains(&id) {
                return Ok(id);
            }
        }
    }

    pub fn open(&self, id: &str) -> Result<Incident, EngineError> {
        if crate::incident::limits::check_incident_id(id).is_err() || !self.exists(id)? {
            return Err(EngineError::NotFound(id.to_string()));
        }
        let path = self.location(id);
        let incident = Incident::open(&self.store(), id)?;
        if incident.head().seq == 0 {
            // A declare that never wrote its first event (a crash between creating the
            // file and writing it): there is no incident here, only an empty file.
            return Err(EngineError::EmptyLog { path });
        }
        if incident.state().id != id {
            // A copied or renamed file: serving it under this name would show one
            // incident's history as another's.
            return Err(EngineError::WrongIncident {
                path,
                found: incident.state().id.clone(),
            });
        }
        Ok(incident)
    }

    /// Opens an incident found by [`DataDir::ids`]: like [`DataDir::open`], but a file
    /// whose name is not a valid incident id is reported as such (it can only be
    /// quarantined) rather than as not found.
    pub fn open_listed(&self, id: &str) -> Result<Incident, EngineError> {
        crate::incident::limits::check_incident_id(id).map_err(|_| EngineError::BadFileName {
            path: self.location(id),
        })?;
        self.open(id)
    }

    /// Declares a new incident. The submission's command must be `Declare`; its id is
    /// replaced by the next free one when empty.
    pub fn declare(
        &self,
        mut submission: Submission,
        now: DateTime<Utc>,
        runbooks: &Runbooks,
    ) -> Result<Incident, EngineError> {
        if self.nats.is_none() {
            let dir = self.incidents_dir();
            crate::store::private::create_dir_all(&dir).map_err(|cause| EngineError::Io {
                path: dir.display().to_string(),
                cause,
            })?;
        }
        let numbered = matches!(&submission.command, Command::Declare { id, .. } if id.is_empty());
        let mut tries = 0;
        loop {
            if numbered && let Command::Declare { id, .. } = &mut submission.command {
                *id = self.next_id(now)?;
            }
            let id = match &submission.command {
                Command::Declare { id, .. } => id.clone(),
                _ => String::new(),
            };
            crate::incident::limits::check_incident_id(&id).map_err(EngineError::Rejected)?;
            // Another hub on a shared store may take the number counted here a moment
            // before (both counted the same ids): a numbered declare then takes the
            // next one. Bounded, since each lost race means someone else declared.
            let retry = numbered && tries < DECLARE_RACES;
            if self.exists(&id)? {
                if retry {
                    tries += 1;
                    continue;
                }
                return Err(EngineError::Rejected(crate::incident::Rejection::new(
                    crate::incident::RejectCode::AlreadyExists,
                    format!("incident {id} already exists"),
                )));
            }
            match Incident::create(&self.store(), &id, &submission, now, runbooks) {
                Err(EngineError::Store(StoreError::AlreadyExists { .. })) if retry => {
                    tries += 1;
                }
                created => return created,
            }
        }
    }

    /// The kept summaries that are current (written at the head the log ends at now, not
    /// older than the log file; see [`DataDir::summaries`]), by incident id, read without
    /// opening, verifying or replaying any log: what the hub's start-up uses instead of
    /// replaying. Missing, damaged or stale summaries are left out.
    pub fn current_summaries(&self) -> Result<HashMap<String, StoredSummary>, EngineError> {
        let store = self.store();
        Ok(store
            .current_summaries()?
            .into_iter()
            .filter_map(|(id, pinned)| Some((id.clone(), current_stored(&id, &pinned)?)))
            .collect())
    }

    /// A summary of every incident, read from the summary kept beside each log (no
    /// replay). An incident whose summary is missing, damaged, older than its log or
    /// pinned to another head than the log's last line is opened (verified and
    /// replayed) once and its summary written again. `on_torn` hears of each log whose
    /// unfinished final write was cut off while opening it, so the caller can say so. A
    /// log that cannot be served (damaged or empty) is listed as quarantined, with the
    /// reason, instead of failing the whole list; the file is left as it is.
    pub fn summaries(
        &self,
        mut on_torn: impl FnMut(&str, &crate::store::TornTail),
    ) -> Result<Vec<IncidentSummary>, EngineError> {
        let store = self.store();
        let mut kept: HashMap<String, Pinned> = store.current_summaries()?.into_iter().collect();
        let mut out = Vec::new();
        for id in self.ids()? {
            if let Some(summary) = kept
                .remove(&id)
                .and_then(|pinned| current_stored(&id, &pinned).map(|stored| stored.summary))
            {
                out.push(summary);
                continue;
            }
            let mut incident = match self.open_listed(&id) {
                Ok(incident) => incident,
                Err(error) => match quarantine_reason(&error) {
                    Some(reason) => {
                        out.push(IncidentSummary::quarantined(&id, reason));
                        continue;
                    }
                    None => return Err(error),
                },
            };
            if let Some(torn) = incident.torn_tail() {
                on_torn(&id, torn);
            }
            incident.write_summary();
            out.push(IncidentSummary::of(&incident));
        }
        Ok(out)
    }
}

/// `pinned` decoded, if it is incident `id`'s summary at the head its log ends at now
/// (read from the log's last line only); `None` if it must be rebuilt from the log.
/// The summary `pinned` holds, if it decodes and is the current summary of incident
/// `id` (the store vouched that its head is the log's: [`IncidentStore::current_summaries`]).
pub(super) fn current_stored(id: &str, pinned: &Pinned) -> Option<StoredSummary> {
    crate::incident::limits::check_incident_id(id).ok()?;
    let stored: StoredSummary = serde_json::from_slice(&pinned.bytes).ok()?;
    let summary = &stored.summary;
    (summary.id == id && summary.events == pinned.head.seq && summary.quarantined.is_none())
        .then_some(stored)
}

/// `url` without a `user:password@` part: `/health` is open to anyone who can reach
/// the hub, and a server URL may carry credentials.
fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// Numbers at or below this count as auto-assigned when choosing the next id: far more
/// incidents than a day can have, far below where arithmetic could overflow.
pub const AUTO_NUMBER_CEILING: u64 = 999_999_999;

/// How many times an auto-numbered declare takes the next number after another hub
/// took the one it counted (a shared store), before it reports the clash.
const DECLARE_RACES: u32 = 8;

/// `N` of an id's `INC-YYYYMMDD-N` tail, if it looks auto-assigned: plain digits, no
/// leading zero, at most [`AUTO_NUMBER_CEILING`].
fn auto_number(tail: &str) -> Option<u64> {
    if tail.is_empty() || tail.starts_with('0') || !tail.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    tail.parse::<u64>()
        .ok()
        .filter(|n| *n <= AUTO_NUMBER_CEILING)
}

/// Why an incident whose open failed with `error` is quarantined (not served, listed
/// with this reason), or `None` when the failure is not about the log's contents (an
/// I/O error, a lock held elsewhere), which the caller reports as an error.
pub fn quarantine_reason(error: &EngineError) -> Option<String> {
    match error {
        EngineError::Store(crate::store::StoreError::Damaged { error, .. }) => Some(format!(
            "its log failed verification ({error}); it was left untouched: repair or restore it, or move it out of the data directory"
        )),
        EngineError::Store(crate::store::StoreError::Nats(
            error @ crate::store::NatsError::Malformed { .. },
        )) => Some(format!(
            "its log failed verification ({error}); it was left untouched: remove the foreign message from the stream, or restore the incident"
        )),
        EngineError::EmptyLog { .. } => Some(
            "its log is empty (a declare that never completed: nothing was recorded); delete the file"
                .to_string(),
        ),
        EngineError::BadFileName { .. } => Some(format!(
            "its file name is not a valid incident id (1-{} ASCII letters, digits, `-` or `_`); rename or remove it",
            crate::incident::limits::NAME_MAX_CHARS
        )),
        EngineError::WrongIncident { found, .. } => Some(format!(
            "its log holds incident `{found}` (a copied or renamed file); it was left untouched"
        )),
        _ => None,
    }
}

/// Sorts `INC-20261122-10` after `INC-20261122-9`.
fn sort_key(id: &str) -> (String, u64, String) {
    match id.rsplit_once('-') {
        Some((head, n)) if n.chars().all(|c| c.is_ascii_digit()) => {
            (head.to_string(), n.parse().unwrap_or(0), String::new())
        }
        _ => (id.to_string(), 0, id.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::without_userinfo;

    #[test]
    fn health_never_shows_credentials_in_a_server_url() {
        assert_eq!(
            without_userinfo("nats://alice:s3cret@10.0.0.1:4222"),
            "nats://10.0.0.1:4222"
        );
        assert_eq!(
            without_userinfo("tls://token@nats.example:4222"),
            "tls://nats.example:4222"
        );
        assert_eq!(
            without_userinfo("nats://127.0.0.1:4222"),
            "nats://127.0.0.1:4222"
        );
    }
}
