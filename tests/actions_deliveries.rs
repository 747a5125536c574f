//! Comms deliveries end to end, in-process (slack, webhook and outbox channels from a
//! real `warroom.toml`, a local HTTP receiver), and what a hub does at start-up with
//! runs and deliveries a previous hub left unfinished. URL secrets come from this
//! process's environment (set once, one variable per test) and must never reach the log.

mod actions_support;

use actions_support::*;
use chrono::{DateTime, Utc};
use serde_json::json;
use warroom::engine::{DataDir, Submission};
use warroom::incident::state::{RunOutcome, RunStatus};
use warroom::incident::{Actor, Command, Role, State};

const SLACK_TOKEN: &str = "slack-91ce-secret-path";
const FLAKY_TOKEN: &str = "flaky-5e0a-secret-path";

/// Sets every test's secret once, before any hub of this binary reads one.
fn environment() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for (name, value) in [
            ("WR_AD_SLACK_TOKEN", SLACK_TOKEN),
            ("WR_AD_FLAKY_TOKEN", FLAKY_TOKEN),
        ] {
            // SAFETY: std serializes its own environment access; nothing in these
            // tests reads the environment through libc while this runs.
            unsafe { std::env::set_var(name, value) };
        }
    });
}

const CHANNELS: &str = r#"
[[channel]]
name = "chat"
kind = "slack"
url = "BASE/slack/${WR_AD_SLACK_TOKEN}"

[[channel]]
name = "hook"
kind = "webhook"
url = "BASE/hook"

[[channel]]
name = "outbox"
kind = "outbox"
dir = "outbox"

[[channel]]
name = "flaky"
kind = "webhook"
url = "BASE/flaky/${WR_AD_FLAKY_TOKEN}"
timeout_seconds = 5

[[channel]]
name = "gone"
kind = "webhook"
url = "GONE/hook"
timeout_seconds = 2
"#;

const TEXT: &str = "Checkout errors are falling since the rollback. Next update 14:30 UTC.";

fn publish(channels: &[&str]) -> serde_json::Value {
    json!({"type": "publish", "template": "internal_update", "text": TEXT, "channels": channels})
}

/// The channels with the receiver's address and a port nobody listens on.
async fn channels(receiver: &Receiver) -> String {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let gone = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    CHANNELS
        .replace("BASE", &receiver.url())
        .replace("GONE", &gone)
}

fn delivered(seq: u64, count: usize) -> impl Fn(&State) -> bool {
    move |s| {
        s.published_at_seq(seq)
            .is_some_and(|p| p.deliveries.values().filter(|d| d.ok.is_some()).count() == count)
    }
}

#[tokio::test]
async fn a_published_update_reaches_slack_a_webhook_and_the_outbox() {
    environment();
    let receiver = Receiver::start().await;
    let room = Room::open("", &channels(&receiver).await).await;
    let id = room.declare().await;
    let seq = room
        .send(ALICE, &id, publish(&["chat", "hook", "outbox"]))
        .await
        .expect("published");
    let state = room.until(&id, "three deliveries", delivered(seq, 3)).await;
    let update = state.published_at_seq(seq).expect("the update");
    let details: Vec<(&str, Option<bool>, &str)> = update
        .deliveries
        .iter()
        .map(|(c, d)| (c.as_str(), d.ok, d.detail.as_str()))
        .collect();
    let file = format!("{id}-{seq}-internal_update.txt");
    let written = format!("written to {file}");
    let expected = [
        ("chat", Some(true), "HTTP 200"),
        ("hook", Some(true), "HTTP 200"),
        ("outbox", Some(true), written.as_str()),
    ];
    assert_eq!(details, expected);

    let seen = receiver.seen();
    let slack = seen
        .iter()
        .find(|s| s.path.starts_with("/slack/"))
        .expect("slack got it");
    assert_eq!(
        (slack.method.as_str(), slack.path.clone()),
        ("POST", format!("/slack/{SLACK_TOKEN}"))
    );
    assert_eq!(slack.headers["content-type"], "application/json");
    let slack_body = slack.json();
    assert_eq!(slack_body["text"], TEXT);
    let metadata = &slack_body["metadata"];
    assert_eq!(metadata["event_type"], "warroom_update");
    assert_eq!(metadata["event_payload"]["incident"], id.as_str());
    assert_eq!(metadata["event_payload"]["published_seq"], seq);
    let hook = seen
        .iter()
        .find(|s| s.path == "/hook")
        .expect("the webhook got it");
    let body = hook.json();
    let at: DateTime<Utc> = serde_json::from_value(body["published_at"].clone()).expect("a time");
    assert_eq!(at, update.at);
    let head = &body["head"];
    let expected = json!({"incident": id, "title": "Checkout errors", "severity": "SEV2",
        "status": "investigating", "template": "internal_update", "audience": "internal",
        "text": TEXT, "published_at": body["published_at"], "by": "alice", "head": head});
    assert_eq!(body, expected);
    // The head is an outside witness of the log up to the update itself.
    let head_seq = head["seq"].as_u64().expect("a head seq");
    let head_hash = head["hash"].as_str().expect("a head hash");
    assert!(head_seq >= seq, "the head covers the publish: {head}");
    assert_eq!(
        (
            &metadata["event_payload"]["head_seq"],
            &metadata["event_payload"]["head_hash"]
        ),
        (&head["seq"], &head["hash"]),
        "slack holds the same witness"
    );
    let recorded: warroom::store::Head = format!("{head_seq}:{head_hash}").parse().expect("a head");
    let log = warroom::engine::DataDir::new(room.dir.path().join("data")).log_path(&id);
    warroom::store::verify_head(&log, &recorded).expect("the log extends the delivered head");
    let outbox = room.dir.path().join("outbox").join(&file);
    let text = std::fs::read_to_string(outbox).expect("the outbox file");
    assert_eq!(text, format!("{TEXT}\n"));
    assert!(
        !room.log_text(&id).contains(SLACK_TOKEN),
        "the URL's secret is in the log"
    );
    room.stop().await;
}

#[tokio::test]
async fn a_failed_delivery_is_recorded_and_a_retry_delivers_it() {
    environment();
    let receiver = Receiver::start().await;
    let room = Room::open("", &channels(&receiver).await).await;
    let id = room.declare().await;
    let seq = room
        .send(ALICE, &id, publish(&["flaky", "gone"]))
        .await
        .expect("published");
    let state = room
        .until(&id, "two failed deliveries", delivered(seq, 2))
        .await;
    let update = state.published_at_seq(seq).expect("the update");
    let flaky = &update.deliveries["flaky"];
    assert_eq!(
        (flaky.ok, flaky.detail.as_str()),
        (Some(false), "HTTP 500: try later")
    );
    let gone = &update.deliveries["gone"];
    assert_eq!(gone.ok, Some(false));
    assert!(
        !gone.detail.contains("127.0.0.1") && !gone.detail.contains("http"),
        "{}",
        gone.detail
    );

    receiver.heal();
    let retry = json!({"type": "retry_delivery", "published": seq, "channel": "flaky"});
    room.send(ALICE, &id, retry).await.expect("retried");
    let healed = |s: &State| {
        s.published_at_seq(seq)
            .is_some_and(|p| p.deliveries["flaky"].ok == Some(true))
    };
    let state = room.until(&id, "the retry delivers", healed).await;
    let flaky = &state.published_at_seq(seq).expect("update").deliveries["flaky"];
    assert_eq!(flaky.detail, "HTTP 200");
    let tries = receiver
        .seen()
        .iter()
        .filter(|s| s.path.starts_with("/flaky/"))
        .count();
    assert_eq!(tries, 2, "one delivery, one retry");
    assert!(!room.log_text(&id).contains(FLAKY_TOKEN));
    room.stop().await;
}

/// Security report item 6: a channel whose whole URL is a `${NAME}` secret (a Slack
/// webhook) answered by an Express-style "Cannot POST <path>" 404 keeps no part of the
/// URL in the delivery's detail.
#[tokio::test]
async fn a_secret_webhook_url_leaves_no_part_in_a_failed_delivery() {
    let receiver = Receiver::start().await;
    let hook = format!(
        "{}/lost/services/T0AB12/B0CD34/xyzSECRETxyz?k=v4lu3s",
        receiver.url()
    );
    // A name only this test reads, set before its hub starts.
    // SAFETY: std serializes its own environment access; nothing in these tests reads
    // the environment through libc while this runs.
    unsafe { std::env::set_var("WR_AD_LOST_URL", &hook) };
    let config = "[[channel]]\nname = \"slack\"\nkind = \"slack\"\nurl = \"${WR_AD_LOST_URL}\"\n";
    let room = Room::open("", config).await;
    let id = room.declare().await;
    let seq = room
        .send(ALICE, &id, publish(&["slack"]))
        .await
        .expect("published");
    let state = room
        .until(&id, "the delivery fails", delivered(seq, 1))
        .await;
    let slack = &state.published_at_seq(seq).expect("the update").deliveries["slack"];
    assert_eq!(slack.ok, Some(false));
    assert!(
        slack
            .detail
            .starts_with("HTTP 404: Cannot POST ${WR_AD_LOST_URL}"),
        "{}",
        slack.detail
    );
    let kept = [room.log_text(&id), slack.detail.clone()];
    for text in &kept {
        for part in ["T0AB12", "B0CD34", "xyzSECRETxyz", "v4lu3s", "/services/"] {
            assert!(!text.contains(part), "`{part}` was kept: {text}");
        }
    }
    room.stop().await;
}

#[tokio::test]
async fn start_up_settles_runs_and_deliveries_a_stopped_hub_left_unfinished() {
    let receiver = Receiver::start().await;
    let actions = http_action("freeze", true, 5, "/ok/freeze").replace("BASE", &receiver.url());
    let config = channels(&receiver).await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let (runbooks, _) = configure(dir.path(), &actions, &config);
    // A log as a hub killed mid-work leaves it: written by the engine, no runner.
    let data = DataDir::new(dir.path().join("data"));
    let alice = Actor::new("alice", [Role::Commander]);
    let runner = Actor::new("system:runner", [Role::Responder]);
    let submit = |actor: &Actor, command: serde_json::Value| Submission {
        actor: actor.clone(),
        command: serde_json::from_value::<Command>(command).expect("a command"),
        command_id: None,
    };
    let declare = json!({"type": "declare", "title": "Checkout errors", "severity": "SEV2"});
    let mut incident = data
        .declare(submit(&alice, declare), Utc::now(), &runbooks)
        .expect("declared");
    let id = incident.state().id.clone();
    let request = json!({"type": "request_action", "action": "freeze"});
    let ready = incident.state().seq + 1;
    let running = ready + 1;
    let batch = [
        submit(&alice, request.clone()),
        submit(&alice, request),
        submit(
            &runner,
            json!({"type": "record_action_started", "run": running, "attempt": 1}),
        ),
        submit(&alice, publish(&["hook"])),
    ];
    let committed = incident
        .execute(&batch, Utc::now(), &runbooks)
        .expect("written");
    assert_eq!(committed.event_json.len(), 4);
    let published = running + 2;
    drop(incident);

    let room = Room::start(dir, &actions, &config).await;
    let state = State::replay(&room.events(&id).await);
    let (was_ready, was_running) = (
        state.run(ready).expect("run"),
        state.run(running).expect("run"),
    );
    assert_eq!(was_running.status, RunStatus::Finished(RunOutcome::Unknown));
    assert!(
        was_running
            .excerpt
            .starts_with("the hub stopped while this action was in flight")
    );
    assert_eq!(was_ready.status, RunStatus::Finished(RunOutcome::Failed));
    assert!(
        was_ready.excerpt.contains("nothing was sent"),
        "{}",
        was_ready.excerpt
    );
    let pending = &state
        .published_at_seq(published)
        .expect("update")
        .deliveries["hook"];
    assert_eq!(
        (pending.ok, pending.detail.as_str()),
        (Some(false), "the hub stopped before delivering; retry it")
    );

    let retry = json!({"type": "retry_delivery", "published": published, "channel": "hook"});
    room.send(ALICE, &id, retry).await.expect("retried");
    let ok = |s: &State| {
        s.published_at_seq(published)
            .is_some_and(|p| p.deliveries["hook"].ok == Some(true))
    };
    room.until(&id, "the retried delivery", ok).await;
    let paths: Vec<String> = receiver.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(
        paths,
        ["/hook"],
        "nothing is re-run; only the retried delivery is sent"
    );
    room.stop().await;
}

#[tokio::test]
async fn a_public_update_reaches_the_webhook_under_the_public_title_only() {
    environment();
    let receiver = Receiver::start().await;
    let room = Room::open("", &channels(&receiver).await).await;
    let id = room.declare().await;
    let internal = json!({"type": "set_title", "title": "acme sees globex invoices"});
    room.send(ALICE, &id, internal).await.expect("titled");
    let public_text = "Export errors: investigating. We are looking into errors.";
    let publish = json!({"type": "publish", "template": "status_investigating",
        "text": public_text, "channels": ["hook"]});
    let refused = room.send(ALICE, &id, publish.clone()).await;
    assert!(refused.is_err(), "no public title yet: {refused:?}");
    let title = json!({"type": "set_public_title", "title": "Export errors"});
    room.send(ALICE, &id, title)
        .await
        .expect("public title set");
    let seq = room.send(ALICE, &id, publish).await.expect("published");
    room.until(&id, "the delivery", delivered(seq, 1)).await;
    let seen = receiver.seen();
    let hook = seen.iter().find(|s| s.path == "/hook").expect("delivered");
    let body = hook.json();
    assert_eq!(body["title"], "Export errors");
    assert_eq!(body["audience"], "public");
    let raw = body.to_string();
    assert!(
        !raw.contains("acme") && !raw.contains("globex"),
        "the internal title leaked: {raw}"
    );
    room.stop().await;
}

#[tokio::test]
async fn what_people_typed_leaves_the_hub_inert_on_every_channel() {
    environment();
    let receiver = Receiver::start().await;
    let room = Room::open("", &channels(&receiver).await).await;
    let id = room.declare().await;
    let hostile = "Update \u{1b}]0;PWNED\u{7} \u{9b}2J \u{202e}gnp.exe done";
    let publish = json!({"type": "publish", "template": "internal_update",
        "text": hostile, "channels": ["chat", "hook", "outbox"]});
    let seq = room.send(ALICE, &id, publish).await.expect("published");
    room.until(&id, "three deliveries", delivered(seq, 3)).await;
    let dangerous = |text: &str| text.chars().any(warroom::incident::safe_text::is_dangerous);
    for seen in receiver.seen() {
        let text = seen.json()["text"].as_str().unwrap_or("").to_string();
        assert!(!dangerous(&text), "{}: {text:?}", seen.path);
        assert!(text.contains("\\u{1b}]0;PWNED"), "{}: {text:?}", seen.path);
    }
    let file = room
        .dir
        .path()
        .join("outbox")
        .join(format!("{id}-{seq}-internal_update.txt"));
    let written = std::fs::read_to_string(file).expect("the outbox file");
    assert!(!dangerous(&written), "{written:?}");
    // The log keeps what was typed.
    assert!(
        room.log_text(&id).contains("\\u001b]0;PWNED"),
        "verbatim in the log"
    );
    room.stop().await;
}
