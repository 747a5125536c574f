//! The hub's incidents, by id. Every incident has a small resident entry (`entry`); its
//! actor runs only while it is in use and is opened on demand by [`Registry::submit`]
//! and [`Registry::subscribe`]. At start-up (`load`) each entry — summary, alert groups,
//! declare command id — comes from the summary kept beside the log when that is current
//! and nothing was left in flight; otherwise the log is opened once — verified,
//! replayed, what a previous hub left in flight settled (`effects::recover`) — and
//! closed again, so an idle hub holds no thread and no file per incident. A log that
//! fails verification (at start-up, or when next opened) is quarantined (listed with
//! the reason, never served, never modified) and the rest are served. Declares are serialized here so ids never collide, and a re-sent declare
//! (same command id) returns the incident it already created.

mod load;
mod shared;
#[cfg(test)]
mod tests;

use super::actor::{self, CommandReply, Context, Request, Subscription};
use super::entry::{self, Entry, Slot};
use super::metrics::Metrics;
use crate::engine::{DataDir, EngineError, IncidentSummary, Submission, quarantine_reason};
use crate::incident::{Runbooks, Status};
use chrono::Utc;
use std::collections::HashMap;
use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// How often a request is tried when the incident keeps closing under it (a release
/// racing the request): each try opens it again, so more than two means something is
/// wrong (an actor that panics on it).
const ATTEMPTS: usize = 4;

pub struct Registry {
    data: DataDir,
    context: Context,
    entries: RwLock<HashMap<String, Arc<Entry>>>,
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
    /// Set when the hub stops: from then on requests are answered `shutting_down`.
    closing: AtomicBool,
    /// Held for the hub's life: one hub per data directory (it is the only writer).
    _hub_lock: File,
    /// Tells watching connections about declares and severity/status changes.
    pub announcer: crate::hub::announce::Announcer,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("cannot start an incident thread: {0}")]
    Thread(std::io::Error),
    #[error("another warroom hub already serves {0}: stop it first (one hub per data directory)")]
    Busy(String),
    #[error("cannot lock {path}: {cause}")]
    Lock { path: String, cause: std::io::Error },
}

pub use super::reply::Unavailable;

impl Registry {
    pub fn metrics(&self) -> Arc<Metrics> {
        self.context.metrics.clone()
    }

    /// The store's kind and state, for `/health` ([`DataDir::store_health`]).
    pub fn store_health(&self) -> serde_json::Value {
        self.data.store_health()
    }

    pub fn runbooks(&self) -> &Runbooks {
        &self.context.runbooks
    }

    fn entry(&self, id: &str) -> Option<Arc<Entry>> {
        self.entries.read().ok()?.get(id).cloned()
    }

    fn all(&self) -> Vec<Arc<Entry>> {
        self.entries
            .read()
            .map(|map| map.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Incidents served (quarantined ones are not counted).
    pub fn len(&self) -> usize {
        self.all().iter().filter(|e| !e.is_quarantined()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every incident, quarantined ones included (with their reason), oldest first.
    pub fn list(&self) -> Vec<IncidentSummary> {
        let mut items: Vec<IncidentSummary> = self.all().iter().map(|e| e.summary()).collect();
        items.sort_by(|a, b| a.declared_at.cmp(&b.declared_at).then(a.id.cmp(&b.id)));
        items
    }

    /// Quarantined incidents and why, by id.
    pub fn quarantined(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .all()
            .iter()
            .filter_map(|e| {
                let summary = e.summary();
                Some((summary.id, summary.quarantined?))
            })
            .collect();
        out.sort();
        out
    }

    /// The summary of a served incident.
    pub fn summary(&self, id: &str) -> Option<IncidentSummary> {
        self.entry(id)
            .map(|e| e.summary())
            .filter(|s| s.quarantined.is_none())
    }

    /// Whether requests for `id` can be served now (without opening it).
    pub fn check(&self, id: &str) -> Result<(), Unavailable> {
        let entry = self.entry(id).ok_or(Unavailable::NoIncident)?;
        if let Some(reason) = entry.summary().quarantined {
            return Err(Unavailable::Quarantined(reason));
        }
        if self.closing.load(Ordering::Acquire) {
            return Err(Unavailable::ShuttingDown);
        }
        Ok(())
    }

    /// The request channel of `id`'s actor, opening the incident if it is closed.
    async fn live(&self, id: &str) -> Result<tokio::sync::mpsc::Sender<Request>, Unavailable> {
        self.discover(id).await;
        self.check(id)?;
        let entry = self.entry(id).ok_or(Unavailable::NoIncident)?;
        let mut slot = entry.slot.lock().await;
        if self.closing.load(Ordering::Acquire) {
            return Err(Unavailable::ShuttingDown);
        }
        match &*slot {
            Slot::Quarantined(reason) => return Err(Unavailable::Quarantined(reason.clone())),
            Slot::Live(handle) if !handle.requests.is_closed() => {
                return Ok(handle.requests.clone());
            }
            // Closed, or an actor that ended without releasing (it panicked).
            _ => {}
        }
        let data = self.data.clone();
        let owned = id.to_string();
        let opened = tokio::task::spawn_blocking(move || entry::open(&data, &owned))
            .await
            .map_err(|e| Unavailable::OpenFailed(e.to_string()))?;
        let incident = match opened {
            Ok(incident) => incident,
            Err(error) => {
                if let Some(reason) = quarantine_reason(&error) {
                    tracing::error!(incident = %id, %error, "quarantined on reopening: this incident is not served; the others are");
                    entry.set_summary(IncidentSummary::quarantined(id, reason.clone()));
                    *slot = Slot::Quarantined(reason.clone());
                    return Err(Unavailable::Quarantined(reason));
                }
                tracing::error!(incident = %id, %error, "could not open an incident");
                return Err(Unavailable::OpenFailed(error.to_string()));
            }
        };
        let handle = actor::spawn(incident, entry.clone(), self.context.clone())
            .map_err(|e| Unavailable::OpenFailed(format!("cannot start its thread: {e}")))?;
        let sender = handle.requests.clone();
        *slot = Slot::Live(handle);
        Ok(sender)
    }

    /// Sends a command to incident `id`, opening it if it was released.
    pub async fn submit(&self, id: &str, submission: Submission) -> CommandReply {
        for _ in 0..ATTEMPTS {
            let sender = match self.live(id).await {
                Ok(sender) => sender,
                Err(why) => return CommandReply::Unavailable(why),
            };
            let (reply, answer) = oneshot::channel();
            let request = Request::Command {
                submission: submission.clone(),
                reply,
            };
            // A closed channel or a dropped reply means the actor was released before it
            // took the command (nothing was decided): open it again and re-send.
            if sender.send(request).await.is_ok()
                && let Ok(answer) = answer.await
            {
                // The actor updates the summary before it answers.
                if let (CommandReply::Applied { .. }, Some(summary)) = (&answer, self.summary(id)) {
                    self.announcer.observe(&summary);
                }
                return answer;
            }
        }
        self.gave_up(id)
    }

    /// Subscribes to incident `id` from `since_seq`, opening it if it was released.
    pub async fn subscribe(
        &self,
        id: &str,
        since_seq: u64,
        snapshot: bool,
    ) -> Result<Subscription, Unavailable> {
        for _ in 0..ATTEMPTS {
            let sender = self.live(id).await?;
            let (reply, answer) = oneshot::channel();
            if sender
                .send(Request::Subscribe {
                    since_seq,
                    snapshot,
                    reply,
                })
                .await
                .is_ok()
                && let Ok(subscription) = answer.await
            {
                return Ok(subscription);
            }
        }
        match self.gave_up(id) {
            CommandReply::Unavailable(why) => Err(why),
            _ => Err(Unavailable::OpenFailed("the incident stopped".into())),
        }
    }

    /// Runs `read` on incident `id`'s thread, between batches, and returns what it
    /// returns (a page of old timeline, a search).
    pub async fn read<T: Send + 'static>(
        &self,
        id: &str,
        read: impl FnOnce(&crate::engine::Incident) -> T + Send + Clone + 'static,
    ) -> Result<T, Unavailable> {
        for _ in 0..ATTEMPTS {
            let sender = self.live(id).await?;
            let (reply, answer) = oneshot::channel();
            let read = read.clone();
            let request = Request::Read(Box::new(move |incident| {
                let _ = reply.send(read(incident));
            }));
            if sender.send(request).await.is_ok()
                && let Ok(value) = answer.await
            {
                return Ok(value);
            }
        }
        match self.gave_up(id) {
            CommandReply::Unavailable(why) => Err(why),
            _ => Err(Unavailable::OpenFailed("the incident stopped".into())),
        }
    }

    fn gave_up(&self, id: &str) -> CommandReply {
        if self.closing.load(Ordering::Acquire) {
            return CommandReply::Unavailable(Unavailable::ShuttingDown);
        }
        tracing::error!(incident = %id, "the incident's actor stopped before answering, repeatedly");
        CommandReply::Unavailable(Unavailable::OpenFailed(
            "its actor stopped before answering".into(),
        ))
    }

    /// Whether a declare with this command id was already applied (a re-send).
    pub fn is_declared(&self, command_id: &str) -> bool {
        self.declared_by_command
            .lock()
            .is_ok_and(|m| m.contains_key(command_id))
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
        if self.closing.load(Ordering::Acquire) {
            return Ok((
                String::new(),
                CommandReply::Unavailable(Unavailable::ShuttingDown),
            ));
        }
        let this = self.clone();
        let command_id = submission.command_id.clone();
        let created = tokio::task::spawn_blocking(move || {
            let incident = this
                .data
                .declare(submission, Utc::now(), &this.context.runbooks)?;
            // The declare's events call for work like any commit (its chat entries).
            let seq = incident.state().seq;
            let jobs = match incident.read_events(1, seq) {
                Ok(events) => super::effects::jobs_for(&incident, &events),
                Err(error) => {
                    tracing::error!(%error, "cannot read back a new incident's events");
                    Vec::new()
                }
            };
            Ok::<_, EngineError>((incident, jobs))
        })
        .await
        .map_err(|e| RegistryError::Thread(std::io::Error::other(e.to_string())))?;
        let (incident, jobs) = match created {
            Ok(created) => created,
            Err(EngineError::Rejected(rejection)) => {
                return Ok((String::new(), CommandReply::Rejected(rejection)));
            }
            // The same declare reached another hub first (its client failed over before
            // the answer): answered as any re-sent command is, with what it made.
            Err(EngineError::Store(crate::store::StoreError::DeclaredAs { id, last })) => {
                if let (Some(command_id), Ok(mut map)) =
                    (command_id, self.declared_by_command.lock())
                {
                    map.insert(command_id, (id.clone(), last));
                }
                return Ok((id, CommandReply::Duplicate { seq: last }));
            }
            Err(other) => return Err(other.into()),
        };
        let id = incident.state().id.clone();
        let seq = incident.state().seq;
        let metrics = &self.context.metrics;
        metrics.events_appended.fetch_add(seq, Ordering::Relaxed);
        metrics.commands_accepted.fetch_add(1, Ordering::Relaxed);
        if let Some(took) = incident.created_in() {
            metrics.store_append.observe(took);
        }
        let summary = IncidentSummary::of(&incident);
        let entry = Arc::new(Entry::new(summary.clone(), Slot::Closed));
        {
            // Nobody else knows the entry yet, so the lock is free.
            let mut slot = entry.slot.lock().await;
            let handle = actor::spawn(incident, entry.clone(), self.context.clone())
                .map_err(RegistryError::Thread)?;
            *slot = Slot::Live(handle);
            // Before anyone can know the id, so these come before any later commit's.
            actor::hand_over(&self.context.jobs, &entry, &id, jobs);
        }
        if let Ok(mut map) = self.entries.write() {
            map.insert(id.clone(), entry);
        }
        // Announced once it can be subscribed to.
        self.announcer.observe(&summary);
        if let (Some(command_id), Ok(mut map)) = (command_id, self.declared_by_command.lock()) {
            map.insert(command_id, (id.clone(), seq));
        }
        Ok((id, CommandReply::Applied { seq }))
    }

    /// `name` joined (`true`) or left incident `id`; subscribers hear who is here now.
    /// Only a live incident is told: one with nobody here is not opened for it.
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
            let here = names.keys().cloned().collect::<Vec<_>>();
            if here.is_empty() {
                map.remove(id);
            }
            here
        };
        let Some(entry) = self.entry(id) else {
            return;
        };
        let sender = match &*entry.slot.lock().await {
            Slot::Live(handle) => Some(handle.requests.clone()),
            _ => None,
        };
        if let Some(sender) = sender {
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

    /// Every open incident linked under a group key starting with `prefix`, with the
    /// key (a source's incident seen under another key, e.g. another service).
    pub fn open_alert_groups_under(&self, prefix: &str) -> Vec<(String, String)> {
        let linked: Vec<(String, String)> = match self.alert_groups.lock() {
            Ok(map) => map
                .iter()
                .filter(|(key, _)| key.starts_with(prefix))
                .map(|(key, id)| (key.clone(), id.clone()))
                .collect(),
            Err(_) => Vec::new(),
        };
        let open = |id: &String| {
            self.summary(id)
                .is_some_and(|s| s.status != Status::Resolved)
        };
        let mut found: Vec<_> = linked.into_iter().filter(|(_, id)| open(id)).collect();
        found.sort();
        found
    }

    pub fn link_alert_group(&self, group_key: &str, incident: &str) {
        if let Ok(mut map) = self.alert_groups.lock() {
            map.insert(group_key.to_string(), incident.to_string());
        }
    }

    /// Asks every live actor, every `period` until `stop`, whether it is idle; those
    /// idle for the hub's idle time release themselves.
    pub async fn sweep_idle(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let period =
            (self.context.idle / 2).clamp(Duration::from_millis(20), Duration::from_secs(5));
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stop.wait_for(|stopping| *stopping) => return,
            }
            for entry in self.all() {
                // Never wait here: a slot being opened or released is not idle anyway.
                if let Ok(slot) = entry.slot.try_lock()
                    && let Slot::Live(handle) = &*slot
                {
                    let _ = handle.requests.try_send(Request::IdleCheck);
                }
            }
        }
    }

    /// Stops every actor after it has finished what is queued; from now on requests are
    /// answered `shutting_down`. Blocks: call it off the async runtime.
    pub fn shutdown(&self) {
        self.closing.store(true, Ordering::Release);
        let mut handles = Vec::new();
        for entry in self.all() {
            let mut slot = entry.slot.blocking_lock();
            if let Slot::Live(_) = &*slot
                && let Slot::Live(handle) = std::mem::replace(&mut *slot, Slot::Closed)
            {
                handles.push(handle);
            }
        }
        for handle in handles {
            handle.join();
        }
    }
}

/// The runner's way back in: its outcomes are commands like any other.
impl crate::hub::effects::Outcomes for Registry {
    fn submit<'a>(
        &'a self,
        incident: &'a str,
        submission: Submission,
    ) -> futures_util::future::BoxFuture<'a, CommandReply> {
        Box::pin(Registry::submit(self, incident, submission))
    }

    fn runbooks(&self) -> &Runbooks {
        Registry::runbooks(self)
    }

    fn metrics(&self) -> Arc<Metrics> {
        Registry::metrics(self)
    }
}
