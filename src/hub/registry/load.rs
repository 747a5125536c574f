//! Start-up: the data directory's hub lock, and opening every incident once to build
//! its resident entry (settling what a previous hub left in flight), then closing it.
//! A log that cannot be served is quarantined instead of stopping the hub.

use super::{Registry, RegistryError};
use crate::engine::{DataDir, EngineError, IncidentSummary, quarantine_reason};
use crate::hub::actor::Context;
use crate::hub::effects::{self, JobSender};
use crate::hub::entry::{self, Entry, Slot};
use crate::hub::metrics::Metrics;
use crate::incident::{Runbooks, Status};
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
    /// Opens every incident in `data` once (see the module doc) and closes it again.
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
        for id in data.ids()? {
            let loaded = match Registry::load_one(&data, &id, &runbooks, &metrics) {
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

    /// Opens, settles and summarizes one incident; it is closed again on return.
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
        let declared_by = incident
            .events()
            .first()
            .and_then(|e| e.command_id.clone())
            .map(|command_id| {
                // The declare's own last event: the last one carrying its command id.
                let seq = incident
                    .events()
                    .iter()
                    .take_while(|e| e.command_id.as_deref() == Some(command_id.as_str()))
                    .last()
                    .map_or(1, |e| e.seq);
                (command_id, seq)
            });
        let alert_groups = if incident.state().status == Status::Resolved {
            Vec::new()
        } else {
            incident.state().alert_groups.iter().cloned().collect()
        };
        Ok(Loaded {
            entry: Entry::new(IncidentSummary::of(&incident), Slot::Closed),
            declared_by,
            alert_groups,
        })
    }
}
