//! The hub's news about every incident (`hello.watch_incidents`, `incident_changed`):
//! a real hub on 127.0.0.1 port 0, a watching follower (`net::sync`), a raw watching
//! socket for the documented frame shape, and a connection that did not ask and hears
//! nothing. Every wait is bounded.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use warroom::engine::DataDir;
use warroom::hub::auth::Authenticator;
use warroom::hub::{HubOptions, RunningHub};
use warroom::incident::{Command, Role, Severity};
use warroom::net::{HubClient, IncidentNews, SyncOptions};
use warroom::protocol::ClientFrame;

const ALICE: &str = "tok-alice-commander";
const BOB: &str = "tok-bob-scribe";
const LIMIT: Duration = Duration::from_secs(10);

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(LIMIT, future).await {
        Ok(value) => value,
        Err(_) => panic!("no {what} within {LIMIT:?}"),
    }
}

async fn start() -> (RunningHub, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let auth = Authenticator::default()
        .with_token(ALICE, "alice", [Role::Commander])
        .with_token(BOB, "bob", [Role::Scribe]);
    let options = HubOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data: DataDir::new(dir.path()),
        runbooks: warroom::catalog::embedded().expect("catalog"),
        auth,
        limits: warroom::hub::HubLimits::default(),
    };
    let hub = within("start", warroom::hub::start(options)).await;
    (hub.expect("starts"), dir)
}

fn command(value: Value) -> Command {
    serde_json::from_value(value).expect("a command")
}

async fn declare(alice: &mut HubClient, title: &str, severity: &str) -> String {
    let declare = json!({"type": "declare", "title": title, "severity": severity});
    let declared = within("declare", alice.command(None, command(declare))).await;
    declared.expect("declared").0
}

/// A raw socket that said hello (with `extra` fields) and got `welcome`.
async fn raw(hub: &RunningHub, extra: Value) -> Ws {
    let url = format!("ws://{}/ws", hub.addr);
    let (mut ws, _) = within("upgrade", tokio_tungstenite::connect_async(url))
        .await
        .expect("upgrades");
    let mut hello = json!({"type": "hello", "protocol": 1, "token": BOB});
    if let (Some(hello), Some(extra)) = (hello.as_object_mut(), extra.as_object()) {
        hello.extend(extra.clone());
    }
    let text = hello.to_string();
    ws.send(tokio_tungstenite::tungstenite::Message::Text(text.into()))
        .await
        .expect("hello sent");
    until(&mut ws, "welcome").await;
    ws
}

/// Frames up to and including the first of type `kind`.
async fn until(ws: &mut Ws, kind: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let message = within(kind, ws.next()).await;
        let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = message else {
            panic!("the socket ended before `{kind}`: {seen:?}");
        };
        let frame: Value = serde_json::from_str(&text).expect("JSON");
        let done = frame["type"] == kind;
        seen.push(frame);
        if done {
            return seen;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchers_hear_declares_and_changes_of_every_incident_and_others_hear_nothing() {
    let (hub, _dir) = start().await;
    let url = format!("http://{}", hub.addr);
    let mut alice = within("connect", HubClient::connect(&url, ALICE, None, 0))
        .await
        .expect("connects");
    let first = declare(&mut alice, "Checkout 500s", "SEV3").await;

    // Bob's console follows the first incident and watches the hub.
    let mut options = SyncOptions::new(url.as_str(), BOB, first.as_str());
    options.watch_incidents = true;
    let mut bob = warroom::net::sync::spawn(options);
    let listed = within("the first list", bob.news.recv()).await;
    let Some(IncidentNews::List(items)) = listed else {
        panic!("{listed:?}");
    };
    assert_eq!(items.len(), 1);
    let mut watching = raw(&hub, json!({"watch_incidents": true})).await;
    let mut deaf = raw(&hub, json!({"incident": first})).await;
    until(&mut deaf, "synced").await;

    let second = declare(&mut alice, "Search latency", "SEV3").await;
    let news = within("news of the declare", bob.news.recv()).await;
    let Some(IncidentNews::Changed {
        item,
        previous: None,
    }) = news
    else {
        panic!("{news:?}");
    };
    assert_eq!(
        (item.id.as_str(), item.severity),
        (second.as_str(), Some(Severity::Sev3))
    );

    // A note is not news; an escalation is, with what it was before.
    let note = json!({"type": "add_note", "kind": "note", "text": "looking"});
    within("note", alice.command(Some(&second), command(note)))
        .await
        .expect("noted");
    let escalate = json!({"type": "set_severity", "severity": "SEV1"});
    within("escalate", alice.command(Some(&second), command(escalate)))
        .await
        .expect("escalated");
    let news = within("news of the escalation", bob.news.recv()).await;
    let Some(IncidentNews::Changed {
        item,
        previous: Some(before),
    }) = news
    else {
        panic!("{news:?}");
    };
    assert_eq!(item.severity, Some(Severity::Sev1));
    assert_eq!(before.severity, Some(Severity::Sev3));

    // The frames as documented in docs/PROTOCOL.md.
    let frames = until(&mut watching, "incident_changed").await;
    let declared = frames.last().expect("a frame");
    assert_eq!(declared["item"]["id"], json!(second));
    assert_eq!(declared["item"]["title"], json!("Search latency"));
    assert_eq!(declared["previous"], Value::Null);
    let frames = until(&mut watching, "incident_changed").await;
    assert_eq!(frames.len(), 1, "the note sent nothing: {frames:?}");
    assert_eq!(frames[0]["item"]["severity"], json!("SEV1"));
    assert_eq!(frames[0]["previous"]["severity"], json!("SEV3"));
    assert_eq!(frames[0]["previous"]["status"], json!("investigating"));

    // A connection that did not ask hears no news, only what it asked for.
    let list = serde_json::to_string(&ClientFrame::List).expect("JSON");
    deaf.send(tokio_tungstenite::tungstenite::Message::Text(list.into()))
        .await
        .expect("sent");
    let frames = until(&mut deaf, "incidents").await;
    assert!(
        frames.iter().all(|f| f["type"] != "incident_changed"),
        "{frames:?}"
    );

    bob.stop();
    alice.close().await;
    within("shutdown", hub.shutdown()).await.expect("stops");
}
