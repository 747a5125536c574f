//! The hub's incidents: one actor per incident, loaded from the data directory at
//! start-up (replaying and verifying every log), created by `declare`, and reached by
//! id. Declares are serialized here so ids never collide, and a re-sent declare (same
//! command id) returns the incident it already created. Loading also settles action
//! runs and deliveries a previous hub left unfinished (`effects::recover`).

use super::actor::{self, CommandReply, IncidentHandle, Request, Subscription};
use super::effects::{self, JobSender};
use super::metrics::Metrics;
use crate::engine::{DataDir, EngineError, IncidentSummary, Submission};
use crate::incident::{Runbooks, Status};
use chrono::Utc;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::oneshot;

pub struct Registry {
    data: DataDir,
    runbooks: Arc<Runbooks>,
    metrics: Arc<Metrics>,
    incidents: RwLock<HashMap<String, IncidentHandle>>,
    /// Declare command id → incident id (idempotent declares).
    declared_by_command: Mutex<HashMap<String, (String, u64)>>,
    /// Alertmanager groupKey → incident id.
    alert_groups: Mutex<HashMap<String, String>>,
    declare_lock: tokio::sync::Mutex<()>,
    /// Serializes alert intake's find-or-declare, so two deliveries for a new group
    /// cannot both declare.
    pub alert_lock: tokio::sync::Mutex<()>,
    /// Who is subscribed to each incident: incident → name → connections.
    presence: Mutex<HashMap<String, std::collections::BTreeMap<String, usize>>>,
    /// Where every incident actor sends the runs and deliveries it commits.
    jobs: JobSender,
    /// Tells watching connections about declares and severity/status changes.
    pub announcer: super::announce::Announcer,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("cannot start an incident thread: {0}")]
    Thread(std::io::Error),
}

impl Registry {
    /// Opens every incident in `data` (a damaged log stops the hub with its line
    /// number: serving a broken chain would hide tampering), settling what a previous
    /// hub left in flight before anyone can see it.
    pub fn load(
        data: DataDir,
        runbooks: Arc<Runbooks>,
        metrics: Arc<Metrics>,
        jobs: JobSender,
    ) -> Result<Registry, RegistryError> {
        let mut incidents = HashMap::new();
        let mut declared_by_command = HashMap::new();
        let mut alert_groups = HashMap::new();
        for id in data.ids()? {
            let mut incident = data.open(&id)?;
            if let Some(torn) = incident.torn_tail() {
                tracing::warn!(incident = %id, line = torn.line, bytes = torn.bytes, "cut off an unfinished write left by a crash (never acknowledged)");
            }
            let settled = effects::recover(&mut incident, &runbooks)?;
            metrics
                .events_appended
                .fetch_add(settled as u64, std::sync::atomic::Ordering::Relaxed);
            if let Some(command_id) = incident.events().first().and_then(|e| e.command_id.clone()) {
                // The declare's own last event: the last one carrying its command id.
                let seq = incident
                    .events()
                    .iter()
                    .take_while(|e| e.command_id.as_deref() == Some(command_id.as_str()))
                    .last()
                    .map_or(1, |e| e.seq);
                declared_by_command.insert(command_id, (id.clone(), seq));
            }
            if incident.state().status != Status::Resolved {
                for group in &incident.state().alert_groups {
                    alert_groups.insert(group.clone(), id.clone());
                }
            }
            let handle = actor::spawn(incident, runbooks.clone(), metrics.clone(), jobs.clone())
                .map_err(RegistryError::Thread)?;
            incidents.insert(id, handle);
        }
        let announcer = super::announce::Announcer::default();
        for handle in incidents.values() {
            if let Ok(summary) = handle.summary.read() {
                announcer.known(&summary);
            }
        }
        Ok(Registry {
            announcer,
            data,
            runbooks,
            metrics,
            incidents: RwLock::new(incidents),
            declared_by_command: Mutex::new(declared_by_command),
            alert_groups: Mutex::new(alert_groups),
            declare_lock: tokio::sync::Mutex::new(()),
            alert_lock: tokio::sync::Mutex::new(()),
            presence: Mutex::new(HashMap::new()),
            jobs,
        })
    }

    pub fn runbooks(&self) -> &Runbooks {
        &self.runbooks
    }

    pub fn len(&self) -> usize {
        self.incidents.read().map_or(0, |m| m.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn list(&self) -> Vec<IncidentSummary> {
        let Ok(map) = self.incidents.read() else {
            return Vec::new();
        };
        let mut items: Vec<IncidentSummary> = map
            .values()
            .filter_map(|h| h.summary.read().ok().map(|s| s.clone()))
            .collect();
        items.sort_by(|a, b| a.declared_at.cmp(&b.declared_at).then(a.id.cmp(&b.id)));
        items
    }

    pub fn summary(&self, id: &str) -> Option<IncidentSummary> {
        let map = self.incidents.read().ok()?;
        let summary = map.get(id)?.summary.read().ok()?.clone();
        Some(summary)
    }

    fn sender(&self, id: &str) -> Option<tokio::sync::mpsc::Sender<Request>> {
        self.incidents
            .read()
            .ok()?
            .get(id)
            .map(|h| h.requests.clone())
    }

    /// Sends a command to incident `id`; `None` when there is no such incident.
    pub async fn submit(&self, id: &str, submission: Submission) -> Option<CommandReply> {
        let sender = self.sender(id)?;
        let (reply, answer) = oneshot::channel();
        if sender
            .send(Request::Command { submission, reply })
            .await
            .is_err()
        {
            return Some(CommandReply::StorageFailed(
                "the incident is shutting down".into(),
            ));
        }
        let reply = answer
            .await
            .unwrap_or_else(|_| CommandReply::StorageFailed("the incident stopped".into()));
        // The actor updates the summary before it answers.
        if let (CommandReply::Applied { .. }, Some(summary)) = (&reply, self.summary(id)) {
            self.announcer.observe(&summary);
        }
        Some(reply)
    }

    pub async fn subscribe(&self, id: &str, since_seq: u64) -> Option<Subscription> {
        let sender = self.sender(id)?;
        let (reply, answer) = oneshot::channel();
        sender
            .send(Request::Subscribe { since_seq, reply })
            .await
            .ok()?;
        answer.await.ok()
    }

    /// Declares a new incident (its id chosen here) and starts its actor. Returns the
    /// incident id and its last seq.
    pub async fn declare(
        self: &Arc<Self>,
        submission: Submission,
    ) -> Result<(String, CommandReply), RegistryError> {
        let _serialized = self.declare_lock.lock().await;
        if let Some(command_id) = &submission.command_id
            && let Some((existing, seq)) = self
                .declared_by_command
                .lock()
                .ok()
                .and_then(|m| m.get(command_id).cloned())
        {
            return Ok((existing, CommandReply::Duplicate { seq }));
        }
        let this = self.clone();
        let command_id = submission.command_id.clone();
        let created = tokio::task::spawn_blocking(move || {
            this.data.declare(submission, Utc::now(), &this.runbooks)
        })
        .await
        .map_err(|e| RegistryError::Thread(std::io::Error::other(e.to_string())))?;
        let incident = match created {
            Ok(incident) => incident,
            Err(EngineError::Rejected(rejection)) => {
                return Ok((String::new(), CommandReply::Rejected(rejection)));
            }
            Err(other) => return Err(other.into()),
        };
        let id = incident.state().id.clone();
        let seq = incident.state().seq;
        self.metrics
            .events_appended
            .fetch_add(seq, std::sync::atomic::Ordering::Relaxed);
        self.metrics
            .commands_accepted
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let handle = actor::spawn(
            incident,
            self.runbooks.clone(),
            self.metrics.clone(),
            self.jobs.clone(),
        )
        .map_err(RegistryError::Thread)?;
        let summary = handle.summary.clone();
        if let Ok(mut map) = self.incidents.write() {
            map.insert(id.clone(), handle);
        }
        if let Ok(summary) = summary.read() {
            self.announcer.observe(&summary);
        }
        if let (Some(command_id), Ok(mut map)) = (command_id, self.declared_by_command.lock()) {
            map.insert(command_id, (id.clone(), seq));
        }
        Ok((id, CommandReply::Applied { seq }))
    }

    /// `name` joined (`true`) or left incident `id`; subscribers hear who is here now.
    pub async fn presence(&self, id: &str, name: &str, joined: bool) {
        let here = {
            let Ok(mut map) = self.presence.lock() else {
                return;
            };
            let names = map.entry(id.to_string()).or_default();
            if joined {
                *names.entry(name.to_string()).or_insert(0) += 1;
            } else if let Some(count) = names.get_mut(name) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    names.remove(name);
                }
            }
            names.keys().cloned().collect::<Vec<_>>()
        };
        if let Some(sender) = self.sender(id) {
            let _ = sender.send(Request::Presence { here }).await;
        }
    }

    /// The open incident an alert group is linked to.
    pub fn incident_for_alert_group(&self, group_key: &str) -> Option<String> {
        let id = self.alert_groups.lock().ok()?.get(group_key).cloned()?;
        let open = self
            .summary(&id)
            .is_some_and(|s| s.status != Status::Resolved);
        open.then_some(id)
    }

    pub fn link_alert_group(&self, group_key: &str, incident: &str) {
        if let Ok(mut map) = self.alert_groups.lock() {
            map.insert(group_key.to_string(), incident.to_string());
        }
    }

    /// Stops every actor after it has finished what is queued.
    pub fn shutdown(&self) {
        let handles: Vec<IncidentHandle> = match self.incidents.write() {
            Ok(mut map) => map.drain().map(|(_, h)| h).collect(),
            Err(_) => Vec::new(),
        };
        for handle in handles {
            handle.join();
        }
    }
}
