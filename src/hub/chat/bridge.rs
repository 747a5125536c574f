//! The bridge's queues and workers. Each incident has a queue of entries not yet in its
//! thread and at most one worker task posting them, so an incident's entries go out in
//! seq order; a seq already queued or posted is never queued again (a catch-up can
//! repeat what a live job brought). Every post waits for the hub-wide rate limit
//! (`posts_per_minute`, evenly spaced); whatever piled up meanwhile goes out as one
//! message. A 429 is waited out (`Retry-After`, bounded) and the same message sent
//! again; other transient failures are retried with back-off a few times; then, or at
//! once for a failure no retry fixes (`invalid_auth`, `channel_not_found`), the worker
//! gives up for now: the failure goes on the incident's timeline (once: `decide`
//! refuses the same failure twice in a row), the entries stay queued, and the next
//! entry committed to the incident tries again.

use super::message;
use super::slack::{self, Posted, SlackApi};
use super::{Headline, MirrorEntry, MirrorJob, SLACK};
use crate::engine::Submission;
use crate::hub::config::SlackConfig;
use crate::hub::effects::InFlight;
use crate::hub::effects::Outcomes;
use crate::hub::metrics::Metrics;
use crate::hub::reply::CommandReply;
use crate::incident::decide_effects::RUNNER;
use crate::incident::{Actor, Command, Role};
use governor::{DefaultDirectRateLimiter, Quota};
use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinSet;

/// Attempts of one message when it fails transiently (429s are counted apart).
const MAX_ATTEMPTS: u32 = 4;
/// 429s one message may get before the worker gives up for now.
const MAX_RATE_LIMITED: u32 = 5;
/// Entries one incident may have waiting for its thread. While Slack refuses for long,
/// the oldest beyond this are let go (the thread then says how many it is missing: the
/// timeline has every one), so a long outage cannot grow the hub's memory.
const MAX_QUEUED: usize = 1_000;

/// The pause before transient retry `n` (1, 2, 3): 1 s, 2 s, 4 s.
fn back_off(n: u32) -> Duration {
    Duration::from_secs(1 << n.saturating_sub(1).min(5))
}

/// The Slack bridge: give it jobs in the order incidents commit them.
pub struct Bridge {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Arc<dyn Outcomes>,
    metrics: Arc<Metrics>,
    /// `Err` when no HTTP client could be built: every post fails with this reason.
    client: Result<reqwest::Client, String>,
    api: SlackApi,
    /// Where new threads start (`[slack] channel`).
    channel: String,
    limiter: DefaultDirectRateLimiter,
    queues: Mutex<HashMap<String, Queue>>,
}

/// One incident's entries on their way to its thread.
struct Queue {
    thread: Option<(String, String)>,
    /// The newest seq queued or posted: anything at or before it is not queued again.
    queued: u64,
    headline: Headline,
    entries: VecDeque<MirrorEntry>,
    /// Entries let go (over [`MAX_QUEUED`]) that the thread has not been told of yet.
    skipped: u64,
    /// Keeps the incident open while its entries are being posted: one is enough, so a
    /// busy incident whose thread is stuck does not pile up one per commit.
    hold: Option<InFlight>,
    /// A worker is posting this queue.
    working: bool,
}

impl Queue {
    /// Queues the entries not queued or posted before; whether any was. Beyond
    /// [`MAX_QUEUED`] the oldest are let go and counted.
    fn push(&mut self, entries: Vec<MirrorEntry>) -> bool {
        let mut added = false;
        for entry in entries {
            if entry.seq > self.queued {
                self.queued = entry.seq;
                self.entries.push_back(entry);
                added = true;
            }
        }
        while self.entries.len() > MAX_QUEUED && self.entries.pop_front().is_some() {
            self.skipped += 1;
        }
        added
    }

    /// The next message: its text (first saying how many entries were let go, if
    /// any), the seq of its last entry, and how many let-go entries it owns up to.
    fn message(&self) -> Option<(String, u64, u64)> {
        let (taken, text) = message::batch(&self.entries);
        let last = self.entries.get(taken.checked_sub(1)?)?.seq;
        let text = match self.skipped {
            0 => text,
            n => format!(
                "… {n} earlier {} not posted here while Slack refused (the incident's timeline has {})\n{text}",
                if n == 1 { "entry was" } else { "entries were" },
                if n == 1 { "it" } else { "every one" }
            ),
        };
        Some((text, last, self.skipped))
    }

    /// The message ending at `last`, owning up to `skipped`, is in the thread.
    fn posted(&mut self, last: u64, skipped: u64) {
        self.skipped = self.skipped.saturating_sub(skipped);
        while self.entries.front().is_some_and(|e| e.seq <= last) {
            self.entries.pop_front();
        }
    }
}

impl Bridge {
    /// The bridge `[slack]` asks for, if it names a bot token and a channel.
    pub fn new(config: &SlackConfig, registry: Arc<dyn Outcomes>) -> Option<Bridge> {
        let (Some(token), Some(channel)) = (&config.bot_token, &config.channel) else {
            return None;
        };
        // No redirects: the bearer token must never follow one to another host.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("the hub cannot make HTTP requests: {e}"));
        let per_minute = NonZeroU32::new(config.posts_per_minute).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(NonZeroU32::MIN);
        let metrics = registry.metrics();
        Some(Bridge {
            inner: Arc::new(Inner {
                registry,
                metrics,
                client,
                api: SlackApi {
                    url: format!("{}/chat.postMessage", config.api_url.trim_end_matches('/')),
                    token: token.clone(),
                },
                channel: channel.clone(),
                limiter: DefaultDirectRateLimiter::direct(quota),
                queues: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Queues `job`'s new entries and starts the incident's worker (in `running`, so a
    /// stopping hub drains it) if none is posting and something new came.
    pub fn enqueue(&self, job: MirrorJob, hold: InFlight, running: &mut JoinSet<()>) {
        let Ok(mut queues) = self.inner.queues.lock() else {
            return;
        };
        let queue = queues.entry(job.incident.clone()).or_insert_with(|| Queue {
            thread: None,
            queued: 0,
            headline: job.headline.clone(),
            entries: VecDeque::new(),
            skipped: 0,
            hold: None,
            working: false,
        });
        if queue.thread.is_none() {
            queue.thread = job.thread;
        }
        queue.headline = job.headline;
        queue.queued = queue.queued.max(job.through);
        if !queue.push(job.entries) {
            if queue.entries.is_empty() && !queue.working {
                queues.remove(&job.incident);
            }
            return;
        }
        // A second hold is dropped at once (its count given back): the first keeps the
        // incident open until the queue drains.
        queue.hold.get_or_insert(hold);
        if !queue.working {
            queue.working = true;
            running.spawn(work(self.inner.clone(), job.incident));
        }
    }
}

/// What the worker posts next: the thread (if started), the headline, and a message
/// of the first entries with the seq of its last one.
struct Next {
    thread: Option<(String, String)>,
    headline: Headline,
    text: String,
    last: u64,
    /// How many let-go entries its text owns up to.
    skipped: u64,
}

impl Inner {
    /// The next message, or `None` (and the worker stops) when the queue is empty.
    fn next(&self, incident: &str) -> Option<Next> {
        let mut queues = self.queues.lock().ok()?;
        let queue = queues.get_mut(incident)?;
        let Some((text, last, skipped)) = queue.message() else {
            // Empty: the worker stops, and the next entry starts another.
            queues.remove(incident);
            return None;
        };
        Some(Next {
            thread: queue.thread.clone(),
            headline: queue.headline.clone(),
            text,
            last,
            skipped,
        })
    }

    /// Everything up to `last` is in the thread.
    fn posted(&self, incident: &str, last: u64, skipped: u64) {
        if let Ok(mut queues) = self.queues.lock()
            && let Some(queue) = queues.get_mut(incident)
        {
            queue.posted(last, skipped);
            if queue.entries.is_empty() {
                queue.hold = None;
            }
        }
    }

    fn stop_working(&self, incident: &str) {
        if let Ok(mut queues) = self.queues.lock()
            && let Some(queue) = queues.get_mut(incident)
        {
            queue.working = false;
            queue.hold = None;
            if queue.entries.is_empty() {
                queues.remove(incident);
            }
        }
    }

    fn set_thread(&self, incident: &str, thread: (String, String)) {
        if let Ok(mut queues) = self.queues.lock()
            && let Some(queue) = queues.get_mut(incident)
        {
            queue.thread = Some(thread);
        }
    }

    async fn record(&self, incident: &str, command: Command, id: Option<String>) {
        let submission = Submission {
            actor: Actor::new(RUNNER, [Role::Responder]),
            command,
            command_id: id,
        };
        match self.registry.submit(incident, submission).await {
            CommandReply::Applied { .. } | CommandReply::Duplicate { .. } => {}
            // The same failure again, or a marker already passed: nothing to record.
            CommandReply::Rejected(rejection)
                if rejection.code == crate::incident::RejectCode::Unchanged => {}
            other => {
                tracing::error!(%incident, reply = ?other, "the slack bridge could not record its progress");
            }
        }
    }

    /// One message, retried as the module doc says: its `ts`, or why it gave up
    /// (metrics label, detail).
    async fn send(
        &self,
        channel: &str,
        thread: Option<&str>,
        text: &str,
    ) -> Result<String, (&'static str, String)> {
        let client = match &self.client {
            Ok(client) => client,
            Err(reason) => return Err(("no_client", reason.clone())),
        };
        let (mut failures, mut rate_limited) = (0, 0);
        loop {
            let pause = match slack::post(client, &self.api, channel, thread, text).await {
                Posted::Ok(ts) => {
                    self.metrics.bridge.posted(SLACK);
                    return Ok(ts);
                }
                Posted::Fatal { label, detail } => return Err((label, detail)),
                Posted::RateLimited(wait) => {
                    rate_limited += 1;
                    if rate_limited > MAX_RATE_LIMITED {
                        let detail = "Slack kept answering 429 (rate limited)".to_string();
                        return Err(("rate_limited", detail));
                    }
                    self.metrics.bridge.failed(SLACK, "rate_limited");
                    wait
                }
                Posted::Transient { label, detail } => {
                    failures += 1;
                    if failures >= MAX_ATTEMPTS {
                        return Err((label, format!("after {failures} attempts: {detail}")));
                    }
                    self.metrics.bridge.failed(SLACK, label);
                    back_off(failures)
                }
            };
            tracing::debug!(wait = ?pause, "the slack bridge sends a message again");
            tokio::time::sleep(pause).await;
            self.limiter.until_ready().await;
        }
    }

    /// Records why the incident's worker stops for now, then counts it.
    async fn give_up(&self, incident: &str, label: &'static str, detail: String) {
        tracing::warn!(%incident, error = %detail, "the slack bridge gives up for now; the next entry tries again");
        let command = Command::RecordChatFailure {
            chat: SLACK.to_string(),
            error: detail,
        };
        self.record(incident, command, None).await;
        self.stop_working(incident);
        // Last, so whoever sees the count also finds the timeline line, and an entry
        // committed after it starts a new worker.
        self.metrics.bridge.failed(SLACK, label);
    }
}

/// Posts `incident`'s queue until it is empty or the bridge gives up for now.
async fn work(inner: Arc<Inner>, incident: String) {
    loop {
        inner.limiter.until_ready().await;
        let Some(next) = inner.next(&incident) else {
            return;
        };
        let Some((channel, ts)) = next.thread else {
            let root = message::root(&incident, &next.headline);
            match inner.send(&inner.channel, None, &root).await {
                Ok(ts) => {
                    let thread = (inner.channel.clone(), ts);
                    let command = Command::RecordChatThread {
                        chat: SLACK.to_string(),
                        channel: thread.0.clone(),
                        ts: thread.1.clone(),
                    };
                    inner.record(&incident, command, None).await;
                    inner.set_thread(&incident, thread);
                    // The entries wait for the next slot of the rate limit.
                    continue;
                }
                Err((label, detail)) => return inner.give_up(&incident, label, detail).await,
            }
        };
        match inner.send(&channel, Some(&ts), &next.text).await {
            Ok(_) => {
                let command = Command::RecordChatMirrored {
                    chat: SLACK.to_string(),
                    through: next.last,
                };
                let id = format!("chat:{SLACK}:through:{}", next.last);
                inner.record(&incident, command, Some(id)).await;
                inner.posted(&incident, next.last, next.skipped);
            }
            Err((label, detail)) => return inner.give_up(&incident, label, detail).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64) -> MirrorEntry {
        MirrorEntry {
            seq,
            at: chrono::DateTime::UNIX_EPOCH,
            actor: "alice".into(),
            text: format!("note {seq}"),
        }
    }

    #[test]
    fn a_queue_lets_go_of_its_oldest_beyond_the_cap_and_the_thread_is_told() {
        let mut queue = Queue {
            thread: None,
            queued: 0,
            headline: Headline {
                title: "t".into(),
                severity: None,
                status: crate::incident::Status::Investigating,
            },
            entries: VecDeque::new(),
            skipped: 0,
            hold: None,
            working: false,
        };
        let total = MAX_QUEUED as u64 + 250;
        assert!(queue.push((1..=total).map(entry).collect()));
        assert_eq!(queue.entries.len(), MAX_QUEUED, "bounded");
        assert_eq!(queue.skipped, 250);
        assert!(!queue.push(vec![entry(3)]), "seen already");
        let (text, last, skipped) = queue.message().expect("a message");
        assert!(
            text.starts_with("… 250 earlier entries were not posted here while Slack refused"),
            "{text}"
        );
        assert!(
            text.contains("note 251"),
            "the oldest kept comes next: {text}"
        );
        assert_eq!(skipped, 250);
        queue.posted(last, skipped);
        assert_eq!(queue.skipped, 0, "told once");
        let (text, ..) = queue.message().expect("more");
        assert!(!text.starts_with('…'), "{text}");
    }

    #[test]
    fn back_off_grows_and_is_bounded() {
        assert_eq!(back_off(1), Duration::from_secs(1));
        assert_eq!(back_off(3), Duration::from_secs(4));
        assert_eq!(back_off(40), Duration::from_secs(32));
    }
}
