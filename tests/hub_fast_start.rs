//! Hub start-up from the summaries kept beside the logs (`warroom::hub::start` on
//! 127.0.0.1:0): an incident whose summary is current is served without its log being
//! opened (a log damaged behind such a summary is only found, and quarantined, when the
//! incident is next opened), its alert groups and its declare's command id come from the
//! summary; a summary without the load facts, or one saying work was left in flight,
//! makes start-up open and verify the log as before.

use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use warroom::engine::{DataDir, IncidentSummary, LoadFacts, StoredSummary};
use warroom::hub::auth::Authenticator;
use warroom::hub::{HubLimits, HubOptions, RunningHub};
use warroom::incident::{Command, Role};
use warroom::net::HubClient;
use warroom::protocol::{ClientFrame, HubFrame};
use warroom::store::{IncidentLog, IncidentStore, Pinned};

const ALICE: &str = "tok-alice-commander";
const LIMIT: Duration = Duration::from_secs(10);
const ALERTS: &str = "/api/v1/alerts/alertmanager";

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    let result = tokio::time::timeout(LIMIT, future).await;
    result.unwrap_or_else(|_| panic!("timed out after {LIMIT:?}: {what}"))
}

fn command(value: Value) -> Command {
    serde_json::from_value(value).expect("a valid command")
}

async fn start(dir: &Path) -> RunningHub {
    let options = HubOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data: DataDir::new(dir),
        runbooks: warroom::catalog::embedded().expect("catalog"),
        auth: Authenticator::default().with_token(ALICE, "alice", [Role::Commander]),
        limits: HubLimits::default(),
    };
    within("start", warroom::hub::start(options))
        .await
        .expect("starts")
}

async fn client(hub: &RunningHub) -> HubClient {
    let url = format!("http://{}", hub.addr);
    let connecting = HubClient::connect(&url, ALICE, None, 0);
    within("connect", connecting).await.expect("connects")
}

/// One HTTP/1.1 request with alice's token; returns status and the body as JSON.
async fn http(hub: &RunningHub, method: &str, path: &str, body: &str) -> (u16, Value) {
    let addr = hub.addr;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {ALICE}\r\n\
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
    let body = serde_json::from_str(body).unwrap_or(Value::Null);
    (status.expect("a status"), body)
}

async fn health(hub: &RunningHub) -> Value {
    let (status, body) = http(hub, "GET", "/health", "").await;
    assert_eq!(status, 200);
    body
}

async fn post_alert(hub: &RunningHub, group: &str) -> Value {
    let alert = json!({
        "version": "4", "groupKey": group, "status": "firing", "receiver": "warroom",
        "commonLabels": {"alertname": group},
        "alerts": [{"status": "firing", "labels": {"alertname": group}}],
    });
    let (status, body) = http(hub, "POST", ALERTS, &alert.to_string()).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Sends a declare with command id `id`; returns the ack's incident, seq and duplicate flag.
async fn declare(client: &mut HubClient, id: &str) -> (String, u64, bool) {
    let frame = ClientFrame::Command {
        id: id.to_string(),
        incident: None,
        command: command(json!({"type": "declare", "id": "", "title": "T", "severity": "SEV3"})),
    };
    client.send(&frame).await.expect("sent");
    loop {
        match within("the answer", client.next()).await.expect("a frame") {
            HubFrame::Ack {
                incident,
                seq,
                duplicate,
                ..
            } => return (incident, seq, duplicate),
            HubFrame::Reject { message, .. } => panic!("{message}"),
            _ => {}
        }
    }
}

fn log_path(dir: &Path, id: &str) -> PathBuf {
    dir.join("incidents").join(format!("{id}.jsonl"))
}

/// Flips one byte of line 1 of incident `id`'s log (the chain no longer verifies) and
/// dates the file back before its summary, as if the summary were written after it: the
/// summary stays current, so only a start-up that verifies the log notices. Its
/// snapshot goes too, so opening it replays (and checks) the whole log.
fn damage_behind_summary(dir: &Path, id: &str) {
    let path = log_path(dir, id);
    let mut bytes = std::fs::read(&path).expect("log");
    assert!(
        bytes.iter().filter(|b| **b == b'\n').count() > 1,
        "line 1 is not the last"
    );
    bytes[40] = if bytes[40] == b'0' { b'1' } else { b'0' };
    std::fs::write(&path, bytes).expect("damaged");
    // Opening trusts the prefix a snapshot covers (`verify` checks it): without one,
    // opening replays the whole log and must find the damage.
    let _ = std::fs::remove_file(path.with_extension("snapshot"));
    let summary = path.with_extension("summary");
    let written = std::fs::metadata(&summary)
        .and_then(|m| m.modified())
        .expect("a summary beside the log");
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|file| file.set_modified(written - Duration::from_secs(2)))
        .expect("dated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn current_summaries_start_the_hub_without_opening_the_logs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hub = start(dir.path()).await;
    let alerted = post_alert(&hub, "g1").await["incident"]
        .as_str()
        .expect("an incident")
        .to_string();
    let mut alice = client(&hub).await;
    let (declared, seq, _) = declare(&mut alice, "d0").await;
    alice.close().await;
    within("shutdown", hub.shutdown()).await.expect("stops");

    damage_behind_summary(dir.path(), &declared);
    let hub = start(dir.path()).await;
    let first = health(&hub).await;
    assert_eq!(first["incidents"], 2, "served from its summary: {first}");
    assert_eq!(first["quarantined"], json!([]), "{first}");

    // The declare's command id came from the summary: a re-send is a duplicate.
    let mut alice = client(&hub).await;
    let resent = declare(&mut alice, "d0").await;
    assert_eq!(resent, (declared.clone(), seq, true));
    // So did the alert group: the same group appends to the incident it declared.
    let again = post_alert(&hub, "g1").await;
    assert_eq!(again["incident"], alerted.as_str(), "{again}");
    assert_eq!(again["action"], "appended", "{again}");

    // Opening the damaged incident finds the damage and quarantines it, as at start-up.
    let note = command(json!({"type": "add_note", "text": "x"}));
    let refused = within("a note", alice.command(Some(&declared), note)).await;
    let message = format!("{:?}", refused.expect_err("refused"));
    assert!(message.contains("quarantined"), "{message}");
    let after = health(&hub).await;
    assert_eq!(after["incidents"], 1, "{after}");
    assert_eq!(after["quarantined"][0]["id"], declared.as_str(), "{after}");
    let reason = after["quarantined"][0]["reason"]
        .as_str()
        .expect("a reason");
    assert!(
        reason.contains("verification") && reason.contains("line 1"),
        "{reason}"
    );
    alice.close().await;
    within("shutdown", hub.shutdown()).await.expect("stops");
}

/// Rewrites incident `id`'s summary, current at its log's head, with `load` as given.
fn rewrite_summary(dir: &Path, id: &str, load: Option<LoadFacts>) {
    let store = DataDir::new(dir).store();
    let opened = store.open::<warroom::incident::Event>(id).expect("opens");
    let mut log = opened.log;
    let kept: StoredSummary = {
        let pinned = store.summaries().expect("summaries");
        let (_, pinned) = pinned.into_iter().find(|(i, _)| i == id).expect("kept");
        serde_json::from_slice(&pinned.bytes).expect("decodes")
    };
    let summary: IncidentSummary = kept.summary;
    let bytes = serde_json::to_vec(&StoredSummary { summary, load }).expect("encodes");
    let pinned = Pinned {
        head: log.head(),
        bytes,
    };
    log.write_summary(&pinned).expect("written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_or_unsettled_summary_makes_start_up_verify_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hub = start(dir.path()).await;
    let mut alice = client(&hub).await;
    let (older, _, _) = declare(&mut alice, "d0").await;
    let (unsettled, _, _) = declare(&mut alice, "d1").await;
    let (settled, _, _) = declare(&mut alice, "d2").await;
    alice.close().await;
    within("shutdown", hub.shutdown()).await.expect("stops");

    // A summary from before the load facts, and one saying work was left in flight.
    rewrite_summary(dir.path(), &older, None);
    let in_flight = LoadFacts {
        unsettled: true,
        ..LoadFacts::default()
    };
    rewrite_summary(dir.path(), &unsettled, Some(in_flight));
    for id in [&older, &unsettled, &settled] {
        damage_behind_summary(dir.path(), id);
    }
    let hub = start(dir.path()).await;
    let health = health(&hub).await;
    let quarantined: Vec<&str> = health["quarantined"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|q| q["id"].as_str())
        .collect();
    assert_eq!(
        quarantined,
        [older.as_str(), unsettled.as_str()],
        "{health}"
    );
    assert_eq!(health["incidents"], 1, "{health}");
    within("shutdown", hub.shutdown()).await.expect("stops");
}
