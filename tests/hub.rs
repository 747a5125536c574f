//! The hub in-process (`warroom::hub::start` on 127.0.0.1:0), each test in a `Room`: its
//! own data directory, the embedded runbooks and four responders, alice (commander), bob
//! (scribe), carol (ops) and olga (observer). Clients are `HubClient`, the reconnecting
//! `net::sync` client, or raw WebSocket frames where the input must be malformed.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use warroom::engine::{DataDir, Submission};
use warroom::hub::auth::Authenticator;
use warroom::hub::{HubLimits, HubOptions, RunningHub};
use warroom::incident::{Actor, Command, Event, EventKind, Role, Severity, State, Status};
use warroom::net::{ConnectionState, HubClient, SyncEvent, SyncHandle, SyncOptions};
use warroom::protocol::{HubFrame, PROTOCOL_VERSION};

const ALICE: &str = "tok-alice-commander";
const BOB: &str = "tok-bob-scribe";
const CAROL: &str = "tok-carol-ops";
const OLGA: &str = "tok-olga-observer";
const LIMIT: Duration = Duration::from_secs(10);
const LONG: Duration = Duration::from_secs(30);
const ALERTS: &str = "/api/v1/alerts/alertmanager";
const NOWHERE: &str = "INC-19990101-1";

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn within_for<T>(limit: Duration, what: &str, future: impl Future<Output = T>) -> T {
    let result = tokio::time::timeout(limit, future).await;
    result.unwrap_or_else(|_| panic!("timed out after {limit:?}: {what}"))
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    within_for(LIMIT, what, future).await
}

/// A command from its JSON form, as a client would send it.
fn command(value: Value) -> Command {
    serde_json::from_value(value).expect("a valid command")
}

fn note(text: impl Into<String>) -> Command {
    command(json!({"type": "add_note", "text": text.into()}))
}

/// A raw `command` frame adding a note.
fn note_frame(id: &str, incident: &str, text: &str) -> String {
    let command = json!({"type": "add_note", "text": text});
    let frame = json!({"type": "command", "id": id, "incident": incident, "command": command});
    frame.to_string()
}

fn hello(token: &str, incident: Option<&str>) -> String {
    let hello = json!({"type": "hello", "protocol": PROTOCOL_VERSION, "token": token});
    let mut hello = hello.as_object().expect("an object").clone();
    hello.insert("incident".into(), json!(incident));
    Value::Object(hello).to_string()
}

fn index(seq: u64) -> usize {
    usize::try_from(seq - 1).expect("a small seq")
}

fn assert_gapless(events: &[Event], who: &str) {
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    let expected: Vec<u64> = (1..=events.len() as u64).collect();
    assert_eq!(seqs, expected, "{who}: 1..=N, no gap, no duplicate");
}

/// The incident's log as on disk and the state it replays to (after `stop`).
fn on_disk(dir: &TempDir, incident: &str) -> (Vec<Event>, State) {
    let opened = DataDir::new(dir.path()).open(incident).expect("opens");
    (opened.all_events().unwrap(), opened.state().clone())
}

/// A running hub and its data directory.
struct Room {
    hub: RunningHub,
    dir: TempDir,
}

impl Room {
    async fn open() -> Room {
        let dir = tempfile::tempdir().expect("a temp dir");
        Room::start(dir, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    async fn start(dir: TempDir, listen: SocketAddr) -> Room {
        let auth = Authenticator::default()
            .with_token(ALICE, "alice", [Role::Commander])
            .with_token(BOB, "bob", [Role::Scribe])
            .with_token(CAROL, "carol", [Role::Ops])
            .with_token(OLGA, "olga", [Role::Observer]);
        let runbooks = warroom::catalog::embedded().expect("catalog");
        let data = DataDir::new(dir.path());
        let options = HubOptions {
            listen,
            data,
            runbooks,
            auth,
            limits: HubLimits::default(),
        };
        let hub = warroom::hub::start(options).await.expect("starts");
        Room { hub, dir }
    }

    /// Shuts down cleanly (everything on disk) and hands back the data directory.
    async fn stop(self) -> TempDir {
        let stopped = within("shutdown", self.hub.shutdown()).await;
        stopped.expect("a clean shutdown");
        self.dir
    }

    fn url(&self) -> String {
        format!("http://{}", self.hub.addr)
    }

    async fn client(&self, token: &str, incident: Option<&str>) -> HubClient {
        let url = self.url();
        let connecting = HubClient::connect(&url, token, incident, 0);
        within("connect", connecting).await.expect("connects")
    }

    /// Declares an incident as alice; returns its id and last seq.
    async fn declare(&self, title: &str) -> (String, u64) {
        let mut alice = self.client(ALICE, None).await;
        let declare = json!({"type": "declare", "title": title, "severity": "SEV2"});
        let declared = within("declare", alice.command(None, command(declare))).await;
        alice.close().await;
        declared.expect("declared")
    }

    async fn raw(&self) -> Ws {
        let url = format!("ws://{}/ws", self.hub.addr);
        let connected = within("upgrade", tokio_tungstenite::connect_async(url)).await;
        connected.expect("upgrades").0
    }

    /// A raw connection that said hello and got `welcome`.
    async fn hello(&self, token: &str, incident: Option<&str>) -> Ws {
        let mut ws = self.raw().await;
        send(&mut ws, hello(token, incident)).await;
        until_type(&mut ws, "welcome").await;
        ws
    }

    async fn get(&self, path: &str) -> (u16, String) {
        http(self.hub.addr, "GET", path, None, "").await
    }

    async fn alert(&self, token: Option<&str>, body: &str) -> (u16, Value) {
        let (status, body) = http(self.hub.addr, "POST", ALERTS, token, body).await;
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    async fn metrics(&self) -> String {
        let (status, text) = self.get("/metrics").await;
        assert_eq!(status, 200);
        text
    }

    async fn incidents(&self) -> usize {
        let mut olga = self.client(OLGA, None).await;
        within("list", olga.list()).await.expect("lists").len()
    }
}

async fn send(ws: &mut Ws, text: impl Into<String>) {
    let message = Message::Text(text.into().into());
    within("send", ws.send(message)).await.expect("sent");
}

enum Read {
    Frame(Value),
    /// The close code, if the hub sent a close frame.
    Closed(Option<u16>),
}

async fn read(ws: &mut Ws) -> Read {
    for _ in 0..100_000 {
        match within("the next frame", ws.next()).await {
            Some(Ok(Message::Text(text))) => {
                return Read::Frame(serde_json::from_str(&text).expect("JSON"));
            }
            Some(Ok(Message::Close(close))) => {
                return Read::Closed(close.map(|c| u16::from(c.code)));
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Read::Closed(None),
        }
    }
    panic!("only pings and pongs");
}

/// Every frame until the hub closes, and its close code.
async fn until_closed(ws: &mut Ws) -> (Vec<Value>, Option<u16>) {
    let mut frames = Vec::new();
    for _ in 0..100_000 {
        match read(ws).await {
            Read::Frame(frame) => frames.push(frame),
            Read::Closed(code) => return (frames, code),
        }
    }
    panic!("the hub never closed the connection");
}

/// Reads until a frame of `kind`; returns it and the frames before it.
async fn until_type(ws: &mut Ws, kind: &str) -> (Value, Vec<Value>) {
    let mut before = Vec::new();
    for _ in 0..100_000 {
        match read(ws).await {
            Read::Frame(frame) if frame["type"] == kind => return (frame, before),
            Read::Frame(frame) => before.push(frame),
            Read::Closed(code) => panic!("closed ({code:?}) before {kind}: {before:?}"),
        }
    }
    panic!("no `{kind}` frame");
}

/// One HTTP/1.1 request over a plain socket; returns status and (de-chunked) body.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, String) {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let length = body.len();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n{body}"
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
    let status = status.expect("a status code");
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return (status, body.to_string());
    }
    let (mut rest, mut decoded) = (body, String::new());
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        decoded.push_str(&tail[..size]);
        rest = &tail[size + 2..];
    }
    (status, decoded)
}

/// The value of the Prometheus sample `name`.
fn metric(text: &str, name: &str) -> Option<f64> {
    let value = |line: &str| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok();
    text.lines().find_map(value)
}

/// The reconnecting client, with everything it has reported so far.
struct Follower {
    handle: SyncHandle,
    events: Vec<Event>,
    acks: HashMap<String, u64>,
    states: Vec<ConnectionState>,
    synced: u64,
}

impl Follower {
    fn spawn(room: &Room, token: &str, incident: &str) -> Follower {
        let mut options = SyncOptions::new(room.url(), token, incident);
        options.min_backoff = Duration::from_millis(50);
        options.max_backoff = Duration::from_millis(300);
        let handle = warroom::net::sync::spawn(options);
        let (events, acks, states) = (Vec::new(), HashMap::new(), Vec::new());
        Follower {
            handle,
            events,
            acks,
            states,
            synced: 0,
        }
    }

    async fn until(&mut self, limit: Duration, what: &str, done: impl Fn(&Follower) -> bool) {
        let pump = async {
            while !done(self) {
                match self.handle.events.recv().await.expect("the sync task runs") {
                    SyncEvent::Event(event) => self.events.push(event),
                    SyncEvent::Acked { id, seq } => drop(self.acks.insert(id, seq)),
                    SyncEvent::State(state) => self.states.push(state),
                    SyncEvent::Synced(seq) => self.synced = seq,
                    SyncEvent::Identity(_) | SyncEvent::Presence(_) | SyncEvent::Hub(_) => {}
                    SyncEvent::Catalog { .. } | SyncEvent::Trackers(_) => {}
                    SyncEvent::Rejected { id, code, .. } => panic!("{id}: {code:?}"),
                    SyncEvent::Snapshot(state) => {
                        panic!("no snapshot was asked for: {}", state.seq)
                    }
                    SyncEvent::Page { .. } | SyncEvent::Found { .. } => {}
                }
            }
        };
        within_for(limit, what, pump).await;
    }

    fn at(&self, seq: u64) -> bool {
        self.events.last().map_or(0, |e| e.seq) == seq
    }

    /// Queues `count` notes; returns their command ids.
    fn notes(&self, count: usize) -> Vec<String> {
        let send = |k| self.handle.send(note(format!("note {k}")));
        (0..count).map(send).collect()
    }

    fn acked(&self, ids: &[String]) -> bool {
        ids.iter().all(|id| self.acks.contains_key(id))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_subscribers_agree_with_the_log_while_five_write() {
    const CLIENTS: usize = 50;
    const WRITERS: usize = 5;
    const NOTES: usize = 20;
    let room = Room::open().await;
    let (incident, declared) = room.declare("Fan-out under load").await;
    let last = declared + (WRITERS * NOTES) as u64;
    let everyone_synced = Arc::new(tokio::sync::Barrier::new(CLIENTS));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..CLIENTS {
        let token = [ALICE, BOB, CAROL, OLGA][if n < WRITERS { n % 3 } else { 3 }];
        let mut c = room.client(token, Some(&incident)).await;
        let (incident, barrier) = (incident.clone(), everyone_synced.clone());
        tasks.spawn(async move {
            let mut events = Vec::new();
            loop {
                match c.next().await.expect("a frame") {
                    HubFrame::Event { event, .. } => events.push(event),
                    HubFrame::Synced { .. } => break,
                    _ => {}
                }
            }
            barrier.wait().await;
            let count = if n < WRITERS { NOTES } else { 0 };
            let ids: Vec<String> = (0..count).map(|k| format!("w{n}-{k}")).collect();
            for (k, id) in ids.iter().enumerate() {
                let (id, incident) = (id.clone(), Some(incident.clone()));
                let command = note(format!("writer {n} note {k}"));
                let frame = warroom::protocol::ClientFrame::Command {
                    id,
                    incident,
                    command,
                };
                c.send(&frame).await.expect("sent");
            }
            let mut acks = HashMap::new();
            while events.last().map_or(0, |e: &Event| e.seq) < last || acks.len() < count {
                match c.next().await.expect("a frame") {
                    HubFrame::Event { event, .. } => events.push(event),
                    HubFrame::Ack {
                        id, seq, duplicate, ..
                    } => {
                        assert!(!duplicate, "{id} is not a duplicate");
                        assert!(acks.insert(id, seq).is_none(), "acknowledged twice");
                    }
                    // Who is here changes as the other clients connect and leave.
                    HubFrame::Presence { .. } => {}
                    other => panic!("client {n}: unexpected {other:?}"),
                }
            }
            c.close().await;
            (n, ids, events, acks)
        });
    }
    let results = within_for(LONG, "every client sees every event", async {
        let mut results = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            results.push(joined.expect("a client task panicked"));
        }
        results
    })
    .await;
    let dir = room.stop().await;

    let (log, log_state) = on_disk(&dir, &incident);
    assert_eq!(log.len() as u64, last, "every note is in the log");
    assert_gapless(&log, "the log");
    let is_note = |e: &&Event| matches!(e.kind, EventKind::NoteAdded { .. });
    let notes = log.iter().filter(is_note);
    let ids: Vec<&str> = notes.filter_map(|e| e.command_id.as_deref()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!((ids.len(), unique.len()), (100, 100), "each note once");
    assert_eq!(results.len(), CLIENTS);
    for (n, ids, events, acks) in &results {
        assert_eq!(events, &log, "client {n} saw another history");
        let replica = State::replay(events);
        assert!(replica == log_state, "client {n}'s replica differs");
        assert_eq!(acks.len(), ids.len(), "writer {n}: an ack per note");
        let mut previous = 0;
        for id in ids {
            let seq = acks[id];
            let acked = log[index(seq)].command_id.as_ref();
            assert_eq!(acked, Some(id), "ack seq of {id}");
            assert!(seq > previous, "writer {n}'s notes applied out of order");
            previous = seq;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_client_resumes_after_a_hub_restart_and_flushes_its_outbox_once() {
    let room = Room::open().await;
    let addr = room.hub.addr;
    let (incident, declared) = room.declare("Reconnects").await;
    let mut bob = Follower::spawn(&room, BOB, &incident);
    bob.until(LIMIT, "the first sync", |f| f.synced == declared)
        .await;
    let online = bob.notes(3);
    let want = declared + 3;
    let done = |f: &Follower| f.acked(&online) && f.at(want);
    bob.until(LIMIT, "online notes", done).await;

    let dir = room.stop().await;
    let lost = |f: &Follower| {
        let lost = |s: &ConnectionState| matches!(s, ConnectionState::Reconnecting { .. });
        f.states.iter().any(lost)
    };
    bob.until(LIMIT, "noticing the hub went away", lost).await;
    let queued = bob.notes(5);
    let holding = |f: &Follower| {
        let five =
            |s: &ConnectionState| matches!(s, ConnectionState::Reconnecting { pending: 5, .. });
        f.states.iter().any(five)
    };
    bob.until(LIMIT, "the outbox holding 5", holding).await;

    // Meanwhile the log grows without bob: events to catch up on after reconnecting.
    let runbooks = warroom::catalog::embedded().expect("catalog");
    let mut offline = DataDir::new(dir.path()).open(&incident).expect("opens");
    let carol = Actor::new("carol", [Role::Ops]);
    let away = |k: u32| Submission {
        actor: carol.clone(),
        command: note(format!("while bob was away {k}")),
        command_id: Some(format!("away-{k}")),
    };
    let now = chrono::Utc::now();
    let appended = offline.execute(&[away(0), away(1)], now, &runbooks);
    appended.expect("appended");
    drop(offline);

    let room = Room::start(dir, addr).await;
    let want = declared + 3 + 2 + 5;
    let flushed = |f: &Follower| f.acked(&queued) && f.at(want);
    bob.until(LIMIT, "the outbox flushed", flushed).await;
    let live = bob.notes(1);
    let done = |f: &Follower| f.acked(&live) && f.at(want + 1);
    bob.until(LIMIT, "a live note", done).await;
    bob.handle.stop();
    let dir = room.stop().await;

    let (log, _) = on_disk(&dir, &incident);
    assert_gapless(&bob.events, "the sync client");
    assert_eq!(bob.events, log, "the sync client converged on the log");
    for id in online.iter().chain(&queued).chain(&live) {
        let mine = |e: &&Event| e.command_id.as_ref() == Some(id);
        assert_eq!(log.iter().filter(mine).count(), 1, "{id} applied once");
        assert_eq!(log[index(bob.acks[id])].command_id.as_ref(), Some(id));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_client_retries_rate_limited_commands_on_a_live_connection() {
    let room = Room::open().await;
    let (incident, declared) = room.declare("Outbox under the rate limit").await;
    let mut bob = Follower::spawn(&room, BOB, &incident);
    bob.until(LIMIT, "the first sync", |f| f.synced == declared)
        .await;
    // 400 at once: 200 fit the burst, most others are refused as rate limited at first
    // and must be re-sent from the outbox while the connection stays up.
    let ids = bob.notes(400);
    let done = |f: &Follower| f.acked(&ids);
    bob.until(LONG, "every command applied after retries", done)
        .await;
    let limited = r#"warroom_commands_rejected_total{reason="rate_limited"}"#;
    let limited = metric(&room.metrics().await, limited).unwrap_or(0.0);
    assert!(limited > 0.0, "the test must have run into the rate limit");
    let lost = |s: &ConnectionState| matches!(s, ConnectionState::Reconnecting { .. });
    assert!(!bob.states.iter().any(lost), "on one live connection");
    bob.handle.stop();
    let dir = room.stop().await;
    assert_eq!(on_disk(&dir, &incident).0.len() as u64, declared + 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_command_id_is_acked_as_duplicate_and_applied_once() {
    let mut room = Room::open().await;
    let (incident, _) = room.declare("Idempotency").await;
    let mut first_seq = None;
    let rounds = ["once", "once", "other text, same id", "after a restart"];
    for (round, text) in rounds.into_iter().enumerate() {
        if round == 3 {
            let dir = room.stop().await;
            room = Room::start(dir, SocketAddr::from(([127, 0, 0, 1], 0))).await;
        }
        let mut ws = room.hello(BOB, None).await;
        send(&mut ws, note_frame("same-id", &incident, text)).await;
        let (ack, _) = until_type(&mut ws, "ack").await;
        assert_eq!(ack["id"], "same-id");
        assert_eq!(ack["duplicate"], round > 0, "round {round}: {ack}");
        let seq = ack["seq"].as_u64().expect("a seq");
        assert_eq!(*first_seq.get_or_insert(seq), seq, "names the original seq");
    }
    let dir = room.stop().await;
    let (log, _) = on_disk(&dir, &incident);
    let mine = |e: &&Event| e.command_id.as_deref() == Some("same-id");
    let applied: Vec<&Event> = log.iter().filter(mine).collect();
    assert_eq!(applied.len(), 1, "the command is in the log once");
    let text = match &applied[0].kind {
        EventKind::NoteAdded { text, .. } => text.as_str(),
        other => panic!("{other:?}"),
    };
    assert_eq!(text, "once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_stops_reading_is_dropped_and_the_others_get_everything() {
    const WAVES: usize = 25; // × 200 notes = 5,000 events, past the 4,096-event queue
    const NOTES: usize = 200; // one connection's burst
    let room = Room::open().await;
    let (incident, declared) = room.declare("Slow reader").await;
    let last = declared + (WAVES * NOTES) as u64;
    let mut slow = room.hello(OLGA, Some(&incident)).await;
    let (_, backlog) = until_type(&mut slow, "synced").await;
    // …and from here on `slow` is not read until the end.
    let mut readers = Vec::new();
    for _ in 0..3 {
        let (seen, watching) = tokio::sync::watch::channel(0u64);
        let mut c = room.client(OLGA, Some(&incident)).await;
        let task = tokio::spawn(async move {
            let mut events = Vec::new();
            while events.last().map_or(0, |e: &Event| e.seq) < last {
                if let HubFrame::Event { event, .. } = c.next().await.expect("a frame") {
                    let _ = seen.send(event.seq);
                    events.push(event);
                }
            }
            events
        });
        readers.push((watching, task));
    }
    let padding = "x".repeat(1_000);
    for wave in 0..WAVES {
        let mut writer = room.hello([ALICE, BOB, CAROL][wave % 3], None).await;
        for k in 0..NOTES {
            let text = format!("wave {wave} note {k} {padding}");
            let frame = note_frame(&format!("{wave}-{k}"), &incident, &text);
            send(&mut writer, frame).await;
        }
        for _ in 0..NOTES {
            let (ack, _) = until_type(&mut writer, "ack").await;
            assert_eq!(ack["duplicate"], false);
        }
        // The readers keep up: the next wave starts once they have this one.
        let reached = declared + ((wave + 1) * NOTES) as u64;
        for (watching, _) in &mut readers {
            let caught_up = watching.wait_for(|seq| *seq >= reached);
            let caught_up = within("a reader keeping up", caught_up).await;
            caught_up.expect("the reader is alive");
        }
    }
    for (_, task) in readers {
        let events = within("a reader", task).await.expect("reader task");
        assert_gapless(&events, "a reader that kept up");
        assert_eq!(events.len() as u64, last);
    }
    let metrics = room.hub.metrics.clone();
    let dropped = || metrics.slow_clients_dropped.load(Ordering::Relaxed);
    let counted = async {
        for _ in 0..1_000 {
            if dropped() > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let what = "warroom_slow_clients_dropped_total counting the stalled client";
    within_for(Duration::from_secs(15), what, counted).await;
    assert_eq!(dropped(), 1, "only the slow one");
    let text = room.metrics().await;
    let counted = metric(&text, "warroom_slow_clients_dropped_total");
    assert_eq!(counted, Some(1.0));

    let (frames, code) = until_closed(&mut slow).await;
    let events = backlog
        .iter()
        .chain(&frames)
        .filter(|f| f["type"] == "event");
    let seqs: Vec<u64> = events
        .map(|f| f["event"]["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as u64).collect::<Vec<_>>(),
        "a gapless prefix"
    );
    assert!((seqs.len() as u64) < last, "the slow client was cut off");
    if let Some(error) = frames.iter().find(|f| f["type"] == "error") {
        assert_eq!(error["code"], "too_slow");
    }
    let too_slow = code.is_none_or(|code| code == 4008);
    assert!(too_slow, "closed as too slow: {code:?}");
    room.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_failures_close_with_their_codes_and_leak_nothing() {
    let room = Room::open().await;
    let (incident, _) = room.declare("Secret title 7f3a").await;
    let newer = hello(ALICE, Some(&incident)).replace(
        &format!("\"protocol\":{PROTOCOL_VERSION}"),
        &format!("\"protocol\":{}", PROTOCOL_VERSION + 1),
    );
    let cases = [
        (hello("wrt_bad", Some(&incident)), 4001, "unauthorized"),
        (newer, 4002, "protocol_mismatch"),
        (json!({"type": "list"}).to_string(), 4000, "hello_expected"),
        ("{not json".to_string(), 4000, "hello_expected"),
        (hello(ALICE, Some(NOWHERE)), 4004, "unknown_incident"),
    ];
    for (first, code, reason) in cases {
        let mut ws = room.raw().await;
        send(&mut ws, first.clone()).await;
        let (frames, closed) = until_closed(&mut ws).await;
        assert_eq!(closed, Some(code), "{first}: {frames:?}");
        let last = frames.last().map(|f| f["code"].clone());
        assert_eq!(last, Some(json!(reason)), "{first}");
        for frame in frames.iter().map(Value::to_string) {
            assert!(!frame.contains(&incident), "{first} leaked {frame}");
            assert!(!frame.contains("7f3a"), "{first} leaked {frame}");
            let welcome = frame.contains("\"welcome\"") && code == 4004;
            assert!(frame.contains("\"error\"") || welcome, "{first}: {frame}");
        }
    }
    room.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_commands_are_rejected_with_a_reason_and_the_connection_keeps_working() {
    let room = Room::open().await;
    let (incident, _) = room.declare("Bad input").await;
    let mut bob = room.hello(BOB, None).await;
    let cases = [
        (r#"{"type":"command","#.to_string(), "", "malformed"),
        (
            r#"{"type":"teleport","id":"m2"}"#.to_string(),
            "m2",
            "malformed",
        ),
        (note_frame("u1", NOWHERE, "hi"), "u1", "no_incident"),
        (note_frame("e1", &incident, "   "), "e1", "invalid"),
    ];
    for (frame, id, code) in cases {
        send(&mut bob, frame.clone()).await;
        let (reject, _) = until_type(&mut bob, "reject").await;
        let got = (reject["id"].as_str(), reject["code"].as_str());
        assert_eq!(got, (Some(id), Some(code)), "{frame}");
    }
    send(&mut bob, note_frame("ok1", &incident, "still here")).await;
    let (ack, _) = until_type(&mut bob, "ack").await;
    assert_eq!(ack["id"], "ok1", "a valid command after bad ones applies");

    let mut olga = room.hello(OLGA, Some(&incident)).await;
    send(&mut olga, note_frame("o1", &incident, "read-only")).await;
    let (reject, _) = until_type(&mut olga, "reject").await;
    let got = (reject["id"].as_str(), reject["code"].as_str());
    assert_eq!(got, (Some("o1"), Some("forbidden")));

    let mut flood = room.hello(CAROL, None).await;
    for k in 0..300 {
        let frame = note_frame(&format!("f{k}"), &incident, &format!("flood {k}"));
        let queued = flood.feed(Message::Text(frame.into())).await;
        queued.expect("queued");
    }
    within("flush", flood.flush()).await.expect("flushed");
    let (mut acked, mut limited) = (0, 0);
    while acked + limited < 300 {
        match read(&mut flood).await {
            Read::Frame(f) if f["type"] == "ack" => acked += 1,
            Read::Frame(f) if f["code"] == "rate_limited" => limited += 1,
            Read::Frame(f) => panic!("unexpected {f}"),
            Read::Closed(code) => panic!("closed ({code:?}) in a moderate flood"),
        }
    }
    assert!(
        acked >= 200 && limited >= 1,
        "{acked} ok, {limited} limited"
    );
    let name = r#"warroom_commands_rejected_total{reason="rate_limited"}"#;
    let counted = metric(&room.metrics().await, name);
    assert_eq!(counted, Some(f64::from(limited)));
    room.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_closes_that_connection_only() {
    let room = Room::open().await;
    let (incident, _) = room.declare("Big frames").await;
    let mut carol = room.client(CAROL, Some(&incident)).await;
    let mut bob = room.hello(BOB, None).await;
    let big = "y".repeat(70 * 1024);
    send(&mut bob, note_frame("big", &incident, &big)).await;
    let (frames, code) = until_closed(&mut bob).await;
    // The rest of the big frame is unread when the hub decides to close: it drains it,
    // so no reset overtakes the close frame.
    assert_eq!(code, Some(1009), "closed as too big");
    for frame in &frames {
        assert!(
            frame["type"] == "error" && frame["code"] == "too_big",
            "{frame}"
        );
    }
    let noted = within("a note", carol.command(Some(&incident), note("fine"))).await;
    let (_, seq) = noted.expect("acked");
    let events = within("load", carol.load(&incident)).await.expect("loads");
    let last = events.last().map(|e| e.seq);
    assert_eq!(last, Some(seq), "the hub still serves the others");
    let name = r#"warroom_commands_rejected_total{reason="too_large"}"#;
    assert_eq!(metric(&room.metrics().await, name), Some(1.0));
    room.stop().await;
}

/// An Alertmanager v4 webhook body, with fields warroom does not read.
fn alert_payload(group: &str, status: &str, regions: &[&str]) -> String {
    let ends = ["2025-05-01T11:00:00Z", "0001-01-01T00:00:00Z"][usize::from(status == "firing")];
    let labels = json!({"alertname": "LLMProviderErrors", "severity": "critical"});
    let mut labels = labels.as_object().expect("labels").clone();
    labels.insert("provider".into(), json!("openai"));
    let summary = json!({"summary": "OpenAI completions failing"});
    let alert = |region: &&str| {
        let mut labels = labels.clone();
        labels.insert("region".into(), json!(region));
        json!({
            "status": status, "labels": labels, "annotations": summary,
            "startsAt": "2025-05-01T10:00:00.000Z", "endsAt": ends,
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": region,
        })
    };
    let alerts: Vec<Value> = regions.iter().map(alert).collect();
    json!({
        "version": "4", "groupKey": format!("{{}}:{{alertname=\"{group}\"}}"),
        "truncatedAlerts": 0, "status": status, "receiver": "warroom",
        "groupLabels": {"alertname": group}, "commonLabels": labels,
        "commonAnnotations": summary, "externalURL": "http://alertmanager:9093",
        "alerts": alerts,
    })
    .to_string()
}

/// The incident's state and its alert events: (seq, firing, suggested playbook).
async fn alerts_of(room: &Room, incident: &str) -> (State, Vec<(u64, bool, Option<String>)>) {
    let mut olga = room.client(OLGA, None).await;
    let events = within("load", olga.load(incident)).await.expect("loads");
    let alert = |e: &Event| match &e.kind {
        EventKind::AlertReceived {
            firing,
            suggested_playbook: p,
            ..
        } => Some((e.seq, *firing, p.clone())),
        _ => None,
    };
    let alerts = events.iter().filter_map(alert).collect();
    (State::replay(&events), alerts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_declares_once_appends_and_never_resolves() {
    let room = Room::open().await;
    let firing = alert_payload("LLMProviderErrors", "firing", &["eu-west-1", "us-east-1"]);
    let (status, answer) = room.alert(Some(CAROL), &firing).await;
    assert_eq!(status, 200, "{answer}");
    let incident = answer["incident"].as_str().expect("an id").to_string();
    let (state, alerts) = alerts_of(&room, &incident).await;
    assert_eq!(state.severity, Some(Severity::Sev1));
    assert_eq!(state.title, "OpenAI completions failing");
    let [(seq, true, Some(playbook))] = alerts.as_slice() else {
        panic!("{alerts:?}")
    };
    assert_eq!(playbook, "llm_provider_outage");
    let entry = state.entry(*seq).expect("the alert is on the timeline");
    assert!(entry.text.contains("llm_provider_outage"), "{}", entry.text);
    // The alert's startsAt is proposed as the impact start and the detection time.
    let started = "2025-05-01T10:00:00Z"
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    for which in [
        warroom::incident::times::TimeKind::ImpactStart,
        warroom::incident::times::TimeKind::Detected,
    ] {
        let set = state
            .times
            .get(&which)
            .unwrap_or_else(|| panic!("{which} is set"));
        assert_eq!(set.at, started, "{which}");
    }

    let (status, again) = room.alert(Some(CAROL), &firing).await;
    assert_eq!((status, &again["incident"]), (200, &json!(incident)));
    let (_, alerts) = alerts_of(&room, &incident).await;
    assert_eq!(alerts.len(), 1, "a retried delivery applies once");
    let three = ["eu-west-1", "us-east-1", "ap-south-1"];
    let more = alert_payload("LLMProviderErrors", "firing", &three);
    let appended = json!({"incident": incident, "action": "appended"});
    assert_eq!(room.alert(Some(CAROL), &more).await, (200, appended));
    let resolved = alert_payload("LLMProviderErrors", "resolved", &["eu-west-1"]);
    let noted = json!({"incident": incident, "action": "noted_resolved"});
    assert_eq!(room.alert(Some(CAROL), &resolved).await, (200, noted));
    let (state, alerts) = alerts_of(&room, &incident).await;
    let firing_flags: Vec<bool> = alerts.iter().map(|a| a.1).collect();
    assert_eq!(firing_flags, [true, true, false], "2 firing, 1 resolved");
    assert_ne!(state.status, Status::Resolved, "alerts never resolve");
    assert_eq!(room.incidents().await, 1);

    let other = alert_payload("Other", "firing", &["eu-west-1"]);
    for (token, expected) in [(None, 401), (Some("wrt_bogus"), 401), (Some(OLGA), 403)] {
        let (status, body) = room.alert(token, &other).await;
        assert_eq!(status, expected, "{token:?}: {body}");
    }
    assert_eq!(room.alert(Some(CAROL), "{{ garbage").await.0, 400);
    assert_eq!(room.incidents().await, 1, "nothing new was declared");
    room.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_for_a_new_alert_group_open_one_incident() {
    let room = Room::open().await;
    // Different bodies (different delivery ids) for one group, as from an Alertmanager
    // HA pair or a group update racing a retry.
    let regions = ["eu-west-1", "us-east-1", "ap-south-1", "sa-east-1"];
    let bodies: Vec<String> = (1..=regions.len())
        .map(|n| alert_payload("LLMProviderErrors", "firing", &regions[..n]))
        .collect();
    let posts = bodies.iter().map(|body| room.alert(Some(CAROL), body));
    let answers = futures_util::future::join_all(posts).await;
    let incident = |(status, answer): &(u16, Value)| {
        assert_eq!(*status, 200, "{answer}");
        answer["incident"].as_str().expect("an id").to_string()
    };
    let incidents: BTreeSet<String> = answers.iter().map(incident).collect();
    assert_eq!(incidents.len(), 1, "one group, one incident: {incidents:?}");
    assert_eq!(room.incidents().await, 1);
    room.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_report_what_happened() {
    let room = Room::open().await;
    let (incident, declared) = room.declare("Metrics").await;
    let mut olga = room.client(OLGA, Some(&incident)).await;
    // The declaring client's close may still be on its way: wait for it to land.
    let settled = async {
        loop {
            let (status, body) = room.get("/health").await;
            assert_eq!(status, 200);
            let health: Value = serde_json::from_str(&body).expect("JSON");
            if health["connections"] == 1 {
                return health;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let health = within("the declaring client's close", settled).await;
    let version = env!("CARGO_PKG_VERSION");
    let expected = json!({"ok": true, "version": version, "incidents": 1, "live_incidents": 1,
        "quarantined": [], "connections": 1, "store": {"kind": "file"}});
    assert_eq!(health, expected);

    let refused = within("observer note", olga.command(Some(&incident), note("no"))).await;
    assert!(refused.is_err(), "observers may not write");
    let mut bob = room.client(BOB, None).await;
    let noted = within("note", bob.command(Some(&incident), note("yes"))).await;
    assert_eq!(noted.expect("acked").1, declared + 1);
    let unknown = within("unknown", bob.command(Some(NOWHERE), note("?"))).await;
    assert!(unknown.is_err(), "no such incident");
    let text = room.metrics().await;
    let appended = metric(&text, "warroom_events_appended_total");
    assert_eq!(appended, Some((declared + 1) as f64), "{text}");
    let fsyncs = metric(&text, r#"warroom_fsync_seconds_bucket{le="+Inf"}"#);
    assert!(fsyncs >= Some(1.0), "{text}");
    // Every append went to the store: the declare's and the note's at least.
    let appends = metric(&text, "warroom_store_append_seconds_count");
    assert!(appends >= Some(2.0), "{text}");
    // One hub on its own files never loses a race.
    assert_eq!(metric(&text, "warroom_store_conflicts_total"), Some(0.0));
    for (reason, count) in [("forbidden", 1.0), ("no_incident", 1.0), ("malformed", 0.0)] {
        let name = format!("warroom_commands_rejected_total{{reason=\"{reason}\"}}");
        assert_eq!(metric(&text, &name), Some(count), "{name}");
    }
    assert_eq!(metric(&text, "warroom_connections"), Some(2.0));

    olga.close().await;
    bob.close().await;
    let idle = async {
        for _ in 0..500 {
            let (_, body) = room.get("/health").await;
            let health: Value = serde_json::from_str(&body).expect("JSON");
            if health["connections"] == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("connections never went back to 0");
    };
    within("the gauge falling back to 0", idle).await;
    room.stop().await;
}
