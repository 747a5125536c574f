//! Start-up: the data directory's hub lock, and each incident's resident entry. An
//! incident whose kept summary is current (at the head its log ends at, carrying the
//! load facts, nothing left in flight) is built from that summary without opening its
//! log; any other is opened once (settling what a previous hub left in flight),
//! summarized, its summary written again so the next start is fast, and closed. A log
//! that cannot be served is quarantined instead of stopping the hub. A log damaged
//! behind a current summary is found when the incident is next opened, and quarantined
//! then (`Registry::open`'s path).

use super::{Registry, RegistryError};
use crate::engine::{
    DataDir, EngineError, IncidentSummary, LoadFacts, StoredSummary, quarantine_reason,
};
use crate::hub::actor::Context;
use crate::hub::effects::{self, JobSender};
use crate::hub::entry::{self, Entry, Slot};
use crate::hub::metrics::Metrics;
use crate::incident::Runbooks;
use std::collections::HashMap;
use std::fs::{File, TryLockError};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// What start-up keeps of one incident besides its entry.
struct Loaded {
    entry: Entry,
    declared_by: Option<(String, u64)>,
    alert_groups: Vec<String>,
}

impl Loaded {
    /// The entry built from a current kept summary, if it is enough: it carries the load
    /// facts and nothing was left in flight (else the log is opened to settle it).
    fn from_summary(stored: StoredSummary) -> Option<Loaded> {
        let facts = stored.load.filter(|facts| !facts.unsettled)?;
        Some(Loaded::new(stored.summary, facts))
    }

    fn new(summary: IncidentSummary, facts: LoadFacts) -> Loaded {
        Loaded {
            entry: Entry::new(summary, Slot::Closed),
            declared_by: facts.declared_by,
            alert_groups: facts.alert_groups,
        }
    }
}

/// Takes the data directory's hub lock (`<data>/hub.lock`), creating the directory.
fn lock_data_dir(data: &DataDir) -> Result<File, RegistryError> {
    let path = data.hub_lock_path();
    let failed = |cause| RegistryError::Lock {
        path: path.display().to_string(),
        cause,
    };
    std::fs::create_dir_all(data.root()).map_err(failed)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(failed)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => {
            Err(RegistryError::Busy(data.root().display().to_string()))
        }
        Err(TryLockError::Error(cause)) => Err(failed(cause)),
    }
}

impl Registry {
    /// Builds every incident's entry, from its summary or by opening it once (see the
    /// module doc).
    pub fn load(
        data: DataDir,
        runbooks: Arc<Runbooks>,
        metrics: Arc<Metrics>,
        jobs: JobSender,
        idle: Duration,
    ) -> Result<Registry, RegistryError> {
        let hub_lock = lock_data_dir(&data)?;
        let mut entries = HashMap::new();
        let mut declared_by_command = HashMap::new();
        let mut alert_groups = HashMap::new();
        let mut current = data.current_summaries()?;
        for id in data.ids()? {
            let loaded = match current.remove(&id).and_then(Loaded::from_summary) {
                Some(kept) => Ok(kept),
                None => Registry::load_one(&data, &id, &runbooks, &metrics),
            };
            let loaded = match loaded {
                Ok(loaded) => loaded,
                Err(error) => match quarantine_reason(&error) {
                    Some(reason) => {
                        tracing::error!(incident = %id, %error, "quarantined: this incident is not served; the others are");
                        let entry = Entry::new(
                            IncidentSummary::quarantined(&id, reason.clone()),
                            Slot::Quarantined(reason),
                        );
                        entries.insert(id, Arc::new(entry));
                        continue;
                    }
                    None => return Err(error.into()),
                },
            };
            if let Some(command_id) = loaded.declared_by {
                declared_by_command.insert(command_id.0, (id.clone(), command_id.1));
            }
            for group in loaded.alert_groups {
                alert_groups.insert(group, id.clone());
            }
            entries.insert(id, Arc::new(loaded.entry));
        }
        let announcer = crate::hub::announce::Announcer::default();
        for entry in entries.values() {
            announcer.known(&entry.summary());
        }
        Ok(Registry {
            announcer,
            data,
            context: Context {
                runbooks,
                metrics,
                jobs,
                idle,
            },
            entries: RwLock::new(entries),
            declared_by_command: Mutex::new(declared_by_command),
            alert_groups: Mutex::new(alert_groups),
            declare_lock: tokio::sync::Mutex::new(()),
            alert_lock: tokio::sync::Mutex::new(()),
            presence: Mutex::new(HashMap::new()),
            closing: AtomicBool::new(false),
            _hub_lock: hub_lock,
        })
    }

    /// Opens, settles and summarizes one incident, writing its summary again; it is
    /// closed again on return.
    fn load_one(
        data: &DataDir,
        id: &str,
        runbooks: &Runbooks,
        metrics: &Metrics,
    ) -> Result<Loaded, EngineError> {
        let mut incident = entry::open(data, id)?;
        let settled = effects::recover(&mut incident, runbooks)?;
        metrics
            .events_appended
            .fetch_add(settled as u64, Ordering::Relaxed);
        // Written again so the next start can use it (also when nothing was settled:
        // it may be missing, stale, or from before the load facts existed).
        incident.write_summary();
        Ok(Loaded::new(
            IncidentSummary::of(&incident),
            LoadFacts::of(&incident),
        ))
    }
}
