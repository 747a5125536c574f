//! The hub at the transport level, in-process on 127.0.0.1:0: raw TCP sockets with
//! hand-built WebSocket frames where the bytes matter (pipelined input, oversize and
//! fragmented frames), checking that every close code the protocol promises arrives as a
//! close frame and not as a reset; the flooding close answering every command it read;
//! connection caps and timeouts on idle sockets; and the alert intake's `version: null`.
//!
//! Byte-level cases run several times at once, since a reset that overtakes a close
//! frame is a race. Sources other than 127.0.0.1 (127.0.x.y, all loopback on Linux) give
//! connections their own address where per-address counts matter.

use futures_util::future::join_all;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use warroom::engine::DataDir;
use warroom::hub::auth::Authenticator;
use warroom::hub::{ConnectionLimits, Effects, HubOptions, RunningHub};
use warroom::incident::{Command, Role};
use warroom::net::HubClient;
use warroom::protocol::PROTOCOL_VERSION;

const ALICE: &str = "tok-alice-commander";
const LIMIT: Duration = Duration::from_secs(10);
/// How many times each racy case runs (at once).
const REPEAT: u8 = 8;

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    let result = tokio::time::timeout(LIMIT, future).await;
    result.unwrap_or_else(|_| panic!("timed out after {LIMIT:?}: {what}"))
}

struct Hub {
    hub: RunningHub,
    dir: TempDir,
}

impl Hub {
    async fn start(limits: ConnectionLimits) -> Hub {
        let dir = tempfile::tempdir().expect("a temp dir");
        let options = HubOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data: DataDir::new(dir.path()),
            runbooks: warroom::catalog::embedded().expect("catalog"),
            auth: Authenticator::default().with_token(ALICE, "alice", [Role::Commander]),
            limits: warroom::hub::HubLimits::default(),
        };
        let started = warroom::hub::start_with_limits(options, Effects::default(), limits);
        let hub = started.await.expect("starts");
        Hub { hub, dir }
    }

    fn addr(&self) -> SocketAddr {
        self.hub.addr
    }

    async fn stop(self) -> TempDir {
        within("shutdown", self.hub.shutdown())
            .await
            .expect("clean");
        self.dir
    }

    async fn declare(&self) -> String {
        let url = format!("http://{}", self.addr());
        let connecting = HubClient::connect(&url, ALICE, None, 0);
        let mut alice = within("connect", connecting).await.expect("connects");
        let declare = json!({"type": "declare", "title": "Transport", "severity": "SEV2"});
        let declare: Command = serde_json::from_value(declare).expect("a command");
        let declared = within("declare", alice.command(None, declare)).await;
        alice.close().await;
        declared.expect("declared").0
    }

    async fn metric(&self, name: &str) -> f64 {
        let (status, text) = http_from(self.addr(), local(), "/metrics", "").await;
        assert_eq!(status, 200, "{text}");
        let value = |line: &str| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok();
        text.lines().find_map(value).expect(name)
    }
}

fn local() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

/// A TCP connection to the hub from `source`.
async fn tcp_from(addr: SocketAddr, source: IpAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.bind(SocketAddr::new(source, 0)).expect("binds");
    within("connect", socket.connect(addr))
        .await
        .expect("connects")
}

/// One HTTP/1.1 GET (or POST when `body` is not empty) from `source`.
async fn http_from(addr: SocketAddr, source: IpAddr, path: &str, body: &str) -> (u16, String) {
    let method = if body.is_empty() { "GET" } else { "POST" };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {ALICE}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut socket = tcp_from(addr, source).await;
        socket.write_all(request.as_bytes()).await?;
        let mut response = String::new();
        socket.read_to_string(&mut response).await.map(|_| response)
    };
    let response = within("an HTTP response", exchange).await.expect("HTTP");
    let (head, body) = response.split_once("\r\n\r\n").expect("a response");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
    (status.expect("a status"), body.to_string())
}

/// The WebSocket upgrade on a raw socket; reads exactly the response head.
async fn upgrade(stream: &mut TcpStream, addr: SocketAddr) {
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    within("upgrade request", stream.write_all(request.as_bytes()))
        .await
        .expect("sent");
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = within("upgrade response", stream.read_u8()).await;
        head.push(byte.expect("a response head"));
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
}

/// A masked client frame.
fn frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | opcode];
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if let Ok(short) = u16::try_from(len) {
        out.push(0x80 | 126);
        out.extend(short.to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend((len as u64).to_be_bytes());
    }
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    out.extend(mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

fn text(text: &str) -> Vec<u8> {
    frame(1, true, text.as_bytes())
}

fn hello(token: &str) -> String {
    json!({"type": "hello", "protocol": PROTOCOL_VERSION, "token": token}).to_string()
}

fn note_frame(id: &str, incident: &str, text: &str) -> String {
    let command = json!({"type": "add_note", "text": text});
    json!({"type": "command", "id": id, "incident": incident, "command": command}).to_string()
}

/// The hub's text frames until it closes, and its close code; `None` if the connection
/// ended without a close frame (a reset or a bare hang-up).
async fn read_to_close(reader: &mut (impl AsyncRead + Unpin)) -> (Vec<Value>, Option<u16>) {
    let mut frames = Vec::new();
    loop {
        let mut head = [0u8; 2];
        if reader.read_exact(&mut head).await.is_err() {
            return (frames, None);
        }
        let len = match head[1] & 0x7f {
            126 => reader.read_u16().await.map(u64::from),
            127 => reader.read_u64().await,
            short => Ok(u64::from(short)),
        };
        let Ok(len) = len else { return (frames, None) };
        let mut payload = vec![0u8; usize::try_from(len).expect("a sane length")];
        if reader.read_exact(&mut payload).await.is_err() {
            return (frames, None);
        }
        match head[0] & 0x0f {
            1 => frames.push(serde_json::from_slice(&payload).expect("JSON")),
            8 => {
                let code = payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                return (frames, code);
            }
            _ => {}
        }
    }
}

/// Upgrades from `source`, writes `first` and then `more` (while reading), and returns
/// what the hub sent until it closed; then answers the close as a client should.
async fn exchange(
    addr: SocketAddr,
    source: IpAddr,
    first: Vec<u8>,
    more: Vec<u8>,
) -> (Vec<Value>, Option<u16>) {
    let mut stream = tcp_from(addr, source).await;
    upgrade(&mut stream, addr).await;
    let (mut reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        // Errors are the point of some cases (the hub stops reading): ignore them.
        let _ = writer.write_all(&first).await;
        let _ = writer.write_all(&more).await;
        writer
    });
    let outcome = within("the hub closing", read_to_close(&mut reader)).await;
    if let Ok(Ok(mut writer)) = tokio::time::timeout(LIMIT, writing).await {
        let _ = writer
            .write_all(&frame(8, true, &1000u16.to_be_bytes()))
            .await;
    }
    outcome
}

/// Runs `case` `REPEAT` times at once and checks each ends with `code`, the last frame
/// being the `error` with `reason`.
async fn all_close_with<F, Fut>(case: F, code: u16, reason: &str)
where
    F: Fn(u8) -> Fut,
    Fut: Future<Output = (Vec<Value>, Option<u16>)>,
{
    let outcomes = join_all((1..=REPEAT).map(case)).await;
    for (k, (frames, closed)) in outcomes.into_iter().enumerate() {
        assert_eq!(closed, Some(code), "run {k}: {frames:?}");
        let last = frames
            .last()
            .map(|f| (f["type"].clone(), f["code"].clone()));
        assert_eq!(last, Some((json!("error"), json!(reason))), "run {k}");
    }
}

/// 300 KiB of well-formed commands, for pipelining behind something the hub refuses.
fn pipelined() -> Vec<u8> {
    let padding = "p".repeat(1000);
    (0..300)
        .flat_map(|k| text(&note_frame(&format!("x{k}"), "INC-1", &padding)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_codes_arrive_even_with_unread_input_behind_them() {
    let hub = Hub::start(ConnectionLimits::default()).await;
    let addr = hub.addr();
    // A bad token with commands pipelined behind it: 4001 after the failed-login delay
    // (one new address per run, so each waits 1 s, not 1 s more than the one before).
    let bad_login = |k| async move {
        let source = IpAddr::from([127, 0, 3, k]);
        exchange(addr, source, text(&hello("wrt_bad")), pipelined()).await
    };
    all_close_with(bad_login, 4001, "unauthorized").await;
    let garbage_first = |_| exchange(addr, local(), text("{not json"), pipelined());
    all_close_with(garbage_first, 4000, "hello_expected").await;
    let oversize_first = |_| exchange(addr, local(), text(&"x".repeat(70_000)), Vec::new());
    all_close_with(oversize_first, 4000, "hello_expected").await;
    // After a good hello: one frame of 65 537 bytes, and a message of three fragments
    // that together are over the limit.
    let big = "y".repeat(65_537);
    let one_big_frame = |_| exchange(addr, local(), text(&hello(ALICE)), text(&big));
    all_close_with(one_big_frame, 1009, "too_big").await;
    let fragments = [
        frame(1, false, &[b' '; 30_000]),
        frame(0, false, &[b' '; 30_000]),
    ];
    let fragments = [fragments.concat(), frame(0, true, &[b' '; 30_000])].concat();
    let fragmented = |_| exchange(addr, local(), text(&hello(ALICE)), fragments.clone());
    all_close_with(fragmented, 1009, "too_big").await;
    let too_large = r#"warroom_commands_rejected_total{reason="too_large"}"#;
    assert_eq!(hub.metric(too_large).await, f64::from(3 * REPEAT));
    hub.stop().await;
}

/// A connection from 127.0.0.1 with a tiny receive buffer: what the hub sends beyond a
/// few KiB waits in the hub's send queue until the client reads.
async fn tight_socket(addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.set_recv_buffer_size(1).expect("a small buffer");
    let mut stream = within("connect", socket.connect(addr))
        .await
        .expect("connects");
    upgrade(&mut stream, addr).await;
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_reads_late_still_gets_its_close_code() {
    let hub = Hub::start(ConnectionLimits::default()).await;
    let incident = hub.declare().await;
    let url = format!("http://{}", hub.addr());
    let mut alice = within("connect", HubClient::connect(&url, ALICE, None, 0))
        .await
        .expect("connects");
    for k in 0..4 {
        let note = json!({"type": "add_note", "text": format!("{k}{}", "n".repeat(2_000))});
        let note: Command = serde_json::from_value(note).expect("a command");
        within("a note", alice.command(Some(&incident), note))
            .await
            .expect("noted");
    }
    alice.close().await;
    // Each client subscribes (an 8 KiB backlog, more than its receive buffer holds),
    // sends a frame over the limit, and only then reads: the close frame is still in
    // the hub's send queue, behind the backlog, when the hub is done with the socket.
    let subscribe = json!({"type": "hello", "protocol": PROTOCOL_VERSION, "token": ALICE,
        "incident": incident});
    let late_reader = |_| async {
        let stream = tight_socket(hub.addr()).await;
        let (mut reader, mut writer) = stream.into_split();
        let bytes = [text(&subscribe.to_string()), text(&"y".repeat(65_537))].concat();
        let _ = within("write", writer.write_all(&bytes)).await;
        let outcome = within("the hub closing", read_to_close(&mut reader)).await;
        let _ = writer
            .write_all(&frame(8, true, &1000u16.to_be_bytes()))
            .await;
        outcome
    };
    all_close_with(late_reader, 1009, "too_big").await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragmented_frame_within_the_limit_is_one_message() {
    let hub = Hub::start(ConnectionLimits::default()).await;
    let incident = hub.declare().await;
    let mut stream = tcp_from(hub.addr(), local()).await;
    upgrade(&mut stream, hub.addr()).await;
    let command = note_frame("frag-1", &incident, &"z".repeat(3_000));
    let (head, tail) = command.as_bytes().split_at(1_000);
    let (middle, tail) = tail.split_at(1_000);
    let bytes = [
        frame(1, false, hello(ALICE).as_bytes()).as_slice(),
        &frame(0, true, &[]),
        &frame(1, false, head),
        &frame(9, true, b"a ping between fragments"),
        &frame(0, false, middle),
        &frame(0, true, tail),
    ]
    .concat();
    within("send", stream.write_all(&bytes))
        .await
        .expect("sent");
    let (mut reader, mut writer) = stream.into_split();
    let mut ack = None;
    while ack.is_none() {
        let mut head = [0u8; 2];
        within("a frame", reader.read_exact(&mut head))
            .await
            .expect("open");
        let len = match head[1] & 0x7f {
            126 => u64::from(reader.read_u16().await.expect("len")),
            127 => reader.read_u64().await.expect("len"),
            short => u64::from(short),
        };
        let mut payload = vec![0u8; usize::try_from(len).expect("len")];
        reader.read_exact(&mut payload).await.expect("payload");
        assert_ne!(head[0] & 0x0f, 8, "closed: {payload:?}");
        if head[0] & 0x0f == 1 {
            let frame: Value = serde_json::from_slice(&payload).expect("JSON");
            if frame["type"] == "ack" {
                ack = Some(frame);
            }
        }
    }
    assert_eq!(ack.expect("an ack")["id"], "frag-1");
    let _ = writer
        .write_all(&frame(8, true, &1000u16.to_be_bytes()))
        .await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_twenty_first_malformed_frame_is_answered_then_4010() {
    let hub = Hub::start(ConnectionLimits::default()).await;
    let malformed: Vec<u8> = (0..21)
        .flat_map(|k| text(&format!(r#"{{"type":"teleport","id":"m{k}"}}"#)))
        .collect();
    let (frames, code) = exchange(hub.addr(), local(), text(&hello(ALICE)), malformed).await;
    assert_eq!(code, Some(4010), "{frames:?}");
    let rejects: Vec<&Value> = frames.iter().filter(|f| f["type"] == "reject").collect();
    let ids: Vec<&str> = rejects.iter().filter_map(|f| f["id"].as_str()).collect();
    let expected: Vec<String> = (0..21).map(|k| format!("m{k}")).collect();
    assert_eq!(
        ids, expected,
        "each malformed frame, the 21st too, is answered"
    );
    assert!(rejects.iter().all(|f| f["code"] == "malformed"));
    let last = frames.last().expect("frames");
    assert_eq!(
        (&last["type"], &last["code"]),
        (&json!("error"), &json!("malformed"))
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_close_comes_after_an_answer_to_every_command_read() {
    let hub = Hub::start(ConnectionLimits::default()).await;
    let incident = hub.declare().await;
    let url = format!("ws://{}/ws", hub.addr());
    let (ws, _) = within("upgrade", tokio_tungstenite::connect_async(url))
        .await
        .expect("upgrades");
    let (mut sink, mut stream) = ws.split();
    // Far more than the burst, as fast as possible: the hub closes after 500 in a row
    // are rate-limited, which needs no token to come back meanwhile (50/s).
    let sent = 10_000;
    let mut frames = vec![hello(ALICE)];
    frames.extend((0..sent).map(|k| note_frame(&format!("flood-{k}"), &incident, "flood")));
    let writing = tokio::spawn(async move {
        for frame in frames {
            if sink.feed(Message::Text(frame.into())).await.is_err() {
                return; // the hub closed and stopped reading
            }
        }
        let _ = sink.flush().await;
    });
    let (mut acked, mut answered, mut code) = (BTreeSet::new(), Vec::new(), None);
    while let Some(Ok(message)) = within("the next frame", stream.next()).await {
        let frame: Value = match message {
            Message::Text(text) => serde_json::from_str(&text).expect("JSON"),
            Message::Close(close) => {
                code = close.map(|c| u16::from(c.code));
                break;
            }
            _ => continue,
        };
        if let Some(id) = frame["id"].as_str().filter(|id| id.starts_with("flood-")) {
            answered.push(id.to_string());
            if frame["type"] == "ack" {
                acked.insert(id.to_string());
            }
        }
    }
    writing.abort();
    assert_eq!(code, Some(4009), "closed for flooding");
    // The hub read some prefix of the commands, and answered each exactly once.
    let read: BTreeSet<String> = answered.iter().cloned().collect();
    assert_eq!(read.len(), answered.len(), "no command answered twice");
    let prefix: BTreeSet<String> = (0..read.len()).map(|k| format!("flood-{k}")).collect();
    assert_eq!(read, prefix, "every command the hub read got an answer");
    assert!(read.len() < sent, "the rest was never read");
    drop(stream);
    let dir = hub.stop().await;
    let opened = DataDir::new(dir.path()).open(&incident).expect("opens");
    let applied: BTreeSet<String> = opened
        .all_events()
        .expect("reads")
        .iter()
        .filter_map(|e| e.command_id.clone())
        .filter(|id| id.starts_with("flood-"))
        .collect();
    assert!(
        applied.len() >= 200,
        "the burst was applied: {}",
        applied.len()
    );
    assert_eq!(applied, acked, "each applied command was acknowledged");
}

/// Small caps with long timeouts, so only the caps act.
fn caps(total: usize, per_ip: usize) -> ConnectionLimits {
    ConnectionLimits {
        max_connections: total,
        max_unauthenticated_per_ip: per_ip,
        header_timeout: Duration::from_secs(60),
        hello_timeout: Duration::from_secs(60),
    }
}

/// A raw WebSocket login from `source`: upgraded, hello sent, welcome read.
async fn login_from(addr: SocketAddr, source: IpAddr) -> TcpStream {
    let mut stream = tcp_from(addr, source).await;
    upgrade(&mut stream, addr).await;
    within("hello", stream.write_all(&text(&hello(ALICE))))
        .await
        .expect("sent");
    let mut head = [0u8; 2];
    within("welcome", stream.read_exact(&mut head))
        .await
        .expect("a frame");
    let mut payload = vec![0u8; usize::from(head[1] & 0x7f)];
    stream.read_exact(&mut payload).await.expect("payload");
    let welcome: Value = serde_json::from_slice(&payload).expect("JSON");
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    stream
}

/// Reads until the hub hangs up; false if it sent anything first.
async fn hung_up(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        within("a hang-up", stream.read(&mut byte)).await,
        Ok(0) | Err(_)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_over_the_per_address_cap_make_room_oldest_first() {
    let hub = Hub::start(caps(12, 4)).await;
    let (addr, flood) = (hub.addr(), IpAddr::from([127, 0, 4, 1]));
    let mut idle = Vec::new();
    for _ in 0..10 {
        idle.push(tcp_from(addr, flood).await);
    }
    for (k, socket) in idle.iter_mut().take(6).enumerate() {
        assert!(hung_up(socket).await, "idle socket {k} was evicted");
    }
    assert_eq!(hub.metric("warroom_connections_evicted_total").await, 6.0);
    // From the flooding address itself, a request and a login still get in, each
    // pushing out the oldest idle socket left.
    let (status, body) = http_from(addr, flood, "/health", "").await;
    assert_eq!(status, 200, "{body}");
    assert!(hung_up(&mut idle[6]).await, "the next oldest made room");
    let logged_in = login_from(addr, flood).await;
    assert!(hub.metric("warroom_connections_evicted_total").await >= 7.0);
    assert_eq!(hub.metric("warroom_connections_refused_total").await, 0.0);
    drop((idle, logged_in));
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_full_of_authenticated_connections_refuses_with_503() {
    let hub = Hub::start(caps(4, 64)).await;
    let addr = hub.addr();
    let mut sessions = Vec::new();
    for _ in 0..4 {
        sessions.push(login_from(addr, local()).await);
    }
    let mut refused = tcp_from(addr, local()).await;
    let mut response = String::new();
    within("a refusal", refused.read_to_string(&mut response))
        .await
        .expect("read");
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
    assert!(response.contains("connection limit"), "{response}");
    // One leaves: there is room again (its place is given back as it closes).
    drop(sessions.pop());
    let health = async {
        for _ in 0..1_000 {
            let mut socket = tcp_from(addr, local()).await;
            let request =
                format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            let _ = socket.write_all(request.as_bytes()).await;
            let mut response = String::new();
            let _ = socket.read_to_string(&mut response).await;
            if response.starts_with("HTTP/1.1 200") {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("no room after a session left");
    };
    within("room again", health).await;
    assert!(hub.metric("warroom_connections_refused_total").await >= 1.0);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_that_send_no_request_or_no_hello_are_closed_in_time() {
    let limits = ConnectionLimits {
        header_timeout: Duration::from_secs(1),
        hello_timeout: Duration::from_secs(1),
        ..ConnectionLimits::default()
    };
    let hub = Hub::start(limits).await;
    let addr = hub.addr();
    let started = Instant::now();
    let mut partial = tcp_from(addr, local()).await;
    let head = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\n");
    within("a partial head", partial.write_all(head.as_bytes()))
        .await
        .expect("sent");
    let mut silent = tcp_from(addr, local()).await;
    let mut no_hello = tcp_from(addr, local()).await;
    upgrade(&mut no_hello, addr).await;
    assert!(hung_up(&mut partial).await, "no response to half a request");
    assert!(hung_up(&mut silent).await, "nothing to a silent socket");
    let (frames, code) = within("hello timeout", read_to_close(&mut no_hello)).await;
    assert_eq!(code, Some(4000), "{frames:?}");
    assert_eq!(
        frames.last().map(|f| f["code"].clone()),
        Some(json!("hello_expected"))
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "closed by the timeouts"
    );
    assert_eq!(hub.metric("warroom_connections_timed_out_total").await, 3.0);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_intake_answers_a_version_it_cannot_read_with_a_clear_400() {
    let hub = Hub::start(ConnectionLimits::default()).await;
    let addr = hub.addr();
    let payload = |version: Value| {
        json!({"version": version, "groupKey": "g1", "status": "firing", "alerts": []}).to_string()
    };
    let alerts = "/api/v1/alerts/alertmanager";
    for version in [Value::Null, json!(4), json!("3")] {
        let (status, body) = http_from(addr, local(), alerts, &payload(version.clone())).await;
        assert_eq!(status, 400, "{version}: {body}");
        assert!(!body.trim_end().contains('\n'), "one line: {body}");
        let error: Value = serde_json::from_str(&body).expect("JSON");
        let message = error["error"].as_str().expect("an error message");
        assert!(
            message.contains("version") && message.contains("\"4\""),
            "{message}"
        );
    }
    let (status, body) = http_from(addr, local(), alerts, &payload(json!("4"))).await;
    assert_eq!(status, 200, "{body}");
    hub.stop().await;
}
