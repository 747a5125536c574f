//! The Slack bridge, outbound, against the real binary: `warroom serve` on 127.0.0.1:0
//! with `[slack]` pointing at a fake Slack Web API on loopback and `SLACK_BOT_TOKEN` in
//! the hub's environment. The fake checks the bearer token and that every `thread_ts`
//! is a thread it started, answers one 429 with `Retry-After: 1`, and records every
//! call. The tests drive an incident through a real client and check that every
//! mirrored entry arrived once, in order, in one thread — also across a hub restart —
//! and that a refused token is one timeline line and a `/metrics` count.

use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;
use warroom::incident::{Command as Cmd, Event, EventKind, State};
use warroom::net::HubClient;

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
const LIMIT: Duration = Duration::from_secs(20);
const BOT_TOKEN: &str = "xoxb-1111-2222-slackoutTESTtoken";
const CHANNEL: &str = "C0WARROOM";

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    let result = tokio::time::timeout(LIMIT, future).await;
    result.unwrap_or_else(|_| panic!("timed out after {LIMIT:?}: {what}"))
}

// ---- The fake Slack Web API ----

/// What the fake answered.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Posted(String),
    TooMany,
    Refused(String),
}

/// One `chat.postMessage` call as the fake saw it.
#[derive(Debug, Clone)]
struct Post {
    at: Instant,
    thread_ts: Option<String>,
    channel: String,
    text: String,
    answer: Answer,
}

#[derive(Clone)]
struct FakeSlack {
    addr: SocketAddr,
    /// The token it accepts (anything else: `invalid_auth`).
    token: &'static str,
    posts: Arc<Mutex<Vec<Post>>>,
    count: Arc<watch::Sender<usize>>,
    /// Answer the call with this number (1-based) with 429, once, when `release`
    /// turns true (so entries pile up behind it meanwhile).
    too_many_at: u64,
    release: Arc<watch::Sender<bool>>,
    /// Calls received (answered or not).
    calls: Arc<watch::Sender<u64>>,
    refused_once: Arc<AtomicBool>,
}

async fn post_message(
    Extract(fake): Extract<FakeSlack>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let mut call = 0;
    fake.calls.send_modify(|n| {
        *n += 1;
        call = *n;
    });
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {}", fake.token));
    let thread_ts = body["thread_ts"].as_str().map(str::to_string);
    let roots: Vec<String> = fake
        .posts
        .lock()
        .expect("lock")
        .iter()
        .filter(|p| p.thread_ts.is_none())
        .filter_map(|p| match &p.answer {
            Answer::Posted(ts) => Some(ts.clone()),
            _ => None,
        })
        .collect();
    let answer = if call == fake.too_many_at && !fake.refused_once.swap(true, Ordering::SeqCst) {
        let mut released = fake.release.subscribe();
        let _ = released.wait_for(|r| *r).await;
        Answer::TooMany
    } else if !authorized {
        Answer::Refused("invalid_auth".into())
    } else if body["channel"] != CHANNEL || !body["text"].is_string() {
        Answer::Refused("channel_not_found".into())
    } else if thread_ts.as_ref().is_some_and(|ts| !roots.contains(ts)) {
        Answer::Refused("thread_not_found".into())
    } else {
        Answer::Posted(format!("1700000000.{call:06}"))
    };
    fake.posts.lock().expect("lock").push(Post {
        at: Instant::now(),
        thread_ts,
        channel: body["channel"].as_str().unwrap_or_default().to_string(),
        text: body["text"].as_str().unwrap_or_default().to_string(),
        answer: answer.clone(),
    });
    fake.count.send_modify(|n| *n += 1);
    match answer {
        Answer::TooMany => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            String::new(),
        )
            .into_response(),
        Answer::Refused(error) => axum::Json(json!({"ok": false, "error": error})).into_response(),
        Answer::Posted(ts) => {
            axum::Json(json!({"ok": true, "channel": CHANNEL, "ts": ts})).into_response()
        }
    }
}

impl FakeSlack {
    async fn start(token: &'static str, too_many_at: u64) -> FakeSlack {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let fake = FakeSlack {
            addr: listener.local_addr().expect("an address"),
            token,
            posts: Arc::default(),
            count: Arc::new(watch::channel(0).0),
            too_many_at,
            release: Arc::new(watch::channel(false).0),
            calls: Arc::new(watch::channel(0).0),
            refused_once: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/api/chat.postMessage", axum::routing::post(post_message))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    fn posts(&self) -> Vec<Post> {
        self.posts.lock().expect("lock").clone()
    }

    /// The calls answered `ok: true`, in order.
    fn accepted(&self) -> Vec<Post> {
        let posts = self.posts();
        posts
            .into_iter()
            .filter(|p| matches!(p.answer, Answer::Posted(_)))
            .collect()
    }

    /// Waits until `n` calls have been received (answered or not).
    async fn until_received(&self, n: u64) {
        let mut calls = self.calls.subscribe();
        within("calls at the fake", calls.wait_for(|c| *c >= n))
            .await
            .expect("the fake is alive");
    }

    /// Waits until an accepted message contains `needle`.
    async fn until_posted(&self, needle: &str) {
        let mut count = self.count.subscribe();
        let arrived = count.wait_for(|_| self.accepted().iter().any(|p| p.text.contains(needle)));
        within(&format!("`{needle}` in Slack"), arrived)
            .await
            .expect("the fake is alive");
    }
}

// ---- The hub as a child process ----

/// `warroom` with no `WARROOM_*` of the user, data in DIR/data, an empty catalog
/// override and the bot token in its environment.
fn warroom(dir: &Path, token: &str) -> Command {
    let mut command = Command::new(BIN);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("WARROOM_") {
            command.env_remove(key);
        }
    }
    let catalog = dir.join("empty-catalog");
    std::fs::create_dir_all(&catalog).expect("an empty catalog dir");
    command
        .env("WARROOM_CATALOG", catalog)
        .env("WARROOM_DATA", dir.join("data"))
        .env("SLACK_BOT_TOKEN", token)
        .stdin(Stdio::null());
    command
}

/// `warroom token new`: the token it prints once.
fn token(dir: &Path, name: &str, role: &str) -> String {
    let output = warroom(dir, "")
        .args(["token", "new", "--name", name, "--role", role, "--config"])
        .arg(dir.join("warroom.toml"))
        .output()
        .expect("token new runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .trim()
        .to_string()
}

/// Wraps the responders `token new` wrote with an action and `[slack]` for `fake`.
fn configure(dir: &Path, fake: &FakeSlack) {
    let actions = "[[action]]\nid = \"contain\"\ntitle = \"Contain checkout\"\n\
                   description = \"Says it contained.\"\nroles = [\"commander\"]\n\
                   confirm = true\ntwo_person = false\nidempotent = true\n\
                   timeout_seconds = 5\nkind = \"exec\"\n\
                   argv = [\"/usr/bin/printf\", \"contained\"]\n";
    std::fs::write(dir.join("actions.toml"), actions).expect("actions written");
    let config = dir.join("warroom.toml");
    let responders = std::fs::read_to_string(&config).expect("the config");
    let slack = format!(
        "\n[slack]\nbot_token = \"${{SLACK_BOT_TOKEN}}\"\nchannel = \"{CHANNEL}\"\n\
         api_url = \"http://{}/api\"\nposts_per_minute = 600\n",
        fake.addr
    );
    let text = format!("actions = \"actions.toml\"\n{responders}{slack}");
    std::fs::write(&config, text).expect("config written");
}

/// The hub child process, killed when dropped; what it wrote on stderr is kept.
struct Hub {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Hub {
    fn serve(dir: &Path, token: &str) -> Hub {
        let mut child = warroom(dir, token)
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(dir.join("warroom.toml"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the hub starts");
        let pipe = child.stderr.take().expect("stderr");
        // Owned (killed on drop) before anything can panic.
        let mut hub = Hub {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr: Arc::default(),
        };
        let (tx, rx) = mpsc::channel();
        let kept = hub.stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                kept.lock().expect("lock").push(line.clone());
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + LIMIT;
        while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().and_then(|a| a.parse().ok());
                hub.addr = addr.expect("an address");
                return hub;
            }
        }
        panic!("the hub did not say where it listens");
    }

    /// SIGTERM, and waits (bounded) for a clean exit.
    fn stop(mut self) -> Vec<String> {
        let pid = i32::try_from(self.child.id()).expect("a pid");
        // SAFETY: signals our own child, which is not reaped yet.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "the hub stopped with {status}");
                break;
            }
            assert!(Instant::now() < deadline, "the hub did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stderr.lock().expect("lock").clone()
    }

    async fn client(&self, token: &str) -> HubClient {
        let url = format!("http://{}", self.addr);
        within("connect", HubClient::connect(&url, token, None, 0))
            .await
            .expect("connects")
    }

    /// Sends `command` (JSON) as `token`'s holder; the incident and seq.
    async fn send(&self, token: &str, incident: Option<&str>, command: Value) -> (String, u64) {
        let command: Cmd = serde_json::from_value(command).expect("a valid command");
        let mut client = self.client(token).await;
        let sent = within("a command", client.command(incident, command)).await;
        client.close().await;
        sent.expect("applied")
    }

    async fn events(&self, token: &str, incident: &str) -> Vec<Event> {
        let mut client = self.client(token).await;
        let events = within("load", client.load(incident)).await.expect("loads");
        client.close().await;
        events
    }

    async fn metrics(&self) -> String {
        let exchange = async {
            let mut socket = tokio::net::TcpStream::connect(self.addr).await?;
            let request = format!(
                "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                self.addr
            );
            socket.write_all(request.as_bytes()).await?;
            let mut response = Vec::new();
            socket.read_to_end(&mut response).await.map(|_| response)
        };
        let response = within("/metrics", exchange).await.expect("HTTP");
        String::from_utf8(response).expect("UTF-8")
    }
}

fn metric(text: &str, name: &str) -> Option<f64> {
    let value = |line: &str| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok();
    text.lines().find_map(value)
}

fn decision(text: &str) -> Value {
    json!({"type": "add_note", "kind": "decision", "text": text})
}

/// Each needle occurs once in `text`, in the order given.
fn once_in_order(text: &str, needles: &[&str]) {
    let mut last = None;
    for needle in needles {
        assert_eq!(
            text.matches(needle).count(),
            1,
            "`{needle}` once in the thread:\n{text}"
        );
        let at = text.find(needle);
        assert!(at > last, "`{needle}` in order:\n{text}");
        last = at;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_entry_reaches_one_thread_once_in_order_across_a_restart() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let alice = token(dir.path(), "alice", "commander");
    let olga = token(dir.path(), "olga", "observer");
    // The third call (an entry, after the root and the first entry) gets a 429.
    let fake = FakeSlack::start(BOT_TOKEN, 3).await;
    configure(dir.path(), &fake);
    let hub = Hub::serve(dir.path(), BOT_TOKEN);

    let declare =
        json!({"type": "declare", "title": "Checkout <!channel> errors & 5xx", "severity": "SEV2"});
    let (id, _) = hub.send(&alice, None, declare).await;
    fake.until_posted("Declared SEV2").await;
    // The severity change is the third call: held, then answered 429. Everything
    // after it piles up meanwhile and must go out as one message, in order.
    hub.send(
        &alice,
        Some(&id),
        json!({"type": "set_severity", "severity": "SEV1"}),
    )
    .await;
    fake.until_received(3).await;
    let commands = [
        json!({"type": "add_note", "kind": "note", "text": "a plain note is not mirrored"}),
        json!({"type": "set_status", "status": "identified"}),
        decision("Roll back release 412"),
        json!({"type": "publish", "template": "internal_update",
               "text": "Rollback under way; errors falling.", "channels": []}),
        json!({"type": "request_action", "action": "contain"}),
    ];
    for command in commands {
        hub.send(&alice, Some(&id), command).await;
    }
    let finished = async {
        loop {
            let events = hub.events(&olga, &id).await;
            if events
                .iter()
                .any(|e| matches!(e.kind, EventKind::ActionFinished { .. }))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    };
    within("the action's outcome", finished).await;
    fake.release.send_replace(true);
    fake.until_posted("Contain checkout: succeeded").await;

    let expected = [
        "Declared SEV2: Checkout &lt;!channel&gt; errors &amp; 5xx",
        "Severity SEV2 → SEV1",
        "Status Investigating → Identified",
        "Roll back release 412",
        "Rollback under way; errors falling.",
        "Started #",
        "Contain checkout: succeeded",
    ];
    let accepted = fake.accepted();
    assert_eq!(
        accepted.len(),
        4,
        "root, declare, the retried severity, one batch: {accepted:#?}"
    );
    let root = &accepted[0];
    assert_eq!(root.thread_ts, None, "the first message starts the thread");
    assert!(root.text.contains(&id), "{}", root.text);
    let Answer::Posted(thread) = root.answer.clone() else {
        unreachable!("accepted")
    };
    for post in &accepted[1..] {
        assert_eq!(post.thread_ts.as_ref(), Some(&thread), "{post:?}");
        assert_eq!(post.channel, CHANNEL);
    }
    let thread_text: Vec<&str> = accepted[1..].iter().map(|p| p.text.as_str()).collect();
    let thread_text = thread_text.join("\n");
    once_in_order(&thread_text, &expected);
    assert!(!thread_text.contains("a plain note"), "{thread_text}");
    assert!(
        !thread_text.contains("<!channel>"),
        "escaped: {thread_text}"
    );

    // The 429 was waited out and the very same message sent again.
    let posts = fake.posts();
    let refused: Vec<usize> = (0..posts.len())
        .filter(|i| posts[*i].answer == Answer::TooMany)
        .collect();
    assert_eq!(refused.len(), 1, "{posts:?}");
    let (first, again) = (&posts[refused[0]], &posts[refused[0] + 1]);
    assert_eq!(
        (&again.text, &again.thread_ts),
        (&first.text, &first.thread_ts)
    );
    assert!(
        again.at - first.at >= Duration::from_millis(950),
        "Retry-After: 1"
    );

    // Restarted, the hub continues the same thread and posts nothing again.
    let before = fake.posts().len();
    let stderr = hub.stop();
    let hub = Hub::serve(dir.path(), BOT_TOKEN);
    hub.send(&alice, Some(&id), decision("Freeze deploys until Friday"))
        .await;
    fake.until_posted("Freeze deploys until Friday").await;
    let accepted = fake.accepted();
    let after: Vec<Post> = fake.posts()[before..].to_vec();
    assert!(
        after.iter().all(|p| p.thread_ts.as_ref() == Some(&thread)),
        "no new thread: {after:?}"
    );
    let thread_text: Vec<&str> = accepted[1..].iter().map(|p| p.text.as_str()).collect();
    let mut all = expected.to_vec();
    all.push("Freeze deploys until Friday");
    once_in_order(&thread_text.join("\n"), &all);

    // The log holds the thread once, on the timeline; the token is nowhere.
    let events = hub.events(&olga, &id).await;
    let started: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ChatThreadStarted { .. }))
        .collect();
    assert_eq!(started.len(), 1);
    assert!(
        matches!(&started[0].kind, EventKind::ChatThreadStarted { ts, channel, .. }
        if *ts == thread && channel == CHANNEL)
    );
    let state = State::replay(&events);
    assert!(
        state
            .timeline
            .iter()
            .any(|e| e.text == format!("Slack thread started in {CHANNEL}")),
        "on the timeline"
    );
    assert!(!state.chat["slack"].mirrored_through.eq(&0));
    let log = std::fs::read_dir(dir.path().join("data"))
        .expect("the data dir")
        .flatten()
        .filter_map(|f| std::fs::read_to_string(f.path()).ok())
        .collect::<String>();
    assert!(!log.contains(BOT_TOKEN));
    let stderr = [stderr, hub.stop()].concat().join("\n");
    assert!(!stderr.contains(BOT_TOKEN), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_one_timeline_line_and_counted_and_nothing_is_lost() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let alice = token(dir.path(), "alice", "commander");
    let olga = token(dir.path(), "olga", "observer");
    let fake = FakeSlack::start(BOT_TOKEN, 0).await;
    configure(dir.path(), &fake);
    let wrong = "xoxb-9999-revoked-token-of-the-test";
    let hub = Hub::serve(dir.path(), wrong);

    let failures = async |at_least: f64| {
        let name = "warroom_chat_failures_total{chat=\"slack\",error=\"invalid_auth\"}";
        let counted = async {
            loop {
                if metric(&hub.metrics().await, name).is_some_and(|n| n >= at_least) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        };
        within("invalid_auth failures on /metrics", counted).await;
    };
    let declare = json!({"type": "declare", "title": "Checkout errors", "severity": "SEV2"});
    let (id, _) = hub.send(&alice, None, declare).await;
    failures(1.0).await;
    // Each new entry tries again (and fails again), after the bridge gave up.
    hub.send(&alice, Some(&id), decision("Roll back")).await;
    failures(2.0).await;
    hub.send(&alice, Some(&id), decision("Page the database team"))
        .await;
    failures(3.0).await;
    let posts = fake.posts();
    assert!(
        posts
            .iter()
            .all(|p| p.answer == Answer::Refused("invalid_auth".into())),
        "{posts:?}"
    );
    assert!(posts.iter().all(|p| p.thread_ts.is_none()), "no thread");

    let events = hub.events(&olga, &id).await;
    let failed: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ChatFailed { error, .. } => Some(error.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(failed, ["invalid_auth"], "recorded once");
    let state = State::replay(&events);
    let lines: Vec<&str> = state
        .timeline
        .iter()
        .map(|e| e.text.as_str())
        .filter(|t| t.contains("invalid_auth"))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("Slack thread: cannot post"),
        "{lines:?}"
    );
    let stderr = hub.stop().join("\n");
    assert!(!stderr.contains(wrong), "{stderr}");

    // With the right token, the next entry starts the thread and nothing is lost.
    let hub = Hub::serve(dir.path(), BOT_TOKEN);
    hub.send(&alice, Some(&id), decision("Restore traffic"))
        .await;
    fake.until_posted("Restore traffic").await;
    let accepted = fake.accepted();
    assert!(accepted[0].thread_ts.is_none() && accepted[0].text.contains(&id));
    let thread: Vec<&str> = accepted[1..].iter().map(|p| p.text.as_str()).collect();
    once_in_order(
        &thread.join("\n"),
        &[
            "Declared SEV2: Checkout errors",
            "Roll back",
            "Page the database team",
            "Restore traffic",
        ],
    );
    let state = State::replay(&hub.events(&olga, &id).await);
    assert_eq!(state.chat["slack"].failed, None, "posting again clears it");
}
