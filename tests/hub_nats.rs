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

use hub_support::{Hub, LIMIT, config_path, connect, metric, runtime, within};
use nats_server::NatsServer;
use warroom::incident::{Command as Cmd, EntryKind, EventKind, Severity};

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

/// `warroom bench hub ARGS`, which must succeed: its table's row starting `row`.
fn bench_row(dir: &Path, args: &[&str], row: &str) -> String {
    let output = warroom(dir)
        .args(["bench", "hub"])
        .args(args)
        .output()
        .expect("bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .find(|l| l.starts_with(row))
        .unwrap_or_else(|| panic!("a row `{row}`: {stdout}"))
        .to_owned()
}

/// `warroom bench hub --hubs 2` deals the latency run's subscribers out across two hubs
/// on one stream: every subscriber gets every note, through either hub (samples =
/// clients × commands); without `--nats` it is refused, saying why.
#[test]
fn bench_hub_spreads_subscribers_over_two_hubs_on_one_stream() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let row = bench_row(
        dir.path(),
        &[
            "--clients",
            "4",
            "--commands",
            "5",
            "--writers",
            "2",
            "--per-writer",
            "5",
            "--hubs",
            "2",
            "--nats",
            &nats.url(),
        ],
        "| 4 |",
    );
    let samples = row.split('|').map(str::trim).nth(8);
    assert_eq!(samples, Some("20"), "4 subscribers × 5 notes: {row}");

    let files = warroom(dir.path())
        .args(["bench", "hub", "--clients", "2", "--hubs", "2"])
        .output()
        .expect("bench runs");
    assert!(!files.status.success());
    let said = String::from_utf8_lossy(&files.stderr);
    assert!(said.contains("more than one hub needs --nats"), "{said}");
}

/// `warroom bench hub --nats URL` runs the hub bench with its incidents in a fresh
/// stream of that server and says how fast; an unreachable server stops it, named.
#[test]
fn bench_hub_takes_the_nats_store() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let row = bench_row(
        dir.path(),
        &[
            "--clients",
            "2",
            "--commands",
            "5",
            "--writers",
            "2",
            "--per-writer",
            "5",
            "--nats",
            &nats.url(),
        ],
        "| 2 |",
    );
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
