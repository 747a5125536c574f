//! `warroom bench hub`: measures the hub on loopback against a bare WebSocket broadcast
//! built from the same libraries (axum + tokio-tungstenite, no logic, no disk) in the
//! same run, so the hub's cost is a ratio, not a guess. Reports latency from a command's
//! send to its event's arrival at every client (p50/p99), and sustained durable
//! events/s (fsync on, group commit).

use crate::engine::DataDir;
use crate::hub::auth::Authenticator;
use crate::hub::{HubOptions, start};
use crate::incident::{Command, EntryKind, Role, Severity};
use crate::net::HubClient;
use crate::protocol::{ClientFrame, PROTOCOL_VERSION};
use crate::store::{NatsConfig, NatsStore};
use axum::extract::State;
use axum::extract::ws::{Message as AxumMessage, WebSocket, WebSocketUpgrade};
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;

const TOKEN: &str = "wrt_bench";

#[derive(Debug, Clone)]
pub struct LatencyReport {
    pub clients: usize,
    pub samples: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

#[derive(Debug, Clone)]
pub struct BenchReport {
    pub hub: LatencyReport,
    pub bare: LatencyReport,
    pub durable_events_per_sec: f64,
    pub writers: usize,
    pub events: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(rank).copied().unwrap_or_default()
}

fn report(clients: usize, sent: &[Instant], arrivals: Vec<Vec<(usize, Instant)>>) -> LatencyReport {
    let mut samples: Vec<Duration> = arrivals
        .into_iter()
        .flatten()
        .filter_map(|(i, at)| sent.get(i).map(|s| at.saturating_duration_since(*s)))
        .collect();
    samples.sort();
    LatencyReport {
        clients,
        samples: samples.len(),
        p50: percentile(&samples, 0.50),
        p99: percentile(&samples, 0.99),
        max: samples.last().copied().unwrap_or_default(),
    }
}

/// Reads frames until `expected` markers `bench-<i>;` have arrived (or 30 s pass),
/// recording when each arrived.
async fn receive<S>(mut stream: S, expected: usize) -> Vec<(usize, Instant)>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let mut seen = Vec::with_capacity(expected);
    let deadline = tokio::time::sleep(Duration::from_secs(30));
    tokio::pin!(deadline);
    while seen.len() < expected {
        tokio::select! {
            _ = &mut deadline => break,
            message = stream.next() => {
                let Some(Ok(Message::Text(text))) = message else {
                    if message.is_none() { break } else { continue }
                };
                let now = Instant::now();
                if let Some(start) = text.find("bench-") {
                    let digits: String = text[start + 6..].chars().take_while(char::is_ascii_digit).collect();
                    if let Ok(i) = digits.parse() {
                        seen.push((i, now));
                    }
                }
            }
        }
    }
    seen
}

/// One latency run against the hub: `clients` subscribers, one writer pacing
/// `commands` notes `interval` apart. With NATS and `hubs` above 1, that many hubs share
/// one stream: the writer is on the first, the subscribers are dealt out across all of
/// them in turn, so most events reach most subscribers through a hub that did not
/// commit them (it follows the stream).
async fn hub_latency(
    clients: usize,
    commands: usize,
    interval: Duration,
    nats: Option<&NatsConfig>,
    hubs: usize,
) -> Result<LatencyReport, String> {
    let dir = tempdir()?;
    let nats = nats.map(|n| fresh_stream(&dir, n));
    let mut running = vec![start_hub(&dir, nats.as_ref()).await?];
    let mut dirs = vec![dir];
    for _ in 1..hubs.max(1) {
        let dir = tempdir()?;
        running.push(start_hub(&dir, nats.as_ref()).await?);
        dirs.push(dir);
    }
    let urls: Vec<String> = running
        .iter()
        .map(|hub| format!("ws://{}/ws", hub.addr))
        .collect();
    let (mut writer, incident) = declare(&urls[0]).await?;
    let mut receivers = Vec::new();
    for c in 0..clients {
        let socket = raw_client(&urls[c % urls.len()], Some(&incident)).await?;
        // Wait for welcome, subscribed and synced before the clock starts.
        let (sink, mut stream) = socket.split();
        for _ in 0..3 {
            stream.next().await;
        }
        receivers.push(tokio::spawn(async move {
            let _keep_open = sink;
            receive(stream, commands).await
        }));
    }
    let mut sent = Vec::with_capacity(commands);
    for i in 0..commands {
        sent.push(Instant::now());
        let frame = ClientFrame::Command {
            id: format!("c{i}"),
            incident: Some(incident.clone()),
            command: Command::AddNote {
                kind: EntryKind::Note,
                text: format!("bench-{i};"),
                typed_at: None,
            },
        };
        writer.send(&frame).await.map_err(|e| e.to_string())?;
        tokio::time::sleep(interval).await;
    }
    let mut arrivals = Vec::new();
    for receiver in receivers {
        arrivals.push(receiver.await.map_err(|e| e.to_string())?);
    }
    writer.close().await;
    for hub in running {
        hub.shutdown().await.map_err(|e| e.to_string())?;
    }
    Ok(report(clients, &sent, arrivals))
}

/// Sustained durable throughput: `writers` connections each pipelining `per_writer`
/// notes (within the per-connection burst), timed until the last ack.
async fn hub_throughput(
    writers: usize,
    per_writer: usize,
    nats: Option<&NatsConfig>,
) -> Result<f64, String> {
    let dir = tempdir()?;
    let nats = nats.map(|n| fresh_stream(&dir, n));
    let hub = start_hub(&dir, nats.as_ref()).await?;
    let url = format!("ws://{}/ws", hub.addr);
    let (_declarer, incident) = declare(&url).await?;
    let mut sockets = Vec::new();
    for _ in 0..writers {
        let mut socket = raw_client(&url, None).await?;
        socket.next().await;
        sockets.push(socket);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (w, socket) in sockets.into_iter().enumerate() {
        let incident = incident.clone();
        tasks.push(tokio::spawn(async move {
            let (mut sink, mut stream) = socket.split();
            for i in 0..per_writer {
                let frame = ClientFrame::Command {
                    id: format!("w{w}-{i}"),
                    incident: Some(incident.clone()),
                    command: Command::AddNote {
                        kind: EntryKind::Note,
                        text: format!("load {w} {i}"),
                        typed_at: None,
                    },
                };
                let Ok(text) = serde_json::to_string(&frame) else {
                    return 0;
                };
                if sink.send(Message::Text(text.into())).await.is_err() {
                    return 0;
                }
            }
            let mut acked = 0;
            while acked < per_writer {
                match tokio::time::timeout(Duration::from_secs(60), stream.next()).await {
                    Ok(Some(Ok(Message::Text(text)))) if text.contains("\"type\":\"ack\"") => {
                        acked += 1
                    }
                    Ok(Some(Ok(_))) => {}
                    _ => break,
                }
            }
            acked
        }));
    }
    let mut total = 0usize;
    for task in tasks {
        total += task.await.map_err(|e| e.to_string())?;
    }
    let elapsed = started.elapsed();
    hub.shutdown().await.map_err(|e| e.to_string())?;
    Ok(total as f64 / elapsed.as_secs_f64())
}

/// The baseline: every text frame a connection sends is broadcast to every connection.
async fn bare_latency(
    clients: usize,
    commands: usize,
    interval: Duration,
) -> Result<LatencyReport, String> {
    let (tx, _) = broadcast::channel::<Arc<str>>(4096);
    let app = axum::Router::new()
        .route("/ws", axum::routing::get(bare_upgrade))
        .with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let url = format!("ws://{addr}/ws");
    let mut receivers = Vec::new();
    for _ in 0..clients {
        let (socket, _) = tokio_tungstenite::connect_async(&url)
            .await
            .map_err(|e| e.to_string())?;
        let (sink, stream) = socket.split();
        receivers.push(tokio::spawn(async move {
            let _keep_open = sink;
            receive(stream, commands).await
        }));
    }
    let (mut writer, _) = tokio_tungstenite::connect_async(&url)
        .await
        .map_err(|e| e.to_string())?;
    // Let every subscriber's handler subscribe before sending.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut sent = Vec::with_capacity(commands);
    for i in 0..commands {
        sent.push(Instant::now());
        let text = format!("{{\"type\":\"command\",\"id\":\"c{i}\",\"text\":\"bench-{i};\"}}");
        writer
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| e.to_string())?;
        tokio::time::sleep(interval).await;
    }
    let mut arrivals = Vec::new();
    for receiver in receivers {
        arrivals.push(receiver.await.map_err(|e| e.to_string())?);
    }
    server.abort();
    Ok(report(clients, &sent, arrivals))
}

async fn bare_upgrade(
    upgrade: WebSocketUpgrade,
    State(tx): State<broadcast::Sender<Arc<str>>>,
) -> axum::response::Response {
    upgrade.on_upgrade(move |socket| bare_session(socket, tx))
}

async fn bare_session(socket: WebSocket, tx: broadcast::Sender<Arc<str>>) {
    let mut rx = tx.subscribe();
    let (mut sink, mut stream) = socket.split();
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(AxumMessage::Text(text))) => { let _ = tx.send(Arc::from(text.as_str())); }
                Some(Ok(_)) => {}
                _ => break,
            },
            item = rx.recv() => match item {
                Ok(frame) => if sink.send(AxumMessage::Text(frame.as_ref().into())).await.is_err() { break },
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => break,
            },
        }
    }
}

/// A client on `url` and a fresh incident it declared.
async fn declare(url: &str) -> Result<(HubClient, String), String> {
    let mut client = HubClient::connect(url, TOKEN, None, 0)
        .await
        .map_err(|e| e.to_string())?;
    let declare = Command::Declare {
        id: String::new(),
        title: "bench".into(),
        severity: Severity::Sev2,
        playbook: None,
        summary: None,
    };
    let (incident, _) = client
        .command(None, declare)
        .await
        .map_err(|e| e.to_string())?;
    Ok((client, incident))
}

/// A raw socket that has said hello (and, for `incident`, subscribed from now on).
async fn raw_client(
    url: &str,
    incident: Option<&str>,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    String,
> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| e.to_string())?;
    let hello = ClientFrame::Hello {
        protocol: PROTOCOL_VERSION,
        token: TOKEN.into(),
        incident: incident.map(str::to_string),
        since_seq: u64::MAX,
        snapshot: false,
        watch_incidents: false,
    };
    let text = serde_json::to_string(&hello).map_err(|e| e.to_string())?;
    socket
        .send(Message::Text(text.into()))
        .await
        .map_err(|e| e.to_string())?;
    Ok(socket)
}

fn tempdir() -> Result<std::path::PathBuf, String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let dir = std::env::temp_dir().join(format!("warroom-bench-{name}"));
    crate::store::private::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// `nats` with a stream of the run's own (`bench<random>`, from `dir`'s name), so runs
/// never share one.
fn fresh_stream(dir: &std::path::Path, nats: &NatsConfig) -> NatsConfig {
    let mut config = nats.clone();
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    config.stream = format!(
        "bench{}",
        name.unwrap_or_default().replace("warroom-bench-", "")
    );
    config
}

/// A hub over `dir`, its incidents in the stream `nats` names if given, else in `dir`.
async fn start_hub(
    dir: &std::path::Path,
    nats: Option<&NatsConfig>,
) -> Result<crate::hub::RunningHub, String> {
    let runbooks = crate::catalog::embedded().map_err(|e| e.to_string())?;
    let mut data = DataDir::new(dir);
    if let Some(nats) = nats {
        let store = NatsStore::connect(nats).map_err(|e| e.to_string())?;
        data = data.with_nats(store);
    }
    let auth = Authenticator::default().with_token(TOKEN, "bench", [Role::Commander]);
    start(HubOptions {
        listen: "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?,
        data,
        runbooks,
        auth,
        limits: crate::hub::HubLimits::default(),
    })
    .await
    .map_err(|e| e.to_string())
}

/// Runs the whole comparison for each client count; the hub keeps its incidents in
/// NATS JetStream when `nats` says where, and the latency run spreads its subscribers
/// over `hubs` hubs on that stream (the throughput run uses one hub).
pub async fn run(
    client_counts: &[usize],
    commands: usize,
    writers: usize,
    per_writer: usize,
    nats: Option<&NatsConfig>,
    hubs: usize,
) -> Result<Vec<BenchReport>, String> {
    if hubs > 1 && nats.is_none() {
        return Err("more than one hub needs --nats: a file store has one writer".into());
    }
    let interval = Duration::from_millis(5);
    let mut reports = Vec::new();
    for &clients in client_counts {
        let bare = bare_latency(clients, commands, interval).await?;
        let hub = hub_latency(clients, commands, interval, nats, hubs).await?;
        let durable_events_per_sec = hub_throughput(writers, per_writer, nats).await?;
        reports.push(BenchReport {
            hub,
            bare,
            durable_events_per_sec,
            writers,
            events: writers * per_writer,
        });
    }
    Ok(reports)
}

pub fn format(reports: &[BenchReport]) -> String {
    let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1000.0);
    let mut out = String::from(
        "| clients | bare p50 ms | bare p99 ms | hub p50 ms | hub p99 ms | hub max ms | p99 ratio | samples | durable events/s |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in reports {
        let ratio = r.hub.p99.as_secs_f64() / r.bare.p99.as_secs_f64().max(1e-9);
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {:.2}× | {} | {:.0} ({} writers × {}) |\n",
            r.hub.clients,
            ms(r.bare.p50),
            ms(r.bare.p99),
            ms(r.hub.p50),
            ms(r.hub.p99),
            ms(r.hub.max),
            ratio,
            r.hub.samples,
            r.durable_events_per_sec,
            r.writers,
            r.events / r.writers.max(1)
        ));
    }
    out
}
