//! The hub's own numbers, exposed at `/metrics` in Prometheus text format: lock-free
//! counters and fixed-bucket histograms, no dependency.

use crate::protocol::RejectReason;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, duration: Duration) {
        let secs = duration.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b)
            && let Some(bucket) = self.counts.get(i)
        {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "{name}_bucket{{le=\"+Inf\"}} {count}\n{name}_sum {sum}\n{name}_count {count}"
        );
    }
}

const REASONS: [RejectReason; 11] = [
    RejectReason::Forbidden,
    RejectReason::NotFound,
    RejectReason::Invalid,
    RejectReason::TooLarge,
    RejectReason::Unchanged,
    RejectReason::NoIncident,
    RejectReason::AlreadyExists,
    RejectReason::Malformed,
    RejectReason::RateLimited,
    RejectReason::StorageFailed,
    RejectReason::ShuttingDown,
];

#[derive(Debug, Default)]
pub struct Metrics {
    pub connections: AtomicI64,
    /// Incidents with a live actor (a thread and an open log); the rest are released.
    pub live_incidents: AtomicI64,
    /// Incident actors started (declared, or opened again after a release) and released.
    pub incidents_opened: AtomicU64,
    pub incidents_released: AtomicU64,
    pub commands_accepted: AtomicU64,
    rejected: [AtomicU64; REASONS.len()],
    pub events_appended: AtomicU64,
    pub auth_failures: AtomicU64,
    pub slow_clients_dropped: AtomicU64,
    pub alerts_received: AtomicU64,
    /// Alert intake (hub::intake): deliveries accepted and refused, by source.
    pub intake: IntakeCounters,
    /// Chat slash commands (hub::chat_in): answered by source and subcommand, refused
    /// by source and reason.
    pub chat: ChatCounters,
    /// The chat bridge (hub::chat): messages posted and failures, by chat.
    pub bridge: BridgeCounters,
    /// Append + fsync of one batch.
    pub fsync: Histogram,
    /// From an event's commit to its frame being written to one subscriber.
    pub fanout: Histogram,
    /// The store's appends of one batch (a file's write and fsync, or a JetStream
    /// publish acknowledged by a quorum), without deciding, snapshots or summaries.
    pub store_append: Histogram,
    /// Appends that lost the race to another hub on a shared store and were decided
    /// again (the engine's `Committed::conflicts`).
    pub store_conflicts: AtomicU64,
    /// Batches another hub committed, taken as it announced them (no read).
    pub followed_batches: AtomicU64,
    /// Times an incident read the shared log to catch up with other hubs (a missed
    /// or out-of-order announcement, or the periodic look at where the log ends).
    pub followed_reads: AtomicU64,
    // ---- Connection admission (hub::admission, hub::server) ----
    /// Open client sockets of every kind (HTTP and WebSocket, authenticated or not).
    pub sockets: AtomicI64,
    /// Connections refused at accept because a cap was reached and nothing could go.
    pub connections_refused: AtomicU64,
    /// Idle unauthenticated connections closed to make room for a new one.
    pub connections_evicted: AtomicU64,
    /// Connections closed for not sending a request head or a `hello` in time.
    pub connections_timed_out: AtomicU64,
}

/// Counters by source (`alertmanager`, `pagerduty`, `grafana`, `intake/<name>`) and
/// reason. Sources come from the hub's routes and configuration, reasons are constants
/// (`unknown` stands for an intake name nobody configured), so the series are bounded.
#[derive(Debug, Default)]
pub struct IntakeCounters {
    accepted: Mutex<BTreeMap<String, u64>>,
    refused: Mutex<BTreeMap<(String, &'static str), u64>>,
}

impl IntakeCounters {
    pub fn accepted(&self, source: &str) {
        if let Ok(mut map) = self.accepted.lock() {
            *map.entry(source.to_string()).or_insert(0) += 1;
        }
    }

    pub fn refused(&self, source: &str, reason: &'static str) {
        if let Ok(mut map) = self.refused.lock() {
            *map.entry((source.to_string(), reason)).or_insert(0) += 1;
        }
    }

    fn render(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP warroom_intake_accepted_total Alert deliveries written to an incident, by source.\n# TYPE warroom_intake_accepted_total counter"
        );
        if let Ok(map) = self.accepted.lock() {
            for (source, count) in map.iter() {
                let _ = writeln!(
                    out,
                    "warroom_intake_accepted_total{{source=\"{source}\"}} {count}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP warroom_intake_refused_total Alert deliveries refused (nothing written), by source and reason.\n# TYPE warroom_intake_refused_total counter"
        );
        if let Ok(map) = self.refused.lock() {
            for ((source, reason), count) in map.iter() {
                let _ = writeln!(
                    out,
                    "warroom_intake_refused_total{{source=\"{source}\",reason=\"{reason}\"}} {count}"
                );
            }
        }
    }
}

/// Slash commands from chat (`slack`, `mattermost`): those answered, by subcommand
/// (`note`, `status`, `ack`, `help`), and those refused, by reason. Sources,
/// subcommands and reasons are constants, so the series are bounded.
#[derive(Debug, Default)]
pub struct ChatCounters {
    answered: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    refused: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
}

impl ChatCounters {
    pub fn answered(&self, source: &'static str, command: &'static str) {
        if let Ok(mut map) = self.answered.lock() {
            *map.entry((source, command)).or_insert(0) += 1;
        }
    }

    pub fn refused(&self, source: &'static str, reason: &'static str) {
        if let Ok(mut map) = self.refused.lock() {
            *map.entry((source, reason)).or_insert(0) += 1;
        }
    }

    fn render(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP warroom_chat_commands_total Chat slash commands carried out (a note or acknowledgement written, a status or help shown), by source and subcommand.\n# TYPE warroom_chat_commands_total counter"
        );
        if let Ok(map) = self.answered.lock() {
            for ((source, command), count) in map.iter() {
                let _ = writeln!(
                    out,
                    "warroom_chat_commands_total{{source=\"{source}\",command=\"{command}\"}} {count}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP warroom_chat_refused_total Chat slash commands refused (nothing written), by source and reason.\n# TYPE warroom_chat_refused_total counter"
        );
        if let Ok(map) = self.refused.lock() {
            for ((source, reason), count) in map.iter() {
                let _ = writeln!(
                    out,
                    "warroom_chat_refused_total{{source=\"{source}\",reason=\"{reason}\"}} {count}"
                );
            }
        }
    }
}

/// Messages a chat bridge posted, and its failures by error. Errors are labels from a
/// fixed list in `hub::chat::slack` (`other` for the rest), so the series are bounded.
#[derive(Debug, Default)]
pub struct BridgeCounters {
    posted: Mutex<BTreeMap<&'static str, u64>>,
    failed: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
}

impl BridgeCounters {
    pub fn posted(&self, chat: &'static str) {
        if let Ok(mut map) = self.posted.lock() {
            *map.entry(chat).or_insert(0) += 1;
        }
    }

    pub fn failed(&self, chat: &'static str, error: &'static str) {
        if let Ok(mut map) = self.failed.lock() {
            *map.entry((chat, error)).or_insert(0) += 1;
        }
    }

    fn render(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP warroom_chat_posts_total Messages the chat bridge posted, by chat.\n# TYPE warroom_chat_posts_total counter"
        );
        if let Ok(map) = self.posted.lock() {
            for (chat, count) in map.iter() {
                let _ = writeln!(out, "warroom_chat_posts_total{{chat=\"{chat}\"}} {count}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP warroom_chat_failures_total Chat posts that failed, by chat and error (retried ones too).\n# TYPE warroom_chat_failures_total counter"
        );
        if let Ok(map) = self.failed.lock() {
            for ((chat, error), count) in map.iter() {
                let _ = writeln!(
                    out,
                    "warroom_chat_failures_total{{chat=\"{chat}\",error=\"{error}\"}} {count}"
                );
            }
        }
    }
}

impl Metrics {
    pub fn rejected(&self, reason: RejectReason) {
        if let Some(i) = REASONS.iter().position(|r| *r == reason)
            && let Some(counter) = self.rejected.get(i)
        {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn render(&self, incidents: usize, quarantined: usize) -> String {
        let mut out = String::with_capacity(4096);
        let gauge = |out: &mut String, name: &str, help: &str, value: i64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        };
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        gauge(
            &mut out,
            "warroom_connections",
            "Open WebSocket connections.",
            self.connections.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "warroom_incidents",
            "Incidents the hub holds.",
            i64::try_from(incidents).unwrap_or(i64::MAX),
        );
        gauge(
            &mut out,
            "warroom_incidents_live",
            "Incidents open in memory (an actor thread and an open log); idle ones are released.",
            self.live_incidents.load(Ordering::Relaxed),
        );
        gauge(
            &mut out,
            "warroom_incidents_quarantined",
            "Incidents not served because their log failed verification (see /health).",
            i64::try_from(quarantined).unwrap_or(i64::MAX),
        );
        counter(
            &mut out,
            "warroom_incidents_opened_total",
            "Incidents brought into memory (declared, or opened on demand after a release).",
            self.incidents_opened.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "warroom_incidents_released_total",
            "Idle incidents released from memory (thread ended, log closed).",
            self.incidents_released.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "warroom_commands_accepted_total",
            "Commands applied.",
            self.commands_accepted.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP warroom_commands_rejected_total Commands and frames refused, by reason.\n# TYPE warroom_commands_rejected_total counter"
        );
        for (reason, count) in REASONS.iter().zip(&self.rejected) {
            let _ = writeln!(
                out,
                "warroom_commands_rejected_total{{reason=\"{}\"}} {}",
                reason.id(),
                count.load(Ordering::Relaxed)
            );
        }
        counter(
            &mut out,
            "warroom_events_appended_total",
            "Events written and fsync'd.",
            self.events_appended.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "warroom_auth_failures_total",
            "Connections and requests with a bad token.",
            self.auth_failures.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "warroom_slow_clients_dropped_total",
            "Connections closed for falling behind.",
            self.slow_clients_dropped.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "warroom_alerts_received_total",
            "Alertmanager notifications accepted.",
            self.alerts_received.load(Ordering::Relaxed),
        );
        self.intake.render(&mut out);
        self.chat.render(&mut out);
        self.bridge.render(&mut out);
        gauge(
            &mut out,
            "warroom_sockets",
            "Open client sockets: HTTP and WebSocket, authenticated or not.",
            self.sockets.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "warroom_connections_refused_total",
            "Connections refused because a connection cap was reached.",
            self.connections_refused.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "warroom_connections_evicted_total",
            "Idle unauthenticated connections closed to make room for new ones.",
            self.connections_evicted.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "warroom_connections_timed_out_total",
            "Connections closed for not sending a request head or a hello in time.",
            self.connections_timed_out.load(Ordering::Relaxed),
        );
        self.fsync.render(
            &mut out,
            "warroom_fsync_seconds",
            "Time to append and fsync one batch of events.",
        );
        self.fanout.render(
            &mut out,
            "warroom_fanout_seconds",
            "Time from an event's commit to its frame being written to a subscriber.",
        );
        self.store_append.render(
            &mut out,
            "warroom_store_append_seconds",
            "Time the store took to append one batch durably (fsync, or a quorum's ack), races lost included.",
        );
        counter(
            &mut out,
            "warroom_store_conflicts_total",
            "Appends that lost the race to another hub on a shared store and were decided again.",
            self.store_conflicts.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP warroom_store_followed_total Other hubs' commits this hub took: announced batches applied as they came, or reads of the shared log to catch up.\n# TYPE warroom_store_followed_total counter\nwarroom_store_followed_total{{how=\"announced\"}} {}\nwarroom_store_followed_total{{how=\"read\"}} {}",
            self.followed_batches.load(Ordering::Relaxed),
            self.followed_reads.load(Ordering::Relaxed),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.rejected(RejectReason::Forbidden);
        m.fsync.observe(Duration::from_micros(300));
        let text = m.render(2, 1);
        assert!(text.contains("warroom_commands_rejected_total{reason=\"forbidden\"} 1"));
        assert!(text.contains("warroom_fsync_seconds_bucket{le=\"0.0005\"} 1"));
        assert!(text.contains("warroom_fsync_seconds_bucket{le=\"0.00025\"} 0"));
        assert!(text.contains("warroom_incidents 2"));
        assert!(text.contains("warroom_incidents_quarantined 1"));
        m.store_append.observe(Duration::from_millis(3));
        m.store_conflicts.fetch_add(2, Ordering::Relaxed);
        let text = m.render(0, 0);
        assert!(text.contains("warroom_store_append_seconds_bucket{le=\"0.005\"} 1"));
        assert!(text.contains("warroom_store_append_seconds_count 1"));
        assert!(text.contains("warroom_store_conflicts_total 2"));
        m.followed_batches.fetch_add(3, Ordering::Relaxed);
        let text = m.render(0, 0);
        assert!(text.contains("warroom_store_followed_total{how=\"announced\"} 3"));
        assert!(text.contains("warroom_store_followed_total{how=\"read\"} 0"));
        m.chat.refused("slack", "bad_signature");
        m.chat.refused("slack", "bad_signature");
        m.chat.answered("mattermost", "note");
        let text = m.render(0, 0);
        assert!(
            text.contains(
                "warroom_chat_refused_total{source=\"slack\",reason=\"bad_signature\"} 2"
            )
        );
        assert!(
            text.contains("warroom_chat_commands_total{source=\"mattermost\",command=\"note\"} 1")
        );
    }
}
