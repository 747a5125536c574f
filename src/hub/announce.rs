//! Hub-wide news about incidents: whenever an incident is declared or its title,
//! severity or status changes, one `incident_changed` frame goes to every connection
//! that asked for it (`hello.watch_incidents`), whatever incident it follows. The
//! registry reports each incident's summary after every commit; this remembers what
//! was last announced, so only real changes are sent, and builds each frame once.

use crate::engine::IncidentSummary;
use crate::protocol::{HubFrame, PreviousSummary};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

/// Announcements a watcher may fall behind before it misses some (it can `list`).
const QUEUE: usize = 256;

pub struct Announcer {
    frames: broadcast::Sender<Arc<str>>,
    /// What watchers were last told about each incident.
    known: Mutex<HashMap<String, PreviousSummary>>,
}

impl Default for Announcer {
    fn default() -> Self {
        Announcer {
            frames: broadcast::channel(QUEUE).0,
            known: Mutex::new(HashMap::new()),
        }
    }
}

fn what_watchers_see(summary: &IncidentSummary) -> PreviousSummary {
    PreviousSummary {
        title: summary.title.clone(),
        severity: summary.severity,
        status: summary.status,
    }
}

impl Announcer {
    /// An incident that already existed when the hub started: remembered, not news.
    pub fn known(&self, summary: &IncidentSummary) {
        if let Ok(mut known) = self.known.lock() {
            known.insert(summary.id.clone(), what_watchers_see(summary));
        }
    }

    /// The incident as it is after a commit: announced if it is new or its title,
    /// severity or status changed since the last announcement.
    pub fn observe(&self, summary: &IncidentSummary) {
        let now = what_watchers_see(summary);
        let previous = {
            let Ok(mut known) = self.known.lock() else {
                return;
            };
            match known.insert(summary.id.clone(), now.clone()) {
                Some(before) if before == now => return,
                before => before,
            }
        };
        let frame = HubFrame::IncidentChanged {
            item: summary.clone(),
            previous,
        };
        if let Ok(text) = serde_json::to_string(&frame) {
            // Nobody watching is fine.
            let _ = self.frames.send(Arc::from(text));
        }
    }

    /// A receiver of every announcement from now on.
    pub fn watch(&self) -> broadcast::Receiver<Arc<str>> {
        self.frames.subscribe()
    }
}

/// The next announcement for a connection that watches; never ready for one that does
/// not. A watcher that fell behind skips what it missed (announcements are news, not
/// state: `list` has the truth).
pub async fn next(watching: &mut Option<broadcast::Receiver<Arc<str>>>) -> Arc<str> {
    loop {
        let Some(receiver) = watching.as_mut() else {
            return std::future::pending().await;
        };
        match receiver.recv().await {
            Ok(frame) => return frame,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => *watching = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{Severity, Status};

    fn summary(id: &str, severity: Severity, status: Status, events: u64) -> IncidentSummary {
        IncidentSummary {
            id: id.into(),
            title: "Checkout 500s".into(),
            severity: Some(severity),
            status,
            declared_at: None,
            commander: None,
            events,
            quarantined: None,
            ..IncidentSummary::default()
        }
    }

    fn received(rx: &mut broadcast::Receiver<Arc<str>>) -> Vec<HubFrame> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .map(|text| serde_json::from_str(&text).unwrap())
            .collect()
    }

    #[test]
    fn only_new_incidents_and_real_changes_are_announced() {
        let announcer = Announcer::default();
        let mut rx = announcer.watch();
        announcer.known(&summary("INC-1", Severity::Sev3, Status::Investigating, 4));
        announcer.observe(&summary("INC-1", Severity::Sev3, Status::Investigating, 9));
        assert!(received(&mut rx).is_empty(), "a note is not news");

        announcer.observe(&summary("INC-2", Severity::Sev2, Status::Investigating, 3));
        announcer.observe(&summary("INC-1", Severity::Sev1, Status::Investigating, 10));
        let frames = received(&mut rx);
        let [
            HubFrame::IncidentChanged {
                item: declared,
                previous: None,
            },
            HubFrame::IncidentChanged {
                item: escalated,
                previous: Some(before),
            },
        ] = frames.as_slice()
        else {
            panic!("{frames:?}");
        };
        assert_eq!(declared.id, "INC-2");
        assert_eq!(escalated.severity, Some(Severity::Sev1));
        assert_eq!(before.severity, Some(Severity::Sev3));
    }
}
