//! The real `warroom` binary as a hub child process: `serve --listen 127.0.0.1:0` with a
//! config made by `warroom token new`, its address read from the line it prints on
//! stderr. Covers a SIGKILL mid-stream (every acknowledged note survives, the log
//! verifies) and the CLI driving a hub (`--hub`/`--token`) like a local data directory,
//! with `tail` following another CLI's note.
//!
//! Each test has its own temporary directory; `WARROOM_*` variables are removed and the
//! catalog override points at an empty directory, so nothing of the user leaks in.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use warroom::incident::{Command as Cmd, EntryKind, Event, EventKind, Severity};
use warroom::net::HubClient;
use warroom::protocol::{ClientFrame, HubFrame};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
const LIMIT: Duration = Duration::from_secs(10);

/// `warroom` with a clean environment and `$WARROOM_DATA` = DIR/data.
fn warroom(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    prepare(&mut command, dir);
    command
}

/// `warroom` as above, under `ulimit -n LIMIT` (soft and hard: it cannot raise it).
fn warroom_with_file_limit(dir: &Path, limit: u32) -> Command {
    let mut command = Command::new("sh");
    let script = format!("ulimit -n {limit} && exec \"$0\" \"$@\"");
    command.args(["-c", &script, BIN]);
    prepare(&mut command, dir);
    command
}

/// A clean environment and `$WARROOM_DATA` = DIR/data for a `warroom` command line.
fn prepare(command: &mut Command, dir: &Path) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("WARROOM_") {
            command.env_remove(key);
        }
    }
    let catalog = dir.join("empty-catalog");
    std::fs::create_dir_all(&catalog).expect("an empty catalog dir");
    command.env("WARROOM_CATALOG", catalog);
    command.env("NO_COLOR", "1").stdin(Stdio::null());
    // Through the environment: the commands that take --data read it there.
    command.env("WARROOM_DATA", dir.join("data"));
}

fn config(dir: &Path) -> PathBuf {
    dir.join("warroom.toml")
}

/// Forwards a child's output, line by line, until it closes.
fn lines(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let _ = tx.send(line); // keep draining even when nobody listens
        }
    });
    rx
}

/// Runs to completion (at most 30 s); returns exit code, stdout and stderr.
fn run(command: &mut Command, what: &str) -> (Option<i32>, String, String) {
    let spawned = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = spawned.expect("the binary starts");
    let collect = |pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || lines(pipe).iter().map(|l| l + "\n").collect::<String>())
    };
    let stdout = collect(Box::new(child.stdout.take().expect("stdout")));
    let stderr = collect(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{what}` ran for over 30 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let (stdout, stderr) = (stdout.join().expect("out"), stderr.join().expect("err"));
    (status.code(), stdout, stderr)
}

/// Runs, asserts exit 0, returns stdout.
fn ok(command: &mut Command, what: &str) -> String {
    let (code, stdout, stderr) = run(command, what);
    assert_eq!(code, Some(0), "`{what}` failed:\n{stderr}");
    stdout
}

/// `warroom token new`: the token it prints once.
fn token(dir: &Path, name: &str, role: &str) -> String {
    let mut command = warroom(dir);
    command.args(["token", "new", "--name", name, "--role", role, "--config"]);
    let token = ok(command.arg(config(dir)), "token new").trim().to_string();
    assert!(token.starts_with("wrt_"), "{token}");
    token
}

/// A child process killed (SIGKILL) and reaped when dropped.
struct Process {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Process {
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The next line within `limit`.
    fn line(&self, limit: Duration) -> Option<String> {
        self.lines.recv_timeout(limit).ok()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `warroom serve` on a free port; returns the process and its address.
fn serve(dir: &Path) -> (Process, SocketAddr) {
    serve_as(warroom(dir), dir)
}

/// `warroom serve --listen 127.0.0.1:0` run by `command`; the address it prints.
fn serve_as(mut command: Command, dir: &Path) -> (Process, SocketAddr) {
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(config(dir));
    let spawned = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn();
    let mut child = spawned.expect("the hub starts");
    let stderr = lines(child.stderr.take().expect("stderr"));
    let hub = Process {
        child,
        lines: stderr,
    };
    let deadline = Instant::now() + LIMIT;
    while let Some(line) = hub.line(deadline.saturating_duration_since(Instant::now())) {
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let addr = rest.split_whitespace().next().and_then(|a| a.parse().ok());
            return (hub, addr.expect("an address after `listening on`"));
        }
    }
    panic!("the hub did not say where it listens within {LIMIT:?}");
}

fn runtime() -> tokio::runtime::Runtime {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    let result = tokio::time::timeout(LIMIT, future).await;
    result.unwrap_or_else(|_| panic!("timed out after {LIMIT:?}: {what}"))
}

async fn connect(addr: SocketAddr, token: &str) -> HubClient {
    let url = format!("http://{addr}");
    let connecting = HubClient::connect(&url, token, None, 0);
    within("connect", connecting).await.expect("connects")
}

fn note(text: String) -> Cmd {
    Cmd::AddNote {
        kind: EntryKind::Note,
        text,
        typed_at: None,
    }
}

const NOTES: usize = 190; // under the 200-command burst of one connection
const IN_FLIGHT: usize = 4;

/// Writes `NOTES` notes keeping `IN_FLIGHT` unacknowledged, reporting each ack as
/// (note number, seq), until done or the connection dies.
async fn write_notes(mut client: HubClient, incident: String, acks: mpsc::Sender<(usize, u64)>) {
    let (mut sent, mut acked) = (0, 0);
    while acked < NOTES {
        while sent < NOTES && sent - acked < IN_FLIGHT {
            let (id, incident) = (format!("kill9-{sent}"), Some(incident.clone()));
            let frame = ClientFrame::Command {
                id,
                incident,
                command: note(format!("note {sent}")),
            };
            if client.send(&frame).await.is_err() {
                return;
            }
            sent += 1;
        }
        match tokio::time::timeout(LIMIT, client.next()).await {
            Ok(Ok(HubFrame::Ack {
                id, seq, duplicate, ..
            })) => {
                assert!(!duplicate, "{id}");
                let n = id
                    .strip_prefix("kill9-")
                    .and_then(|n| n.parse().ok())
                    .expect("ours");
                acked += 1;
                let _ = acks.send((n, seq));
            }
            Ok(Ok(HubFrame::Reject { id, message, .. })) => panic!("{id} rejected: {message}"),
            Ok(Ok(_)) => {}
            Ok(Err(_)) | Err(_) => return, // the hub is gone
        }
    }
}

#[test]
fn acknowledged_notes_survive_kill_9_and_the_log_verifies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let alice = token(dir.path(), "alice", "commander");
    let (mut hub, addr) = serve(dir.path());
    let rt = runtime();
    let declare = Cmd::Declare {
        id: String::new(),
        title: "Crash test".into(),
        severity: Severity::Sev2,
        playbook: None,
        summary: None,
    };
    let (incident, client) = rt.block_on(async {
        let mut client = connect(addr, &alice).await;
        let (incident, _) = within("declare", client.command(None, declare))
            .await
            .expect("ok");
        (incident, client)
    });
    let (acks, acked_rx) = mpsc::channel();
    let writer = rt.spawn(write_notes(client, incident.clone(), acks));
    let mut acked: Vec<(usize, u64)> = Vec::new();
    while acked.len() < 40 {
        acked.push(acked_rx.recv_timeout(LIMIT).expect("acks keep coming"));
    }
    hub.kill(); // SIGKILL, mid-stream
    rt.block_on(within("the writer noticing", writer))
        .expect("the writer did not panic");
    acked.extend(acked_rx.try_iter());
    assert!(
        acked.len() < NOTES,
        "the hub was killed before the writer finished"
    );

    let (hub, addr) = serve(dir.path());
    let events: Vec<Event> = rt.block_on(async {
        let mut client = connect(addr, &alice).await;
        within("load", client.load(&incident)).await.expect("loads")
    });
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=events.len() as u64).collect::<Vec<_>>(),
        "gapless after restart"
    );
    acked.sort_unstable();
    for window in acked.windows(2) {
        assert!(
            window[0].1 < window[1].1,
            "notes are stored in the order they were sent"
        );
    }
    for (n, seq) in &acked {
        let event = &events[usize::try_from(*seq - 1).expect("small")];
        assert_eq!(
            event.command_id,
            Some(format!("kill9-{n}")),
            "acked note {n} is at #{seq}"
        );
        let text = format!("note {n}");
        assert!(matches!(&event.kind, EventKind::NoteAdded { text: t, .. } if *t == text));
    }
    let after = rt.block_on(async {
        let mut client = connect(addr, &alice).await;
        let written = client.command(Some(&incident), note("after the crash".into()));
        within("a note after restart", written)
            .await
            .expect("acked")
            .1
    });
    assert_eq!(
        after,
        events.len() as u64 + 1,
        "the chain continues after the last event"
    );
    let log = dir
        .path()
        .join("data/incidents")
        .join(format!("{incident}.jsonl"));
    let (code, stdout, stderr) = run(warroom(dir.path()).arg("verify").arg(&log), "verify");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.starts_with("ok: "), "{stdout}");
    drop(hub);
}

/// What a local and a remote run must agree on (ids, times and command ids differ):
/// each event's seq, actor and type, and each timeline entry's author, kind and text.
type Shape = Vec<(Value, Value, Value)>;

fn shape(status: &Value) -> (Shape, Shape) {
    let pick = |items: &Value, keys: [&str; 3]| -> Shape {
        let items = items.as_array().expect("an array").iter();
        items
            .map(|i| (i[keys[0]].clone(), i[keys[1]].clone(), i[keys[2]].clone()))
            .collect()
    };
    let events = pick(&status["events"], ["seq", "actor", "type"]);
    let timeline = pick(&status["incident"]["timeline"], ["author", "kind", "text"]);
    (events, timeline)
}

#[test]
fn the_cli_drives_a_real_hub_like_a_local_data_dir_and_tail_follows() {
    let (dir, local) = (
        tempfile::tempdir().expect("temp dir"),
        tempfile::tempdir().expect("temp dir"),
    );
    let alice = token(dir.path(), "alice", "commander");
    let bob = token(dir.path(), "bob", "scribe");
    let (_hub, addr) = serve(dir.path());
    let hub_url = format!("http://{addr}");
    let remote = |token: &str, args: &[&str]| {
        let mut command = warroom(dir.path());
        command
            .args(args)
            .args(["--hub", &hub_url, "--token", token]);
        ok(&mut command, &args.join(" "))
    };
    let locally = |args: &[&str]| {
        ok(
            warroom(local.path()).args(args).args(["--as", "alice"]),
            "local",
        )
    };

    let declare = ["declare", "--title", "Checkout 502s", "--severity", "SEV1"];
    let (id, local_id) = (remote(&alice, &declare), locally(&declare));
    let (id, local_id) = (id.trim(), local_id.trim());
    assert!(
        id.starts_with("INC-") && id.ends_with("-1") && !id.contains(' '),
        "{id}"
    );
    assert_eq!(id.len(), local_id.len(), "{id} / {local_id}");
    let said = remote(&alice, &["note", id, "Rolled back deploy 4121"]);
    assert_eq!(
        said,
        locally(&["note", local_id, "Rolled back deploy 4121"]),
        "same report"
    );
    assert!(
        said.starts_with('#') && said.trim_end().ends_with(" note_added"),
        "{said}"
    );

    let status: Value =
        serde_json::from_str(&remote(&bob, &["status", id, "--json"])).expect("json");
    let local_status: Value =
        serde_json::from_str(&locally(&["status", local_id, "--json"])).expect("json");
    assert_eq!(status["incident"]["id"], id);
    assert_eq!(status["incident"]["title"], "Checkout 502s");
    assert_eq!(
        shape(&status),
        shape(&local_status),
        "remote and local histories agree"
    );
    let last = status["events"].as_array().expect("events").len() as u64;

    let list = remote(&bob, &["list"]);
    assert!(
        list.contains(id) && list.contains("Checkout 502s") && list.contains("SEV1"),
        "{list}"
    );
    let listed: Value = serde_json::from_str(&remote(&bob, &["list", "--json"])).expect("json");
    assert_eq!(
        (&listed[0]["id"], &listed[0]["events"]),
        (&Value::from(id), &Value::from(last))
    );
    // The filters apply over the hub's list too.
    let filtered = |args: &[&str]| -> Value {
        let mut all = vec!["list", "--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&remote(&bob, &all)).expect("json")
    };
    assert_eq!(
        filtered(&["--status", "resolved"]),
        Value::Array(Vec::new())
    );
    assert_eq!(filtered(&["--status", "open", "--since", "1d"]), listed);
    assert_eq!(listed[0]["seats"]["commander"], "alice", "{listed}");

    let mut command = warroom(dir.path());
    command.args(["tail", id, "--json", "--hub", &hub_url, "--token", &bob]);
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tail starts");
    let stdout = lines(child.stdout.take().expect("stdout"));
    let tail = Process {
        child,
        lines: stdout,
    };
    let next_event = |limit: Duration| -> Event {
        let line = tail.line(limit).expect("tail prints within the limit");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    };
    for seq in 1..=last {
        assert_eq!(
            next_event(LIMIT).seq,
            seq,
            "tail replays the history in order"
        );
    }
    let written = remote(&alice, &["note", id, "Tail me"]);
    assert_eq!(written.trim(), format!("#{} note_added", last + 1));
    let event = next_event(Duration::from_secs(5));
    assert_eq!((event.seq, event.actor.as_str()), (last + 1, "alice"));
    assert!(matches!(&event.kind, EventKind::NoteAdded { text, .. } if text == "Tail me"));
    drop(tail);
}

/// `GET path` over a plain socket; the status and body.
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let exchange = async {
        let mut socket = tokio::net::TcpStream::connect(addr).await?;
        socket.write_all(request.as_bytes()).await?;
        let mut response = String::new();
        socket.read_to_string(&mut response).await.map(|_| response)
    };
    let response = within("an HTTP response", exchange).await.expect("HTTP");
    let (head, body) = response.split_once("\r\n\r\n").expect("a response");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
    (status.expect("a status"), body.to_string())
}

#[test]
fn serve_on_port_0_prints_the_port_it_bound_and_answers_there() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_hub, addr) = serve(dir.path());
    assert_ne!(addr.port(), 0, "the real port, not the one asked for");
    let (status, body) = runtime().block_on(get(addr, "/health"));
    assert_eq!(status, 200, "{body}");
    let health: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(health["ok"], true, "{body}");
}

/// Raises this process's soft open-file limit as far as it may go; returns it.
fn raise_own_file_limit() -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let hard = limit.maximum.unwrap_or(1 << 20).min(1 << 20);
    let raised = Rlimit {
        current: Some(hard),
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => hard,
        Err(_) => limit.current.unwrap_or(1024),
    }
}

#[test]
fn health_and_logins_survive_a_thousand_idle_sockets_on_a_small_file_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let alice = token(dir.path(), "alice", "commander");
    // The hub may have 256 files open; the flood is far more than that.
    let hub_limit = 256;
    let (_hub, addr) = serve_as(warroom_with_file_limit(dir.path(), hub_limit), dir.path());
    let ours = raise_own_file_limit();
    let flood = 1_100.min(ours.saturating_sub(200));
    assert!(
        flood > u64::from(hub_limit) * 2,
        "room for the test: {ours} files"
    );
    runtime().block_on(async {
        let mut idle = Vec::new();
        for _ in 0..flood {
            let connecting = tokio::net::TcpStream::connect(addr);
            idle.push(
                within("an idle socket", connecting)
                    .await
                    .expect("connects"),
            );
        }
        let asked = Instant::now();
        let (status, body) = get(addr, "/health").await;
        assert_eq!(status, 200, "{body}");
        assert!(
            asked.elapsed() < Duration::from_secs(2),
            "{:?}",
            asked.elapsed()
        );
        let mut client = connect(addr, &alice).await;
        within("list", client.list())
            .await
            .expect("a login that works");
        client.close().await;
        let (_, metrics) = get(addr, "/metrics").await;
        let evicted = metrics
            .lines()
            .find_map(|l| l.strip_prefix("warroom_connections_evicted_total "))
            .and_then(|n| n.parse::<u64>().ok());
        assert!(evicted.is_some_and(|n| n + 256 >= flood), "{metrics}");
        drop(idle);
    });
}
