//! What a hub learns from the other hubs on a store they share: incidents they declared
//! (found when a client names one, [`Registry::discover`], or lists,
//! [`Registry::discover_all`]), and the summaries they write after every commit
//! ([`Registry::summaries_follower`]), so that this hub's list and its watching
//! connections hear of declares and of title, severity and status changes made
//! through any hub, whether or not this hub has the incident open, and alerts of an
//! incident's groups reaching this hub append to it.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::Registry;
use crate::engine::{EngineError, IncidentSummary, LoadFacts, StoredSummary};
use crate::hub::entry::{self, Entry, Slot};

/// Summaries heard and not yet taken in before more are dropped (they are news only:
/// `list` reads every incident).
const SUMMARY_QUEUE: usize = 1024;

impl Registry {
    /// On a store shared with other hubs, an incident this hub has no entry for may
    /// have been declared by another one since this hub started: if the store has it,
    /// it gets an entry (closed, opened on demand) and is announced. Nothing to do on a
    /// file store, or for an id this hub knows.
    pub async fn discover(&self, id: &str) {
        if !self.data.is_shared() || self.entry(id).is_some() {
            return;
        }
        // One discovery (or declare) at a time, so an incident gets one entry.
        let _serialized = self.declare_lock.lock().await;
        if self.entry(id).is_some() {
            return;
        }
        let data = self.data.clone();
        let owned = id.to_string();
        let opened = tokio::task::spawn_blocking(move || {
            entry::open(&data, &owned)
                .map(|incident| (IncidentSummary::of(&incident), LoadFacts::of(&incident)))
        })
        .await;
        let (summary, load) = match opened {
            Ok(Ok(found)) => found,
            Ok(Err(EngineError::NotFound(_))) => return,
            Ok(Err(error)) => {
                tracing::warn!(incident = %id, %error, "could not open an incident another hub may have declared");
                return;
            }
            Err(error) => {
                tracing::warn!(incident = %id, %error, "could not look for an incident another hub may have declared");
                return;
            }
        };
        tracing::info!(incident = %id, "found an incident another hub declared");
        let entry = Arc::new(Entry::new(summary.clone(), Slot::Closed));
        if let Ok(mut map) = self.entries.write() {
            map.entry(id.to_string()).or_insert(entry);
        }
        self.announcer.observe(&summary);
        self.learn(&summary.id, load);
    }

    /// [`Registry::discover`] for every incident in a shared store this hub has no
    /// entry for (one look at the store's ids, then each new one opened once).
    pub async fn discover_all(&self) {
        if !self.data.is_shared() {
            return;
        }
        let data = self.data.clone();
        let ids = match tokio::task::spawn_blocking(move || data.ids()).await {
            Ok(Ok(ids)) => ids,
            Ok(Err(error)) => {
                tracing::warn!(%error, "could not list the incidents in the shared store");
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "could not list the incidents in the shared store");
                return;
            }
        };
        for id in ids {
            self.discover(&id).await;
        }
    }

    /// On a shared store, starts watching the summaries every hub writes (see the
    /// module doc) and returns what takes them in until `stop`, for the caller to
    /// spawn; `None` on a file store or if the watch cannot be made. Awaited before the
    /// hub listens: from then on nothing another hub writes goes unheard (the watch
    /// begins with each incident's latest summary, so none written since the start-up
    /// read them is missed either).
    pub async fn summaries_follower(
        self: Arc<Self>,
        mut stop: watch::Receiver<bool>,
    ) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        if !self.data.is_shared() {
            return None;
        }
        let (heard, mut summaries) = mpsc::channel(SUMMARY_QUEUE);
        let data = self.data.clone();
        let watched = tokio::task::spawn_blocking(move || {
            data.watch_summaries(Box::new(move |summary| {
                let _ = heard.try_send(summary);
            }))
        })
        .await;
        let following = match watched {
            Ok(Ok(following)) => following,
            Ok(Err(error)) => {
                tracing::warn!(%error, "cannot watch the shared store's summaries: incidents other hubs declare are found when someone names or lists them");
                return None;
            }
            Err(_) => return None,
        };
        Some(async move {
            let _following = following;
            loop {
                let next = tokio::select! {
                    summary = summaries.recv() => summary,
                    _ = stop.wait_for(|stopping| *stopping) => None,
                };
                let Some(summary) = next else { return };
                self.heard(summary).await;
            }
        })
    }

    /// One summary some hub wrote: a new incident gets an entry (closed, opened on
    /// demand); a known one's summary moves on if this one is newer and no actor here
    /// keeps it; either way watchers hear what changed. An older summary (two hubs'
    /// writes landing out of order) changes nothing.
    async fn heard(&self, stored: StoredSummary) {
        let summary = stored.summary;
        let load = stored.load.unwrap_or_default();
        let Some(known) = self.entry(&summary.id) else {
            // One discovery (or declare) at a time, so an incident gets one entry.
            let _serialized = self.declare_lock.lock().await;
            if self.entry(&summary.id).is_none() {
                tracing::info!(incident = %summary.id, "heard of an incident another hub declared");
                let entry = Arc::new(Entry::new(summary.clone(), Slot::Closed));
                if let Ok(mut map) = self.entries.write() {
                    map.entry(summary.id.clone()).or_insert(entry);
                }
                self.announcer.observe(&summary);
            }
            self.learn(&summary.id, load);
            return;
        };
        let current = known.summary();
        if summary.events < current.events || current.quarantined.is_some() {
            return;
        }
        // A live actor here keeps its own summary as it follows the log.
        let live = matches!(known.slot.try_lock().as_deref(), Ok(Slot::Live(_)) | Err(_));
        if !live {
            known.set_summary(summary.clone());
        }
        self.announcer.observe(&summary);
        self.learn(&summary.id, load);
    }

    /// What incident `id`'s start-up facts tell this hub: its declare's command id (a
    /// re-sent declare is answered with it) and its alert groups (their alerts reaching
    /// this hub append to it, as on the hub that linked them, unless a group already
    /// leads to another open incident here).
    fn learn(&self, id: &str, load: LoadFacts) {
        if let Some((command_id, seq)) = load.declared_by
            && let Ok(mut map) = self.declared_by_command.lock()
        {
            map.entry(command_id).or_insert((id.to_owned(), seq));
        }
        for group in load.alert_groups {
            if self.incident_for_alert_group(&group).is_none() {
                self.link_alert_group(&group, id);
            }
        }
    }
}
