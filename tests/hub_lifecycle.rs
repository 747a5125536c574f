//! The hub in-process (`warroom::hub::start` on 127.0.0.1:0) with small limits: per-token
//! rate limits on declares and alert intake, incidents released when idle and opened
//! again on demand (also while requests race the release), auto-numbering that explicit
//! ids cannot break, and a shutdown that never answers `no_incident` for an incident
//! that exists. Responders: alice and dave (commanders), olga (observer).

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use warroom::engine::DataDir;
use warroom::hub::auth::Authenticator;
use warroom::hub::{HubLimits, HubOptions, RunningHub};
use warroom::incident::{Command, Role};
use warroom::net::{HubClient, NetError};
use warroom::protocol::{ClientFrame, HubFrame, RejectReason};

const ALICE: &str = "tok-alice-commander";
const DAVE: &str = "tok-dave-commander";
const OLGA: &str = "tok-olga-observer";
const LIMIT: Duration = Duration::from_secs(10);
const ALERTS: &str = "/api/v1/alerts/alertmanager";

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    let result = tokio::time::timeout(LIMIT, future).await;
    result.unwrap_or_else(|_| panic!("timed out after {LIMIT:?}: {what}"))
}

fn command(value: Value) -> Command {
    serde_json::from_value(value).expect("a valid command")
}

fn note(text: &str) -> Command {
    command(json!({"type": "add_note", "text": text}))
}

fn declare(id: &str, title: &str) -> Command {
    command(json!({"type": "declare", "id": id, "title": title, "severity": "SEV3"}))
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("not zero")
}

struct Room {
    hub: RunningHub,
    dir: TempDir,
}

impl Room {
    async fn open(limits: HubLimits) -> Room {
        let runbooks = warroom::catalog::embedded().expect("catalog");
        Room::open_with(limits, runbooks).await
    }

    async fn open_with(limits: HubLimits, runbooks: warroom::incident::Runbooks) -> Room {
        let dir = tempfile::tempdir().expect("a temp dir");
        let auth = Authenticator::default()
            .with_token(ALICE, "alice", [Role::Commander])
            .with_token(DAVE, "dave", [Role::Commander])
            .with_token(OLGA, "olga", [Role::Observer]);
        let options = HubOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data: DataDir::new(dir.path()),
            runbooks,
            auth,
            limits,
        };
        let hub = warroom::hub::start(options).await.expect("starts");
        Room { hub, dir }
    }

    async fn client(&self, token: &str, incident: Option<&str>) -> HubClient {
        let url = format!("http://{}", self.hub.addr);
        let connecting = HubClient::connect(&url, token, incident, 0);
        within("connect", connecting).await.expect("connects")
    }

    async fn declare(&self, token: &str, title: &str) -> String {
        let mut client = self.client(token, None).await;
        let declared = within("declare", client.command(None, declare("", title))).await;
        client.close().await;
        declared.expect("declared").0
    }

    /// One HTTP/1.1 request; returns status, lowercased head and body.
    async fn http(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: &str,
    ) -> (u16, String, String) {
        let addr = self.hub.addr;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let exchange = async {
            let mut socket = tokio::net::TcpStream::connect(addr).await?;
            socket.write_all(request.as_bytes()).await?;
            let mut response = String::new();
            socket.read_to_string(&mut response).await.map(|_| response)
        };
        let response = within("an HTTP response", exchange).await.expect("HTTP");
        let (head, body) = response.split_once("\r\n\r\n").expect("headers");
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
        (
            status.expect("a status"),
            head.to_ascii_lowercase(),
            body.to_string(),
        )
    }

    async fn health(&self) -> Value {
        let (status, _, body) = self.http("GET", "/health", OLGA, "").await;
        assert_eq!(status, 200);
        serde_json::from_str(&body).expect("JSON")
    }

    async fn metric(&self, name: &str) -> f64 {
        let (_, _, text) = self.http("GET", "/metrics", OLGA, "").await;
        let value = |line: &str| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok();
        text.lines()
            .find_map(value)
            .unwrap_or_else(|| panic!("{name} in {text}"))
    }

    /// Polls `/health` until `done` holds.
    async fn until(&self, what: &str, done: impl Fn(&Value) -> bool) {
        let polling = async {
            loop {
                if done(&self.health().await) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        within(what, polling).await;
    }
}

/// The incident's events, on a connection of its own (a second `load` on one connection
/// would also collect the first subscription's live events).
async fn load(room: &Room, incident: &str) -> Vec<warroom::incident::Event> {
    let mut client = room.client(OLGA, None).await;
    let events = within("load", client.load(incident)).await.expect("loads");
    client.close().await;
    events
}

fn idle_after(idle: Duration) -> HubLimits {
    HubLimits {
        incident_idle: idle,
        ..HubLimits::default()
    }
}

/// Sends a declare frame with command id `id` and returns the answer to it.
async fn declare_frame(client: &mut HubClient, id: &str, title: &str) -> HubFrame {
    let frame = ClientFrame::Command {
        id: id.to_string(),
        incident: None,
        command: declare("", title),
    };
    client.send(&frame).await.expect("sent");
    loop {
        let frame = within("the answer", client.next()).await.expect("a frame");
        if let HubFrame::Ack { .. } | HubFrame::Reject { .. } = frame {
            return frame;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declares_are_rate_limited_per_token_and_a_resend_still_acks() {
    let limits = HubLimits {
        declares_per_minute: nonzero(1),
        declare_burst: nonzero(3),
        ..HubLimits::default()
    };
    let room = Room::open(limits).await;
    let mut alice = room.client(ALICE, None).await;
    for n in 0..3 {
        let answer = declare_frame(&mut alice, &format!("d{n}"), "Flood").await;
        assert!(matches!(answer, HubFrame::Ack { .. }), "{answer:?}");
    }
    match declare_frame(&mut alice, "d3", "One too many").await {
        HubFrame::Reject {
            code,
            message,
            retry_after_ms,
            ..
        } => {
            assert_eq!(code, RejectReason::RateLimited, "{message}");
            assert!(message.contains("declares per minute"), "{message}");
            let wait = retry_after_ms.expect("a retry hint");
            assert!((1..=60_000).contains(&wait), "{wait}");
        }
        other => panic!("{other:?}"),
    }
    // A re-sent declare that was applied is still acknowledged, as a duplicate.
    match declare_frame(&mut alice, "d0", "Flood").await {
        HubFrame::Ack { duplicate, .. } => assert!(duplicate),
        other => panic!("{other:?}"),
    }
    // Another token has its own bucket.
    let mut dave = room.client(DAVE, None).await;
    let answer = declare_frame(&mut dave, "e0", "Dave's").await;
    assert!(matches!(answer, HubFrame::Ack { .. }), "{answer:?}");
    assert_eq!(room.health().await["incidents"], 4);
    let limited = r#"warroom_commands_rejected_total{reason="rate_limited"}"#;
    assert_eq!(room.metric(limited).await, 1.0);
    alice.close().await;
    dave.close().await;
    within("shutdown", room.hub.shutdown())
        .await
        .expect("stops");
}

fn alert(group: &str) -> String {
    json!({
        "version": "4", "groupKey": group, "status": "firing", "receiver": "warroom",
        "commonLabels": {"alertname": group},
        "alerts": [{"status": "firing", "labels": {"alertname": group}}],
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_intake_is_rate_limited_per_token_with_retry_after() {
    let limits = HubLimits {
        alerts_per_minute: nonzero(1),
        alert_burst: nonzero(2),
        ..HubLimits::default()
    };
    let room = Room::open(limits).await;
    for group in ["g1", "g2"] {
        let (status, _, body) = room.http("POST", ALERTS, ALICE, &alert(group)).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, head, body) = room.http("POST", ALERTS, ALICE, &alert("g3")).await;
    assert_eq!(status, 429, "{body}");
    let retry = head
        .lines()
        .find_map(|l| l.strip_prefix("retry-after: "))
        .and_then(|v| v.trim().parse::<u64>().ok());
    assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "{head}");
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("per minute")),
        "{body}"
    );
    assert!(body["retry_after_ms"].as_u64().is_some(), "{body}");
    let (status, _, body) = room.http("POST", ALERTS, DAVE, &alert("g4")).await;
    assert_eq!(status, 200, "another token has its own bucket: {body}");
    assert_eq!(room.health().await["incidents"], 3, "g3 made no incident");
    within("shutdown", room.hub.shutdown())
        .await
        .expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_incidents_are_released_and_opened_again_on_demand() {
    let room = Room::open(idle_after(Duration::from_millis(150))).await;
    let followed = room.declare(ALICE, "Followed").await;
    let unfollowed = room.declare(ALICE, "Unfollowed").await;
    let mut olga = room.client(OLGA, Some(&followed)).await;
    // The unfollowed one is released; the followed one stays while olga is here.
    room.until("one released", |h| h["live_incidents"] == 1)
        .await;
    assert!(room.metric("warroom_incidents_released_total").await >= 1.0);
    let mut alice = room.client(ALICE, None).await;
    let (_, seq) = within("note", alice.command(Some(&followed), note("live")))
        .await
        .expect("acked");
    let heard = async {
        loop {
            if let HubFrame::Event { event, .. } = olga.next().await.expect("a frame")
                && event.seq == seq
            {
                return;
            }
        }
    };
    within("olga hearing the note", heard).await;
    olga.close().await;
    room.until("both released", |h| h["live_incidents"] == 0)
        .await;

    // Both open again on demand, their history intact and the chain continued.
    for id in [&followed, &unfollowed] {
        let before = load(&room, id).await.len() as u64;
        let (_, seq) = within("note", alice.command(Some(id), note("again")))
            .await
            .expect("acked");
        assert_eq!(seq, before + 1, "{id}");
        let events = load(&room, id).await;
        let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=seq).collect::<Vec<_>>(), "{id}: gapless");
    }
    alice.close().await;
    room.until("released again", |h| h["live_incidents"] == 0)
        .await;
    within("shutdown", room.hub.shutdown())
        .await
        .expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_with_a_run_in_flight_is_not_released() {
    let mut runbooks = warroom::catalog::embedded().expect("catalog");
    let slow = "id = \"slow\"\ntitle = \"Slow\"\ndescription = \"Takes a moment.\"\n\
                roles = [\"commander\"]\nconfirm = true\ntwo_person = false\nidempotent = false\n\
                timeout_seconds = 10\nkind = \"exec\"\nargv = [\"/usr/bin/sleep\", \"0.6\"]\n";
    runbooks.actions = vec![toml::from_str(slow).expect("an action")];
    let room = Room::open_with(idle_after(Duration::ZERO), runbooks).await;
    let incident = room.declare(ALICE, "Slow action").await;
    room.until("released", |h| h["live_incidents"] == 0).await;
    let released = room.metric("warroom_incidents_released_total").await;
    let accepted = room.metric("warroom_commands_accepted_total").await;
    let mut alice = room.client(ALICE, None).await;
    let request = command(json!({"type": "request_action", "action": "slow"}));
    within("request", alice.command(Some(&incident), request))
        .await
        .expect("requested");
    alice.close().await;
    // Request, start and result: until the runner has recorded the outcome, the
    // incident stays open however often the sweeper asks (idle time zero).
    let recorded = async {
        let mut polls = 0;
        loop {
            // Read in this order: if the outcome is not recorded at the second read,
            // it was not at the first either, so no release may have happened yet.
            let live = room.health().await["live_incidents"].clone();
            let so_far = room.metric("warroom_incidents_released_total").await;
            if room.metric("warroom_commands_accepted_total").await >= accepted + 3.0 {
                return polls;
            }
            assert_eq!(live, 1, "open while in flight");
            assert_eq!(so_far, released, "not released while the run is in flight");
            polls += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let polls = within("the outcome", recorded).await;
    assert!(
        polls > 5,
        "watched the run while it was in flight ({polls} looks)"
    );
    room.until("released after", |h| h["live_incidents"] == 0)
        .await;
    let events = load(&room, &incident).await;
    let finished = events.iter().any(|e| {
        matches!(&e.kind, warroom::incident::EventKind::ActionFinished { outcome, .. }
            if format!("{outcome:?}") == "Succeeded")
    });
    assert!(finished, "{:?}", events.last());
    within("shutdown", room.hub.shutdown())
        .await
        .expect("stops");
}

/// Writes notes to `incident` one at a time, each acknowledged, until `stop` is set (or
/// `most` were written); returns their seqs.
async fn write_notes(
    url: String,
    incident: String,
    who: usize,
    most: usize,
    stop: Arc<AtomicBool>,
) -> Vec<u64> {
    let mut seqs = Vec::new();
    let connect = || HubClient::connect(&url, ALICE, None, 0);
    let mut client = connect().await.expect("connects");
    for n in 0..most {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if n % 150 == 149 {
            // Under the per-connection command burst, so no note is rate-limited.
            client.close().await;
            client = connect().await.expect("connects");
        }
        let text = format!("writer {who} note {n}");
        let acked = client.command(Some(&incident), note(&text)).await;
        seqs.push(acked.unwrap_or_else(|e| panic!("{text}: {e}")).1);
        if most > 1000 && n % 8 == 7 {
            // Now and then both writers stand still for longer than the sweep period, so
            // the incident is found idle and released between their commands however
            // fast the machine commits (back to back, its inbox is never empty).
            tokio::time::sleep(Duration::from_millis(45)).await;
        }
    }
    client.close().await;
    seqs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_racing_releases_and_reopens_never_fork_the_log() {
    // Idle time zero: released at every sweep that finds it with nothing queued.
    let room = Room::open(idle_after(Duration::ZERO)).await;
    let incident = room.declare(ALICE, "Racing").await;
    room.until("released", |h| h["live_incidents"] == 0).await;
    let mut seqs = BTreeSet::new();

    // Many at once on a closed incident: one actor opens, every request is served.
    let never = Arc::new(AtomicBool::new(false));
    let url = format!("http://{}", room.hub.addr);
    let mut writers = tokio::task::JoinSet::new();
    for who in 0..4 {
        let (url, id) = (url.clone(), incident.clone());
        writers.spawn(write_notes(url, id, who, 20, never.clone()));
    }
    let mut readers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (id, url) = (incident.clone(), url.clone());
        readers.spawn(async move {
            // A new connection each time: subscribing comes and goes as it would.
            for _ in 0..10 {
                let mut reader = HubClient::connect(&url, OLGA, None, 0)
                    .await
                    .expect("connects");
                let events = reader.load(&id).await.expect("loads");
                let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
                assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
                reader.close().await;
            }
        });
    }
    while let Some(done) = within("the writers", writers.join_next()).await {
        seqs.extend(done.expect("no panic"));
    }
    while let Some(done) = within("the readers", readers.join_next()).await {
        done.expect("every subscriber got a gapless history");
    }
    assert_eq!(seqs.len(), 4 * 20, "every note acknowledged at its own seq");

    // Writers one command at a time: the incident is released between commands and
    // opened again by the next, over and over, while the other writer's requests race it.
    let released_before = room.metric("warroom_incidents_released_total").await;
    let stop = Arc::new(AtomicBool::new(false));
    for who in 4..6 {
        let (url, id) = (url.clone(), incident.clone());
        writers.spawn(write_notes(url, id, who, 5_000, stop.clone()));
    }
    let churn = async {
        while room.metric("warroom_incidents_released_total").await < released_before + 5.0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    within("five releases while in use", churn).await;
    stop.store(true, Ordering::Relaxed);
    let mut written = 0;
    while let Some(done) = within("the writers", writers.join_next()).await {
        let done = done.expect("no panic");
        written += done.len();
        seqs.extend(done);
    }
    assert_eq!(
        seqs.len(),
        4 * 20 + written,
        "every note acknowledged at its own seq"
    );
    let opened = room.metric("warroom_incidents_opened_total").await;
    let released = room.metric("warroom_incidents_released_total").await;
    assert!(opened >= released, "{opened} / {released}");
    room.until("released at the end", |h| h["live_incidents"] == 0)
        .await;
    let dir = room.dir;
    within("shutdown", room.hub.shutdown())
        .await
        .expect("stops");

    let on_disk = DataDir::new(dir.path()).open(&incident).expect("opens");
    let events = &on_disk.all_events().unwrap();
    let seqs_on_disk: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs_on_disk, (1..=events.len() as u64).collect::<Vec<_>>());
    assert_eq!(
        seqs.last().copied(),
        seqs_on_disk.last().copied(),
        "acks match the log"
    );
    let texts = on_disk
        .state()
        .timeline
        .iter()
        .filter(|e| e.text.starts_with("writer "))
        .count();
    assert_eq!(texts, 4 * 20 + written, "every note exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_ids_cannot_block_auto_numbering() {
    let room = Room::open(HubLimits::default()).await;
    let today = chrono::Utc::now().format("%Y%m%d").to_string();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y%m%d")
        .to_string();
    let mut alice = room.client(ALICE, None).await;
    for explicit in [
        format!("INC-{today}-4294967295"),
        format!("INC-{today}-18446744073709551615"),
        format!("INC-{today}-1"),
        format!("INC-{tomorrow}-1"),
    ] {
        let declared = within("explicit", alice.command(None, declare(&explicit, "Mine"))).await;
        assert_eq!(declared.expect("declared").0, explicit);
    }
    for expected in [2, 3] {
        let declared = within("auto", alice.command(None, declare("", "Auto"))).await;
        assert_eq!(
            declared.expect("declared").0,
            format!("INC-{today}-{expected}")
        );
    }
    // Alert intake numbers its incidents the same way.
    let (status, _, body) = room.http("POST", ALERTS, ALICE, &alert("after")).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(body["incident"], format!("INC-{today}-4"));
    alice.close().await;
    within("shutdown", room.hub.shutdown())
        .await
        .expect("stops");
}

/// Floods `incident` with notes, `window` unanswered at a time, until the hub closes
/// the connection; returns every reject code it got.
async fn flood(
    mut client: HubClient,
    incident: String,
    who: usize,
) -> (usize, Vec<(RejectReason, String)>) {
    let (mut sent, mut acked, mut rejects) = (0usize, 0usize, Vec::new());
    let window = 32;
    loop {
        while sent - acked - rejects.len() < window && sent < 190 {
            let frame = ClientFrame::Command {
                id: format!("w{who}-{sent}"),
                incident: Some(incident.clone()),
                command: note(&format!("{who}/{sent}")),
            };
            if client.send(&frame).await.is_err() {
                return (acked, rejects);
            }
            sent += 1;
        }
        match tokio::time::timeout(LIMIT, client.next()).await {
            Ok(Ok(HubFrame::Ack { .. })) => acked += 1,
            Ok(Ok(HubFrame::Reject { code, message, .. })) => rejects.push((code, message)),
            Ok(Ok(_)) => {}
            Ok(Err(NetError::Closed { .. } | NetError::Io(_))) | Err(_) => {
                return (acked, rejects);
            }
            Ok(Err(other)) => panic!("{other}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_in_flight_at_shutdown_are_never_answered_no_incident() {
    // The race is in timing, so it is run a few times (each takes a fraction of a second).
    for _ in 0..4 {
        stop_while_writing().await;
    }
}

/// Eight writers flood eight incidents (released and reopened as they go: idle time
/// zero); the hub stops mid-flood; every answer must be an ack or a retryable reject.
async fn stop_while_writing() {
    let room = Room::open(idle_after(Duration::ZERO)).await;
    let mut incidents = Vec::new();
    for n in 0..8 {
        incidents.push(
            room.declare(if n % 2 == 0 { ALICE } else { DAVE }, "Busy")
                .await,
        );
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (who, incident) in incidents.iter().enumerate() {
        let client = room
            .client(if who % 2 == 0 { ALICE } else { DAVE }, None)
            .await;
        tasks.spawn(flood(client, incident.clone(), who));
    }
    // Stop while every writer has commands in flight.
    let writing = async {
        while room.metric("warroom_commands_accepted_total").await < 48.0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    within("writing", writing).await;
    within("shutdown", room.hub.shutdown())
        .await
        .expect("stops");
    let mut total = 0;
    while let Some(done) = within("the writers", tasks.join_next()).await {
        let (acked, rejects) = done.expect("no panic");
        total += acked;
        for (code, message) in rejects {
            assert_ne!(code, RejectReason::NoIncident, "{message}");
            assert!(
                matches!(code, RejectReason::ShuttingDown | RejectReason::RateLimited),
                "{code:?}: {message}"
            );
        }
    }
    assert!(total > 0, "some commands were applied before the stop");
}
