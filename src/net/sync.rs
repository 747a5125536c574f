//! A live, self-healing subscription to one incident: connects, resumes from the last
//! seq it delivered, keeps an outbox of commands not yet acknowledged and re-sends them
//! (same ids, so the hub applies each once) after every reconnect, with backoff. The
//! owner receives events strictly in seq order, exactly once, plus connection state for
//! the UI, and the hub's catalog of actions and channels whenever it arrives.

use super::client::{HubClient, NetError, new_command_id};
use crate::engine::IncidentSummary;
use crate::incident::action::ActionSpec;
use crate::incident::state::TimelineEntry;
use crate::incident::{Command, Event, State};
use crate::protocol::{ClientFrame, HubFrame, Identity, PreviousSummary, RejectReason};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long to wait before re-sending a command the hub deferred.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// What the UI shows about the link to the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    Connecting,
    Live,
    /// Lost; trying again. `pending` commands wait in the outbox.
    Reconnecting {
        attempt: u32,
        pending: usize,
        reason: String,
    },
    /// Given up (bad token, wrong protocol, incident gone): needs a person.
    Offline {
        pending: usize,
        reason: String,
    },
}

// Events are nearly every message; boxing them to shrink the rare ones would cost an
// allocation per event for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    State(ConnectionState),
    /// Connected to this hub (one of the `--hub` list), before anything it sends.
    Hub(String),
    Identity(Identity),
    /// The next event, in seq order, never twice.
    Event(Event),
    /// Caught up with the hub at this seq.
    Synced(u64),
    Acked {
        id: String,
        seq: u64,
    },
    Rejected {
        id: String,
        code: RejectReason,
        message: String,
    },
    /// Who is connected to the incident now.
    Presence(Vec<String>),
    /// The incident's state as the hub holds it at its seq (the first thing after a
    /// connect from the start: the events before it are not sent). Replaces any state.
    Snapshot(Box<State>),
    /// A page of older timeline asked for with [`SyncHandle::request_page`].
    Page {
        id: String,
        entries: Vec<TimelineEntry>,
        older: bool,
    },
    /// Search results asked for with [`SyncHandle::search`].
    Found {
        id: String,
        query: String,
        entries: Vec<TimelineEntry>,
        searched_to: u64,
    },
    /// The hub's containment actions and delivery channels, after every connect (empty
    /// when the hub has none).
    Catalog {
        actions: Vec<ActionSpec>,
        channels: Vec<String>,
    },
    /// The hub's issue trackers, right after each [`SyncEvent::Catalog`] (empty when
    /// the hub has none).
    Trackers(Vec<String>),
}

/// News about the hub's other incidents, with [`SyncOptions::watch_incidents`].
// A summary inline is larger than a list's Vec, but news comes once per incident change
// through an unbounded channel: boxing it would save nothing that matters.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum IncidentNews {
    /// Every incident on the hub, after each connect.
    List(Vec<IncidentSummary>),
    /// One was declared (`previous` is `None`) or changed title, severity or status.
    Changed {
        item: IncidentSummary,
        previous: Option<PreviousSummary>,
    },
}

/// The owner's side: send commands, receive sync events (and news of other incidents
/// when watching).
pub struct SyncHandle {
    commands: mpsc::UnboundedSender<(String, Command)>,
    reads: mpsc::UnboundedSender<ClientFrame>,
    pub events: mpsc::UnboundedReceiver<SyncEvent>,
    pub news: mpsc::UnboundedReceiver<IncidentNews>,
    task: tokio::task::JoinHandle<()>,
}

impl SyncHandle {
    /// Queues a command; returns its id (acks and rejects name it). A note is stamped
    /// with the time it entered the outbox (when it was typed), so one queued while
    /// the link is down keeps its time on the timeline.
    pub fn send(&self, mut command: Command) -> String {
        if let Command::AddNote { typed_at, .. } = &mut command
            && typed_at.is_none()
        {
            *typed_at = Some(chrono::Utc::now());
        }
        let id = new_command_id();
        let _ = self.commands.send((id.clone(), command));
        id
    }

    /// Asks the hub for up to `limit` timeline entries before entry `before_seq`;
    /// answered by [`SyncEvent::Page`] with the returned id. Dropped, never answered,
    /// if the link is down: ask again when it is back.
    pub fn request_page(&self, before_seq: u64, limit: u32) -> String {
        let id = new_command_id();
        let _ = self.reads.send(ClientFrame::Page {
            id: id.clone(),
            incident: String::new(),
            before_seq,
            limit,
        });
        id
    }

    /// Asks the hub to search the whole timeline backwards from `before_seq` (0: the
    /// newest); answered by [`SyncEvent::Found`]. Dropped like a page when offline.
    pub fn search(&self, query: &str, before_seq: u64) -> String {
        let id = new_command_id();
        let _ = self.reads.send(ClientFrame::Search {
            id: id.clone(),
            incident: String::new(),
            query: query.to_owned(),
            before_seq,
        });
        id
    }

    /// Queues a command with a caller-chosen id (re-sending an old id is safe).
    pub fn send_with_id(&self, id: String, command: Command) {
        let _ = self.commands.send((id, command));
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

/// A console that ends without `stop` (its future dropped, say when an SSH session is
/// closed under it) still ends its subscription: nothing reconnects for nobody.
impl Drop for SyncHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub hub: String,
    pub token: String,
    pub incident: String,
    /// Resume after this seq (0: from the start).
    pub since_seq: u64,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// Also follow every incident's declares and title/severity/status changes
    /// (delivered on [`SyncHandle::news`]).
    pub watch_incidents: bool,
    /// From the start (`since_seq` 0), begin with the state ([`SyncEvent::Snapshot`])
    /// rather than every event: what a console wants, whose cost must not grow with
    /// the incident's history.
    pub snapshot: bool,
}

impl SyncOptions {
    pub fn new(
        hub: impl Into<String>,
        token: impl Into<String>,
        incident: impl Into<String>,
    ) -> SyncOptions {
        SyncOptions {
            hub: hub.into(),
            token: token.into(),
            incident: incident.into(),
            since_seq: 0,
            // A console must be back within a second of the hub: an attempt on a
            // refused or unreachable address costs next to nothing, so never wait long.
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(1),
            watch_incidents: false,
            snapshot: false,
        }
    }
}

impl SyncOptions {
    /// How long to wait before reconnect attempt `attempt` (1-based): doubling from
    /// `min_backoff`, never above `max_backoff`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.min_backoff
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(16)))
            .min(self.max_backoff)
    }
}

pub fn spawn(options: SyncOptions) -> SyncHandle {
    let (commands, inbox) = mpsc::unbounded_channel();
    let (reads, read_inbox) = mpsc::unbounded_channel();
    let (out, events) = mpsc::unbounded_channel();
    let (news_out, news) = mpsc::unbounded_channel();
    let channels = Channels {
        out,
        news: news_out,
        reads: tokio::sync::Mutex::new(read_inbox),
    };
    let task = tokio::spawn(run(options, inbox, channels));
    SyncHandle {
        commands,
        reads,
        events,
        news,
        task,
    }
}

/// Where the task reports: sync events, and news of other incidents.
struct Channels {
    out: mpsc::UnboundedSender<SyncEvent>,
    news: mpsc::UnboundedSender<IncidentNews>,
    /// Page and search requests, sent as they come while connected.
    reads: tokio::sync::Mutex<mpsc::UnboundedReceiver<ClientFrame>>,
}

struct Outbox {
    entries: VecDeque<(String, Command)>,
}

impl Outbox {
    fn remove(&mut self, id: &str) {
        self.entries.retain(|(i, _)| i != id);
    }
}

async fn run(
    options: SyncOptions,
    mut inbox: mpsc::UnboundedReceiver<(String, Command)>,
    channels: Channels,
) {
    let out = &channels.out;
    let mut last_seq = options.since_seq;
    let mut outbox = Outbox {
        entries: VecDeque::new(),
    };
    let mut attempt = 0u32;
    // A hub whose snapshot this client cannot read is asked for events instead.
    let mut snapshots = options.snapshot;
    // With several hubs, each attempt starts from the one after the hub last lost, so
    // a hub that died is tried last, not first.
    let hubs = super::client::hub_list(&options.hub);
    let mut first_hub = 0usize;
    let _ = out.send(SyncEvent::State(ConnectionState::Connecting));
    loop {
        let order: Vec<String> = (0..hubs.len())
            .map(|i| hubs[(first_hub + i) % hubs.len()].clone())
            .collect();
        let mut link = Link {
            hubs: order.join(","),
            connected: None,
            attempt,
        };
        let result = session(
            &options,
            &mut link,
            &mut snapshots,
            &mut last_seq,
            &mut outbox,
            &mut inbox,
            &channels,
        )
        .await;
        attempt = link.attempt;
        let error = match result {
            Ok(()) => return, // the owner went away
            Err(error) => error,
        };
        if let Some(lost) = link.connected
            && let Some(at) = hubs.iter().position(|h| *h == lost)
        {
            first_hub = (at + 1) % hubs.len();
        }
        // Commands typed while disconnected still go into the outbox.
        while let Ok(entry) = inbox.try_recv() {
            outbox.entries.push_back(entry);
        }
        let pending = outbox.entries.len();
        if !error.is_retryable() {
            let _ = out.send(SyncEvent::State(ConnectionState::Offline {
                pending,
                reason: error.to_string(),
            }));
            // Keep accepting commands into the outbox so nothing typed is lost.
            while let Some(entry) = inbox.recv().await {
                outbox.entries.push_back(entry);
            }
            return;
        }
        attempt += 1;
        let _ = out.send(SyncEvent::State(ConnectionState::Reconnecting {
            attempt,
            pending,
            reason: error.to_string(),
        }));
        let sleep = tokio::time::sleep(options.backoff(attempt));
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => break,
                entry = inbox.recv() => match entry {
                    Some(entry) => outbox.entries.push_back(entry),
                    None => return,
                },
            }
        }
        if out.is_closed() {
            return;
        }
    }
}

/// One connection's life. Returns `Ok` only when the owner is gone.
/// Which hubs one connection tries, which it reached, and the reconnect count (reset
/// once it is live).
struct Link {
    /// Comma-separated, the one to try first first.
    hubs: String,
    connected: Option<String>,
    attempt: u32,
}

async fn session(
    options: &SyncOptions,
    link: &mut Link,
    snapshots: &mut bool,
    last_seq: &mut u64,
    outbox: &mut Outbox,
    inbox: &mut mpsc::UnboundedReceiver<(String, Command)>,
    channels: &Channels,
) -> Result<(), NetError> {
    let out = &channels.out;
    let mut client = HubClient::connect_watching(
        &link.hubs,
        &options.token,
        Some(&options.incident),
        *last_seq,
        options.watch_incidents,
        *snapshots && *last_seq == 0,
    )
    .await?;
    let mut reads = channels.reads.lock().await;
    // Requests made while the link was down were dropped, as documented.
    while reads.try_recv().is_ok() {}
    link.connected = Some(client.hub.clone());
    let _ = out.send(SyncEvent::Hub(client.hub.clone()));
    let _ = out.send(SyncEvent::Identity(client.you.clone()));
    if options.watch_incidents {
        // What exists now; `incident_changed` frames keep it current from here on.
        client.send(&ClientFrame::List).await?;
    }
    // Re-send everything not yet acknowledged, oldest first, with its original id.
    for (id, command) in outbox.entries.clone() {
        send(&mut client, &options.incident, &id, command).await?;
    }
    // Commands the hub asked us to send again later (rate limit, storage trouble).
    let mut deferred: Vec<String> = Vec::new();
    // A hub with actions or channels says so before `subscribed`; by `synced` its
    // silence means it has neither.
    let mut catalog_seen = false;
    let retry = tokio::time::sleep(Duration::from_secs(3600));
    tokio::pin!(retry);
    loop {
        tokio::select! {
            _ = &mut retry, if !deferred.is_empty() => {
                for id in std::mem::take(&mut deferred) {
                    if let Some((_, command)) = outbox.entries.iter().find(|(i, _)| *i == id).cloned() {
                        send(&mut client, &options.incident, &id, command).await?;
                    }
                }
            }
            frame = client.next() => {
                match frame? {
                    HubFrame::Event { event, .. } => {
                        if event.seq <= *last_seq {
                            continue; // already delivered before a reconnect
                        }
                        if event.seq != *last_seq + 1 {
                            return Err(NetError::Protocol(format!("expected seq {}, got {}", *last_seq + 1, event.seq)));
                        }
                        *last_seq = event.seq;
                        if out.send(SyncEvent::Event(event)).is_err() {
                            return Ok(());
                        }
                    }
                    HubFrame::Synced { seq, .. } => {
                        if !std::mem::replace(&mut catalog_seen, true) {
                            let (actions, channels) = (Vec::new(), Vec::new());
                            let _ = out.send(SyncEvent::Catalog { actions, channels });
                            let _ = out.send(SyncEvent::Trackers(Vec::new()));
                        }
                        link.attempt = 0;
                        let _ = out.send(SyncEvent::State(ConnectionState::Live));
                        let _ = out.send(SyncEvent::Synced(seq));
                    }
                    HubFrame::Presence { here, .. } => {
                        let _ = out.send(SyncEvent::Presence(here));
                    }
                    HubFrame::Snapshot { seq, state, .. } => {
                        match crate::incident::snapshot::decode_value(state) {
                            Ok(state) => {
                                *last_seq = seq;
                                let _ = out.send(SyncEvent::Snapshot(Box::new(state)));
                            }
                            Err(error) => {
                                *snapshots = false;
                                return Err(NetError::Protocol(format!("the hub's snapshot: {error}")));
                            }
                        }
                    }
                    HubFrame::Page { id, entries, older, .. } => {
                        let _ = out.send(SyncEvent::Page { id, entries, older });
                    }
                    HubFrame::Found { id, query, entries, searched_to, .. } => {
                        let _ = out.send(SyncEvent::Found { id, query, entries, searched_to });
                    }
                    HubFrame::Incidents { items } => {
                        let _ = channels.news.send(IncidentNews::List(items));
                    }
                    HubFrame::IncidentChanged { item, previous } => {
                        let _ = channels.news.send(IncidentNews::Changed { item, previous });
                    }
                    HubFrame::Catalog {
                        actions,
                        channels,
                        trackers,
                    } => {
                        catalog_seen = true;
                        let _ = out.send(SyncEvent::Catalog { actions, channels });
                        let _ = out.send(SyncEvent::Trackers(trackers));
                    }
                    HubFrame::Ack { id, seq, .. } => {
                        outbox.remove(&id);
                        let _ = out.send(SyncEvent::Acked { id, seq });
                    }
                    HubFrame::Reject { id, code, message, .. } => {
                        if matches!(code, RejectReason::RateLimited | RejectReason::ShuttingDown | RejectReason::StorageFailed) {
                            // Nothing was applied: keep it in the outbox and try again soon.
                            if deferred.is_empty() {
                                retry.as_mut().reset(tokio::time::Instant::now() + RETRY_AFTER);
                            }
                            deferred.push(id);
                            continue;
                        }
                        outbox.remove(&id);
                        let _ = out.send(SyncEvent::Rejected { id, code, message });
                    }
                    _ => {}
                }
            }
            read = reads.recv() => {
                let Some(mut frame) = read else { return Ok(()) };
                if let ClientFrame::Page { incident, .. } | ClientFrame::Search { incident, .. } = &mut frame {
                    incident.clone_from(&options.incident);
                }
                client.send(&frame).await?;
            }
            entry = inbox.recv() => {
                let Some((id, command)) = entry else { return Ok(()) };
                outbox.entries.push_back((id.clone(), command.clone()));
                send(&mut client, &options.incident, &id, command).await?;
            }
        }
    }
}

async fn send(
    client: &mut HubClient,
    incident: &str,
    id: &str,
    command: Command,
) -> Result<(), NetError> {
    let incident = match command {
        Command::Declare { .. } => None,
        _ => Some(incident.to_string()),
    };
    client
        .send(&crate::protocol::ClientFrame::Command {
            id: id.to_string(),
            incident,
            command,
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_console_tries_again_at_least_every_second_however_long_the_outage() {
        let options = SyncOptions::new("http://127.0.0.1:1", "t", "INC-1");
        let waits: Vec<u128> = (1..=40).map(|a| options.backoff(a).as_millis()).collect();
        assert_eq!(&waits[..4], [200, 400, 800, 1000]);
        assert!(waits.iter().all(|w| *w <= 1000), "{waits:?}");
    }
}
