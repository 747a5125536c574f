//! `warroom serve` with `[store] kind = "nats"`: the real binary as a hub child process
//! keeping its incidents in a real `nats-server -js` (skipped, saying so, if it is not
//! installed). State survives a restart of the hub because it lives in the stream, not
//! in the data directory; an unreachable NATS stops the hub at start, naming the
//! servers it tried.

mod hub_support;
mod nats_server;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hub_support::{Hub, LIMIT, config_path, metric, within};
use nats_server::NatsServer;
use warroom::incident::{Command as Cmd, EntryKind, EventKind, Severity};
use warroom::net::HubClient;

/// `warroom` with a clean environment and `$WARROOM_DATA` = DIR/data.
fn warroom(dir: &Path) -> Command {
    hub_support::warroom(dir, &[("NO_COLOR", "1")])
}

/// `warroom token new` into the config, then `[store]` as given: the token.
fn configure(dir: &Path, store: &str) -> String {
    let token = hub_support::token(dir, "alice", "commander");
    let mut text = std::fs::read_to_string(config_path(dir)).expect("the config");
    text.push_str(store);
    std::fs::write(config_path(dir), text).expect("the config written");
    token
}

fn lines(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

/// `warroom serve --listen 127.0.0.1:0` on the config as it is.
fn serve(dir: &Path) -> Hub {
    hub_support::serve_at(dir, "127.0.0.1:0", &[])
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

async fn connect(addr: SocketAddr, token: &str) -> HubClient {
    let url = format!("http://{addr}");
    let connecting = HubClient::connect(&url, token, None, 0);
    within("connect", connecting).await.expect("connects")
}

#[test]
fn a_hub_on_nats_keeps_its_incidents_in_the_stream_across_a_restart() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let store = format!(
        "\n[store]\nkind = \"nats\"\nservers = [\"{}\"]\nstream = \"hubtest\"\nreplicas = 1\n",
        nats.url()
    );
    let alice = configure(dir.path(), &store);
    let rt = runtime();
    let hub = serve(dir.path());
    let declare = Cmd::Declare {
        id: String::new(),
        title: "Kept in JetStream".into(),
        severity: Severity::Sev2,
        playbook: None,
        summary: None,
    };
    let note = Cmd::AddNote {
        kind: EntryKind::Note,
        text: "the stream holds this".into(),
        typed_at: None,
    };
    let (incident, note_seq) = rt.block_on(async {
        let mut client = connect(hub.addr, &alice).await;
        let (incident, _) = within("declare", client.command(None, declare))
            .await
            .expect("declared");
        let (_, seq) = within("note", client.command(Some(&incident), note))
            .await
            .expect("noted");
        (incident, seq)
    });
    drop(hub); // SIGKILL
    let log = dir.path().join(format!("data/incidents/{incident}.jsonl"));
    assert!(
        !log.exists(),
        "nothing of the incident is in the data directory"
    );

    let hub = serve(dir.path());
    let events = rt.block_on(async {
        let mut client = connect(hub.addr, &alice).await;
        within("load", client.load(&incident)).await.expect("loads")
    });
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=note_seq).collect::<Vec<_>>(),
        "every event is back"
    );
    assert!(
        events.iter().any(|e| matches!(&e.kind,
            EventKind::NoteAdded { text, .. } if text == "the stream holds this")),
        "the note is back"
    );
    assert!(matches!(events[0].kind, EventKind::Declared { .. }));
    // And the hub goes on writing after the restart.
    let after = rt.block_on(async {
        let mut client = connect(hub.addr, &alice).await;
        let more = Cmd::AddNote {
            kind: EntryKind::Note,
            text: "after the restart".into(),
            typed_at: None,
        };
        within(
            "a note after restart",
            client.command(Some(&incident), more),
        )
        .await
        .expect("acked")
        .1
    });
    assert_eq!(after, note_seq + 1, "the chain continues");
}

/// `GET path` on the hub over plain HTTP/1.1: the body, after a 200.
fn http_get(addr: SocketAddr, path: &str) -> String {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(addr).expect("the hub accepts");
    stream
        .set_read_timeout(Some(LIMIT))
        .expect("a read timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("the response is read");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_string()
}

#[test]
fn health_names_the_nats_store_and_metrics_time_its_appends() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let store = format!(
        "\n[store]\nkind = \"nats\"\nservers = [\"{}\"]\nstream = \"healthtest\"\nreplicas = 1\n",
        nats.url()
    );
    let alice = configure(dir.path(), &store);
    let rt = runtime();
    let hub = serve(dir.path());
    rt.block_on(async {
        let mut client = connect(hub.addr, &alice).await;
        let declare = Cmd::Declare {
            id: String::new(),
            title: "Timed appends".into(),
            severity: Severity::Sev3,
            playbook: None,
            summary: None,
        };
        within("declare", client.command(None, declare))
            .await
            .expect("declared");
    });
    let health: serde_json::Value =
        serde_json::from_str(&http_get(hub.addr, "/health")).expect("JSON");
    assert_eq!(
        health["store"],
        serde_json::json!({"kind": "nats", "servers": [nats.url()], "stream": "healthtest", "connected": true}),
        "{health}"
    );
    let text = http_get(hub.addr, "/metrics");
    assert!(
        metric(&text, "warroom_store_append_seconds_count") >= Some(1.0),
        "the declare's publish was timed:\n{text}"
    );
    assert_eq!(metric(&text, "warroom_store_conflicts_total"), Some(0.0));

    // The NATS server goes away: the hub still answers /health, and says so.
    drop(nats);
    let deadline = Instant::now() + LIMIT;
    loop {
        let health: serde_json::Value =
            serde_json::from_str(&http_get(hub.addr, "/health")).expect("JSON");
        if health["store"]["connected"] == false {
            break;
        }
        assert!(Instant::now() < deadline, "still connected: {health}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_hub_that_cannot_reach_nats_names_the_servers_and_exits_non_zero() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("nats://127.0.0.1:{port}");
    configure(
        dir.path(),
        &format!("\n[store]\nkind = \"nats\"\nservers = [\"{url}\"]\nreplicas = 1\n"),
    );
    let mut child = warroom(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(config_path(dir.path()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hub starts");
    let stderr = lines(child.stderr.take().expect("stderr"));
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the hub kept running without its store");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let said: Vec<String> = stderr.try_iter().collect();
    let said = said.join("\n");
    assert!(!status.success(), "{said}");
    assert!(said.contains(&url), "names the server it tried: {said}");
    assert!(!said.contains("listening on"), "{said}");
}

/// Two hubs, each with its own data directory, on one stream: an incident declared
/// through one is listed by the other, and found when a client names it; a console subscribed
/// through the second sees, live, a note written through the first, and a note written
/// through the second lands after it in one chain.
#[test]
fn a_hub_follows_what_another_hub_commits_to_a_shared_incident() {
    use warroom::protocol::HubFrame;

    let Some(nats) = NatsServer::start() else {
        return;
    };
    let store = format!(
        "\n[store]\nkind = \"nats\"\nservers = [\"{}\"]\nstream = \"shared\"\nreplicas = 1\n",
        nats.url()
    );
    let (one_dir, two_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one_token = configure(one_dir.path(), &store);
    let two_token = configure(two_dir.path(), &store);
    let rt = runtime();
    let one = serve(one_dir.path());
    // Both hubs run before the incident exists.
    let two = serve(two_dir.path());
    let declare = Cmd::Declare {
        id: String::new(),
        title: "Shared by two hubs".into(),
        severity: Severity::Sev1,
        playbook: None,
        summary: None,
    };
    let note = |text: &str| Cmd::AddNote {
        kind: EntryKind::Note,
        text: text.into(),
        typed_at: None,
    };
    let incident = rt.block_on(async {
        let mut client = connect(one.addr, &one_token).await;
        let (incident, seq) = within(
            "declare",
            client.command_with_id("declare-once", None, declare.clone()),
        )
        .await
        .expect("declared");
        // The same declare re-sent through the other hub (a client that lost hub one
        // before its answer): the incident hub one made, not a second one.
        let mut resender = connect(two.addr, &two_token).await;
        let again = within(
            "the same declare through hub two",
            resender.command_with_id("declare-once", None, declare),
        )
        .await
        .expect("answered as a re-send");
        assert_eq!(again, (incident.clone(), seq));
        incident
    });
    // The second hub lists the incident, and finds it in the stream when a client
    // names it.
    rt.block_on(async {
        let mut watcher = connect(two.addr, &two_token).await;
        let listed = within("list through hub two", watcher.list())
            .await
            .expect("listed");
        assert!(
            listed
                .iter()
                .any(|s| s.id == incident && s.title == "Shared by two hubs"),
            "{listed:?}"
        );
        assert_eq!(listed.len(), 1, "one incident, declared once: {listed:?}");
        let before = within("subscribe", watcher.load(&incident))
            .await
            .expect("subscribed through hub two");
        let declared = before.len() as u64;
        let mut writer = connect(one.addr, &one_token).await;
        let (_, seq) = within(
            "note through hub one",
            writer.command(Some(&incident), note("from hub one")),
        )
        .await
        .expect("acked");
        assert_eq!(seq, declared + 1);
        let seen = within("the note arriving through hub two", async {
            loop {
                match watcher.next().await.expect("the subscription stays up") {
                    HubFrame::Event { event, .. } => break event,
                    _ => continue,
                }
            }
        })
        .await;
        assert_eq!(seen.seq, declared + 1);
        assert!(matches!(&seen.kind, EventKind::NoteAdded { text, .. } if text == "from hub one"));
        // It came as hub one announced it, not by reading the stream.
        let metrics = http_get(two.addr, "/metrics");
        let announced = metric(&metrics, "warroom_store_followed_total{how=\"announced\"}");
        assert_eq!(announced, Some(1.0), "{metrics}");
        // Hub two writes on from there: one chain, no fork.
        let (_, seq) = within(
            "note through hub two",
            watcher.command(Some(&incident), note("from hub two")),
        )
        .await
        .expect("acked");
        assert_eq!(seq, declared + 2);
    });
    drop((one, two));
    let hub = serve(one_dir.path());
    let events = rt.block_on(async {
        let mut client = connect(hub.addr, &one_token).await;
        within("load", client.load(&incident)).await.expect("loads")
    });
    let notes: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::NoteAdded { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(notes, ["from hub one", "from hub two"]);
}

/// `warroom bench hub --nats URL` runs the hub bench with its incidents in a fresh
/// stream of that server and says how fast; an unreachable server stops it, named.
#[test]
fn bench_hub_takes_the_nats_store() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let output = warroom(dir.path())
        .args([
            "bench",
            "hub",
            "--clients",
            "2",
            "--commands",
            "5",
            "--writers",
            "2",
            "--per-writer",
            "5",
            "--nats",
        ])
        .arg(nats.url())
        .output()
        .expect("bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let row = stdout
        .lines()
        .find(|l| l.starts_with("| 2 |"))
        .unwrap_or_else(|| panic!("a row for 2 clients: {stdout}"));
    assert!(row.contains("(2 writers × 5)"), "{row}");
    // And it does use the servers named: an unreachable one stops it, named.
    let bad = warroom(dir.path())
        .args([
            "bench",
            "hub",
            "--clients",
            "2",
            "--nats",
            "nats://127.0.0.1:1",
        ])
        .output()
        .expect("bench runs");
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("nats://127.0.0.1:1"),
        "names the server: {}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

/// A message that is not a warroom batch on one incident's subject quarantines that
/// incident (named, with the reason) instead of stopping the hub; the others serve.
#[test]
fn a_foreign_message_quarantines_one_incident_and_the_hub_still_starts() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let store = format!(
        "\n[store]\nkind = \"nats\"\nservers = [\"{}\"]\nstream = \"foreign\"\nreplicas = 1\n",
        nats.url()
    );
    let alice = configure(dir.path(), &store);
    let rt = runtime();
    let hub = serve(dir.path());
    let declare = |title: &str| Cmd::Declare {
        id: String::new(),
        title: title.into(),
        severity: Severity::Sev3,
        playbook: None,
        summary: None,
    };
    let (bad, good) = rt.block_on(async {
        let mut client = connect(hub.addr, &alice).await;
        let bad = within("declare", client.command(None, declare("tampered")))
            .await
            .expect("declared")
            .0;
        let good = within("declare", client.command(None, declare("intact")))
            .await
            .expect("declared")
            .0;
        (bad, good)
    });
    drop(hub);
    rt.block_on(async {
        let client = async_nats::connect(nats.url()).await.expect("connects");
        let js = async_nats::jetstream::new(client);
        js.publish(format!("foreign.incident.{bad}"), "planted".into())
            .await
            .expect("sent")
            .await
            .expect("stored");
    });
    let hub = serve(dir.path());
    let listed = rt.block_on(async {
        let mut client = connect(hub.addr, &alice).await;
        within("list", client.list()).await.expect("listed")
    });
    let tampered = listed.iter().find(|s| s.id == bad).expect("listed");
    let reason = tampered.quarantined.as_deref().expect("quarantined");
    assert!(reason.contains("not a warroom batch"), "{reason}");
    let intact = listed.iter().find(|s| s.id == good).expect("listed");
    assert!(intact.quarantined.is_none());
    let events = rt.block_on(async {
        let mut client = connect(hub.addr, &alice).await;
        within("load", client.load(&good)).await.expect("loads")
    });
    assert!(!events.is_empty());
}

/// The next `incident_changed` frame on a watching connection.
async fn news(
    lobby: &mut HubClient,
) -> (
    warroom::engine::IncidentSummary,
    Option<warroom::protocol::PreviousSummary>,
) {
    loop {
        if let warroom::protocol::HubFrame::IncidentChanged { item, previous } =
            lobby.next().await.expect("the lobby stays up")
        {
            return (item, previous);
        }
    }
}

/// A console watching the lobby through one hub hears of an incident declared through
/// another, and of its severity changing there, without anyone naming it on this hub;
/// this hub's `list` shows the new severity too.
#[test]
fn the_lobby_on_one_hub_hears_what_is_declared_and_changed_through_another() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let store = format!(
        "\n[store]\nkind = \"nats\"\nservers = [\"{}\"]\nstream = \"lobby\"\nreplicas = 1\n",
        nats.url()
    );
    let (one_dir, two_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one_token = configure(one_dir.path(), &store);
    let two_token = configure(two_dir.path(), &store);
    let rt = runtime();
    let (one, two) = (serve(one_dir.path()), serve(two_dir.path()));
    rt.block_on(async {
        let url = format!("http://{}", two.addr);
        let mut lobby = within(
            "watch the lobby through hub two",
            HubClient::connect_watching(&url, &two_token, None, 0, true, false),
        )
        .await
        .expect("connects");
        let mut writer = connect(one.addr, &one_token).await;
        let declare = Cmd::Declare {
            id: String::new(),
            title: "Declared through hub one".into(),
            severity: Severity::Sev2,
            playbook: None,
            summary: None,
        };
        let (incident, _) = within("declare through hub one", writer.command(None, declare))
            .await
            .expect("declared");
        let (item, previous) = within("news of the declare on hub two", news(&mut lobby)).await;
        assert_eq!(item.id, incident);
        assert_eq!(item.title, "Declared through hub one");
        assert!(previous.is_none(), "a declare: {previous:?}");

        let raise = Cmd::SetSeverity {
            severity: Severity::Sev1,
            reason: Some("two regions now".into()),
        };
        within(
            "raise the severity through hub one",
            writer.command(Some(&incident), raise),
        )
        .await
        .expect("raised");
        let (item, previous) = within("news of the change on hub two", news(&mut lobby)).await;
        assert_eq!(
            (item.id.as_str(), item.severity),
            (incident.as_str(), Some(Severity::Sev1))
        );
        assert_eq!(previous.map(|p| p.severity), Some(Some(Severity::Sev2)));

        let mut reader = connect(two.addr, &two_token).await;
        let listed = within("list through hub two", reader.list())
            .await
            .expect("listed");
        let found = listed.iter().find(|s| s.id == incident).expect("listed");
        assert_eq!(found.severity, Some(Severity::Sev1));
    });
}

/// One HTTP/1.1 request to `addr` with a bearer token; the status and the body.
fn http_send(addr: SocketAddr, path: &str, token: &str, body: &str) -> (u16, String) {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(addr).expect("the hub accepts");
    stream
        .set_read_timeout(Some(LIMIT))
        .expect("a read timeout");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("the response is read");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
    (status.expect("a status"), body.to_string())
}

/// Alertmanager behind a load balancer: the alert that declared an incident through one
/// hub, and the group's later notifications arriving at the other, all land on that one
/// incident (the other hub learns the group from the summary), and the first delivery
/// retried through the other hub declares nothing new.
#[test]
fn an_alert_groups_notifications_through_either_hub_reach_one_incident() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let store = format!(
        "\n[store]\nkind = \"nats\"\nservers = [\"{}\"]\nstream = \"alerts\"\nreplicas = 1\n",
        nats.url()
    );
    let (one_dir, two_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one_token = configure(one_dir.path(), &store);
    let two_token = configure(two_dir.path(), &store);
    let (one, two) = (serve(one_dir.path()), serve(two_dir.path()));
    let path = "/api/v1/alerts/alertmanager";
    let alert = |summary: &str| {
        format!(
            r#"{{"version":"4","groupKey":"{{}}:{{alertname=\"AgentCostRunaway\"}}","status":"firing","receiver":"warroom","commonLabels":{{"alertname":"AgentCostRunaway","severity":"critical"}},"alerts":[{{"status":"firing","labels":{{"alertname":"AgentCostRunaway"}},"annotations":{{"summary":"{summary}"}}}}]}}"#
        )
    };
    let answer = |body: &str| -> serde_json::Value { serde_json::from_str(body).expect("JSON") };

    let first = alert("spend 40x baseline");
    let (status, body) = http_send(one.addr, path, &one_token, &first);
    assert_eq!(status, 200, "{body}");
    let declared = answer(&body);
    let incident = declared["incident"].as_str().expect("an id").to_owned();

    // Hub two hears of it (its list shows it) without anyone naming it there.
    let deadline = Instant::now() + LIMIT;
    let rt = runtime();
    loop {
        let listed = rt.block_on(async {
            let mut client = connect(two.addr, &two_token).await;
            within("list through hub two", client.list())
                .await
                .expect("listed")
        });
        if listed.iter().any(|s| s.id == incident) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "hub two never heard of {incident}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let later = alert("spend 55x baseline");
    let (status, body) = http_send(two.addr, path, &two_token, &later);
    assert_eq!(status, 200, "{body}");
    let appended = answer(&body);
    assert_eq!(appended["incident"], incident.as_str(), "{body}");
    assert_eq!(appended["action"], "appended", "{body}");

    let (status, body) = http_send(two.addr, path, &two_token, &first);
    assert_eq!(status, 200, "{body}");
    assert_eq!(answer(&body)["incident"], incident.as_str(), "{body}");

    let listed = rt.block_on(async {
        let mut client = connect(one.addr, &one_token).await;
        within("list through hub one", client.list())
            .await
            .expect("listed")
    });
    assert_eq!(
        listed.len(),
        1,
        "one incident for one alert group: {listed:?}"
    );
}
