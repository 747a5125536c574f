//! One incident's single writer. A dedicated thread owns the incident (state, events,
//! log): it drains every queued command, decides them in order, appends all resulting
//! events with one fsync (group commit), then broadcasts each event's frame — built
//! once from the stored bytes — and answers each command. Subscriptions are served
//! between batches, so a subscriber's backlog and live stream meet with no gap and no
//! duplicate. Runs and deliveries the new events call for go to the runner only after
//! the commit, so nothing acts on the world for an event that is not on disk.
//!
//! An actor lives only while its incident is in use. Asked now and then whether it is
//! idle ([`Request::IdleCheck`], from the registry's sweeper), it releases itself —
//! thread ended, file closed, state dropped — once it has had no subscriber, no request
//! and no run or delivery in flight for the hub's `incident_idle_seconds`. It does so
//! holding its entry's slot lock, so no second actor can open the same log meanwhile
//! (two writers would fork the chain); a request that raced the release is dropped
//! unanswered, and its sender opens the incident again (`registry`).

use super::effects::{self, InFlight, JobSender, Queued};
use super::entry::{Entry, Slot};
use super::metrics::Metrics;
pub use super::reply::CommandReply;
use crate::engine::{Incident, IncidentSummary, Outcome, Submission};
use crate::incident::Runbooks;
use crate::store::AnyView;
use chrono::Utc;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc, oneshot};

/// Commands decided and committed together at most.
const MAX_BATCH: usize = 512;
/// Events a subscriber may fall behind before it is dropped (and resyncs).
pub const SUBSCRIBER_QUEUE: usize = 4096;
/// Requests waiting for the actor before senders wait.
const REQUEST_QUEUE: usize = 8192;

/// One event on its way to subscribers: the exact frame text, its seq, and when it was
/// committed (for the fan-out latency metric). Seq 0 marks a frame that is not an
/// event (presence).
#[derive(Debug, Clone)]
pub struct Broadcast {
    pub frame: Arc<str>,
    pub seq: u64,
    pub committed: Instant,
}

pub struct Subscription {
    /// The log as it was when the subscription was taken: the backlog
    /// (`from_seq..=to_seq`) is read from it page by page, off the actor's thread.
    pub backlog: AnyView,
    /// With a snapshot asked for: the `snapshot` frame of the state at `to_seq` (and
    /// the backlog is empty).
    pub snapshot: Option<String>,
    pub from_seq: u64,
    pub to_seq: u64,
    /// The chain hash of event `to_seq` (the log's head when the backlog was taken).
    pub head: String,
    pub live: broadcast::Receiver<Broadcast>,
}

pub enum Request {
    Command {
        submission: Submission,
        reply: oneshot::Sender<CommandReply>,
    },
    Subscribe {
        since_seq: u64,
        /// Start from a snapshot of the state instead of every event (see PROTOCOL.md).
        snapshot: bool,
        reply: oneshot::Sender<Subscription>,
    },
    /// Read something of the incident on its thread (a page of old timeline, a search),
    /// between batches. The closure must be bounded: the incident waits for it.
    Read(Box<dyn FnOnce(&Incident) + Send>),
    /// Tell every subscriber who is here now (not an event: not logged, seq 0).
    Presence { here: Vec<String> },
    /// Release the incident if it has been idle long enough (see the module doc).
    IdleCheck,
    /// Someone (another hub on a shared store, or this one) committed this batch: taken
    /// as it is if it continues the incident's head, else the log is read up to where it
    /// ends; either way what is new is broadcast.
    Follow(crate::store::Committed),
}

/// The hub's handle on a running incident actor.
pub struct IncidentHandle {
    pub requests: mpsc::Sender<Request>,
    thread: std::thread::JoinHandle<()>,
}

impl IncidentHandle {
    /// Waits for the actor to finish its queue after every sender is gone.
    pub fn join(self) {
        drop(self.requests);
        if self.thread.join().is_err() {
            tracing::error!("an incident actor panicked while shutting down");
        }
    }
}

/// The event frame, built by splicing the stored event JSON into the envelope, so the
/// event is serialized exactly once. The id is a validated ASCII incident id, so it
/// needs no escaping.
pub fn event_frame(incident: &str, event_json: &str) -> Arc<str> {
    Arc::from(format!(
        "{{\"type\":\"event\",\"incident\":\"{incident}\",\"event\":{event_json}}}"
    ))
}

/// The `snapshot` frame of `state`: `{"type":"snapshot","incident":…,"seq":…,"state":…}`
/// with the state as [`snapshot::encode`](crate::incident::snapshot::encode) writes it.
fn snapshot_frame(incident: &str, state: &crate::incident::State) -> Option<String> {
    let bytes = crate::incident::snapshot::encode(state).ok()?;
    let encoded = String::from_utf8(bytes).ok()?;
    let id = serde_json::to_string(incident).ok()?;
    Some(format!(
        "{{\"type\":\"snapshot\",\"incident\":{id},\"seq\":{},\"state\":{encoded}}}",
        state.seq
    ))
}

/// What an actor needs besides its incident.
#[derive(Clone)]
pub struct Context {
    pub runbooks: Arc<Runbooks>,
    pub metrics: Arc<Metrics>,
    pub jobs: JobSender,
    /// How long the incident must be idle before it is released.
    pub idle: Duration,
}

/// Starts the actor thread of `incident`, whose registry entry is `entry`. The caller
/// holds the entry's slot lock and stores the handle in it.
pub fn spawn(
    incident: Incident,
    entry: Arc<Entry>,
    context: Context,
) -> std::io::Result<IncidentHandle> {
    let (requests, inbox) = mpsc::channel(REQUEST_QUEUE);
    let id = incident.state().id.clone();
    entry.set_summary(IncidentSummary::of(&incident));
    // On a store shared with other hubs, hear of their commits. A weak sender: the
    // follower must not keep the actor's inbox open once the hub lets go of it.
    let weak = requests.downgrade();
    let notify = Box::new(move |committed| {
        if let Some(requests) = weak.upgrade() {
            // A full inbox drops it: the next batch then shows a gap and the log is read.
            let _ = requests.try_send(Request::Follow(committed));
        }
    });
    let following = match incident.follow(notify) {
        Ok(following) => following,
        Err(error) => {
            tracing::warn!(incident = %id, %error, "cannot follow the incident: other hubs' events arrive when it is next opened or written");
            None
        }
    };
    let mut actor = Actor::new(incident, entry, context);
    actor._following = following;
    let thread = std::thread::Builder::new()
        .name(format!("incident-{id}"))
        .spawn(move || actor.run(inbox))?;
    Ok(IncidentHandle { requests, thread })
}

/// Sends `jobs` of incident `id` to the runner, each counted in flight before it is
/// sent, so the incident is not released while the runner still has to record what
/// became of it.
pub fn hand_over(sender: &JobSender, entry: &Entry, id: &str, jobs: Vec<effects::Job>) {
    for job in jobs {
        let queued = Queued {
            job,
            in_flight: InFlight::new(entry.in_flight_counter()),
        };
        if sender.send(queued).is_err() {
            // The runner has stopped (the hub is shutting down): the run or delivery
            // stays pending and is settled at the next start (a chat entry is caught
            // up when the incident is next opened).
            tracing::warn!(incident = %id, "the runner has stopped; its work waits for the next start");
        }
    }
}

/// Counts live actors for `/health` and `/metrics`, however an actor ends.
struct LiveGauge(Arc<Metrics>);

impl LiveGauge {
    fn new(metrics: Arc<Metrics>) -> LiveGauge {
        metrics.live_incidents.fetch_add(1, Ordering::Relaxed);
        metrics.incidents_opened.fetch_add(1, Ordering::Relaxed);
        LiveGauge(metrics)
    }
}

impl Drop for LiveGauge {
    fn drop(&mut self) {
        self.0.live_incidents.fetch_sub(1, Ordering::Relaxed);
    }
}

struct Actor {
    id: String,
    incident: Incident,
    live: broadcast::Sender<Broadcast>,
    entry: Arc<Entry>,
    context: Context,
    /// When the last request other than an idle check arrived.
    last_request: Instant,
    _gauge: LiveGauge,
    /// While held, other hubs' commits to this incident arrive as [`Request::Follow`].
    _following: Option<crate::store::Following>,
    /// The last seq sent to subscribers: events go out in seq order with no gap
    /// ([`Actor::send_events`]).
    sent_to: u64,
}

impl Actor {
    fn new(incident: Incident, entry: Arc<Entry>, context: Context) -> Actor {
        let id = incident.state().id.clone();
        let (live, _) = broadcast::channel(SUBSCRIBER_QUEUE);
        Actor {
            id,
            live,
            entry,
            _gauge: LiveGauge::new(context.metrics.clone()),
            context,
            last_request: Instant::now(),
            _following: None,
            sent_to: incident.state().seq,
            incident,
        }
    }

    /// Nobody follows the incident, nothing of it is in flight, and nothing was asked
    /// of it for the idle time.
    fn idle(&self) -> bool {
        self.last_request.elapsed() >= self.context.idle
            && self.live.receiver_count() == 0
            && self.entry.in_flight() == 0
    }

    fn run(mut self, mut inbox: mpsc::Receiver<Request>) {
        // What a previous hub (or this one, before a release) left out of the chat
        // thread goes out before anything new.
        if let Some(job) = crate::hub::chat::catch_up(&self.incident) {
            let jobs = vec![effects::Job::Mirror(job)];
            hand_over(&self.context.jobs, &self.entry, &self.id, jobs);
        }
        // Ends when every sender is gone (the hub is stopping) or on release.
        while let Some(first) = inbox.blocking_recv() {
            if matches!(first, Request::IdleCheck) {
                // A safety net for the follower (a core subscription is at-most-once: a
                // notification can be lost in a reconnect): now and then, look at where
                // the log ends. Free on the file store, whose handle is its only writer.
                self.catch_up();
                if self.idle() {
                    let entry = self.entry.clone();
                    // Openers take this lock before they look at the slot, so while it
                    // is held no request can reach a new actor for this incident.
                    let mut slot = entry.slot.blocking_lock();
                    if inbox.is_empty() && self.idle() {
                        // Refuse new requests; one sent between the check above and
                        // here is dropped unanswered: its sender opens the incident
                        // again once the slot says closed.
                        inbox.close();
                        while inbox.try_recv().is_ok() {}
                        let id = std::mem::take(&mut self.id);
                        let metrics = self.context.metrics.clone();
                        drop(self); // closes the log file before anyone can reopen it
                        metrics.incidents_released.fetch_add(1, Ordering::Relaxed);
                        *slot = Slot::Closed;
                        tracing::debug!(incident = %id, "released an idle incident");
                        return;
                    }
                }
                continue;
            }
            // Hearing of commits is not use: an incident only others write is released.
            if !matches!(first, Request::Follow(_)) {
                self.last_request = Instant::now();
            }
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match inbox.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            self.handle(batch);
        }
    }

    fn handle(&mut self, batch: Vec<Request>) {
        let mut submissions = Vec::new();
        let mut replies = Vec::new();
        let mut subscribers = Vec::new();
        let mut followed = Vec::new();
        for request in batch {
            match request {
                Request::Command { submission, reply } => {
                    submissions.push(submission);
                    replies.push(reply);
                }
                Request::Subscribe {
                    since_seq,
                    snapshot,
                    reply,
                } => subscribers.push((since_seq, snapshot, reply)),
                Request::Read(read) => read(&self.incident),
                Request::IdleCheck => {}
                Request::Follow(committed) => followed.push(committed),
                Request::Presence { here } => {
                    let frame = crate::protocol::HubFrame::Presence {
                        incident: self.id.clone(),
                        here,
                    };
                    if let Ok(text) = serde_json::to_string(&frame) {
                        let _ = self.live.send(Broadcast {
                            frame: Arc::from(text),
                            seq: 0,
                            committed: Instant::now(),
                        });
                    }
                }
            }
        }
        self.follow(followed);
        if !submissions.is_empty() {
            self.commit(&submissions, replies);
        }
        if !subscribers.is_empty() {
            self.send_missing();
        }
        for (since_seq, snapshot, reply) in subscribers {
            // Up to what was sent: whatever comes after reaches them live, in order.
            let to_seq = self.sent_to;
            let head = match self.incident.hash_at(to_seq) {
                Ok(head) => head,
                Err(error) => {
                    // Dropping the reply answers the subscriber "unavailable".
                    tracing::warn!(incident = %self.id, %error, "could not read the head to subscribe from");
                    continue;
                }
            };
            let whole = self.incident.in_step() && self.incident.state().seq == to_seq;
            let snapshot = (snapshot && since_seq == 0 && whole)
                .then(|| snapshot_frame(&self.id, self.incident.state()))
                .flatten();
            let from_seq = if snapshot.is_some() {
                to_seq + 1
            } else {
                since_seq.min(to_seq) + 1
            };
            let _ = reply.send(Subscription {
                backlog: self.incident.view(),
                snapshot,
                from_seq,
                to_seq,
                head,
                live: self.live.subscribe(),
            });
        }
    }

    /// Applies and broadcasts the batches other hubs committed (their runs and
    /// deliveries are those hubs' to start): each that continues the head as it is, in
    /// order; if any is left beyond the head (a batch was missed, or did not chain), the
    /// log is read up to where it ends.
    fn follow(&mut self, mut followed: Vec<crate::store::Committed>) {
        if followed.is_empty() {
            return;
        }
        followed.sort_by_key(|c| c.first());
        let mut behind = false;
        for committed in &followed {
            let seq = self.incident.state().seq;
            if committed.last() <= seq {
                continue; // this hub's own, or already read
            }
            match self.incident.follow_batch(committed) {
                Some(jsons) => {
                    self.context
                        .metrics
                        .followed_batches
                        .fetch_add(1, Ordering::Relaxed);
                    self.send_events(seq + 1, &jsons, Instant::now());
                    self.entry.set_summary(IncidentSummary::of(&self.incident));
                }
                None => behind = true,
            }
        }
        if behind {
            self.catch_up();
        }
    }

    /// Reads, applies and broadcasts the events another hub committed after this
    /// incident's head.
    fn catch_up(&mut self) {
        let first_new = self.incident.state().seq + 1;
        match self.incident.catch_up() {
            Ok(caught_up) if !caught_up.is_empty() => {
                self.context
                    .metrics
                    .followed_reads
                    .fetch_add(1, Ordering::Relaxed);
                self.send_events(first_new, &caught_up, Instant::now());
                self.entry.set_summary(IncidentSummary::of(&self.incident));
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(incident = %self.id, %error, "could not read what another hub committed; it arrives with the next write");
            }
        }
    }

    /// Sends events `first..` (their stored JSON, in seq order) to this hub's
    /// subscribers, so that what they receive has no gap and no repeat: what was sent
    /// already is skipped, and events the state took in without handing them out (a
    /// rebuild after a failed write or read, another hub's events among them) are read
    /// from the log and sent first. If they cannot be read now, nothing is sent: the
    /// next call tries again, and subscribers wait rather than see a hole.
    fn send_events(&mut self, first: u64, jsons: &[Arc<str>], committed: Instant) {
        let skip = usize::try_from((self.sent_to + 1).saturating_sub(first)).unwrap_or(usize::MAX);
        let (first, jsons) = (
            first.max(self.sent_to + 1),
            jsons.get(skip..).unwrap_or(&[]),
        );
        let gap = if first > self.sent_to + 1 {
            match self.incident.stored_json(self.sent_to + 1, first - 1) {
                Ok(gap) => gap,
                Err(error) => {
                    tracing::warn!(incident = %self.id, %error, "could not read events to send them in order; subscribers get them with the next batch");
                    return;
                }
            }
        } else {
            Vec::new()
        };
        let from = self.sent_to + 1;
        for (seq, json) in (from..).zip(gap.iter().chain(jsons)) {
            // No subscribers is fine: later ones read the backlog from the log.
            let _ = self.live.send(Broadcast {
                frame: event_frame(&self.id, json),
                seq,
                committed,
            });
            self.sent_to = seq;
        }
    }

    /// After a failed write: sends what the state took in from the log meanwhile
    /// (another hub's events read while deciding again), if the state is the log's.
    fn send_missing(&mut self) {
        let seq = self.incident.state().seq;
        if self.incident.in_step() && seq > self.sent_to {
            self.send_events(seq + 1, &[], Instant::now());
        }
    }

    fn commit(&mut self, submissions: &[Submission], replies: Vec<oneshot::Sender<CommandReply>>) {
        let started = Instant::now();
        match self
            .incident
            .execute(submissions, Utc::now(), &self.context.runbooks)
        {
            Ok(committed) => {
                let committed_at = Instant::now();
                let metrics = &self.context.metrics;
                if !committed.event_json.is_empty() {
                    metrics.fsync.observe(committed_at - started);
                }
                if !committed.append_time.is_zero() {
                    metrics.store_append.observe(committed.append_time);
                }
                metrics
                    .store_conflicts
                    .fetch_add(u64::from(committed.conflicts), Ordering::Relaxed);
                self.context
                    .metrics
                    .events_appended
                    .fetch_add(committed.event_json.len() as u64, Ordering::Relaxed);
                // They end at the state's seq (another writer's events first, if the
                // batch was decided again).
                let first = (self.incident.state().seq + 1)
                    .saturating_sub(committed.event_json.len() as u64);
                self.send_events(first, &committed.event_json, committed_at);
                let applied = committed.outcomes.iter().flat_map(|outcome| match outcome {
                    Outcome::Applied(events) => events.as_slice(),
                    _ => &[],
                });
                let jobs = effects::jobs_for(&self.incident, applied);
                hand_over(&self.context.jobs, &self.entry, &self.id, jobs);
                // Before the answers, so whoever reads the summary after an ack (a
                // `list`, the registry's announcements) sees this batch.
                self.entry.set_summary(IncidentSummary::of(&self.incident));
                for (outcome, reply) in committed.outcomes.into_iter().zip(replies) {
                    let answer = match outcome {
                        Outcome::Applied(events) => {
                            self.context
                                .metrics
                                .commands_accepted
                                .fetch_add(1, Ordering::Relaxed);
                            CommandReply::Applied {
                                seq: events.last().map_or(0, |e| e.seq),
                            }
                        }
                        Outcome::Duplicate { last_seq } => {
                            CommandReply::Duplicate { seq: last_seq }
                        }
                        Outcome::Rejected(rejection) => CommandReply::Rejected(rejection),
                    };
                    let _ = reply.send(answer);
                }
            }
            Err(error) => {
                tracing::error!(incident = %self.id, %error, "could not write the event log; the batch was not applied");
                for reply in replies {
                    let _ = reply.send(CommandReply::StorageFailed(error.to_string()));
                }
                self.send_missing();
            }
        }
    }
}
