//! A session's subscription: `subscribed`, then the backlog read from the log a page at a
//! time (or the `snapshot` frame), then `synced`, then live events (see PROTOCOL.md §6).

use std::sync::Arc;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::HubState;
use super::Unavailable;
use super::actor::{Broadcast, event_frame};
use super::connection::Connection;
use crate::protocol::HubFrame;
use crate::store::LogView;

pub(super) struct Live {
    pub(super) incident: String,
    pub(super) receiver: broadcast::Receiver<Broadcast>,
    pub(super) last_seq: u64,
}

pub(super) async fn next_live(live: &mut Option<Live>) -> (Result<Broadcast, RecvError>, u64) {
    match live {
        Some(live) => (live.receiver.recv().await, live.last_seq),
        None => std::future::pending().await,
    }
}

/// Sends `subscribed`, the backlog (or the snapshot) and `synced`; why not if the
/// incident is unavailable. The backlog is read from the log a page at a time, off the
/// runtime's threads, and sent as the connection takes it: memory stays bounded however
/// long the log.
pub(super) async fn subscribe(
    hub: &Arc<HubState>,
    conn: &mut Connection,
    name: &str,
    incident: &str,
    since_seq: u64,
    snapshot: bool,
) -> Result<Live, Unavailable> {
    let subscription = hub
        .registry
        .subscribe(incident, since_seq, snapshot)
        .await?;
    let header = HubFrame::Subscribed {
        incident: incident.to_string(),
        from_seq: subscription.from_seq,
        to_seq: subscription.to_seq,
    };
    let mut ok = conn.send_frame(&header).await;
    if ok && let Some(frame) = &subscription.snapshot {
        ok = conn.send(frame).await;
    }
    let mut next = subscription.from_seq;
    while ok && next <= subscription.to_seq {
        let to = subscription.to_seq.min(next + BACKLOG_PAGE - 1);
        let view = subscription.backlog.clone();
        let page = tokio::task::spawn_blocking(move || view.read_range(next, to)).await;
        match page {
            Ok(Ok(events)) => {
                for stored in events {
                    if !ok {
                        break;
                    }
                    ok = conn.send(&event_frame(incident, &stored.json)).await;
                }
            }
            Ok(Err(error)) => {
                tracing::error!(%incident, %error, "could not read the backlog from the log");
                return Err(Unavailable::OpenFailed(error.to_string()));
            }
            Err(_) => return Err(Unavailable::ShuttingDown),
        }
        next = to + 1;
    }
    hub.registry.presence(incident, name, true).await;
    let synced = HubFrame::Synced {
        incident: incident.to_string(),
        seq: subscription.to_seq,
        head: Some(subscription.head.clone()),
    };
    if ok {
        conn.send_frame(&synced).await;
    }
    Ok(Live {
        incident: incident.to_string(),
        receiver: subscription.live,
        last_seq: subscription.to_seq,
    })
}

/// Events a subscriber's backlog is read in at a time.
const BACKLOG_PAGE: u64 = 1024;
