//! The Slack bridge, outbound, against the real binary: `warroom serve` on 127.0.0.1:0
//! with `[slack]` pointing at a fake Slack Web API on loopback and `SLACK_BOT_TOKEN` in
//! the hub's environment. The fake checks the bearer token and that every `thread_ts`
//! is a thread it started, answers one 429 with `Retry-After: 1`, and records every
//! call. The tests drive an incident through a real client and check that every
//! mirrored entry arrived once, in order, in one thread — also across a hub restart —
//! and that a refused token is one timeline line and a `/metrics` count.

mod hub_support;

use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use hub_support::{Hub, metric, within};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use warroom::incident::{Command as Cmd, Event, EventKind, State};

const BOT_TOKEN: &str = "xoxb-1111-2222-slackoutTESTtoken";
const CHANNEL: &str = "C0WARROOM";

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

// ---- The hub as a child process (tests/hub_support), the bot token in its environment ----

/// Wraps the responders `token new` wrote with an action and `[slack]` for `fake`.
fn configure(dir: &Path, fake: &FakeSlack) {
    let actions = "[[action]]\nid = \"contain\"\ntitle = \"Contain checkout\"\n\
                   description = \"Says it contained.\"\nroles = [\"commander\"]\n\
                   confirm = true\ntwo_person = false\nidempotent = true\n\
                   timeout_seconds = 5\nkind = \"exec\"\n\
                   argv = [\"/usr/bin/printf\", \"contained\"]\n";
    std::fs::write(dir.join("actions.toml"), actions).expect("actions written");
    let config = hub_support::config_path(dir);
    let responders = std::fs::read_to_string(&config).expect("the config");
    let slack = format!(
        "\n[slack]\nbot_token = \"${{SLACK_BOT_TOKEN}}\"\nchannel = \"{CHANNEL}\"\n\
         api_url = \"http://{}/api\"\nposts_per_minute = 600\n",
        fake.addr
    );
    let text = format!("actions = \"actions.toml\"\n{responders}{slack}");
    std::fs::write(&config, text).expect("config written");
}

/// The hub on DIR's config with `bot_token` as `$SLACK_BOT_TOKEN`.
fn serve(dir: &Path, bot_token: &str) -> Hub {
    hub_support::serve_at(dir, "127.0.0.1:0", &[("SLACK_BOT_TOKEN", bot_token)])
}

/// Sends `command` (JSON) as `token`'s holder; the incident and seq.
async fn send(hub: &Hub, token: &str, incident: Option<&str>, command: Value) -> (String, u64) {
    let command: Cmd = serde_json::from_value(command).expect("a valid command");
    let mut client = hub_support::connect(hub.addr, token).await;
    let sent = within("a command", client.command(incident, command)).await;
    client.close().await;
    sent.expect("applied")
}

async fn load(hub: &Hub, token: &str, incident: &str) -> Vec<Event> {
    let mut client = hub_support::connect(hub.addr, token).await;
    let events = within("load", client.load(incident)).await.expect("loads");
    client.close().await;
    events
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
    let alice = hub_support::token(dir.path(), "alice", "commander");
    let olga = hub_support::token(dir.path(), "olga", "observer");
    // The third call (an entry, after the root and the first entry) gets a 429.
    let fake = FakeSlack::start(BOT_TOKEN, 3).await;
    configure(dir.path(), &fake);
    let hub = serve(dir.path(), BOT_TOKEN);

    let declare =
        json!({"type": "declare", "title": "Checkout <!channel> errors & 5xx", "severity": "SEV2"});
    let (id, _) = send(&hub, &alice, None, declare).await;
    fake.until_posted("Declared SEV2").await;
    // The severity change is the third call: held, then answered 429. Everything
    // after it piles up meanwhile and must go out as one message, in order.
    send(
        &hub,
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
        send(&hub, &alice, Some(&id), command).await;
    }
    let finished = async {
        loop {
            let events = load(&hub, &olga, &id).await;
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
    let hub = serve(dir.path(), BOT_TOKEN);
    send(
        &hub,
        &alice,
        Some(&id),
        decision("Freeze deploys until Friday"),
    )
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
    let events = load(&hub, &olga, &id).await;
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
    let alice = hub_support::token(dir.path(), "alice", "commander");
    let olga = hub_support::token(dir.path(), "olga", "observer");
    let fake = FakeSlack::start(BOT_TOKEN, 0).await;
    configure(dir.path(), &fake);
    let wrong = "xoxb-9999-revoked-token-of-the-test";
    let hub = serve(dir.path(), wrong);

    let failures = async |at_least: f64| {
        let name = "warroom_chat_failures_total{chat=\"slack\",error=\"invalid_auth\"}";
        let counted = async {
            loop {
                if metric(&hub_support::metrics(hub.addr).await, name)
                    .is_some_and(|n| n >= at_least)
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        };
        within("invalid_auth failures on /metrics", counted).await;
    };
    let declare = json!({"type": "declare", "title": "Checkout errors", "severity": "SEV2"});
    let (id, _) = send(&hub, &alice, None, declare).await;
    failures(1.0).await;
    // Each new entry tries again (and fails again), after the bridge gave up.
    send(&hub, &alice, Some(&id), decision("Roll back")).await;
    failures(2.0).await;
    send(&hub, &alice, Some(&id), decision("Page the database team")).await;
    failures(3.0).await;
    let posts = fake.posts();
    assert!(
        posts
            .iter()
            .all(|p| p.answer == Answer::Refused("invalid_auth".into())),
        "{posts:?}"
    );
    assert!(posts.iter().all(|p| p.thread_ts.is_none()), "no thread");

    let events = load(&hub, &olga, &id).await;
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
    let hub = serve(dir.path(), BOT_TOKEN);
    send(&hub, &alice, Some(&id), decision("Restore traffic")).await;
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
    let state = State::replay(&load(&hub, &olga, &id).await);
    assert_eq!(state.chat["slack"].failed, None, "posting again clears it");
}
