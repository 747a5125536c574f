//! The real `warroom` binary under the limits of a small server: a hub started with
//! `ulimit -n 1024` over more incidents than it has file descriptors, whose idle
//! incidents cost no thread and no open file (counted in `/proc/<pid>`); a declare that
//! fails for lack of space, which must leave no file behind; and damaged or empty logs,
//! which are quarantined (named in `/health` and `warroom list`) while the rest is
//! served.
//!
//! Each test has its own temporary directory; `WARROOM_*` variables are removed and the
//! catalog override points at an empty directory, so nothing of the user leaks in.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use warroom::engine::{DataDir, Submission};
use warroom::incident::{Actor, Command as Cmd, EntryKind, Role, Severity};
use warroom::net::HubClient;
use warroom::protocol::{ClientFrame, HubFrame, RejectReason};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
const LIMIT: Duration = Duration::from_secs(20);

/// Applies `warroom`'s clean environment to `command`.
fn clean(command: &mut Command, dir: &Path) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("WARROOM_") {
            command.env_remove(key);
        }
    }
    let catalog = dir.join("empty-catalog");
    std::fs::create_dir_all(&catalog).expect("an empty catalog dir");
    command.env("WARROOM_CATALOG", catalog);
    command.env("NO_COLOR", "1").stdin(Stdio::null());
}

/// `warroom ARGS` with `$WARROOM_DATA` = DIR/data, run through `sh -c` with `prelude` first (ulimits),
/// so the limits apply to the warroom process itself (`exec`).
fn warroom_in_sh(dir: &Path, prelude: &str, args: &[&str]) -> Command {
    // Through the environment: the commands that take --data read it there.
    let mut script = format!("{prelude}\nexport WARROOM_DATA=\"$1\"\nexec \"$0\"");
    for n in 0..args.len() {
        script.push_str(&format!(" \"${}\"", n + 2));
    }
    let mut command = Command::new("sh");
    command.arg("-c").arg(script).arg(BIN).arg(data_dir(dir));
    command.args(args);
    clean(&mut command, dir);
    command
}

fn data_dir(dir: &Path) -> PathBuf {
    dir.join("data")
}

fn config(dir: &Path) -> PathBuf {
    dir.join("warroom.toml")
}

/// Runs to completion (at most 30 s); returns exit code, stdout and stderr.
fn run(command: &mut Command) -> (Option<i32>, String, String) {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("finishes within 30 s")
        .expect("output");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Writes the hub config (`extra` first), then adds alice with `warroom token new`.
fn setup(dir: &Path, extra: &str) -> String {
    std::fs::write(config(dir), extra).expect("config written");
    let config = config(dir);
    let config = config.to_str().expect("a UTF-8 path");
    let args = ["token", "new", "--name", "alice", "--role", "commander"];
    let mut command = warroom_in_sh(dir, "", &[&args[..], &["--config", config]].concat());
    let (code, token, stderr) = run(&mut command);
    assert_eq!(code, Some(0), "{stderr}");
    token.trim().to_string()
}

/// A hub process, killed and reaped when dropped.
struct Hub {
    child: Child,
    addr: SocketAddr,
    stderr: mpsc::Receiver<String>,
    /// What it said before it was listening.
    early: String,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Hub {
    /// `warroom serve` under `ulimit -n 1024` on a free port.
    fn start(dir: &Path) -> Hub {
        let args = ["serve", "--listen", "127.0.0.1:0", "--config"];
        let config = config(dir);
        let mut all: Vec<&str> = args.to_vec();
        all.push(config.to_str().expect("a UTF-8 path"));
        let mut command = warroom_in_sh(dir, "ulimit -n 1024 || exit 97", &all);
        let spawned = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn();
        let mut child = spawned.expect("the hub starts");
        let (tx, stderr) = mpsc::channel();
        let pipe = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // Killed and reaped on drop, also if it never says where it listens.
        let mut hub = Hub {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr,
            early: String::new(),
        };
        let deadline = Instant::now() + LIMIT;
        let wait = || deadline.saturating_duration_since(Instant::now());
        while let Ok(line) = hub.stderr.recv_timeout(wait()) {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().and_then(|a| a.parse().ok());
                hub.addr = addr.expect("an address after `listening on`");
                return hub;
            }
            hub.early.push_str(&line);
            hub.early.push('\n');
        }
        panic!("the hub did not start within {LIMIT:?}:\n{}", hub.early);
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the hub has logged so far.
    fn log(&self) -> String {
        let later = self.stderr.try_iter().collect::<Vec<_>>().join("\n");
        format!("{}{later}", self.early)
    }

    fn get(&self, path: &str) -> (u16, String) {
        let mut socket = std::net::TcpStream::connect(self.addr).expect("connects");
        socket.set_read_timeout(Some(LIMIT)).expect("timeout");
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        socket.write_all(request.as_bytes()).expect("sent");
        let mut response = String::new();
        socket.read_to_string(&mut response).expect("read");
        let (head, body) = response.split_once("\r\n\r\n").expect("headers");
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
        (status.expect("a status"), body.to_string())
    }

    fn health(&self) -> Value {
        let (status, body) = self.get("/health");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("JSON")
    }

    /// Polls `/health` until `done` holds (at most `LIMIT`).
    fn await_health(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + LIMIT;
        loop {
            let health = self.health();
            if done(&health) {
                return health;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: never happened: {health}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Threads and open file descriptors of the hub process itself.
    fn threads_and_files(&self) -> (usize, usize) {
        let count = |what: &str| {
            let path = format!("/proc/{}/{what}", self.pid());
            std::fs::read_dir(&path).expect("procfs").count()
        };
        (count("task"), count("fd"))
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    let result = tokio::time::timeout(LIMIT, future).await;
    result.unwrap_or_else(|_| panic!("timed out after {LIMIT:?}: {what}"))
}

fn declare_command(id: &str, title: &str) -> Cmd {
    Cmd::Declare {
        id: id.to_string(),
        title: title.to_string(),
        severity: Severity::Sev3,
        playbook: None,
        summary: None,
    }
}

/// `count` incidents written straight into the data directory with the engine.
fn incidents_on_disk(dir: &Path, count: usize) -> Vec<String> {
    let data = DataDir::new(data_dir(dir));
    let runbooks = warroom::catalog::embedded().expect("catalog");
    (1..=count)
        .map(|n| {
            let submission = Submission {
                actor: Actor::new("alice", [Role::Commander]),
                command: declare_command(&format!("INC-20250101-{n}"), &format!("Old {n}")),
                command_id: None,
            };
            let incident = data
                .declare(submission, chrono::Utc::now(), &runbooks)
                .expect("declared");
            incident.state().id.clone()
        })
        .collect()
}

#[test]
fn a_hub_over_1100_incidents_starts_under_ulimit_1024_and_idle_incidents_cost_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ids = incidents_on_disk(dir.path(), 1_100);
    let alice = setup(dir.path(), "incident_idle_seconds = 1\n");
    let hub = Hub::start(dir.path());
    let health = hub.health();
    assert_eq!(health["incidents"], 1_100, "{health}");
    assert_eq!(
        health["live_incidents"], 0,
        "nothing is open at rest: {health}"
    );
    let (threads, files) = hub.threads_and_files();
    assert!(
        threads < 100,
        "an idle hub over 1,100 incidents has {threads} threads"
    );
    assert!(
        files < 100,
        "an idle hub over 1,100 incidents holds {files} files"
    );

    let rt = runtime();
    let url = format!("http://{}", hub.addr);
    let (new, old) = rt.block_on(async {
        let mut client = within("connect", HubClient::connect(&url, &alice, None, 0))
            .await
            .expect("connects");
        let declared = client.command(None, declare_command("", "Under ulimit"));
        let (new, _) = within("declare", declared).await.expect("declared");
        // An incident closed since start-up opens on demand and takes a note.
        let old = ids.last().expect("incidents").clone();
        let note = Cmd::AddNote {
            kind: EntryKind::Note,
            text: "still here".into(),
            typed_at: None,
        };
        let (_, seq) = within("note", client.command(Some(&old), note))
            .await
            .expect("noted");
        let events = within("subscribe", client.load(&old)).await.expect("loads");
        assert_eq!(events.len() as u64, seq, "the whole history, then the note");
        client.close().await;
        (new, old)
    });
    assert!(new.ends_with("-1") && new.starts_with("INC-"), "{new}");
    let health = hub.health();
    assert_eq!(health["incidents"], 1_101, "{health}");

    // With nobody following them, both are released after a second.
    hub.await_health("the release of both incidents", |h| {
        h["live_incidents"] == 0 && h["connections"] == 0
    });
    let (threads, files) = hub.threads_and_files();
    assert!(threads < 100, "{threads} threads after the release");
    assert!(files < 100, "{files} files after the release");
    let log = hub.log();
    assert!(!log.contains("ERROR"), "{old}: {log}");
}

#[test]
fn a_declare_that_fails_for_lack_of_space_leaves_no_file_and_an_empty_log_is_no_ghost() {
    let dir = tempfile::tempdir().expect("temp dir");
    let incidents = data_dir(dir.path()).join("incidents");
    std::fs::create_dir_all(&incidents).expect("incidents dir");
    // A file size limit of 0 makes the first write fail (EFBIG) exactly like a full disk,
    // after the log file was created; SIGXFSZ is ignored so the write returns an error.
    let declare = [
        "declare",
        "--as",
        "alice",
        "--title",
        "No room",
        "--severity",
        "SEV2",
    ];
    let mut command = warroom_in_sh(dir.path(), "trap '' XFSZ; ulimit -f 0 || exit 97", &declare);
    let (code, stdout, stderr) = run(&mut command);
    assert_ne!(code, Some(0), "the declare cannot be written: {stdout}");
    assert_ne!(code, Some(97), "ulimit -f works here");
    assert!(stderr.contains("not stored"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&incidents)
        .expect("readable")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "a failed declare leaves nothing: {left:?}");

    // A 0-byte log (a crash between creating the file and writing it) is not an
    // incident: it is listed as quarantined, with the reason, and never served.
    let empty = "INC-20250101-7";
    std::fs::write(incidents.join(format!("{empty}.jsonl")), "").expect("written");
    let mut list = warroom_in_sh(dir.path(), "", &["list"]);
    let (code, listed, stderr) = run(&mut list);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        listed.starts_with(empty) && listed.contains("QUARANTINED") && listed.contains("empty"),
        "{listed}"
    );
    let alice = setup(dir.path(), "");
    let hub = Hub::start(dir.path());
    let health = hub.health();
    assert_eq!(health["incidents"], 0, "{health}");
    assert_eq!(health["quarantined"][0]["id"], empty, "{health}");
    let rt = runtime();
    let url = format!("http://{}", hub.addr);
    rt.block_on(async {
        let mut client = within("connect", HubClient::connect(&url, &alice, None, 0))
            .await
            .expect("connects");
        let items = within("list", client.list()).await.expect("lists");
        assert_eq!(items.len(), 1, "{items:?}");
        assert!(items[0].quarantined.is_some(), "{items:?}");
        let declared = client.command(None, declare_command("", "After the ghost"));
        let (id, _) = within("declare", declared).await.expect("declared");
        assert!(id.ends_with("-1"), "{id}");
        client.close().await;
    });
}

/// Flips one byte inside line `line` (1-based) of `path`.
fn damage(path: &Path, line: usize) {
    let mut bytes = std::fs::read(path).expect("log");
    let start: usize = bytes
        .split(|b| *b == b'\n')
        .take(line - 1)
        .map(|l| l.len() + 1)
        .sum();
    let at = start + 40; // inside the hash
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(path, bytes).expect("damaged");
    // Dated a second later, as damage found later would be: file times are kept in
    // clock ticks of a few ms, and a local `list` replays a log only if it changed after
    // the summary written beside it (or its last line disagrees with it).
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(1);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|file| file.set_modified(later))
        .expect("dated");
}

#[test]
fn a_damaged_log_is_quarantined_and_the_rest_is_served() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ids = incidents_on_disk(dir.path(), 2);
    let (bad, good) = (&ids[0], &ids[1]);
    let path = data_dir(dir.path())
        .join("incidents")
        .join(format!("{bad}.jsonl"));
    damage(&path, 2);
    let damaged = std::fs::read(&path).expect("log");
    // A stray file whose name is no incident id is named too, not fatal.
    let stray = data_dir(dir.path())
        .join("incidents")
        .join("stray copy.jsonl");
    std::fs::write(&stray, "not a log\n").expect("written");
    let alice = setup(dir.path(), "");

    let mut list = warroom_in_sh(dir.path(), "", &["list"]);
    let (code, listed, stderr) = run(&mut list);
    assert_eq!(
        code,
        Some(0),
        "a local list names the damage, it does not fail: {stderr}"
    );
    let line = listed.lines().find(|l| l.starts_with(bad.as_str()));
    let line = line.unwrap_or_else(|| panic!("{bad} listed: {listed}"));
    assert!(
        line.contains("QUARANTINED") && line.contains("line 2"),
        "{line}"
    );
    assert!(listed.contains(good.as_str()), "{listed}");

    let hub = Hub::start(dir.path());
    let health = hub.health();
    assert_eq!(health["incidents"], 1, "{health}");
    assert_eq!(health["quarantined"][0]["id"], bad.as_str(), "{health}");
    let reason = health["quarantined"][0]["reason"]
        .as_str()
        .expect("a reason");
    assert!(
        reason.contains("line 2") && reason.contains("verification"),
        "{reason}"
    );
    assert_eq!(health["quarantined"][1]["id"], "stray copy", "{health}");
    let reason = health["quarantined"][1]["reason"]
        .as_str()
        .expect("a reason");
    assert!(reason.contains("not a valid incident id"), "{reason}");
    let url = format!("http://{}", hub.addr);
    let mut remote = warroom_in_sh(dir.path(), "", &["list", "--hub", &url, "--token", &alice]);
    let (code, listed, stderr) = run(&mut remote);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        listed.contains("QUARANTINED") && listed.contains(good.as_str()),
        "{listed}"
    );

    let rt = runtime();
    rt.block_on(async {
        let mut client = within("connect", HubClient::connect(&url, &alice, None, 0))
            .await
            .expect("connects");
        let note = |text: &str| Cmd::AddNote {
            kind: EntryKind::Note,
            text: text.into(),
            typed_at: None,
        };
        let refused = within("a note to it", client.command(Some(bad), note("x"))).await;
        let message = format!("{:?}", refused.expect_err("refused"));
        assert!(
            message.contains("NoIncident") && message.contains("quarantined"),
            "{message}"
        );
        let subscribe = ClientFrame::Subscribe {
            incident: bad.clone(),
            since_seq: 0,
            snapshot: false,
        };
        client.send(&subscribe).await.expect("sent");
        match within("the answer", client.next()).await.expect("a frame") {
            HubFrame::Reject { code, message, .. } => {
                assert_eq!(code, RejectReason::NotFound);
                assert!(message.contains("quarantined"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let served = within(
            "a note to the other",
            client.command(Some(good), note("ok")),
        )
        .await;
        served.expect("the others are served");
        client.close().await;
    });
    assert_eq!(
        std::fs::read(&path).expect("log"),
        damaged,
        "never modified"
    );
    let log = hub.log();
    assert!(
        log.contains("quarantined") && log.contains(bad.as_str()),
        "{log}"
    );
}
