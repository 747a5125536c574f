//! Pages out: a `pagerduty` channel sends each published update as a PagerDuty Events
//! API v2 event to a local receiver standing in for `events.pagerduty.com`, checked
//! body for body, and acknowledges its alert when a person first acknowledges the
//! incident; a `pagerduty` action pages on a button. Failures are recorded on the
//! timeline, and the routing key (from the hub's environment) never reaches the log, a
//! delivery's detail, an export or the hub's own log (the real binary, last test).

mod actions_support;

use actions_support::*;
use serde_json::json;
use warroom::incident::state::{RunOutcome, RunStatus};
use warroom::incident::{Command, Event, EventKind, State};
use warroom::net::HubClient;

const ROUTING_KEY: &str = "R0UT1NGk3yf0rth3t3st5u1te0000001";

/// Sets the routing key once, before any hub of this binary reads it.
fn environment() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: std serializes its own environment access; nothing in these tests
        // reads the environment through libc while this runs.
        unsafe { std::env::set_var("WR_PO_ROUTING_KEY", ROUTING_KEY) };
    });
}

/// A `pagerduty` channel posting to `path` on the receiver.
fn oncall(receiver: &Receiver, path: &str) -> String {
    format!(
        "[[channel]]\nname = \"oncall\"\nkind = \"pagerduty\"\n\
         routing_key = \"${{WR_PO_ROUTING_KEY}}\"\nurl = \"{}{path}\"\n",
        receiver.url()
    )
}

fn publish(text: &str) -> serde_json::Value {
    json!({"type": "publish", "template": "internal_update", "text": text, "channels": ["oncall"]})
}

fn delivered(seq: u64) -> impl Fn(&State) -> bool {
    move |s| {
        s.published_at_seq(seq)
            .is_some_and(|p| p.deliveries.get("oncall").is_some_and(|d| d.ok.is_some()))
    }
}

/// Publishes `text` to the channel and waits for its delivery: (ok, detail).
async fn page(room: &Room, id: &str, text: &str) -> (u64, Option<bool>, String) {
    let seq = room
        .send(ALICE, id, publish(text))
        .await
        .expect("published");
    let state = room.until(id, "the delivery", delivered(seq)).await;
    let delivery = &state.published_at_seq(seq).expect("the update").deliveries["oncall"];
    (seq, delivery.ok, delivery.detail.clone())
}

#[tokio::test]
async fn updates_trigger_one_pagerduty_alert_and_the_resolution_resolves_it() {
    environment();
    let receiver = Receiver::start().await;
    let room = Room::open("", &oncall(&receiver, "/enqueue")).await;
    let id = room.declare().await;

    let first = "Checkout errors at 30%.\nRolling back release 412.";
    let (seq, ok, detail) = page(&room, &id, first).await;
    assert_eq!((ok, detail.as_str()), (Some(true), "HTTP 202"));
    let seen = receiver.wait_for(1).await;
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", "/enqueue")
    );
    assert_eq!(seen[0].headers["content-type"], "application/json");
    let body = seen[0].json();
    let update = room.until(&id, "the update", delivered(seq)).await;
    let published_at = update.published_at_seq(seq).expect("the update").at;
    let head = &body["payload"]["custom_details"]["log_head"];
    assert!(head["seq"].as_u64().expect("a head seq") >= seq, "{head}");
    let expected = json!({
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": id,
        "payload": {
            "summary": "Checkout errors: Checkout errors at 30%.",
            "severity": "error",
            "source": "warroom",
            "timestamp": published_at,
            "custom_details": {"incident": id, "status": "investigating", "log_head": head},
        },
    });
    assert_eq!(body, expected, "SEV2 pages as error");

    let escalate = json!({"type": "set_severity", "severity": "SEV1"});
    room.send(ALICE, &id, escalate).await.expect("escalated");
    page(&room, &id, "Now every region.").await;
    let body = receiver.wait_for(2).await[1].json();
    assert_eq!(
        (
            &body["event_action"],
            &body["dedup_key"],
            &body["payload"]["severity"]
        ),
        (&json!("trigger"), &json!(id), &json!("critical")),
        "the same alert, now critical"
    );

    let resolve = json!({"type": "set_status", "status": "resolved"});
    room.send(ALICE, &id, resolve).await.expect("resolved");
    let (_, ok, _) = page(&room, &id, "Resolved: checkout is healthy.").await;
    assert_eq!(ok, Some(true));
    let body = receiver.wait_for(3).await[2].json();
    let expected = json!({"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": id});
    assert_eq!(body, expected);
    assert!(!room.log_text(&id).contains(ROUTING_KEY));
    room.stop().await;
}

#[tokio::test]
async fn a_refused_page_is_a_failed_delivery_that_names_the_status_never_the_key() {
    environment();
    let receiver = Receiver::start().await;
    let config = format!(
        "{}{}",
        oncall(&receiver, "/flaky/v2/enqueue"),
        oncall(&receiver, "/mirror").replace("\"oncall\"", "\"quoting\"")
    );
    let room = Room::open("", &config).await;
    let id = room.declare().await;
    let (seq, ok, detail) = page(&room, &id, "Checkout errors at 30%.").await;
    assert_eq!((ok, detail.as_str()), (Some(false), "HTTP 500: try later"));

    // Retried like any delivery: the same event again.
    receiver.heal();
    let retry = json!({"type": "retry_delivery", "published": seq, "channel": "oncall"});
    room.send(ALICE, &id, retry).await.expect("retried");
    let healed = |s: &State| {
        s.published_at_seq(seq)
            .is_some_and(|p| p.deliveries["oncall"].ok == Some(true))
    };
    room.until(&id, "the retry delivers", healed).await;
    let tries: Vec<_> = receiver.wait_for(2).await.iter().map(Seen::json).collect();
    // The same event; only the log head moved on (it covers the retry).
    let pointer = "/payload/custom_details/log_head";
    let without_head = |mut body: serde_json::Value| {
        *body.pointer_mut(pointer).expect("a head") = json!(null);
        body
    };
    assert_ne!(tries[0].pointer(pointer), tries[1].pointer(pointer));
    assert_eq!(
        without_head(tries[0].clone()),
        without_head(tries[1].clone())
    );

    // A receiver that quotes the event back: the key is kept as its name.
    let quoted = json!({"type": "publish", "template": "internal_update",
        "text": "Still failing.", "channels": ["quoting"]});
    let seq = room.send(ALICE, &id, quoted).await.expect("published");
    let done = |s: &State| {
        s.published_at_seq(seq)
            .is_some_and(|p| p.deliveries["quoting"].ok.is_some())
    };
    let state = room.until(&id, "the quoted delivery", done).await;
    let quoting = &state.published_at_seq(seq).expect("the update").deliveries["quoting"];
    assert_eq!(quoting.ok, Some(false));
    assert!(
        quoting.detail
            == r#"HTTP 400: {"errors":["unknown routing_key ${WR_PO_ROUTING_KEY}"],"status":"invalid event"}"#,
        "{}",
        quoting.detail
    );
    assert!(!room.log_text(&id).contains(ROUTING_KEY));

    room.stop().await;
}

#[tokio::test]
async fn a_missing_routing_key_fails_the_delivery_before_anything_is_sent() {
    let receiver = Receiver::start().await;
    let config = oncall(&receiver, "/enqueue").replace("WR_PO_ROUTING_KEY", "WR_PO_UNSET_KEY");
    let room = Room::open("", &config).await;
    let id = room.declare().await;
    let (_, ok, detail) = page(&room, &id, "Checkout errors.").await;
    assert_eq!(
        (ok, detail.as_str()),
        (
            Some(false),
            "the hub has no `WR_PO_UNSET_KEY` in its environment"
        )
    );
    assert!(receiver.seen().is_empty(), "nothing was sent");
    room.stop().await;
}

/// A `pagerduty` action posting to the receiver's `/enqueue`, requestable by commander
/// and ops tokens.
fn page_action(receiver: &Receiver) -> String {
    let fields = format!(
        "timeout_seconds = 5\nkind = \"pagerduty\"\nrouting_key = \"${{WR_PO_ROUTING_KEY}}\"\n\
         url = \"{}/enqueue\"\nsummary = \"{{incident_id}} ({{severity}}): {{reason}}\"\n\
         [[action.param]]\nname = \"reason\"\ndescription = \"Why you are paging\"\n\
         pattern = '^.{{3,300}}$'\nunicode = true\n",
        receiver.url()
    );
    action(
        "page_oncall",
        r#"["commander", "ops"]"#,
        true,
        false,
        &fields,
    )
}

#[tokio::test]
async fn the_page_action_triggers_once_confirmed_and_pressing_again_updates_the_same_alert() {
    environment();
    let receiver = Receiver::start().await;
    let room = Room::open(&page_action(&receiver), "").await;
    let id = room.declare().await;

    // The confirmation's preview (a dry run) shows the whole event, the key by name,
    // and sends nothing.
    let dry = json!({"type": "request_action", "action": "page_oncall",
        "params": {"reason": "Checkout down"}, "dry_run": true});
    let run = room.send(CAROL, &id, dry).await.expect("a dry run");
    let state = room
        .until(&id, "the dry run", |s| s.run(run).is_some())
        .await;
    let shown = state.run(run).expect("the run").preview.describe();
    assert!(
        shown.contains("\"routing_key\": \"${WR_PO_ROUTING_KEY}\""),
        "{shown}"
    );
    assert!(!shown.contains(ROUTING_KEY));
    assert!(receiver.seen().is_empty(), "a dry run sends nothing");

    // A token without one of the action's roles may not page, seat or not.
    let refused = room
        .request(RITA, &id, "page_oncall", json!({"reason": "Checkout down"}))
        .await;
    assert_eq!(rejected(refused).0, "forbidden");

    let run = room
        .request(
            CAROL,
            &id,
            "page_oncall",
            json!({"reason": "Checkout down"}),
        )
        .await
        .expect("requested");
    let state = room.until(&id, "the page", finished(run)).await;
    let done = state.run(run).expect("the run");
    assert_eq!(done.status, RunStatus::Finished(RunOutcome::Succeeded));
    assert_eq!(done.result_status, Some(202));
    let seen = receiver.wait_for(1).await;
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", "/enqueue")
    );
    assert_eq!(seen[0].headers["content-type"], "application/json");
    let expected = json!({
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": format!("{id}/page_oncall"),
        "payload": {
            "summary": format!("{id} (SEV2): Checkout down"),
            "severity": "error",
            "source": "warroom",
            "custom_details": {"incident": id, "requested_by": "carol", "reason": "Checkout down"},
        },
    });
    assert_eq!(seen[0].json(), expected);

    // Pressed again, after escalating: the same alert, updated, never a second page.
    let escalate = json!({"type": "set_severity", "severity": "SEV1"});
    room.send(ALICE, &id, escalate).await.expect("escalated");
    let again = room
        .request(ALICE, &id, "page_oncall", json!({"reason": "Still down"}))
        .await
        .expect("requested again");
    room.until(&id, "the second page", finished(again)).await;
    let second = receiver.wait_for(2).await[1].json();
    assert_eq!(second["dedup_key"], expected["dedup_key"]);
    assert_eq!(second["payload"]["severity"], "critical");
    assert_eq!(second["payload"]["custom_details"]["requested_by"], "alice");

    let log = room.log_text(&id);
    assert!(!log.contains(ROUTING_KEY));
    assert!(
        log.contains("${WR_PO_ROUTING_KEY}"),
        "the preview keeps the name"
    );
    room.stop().await;
}

fn acknowledgements(events: &[Event]) -> Vec<(String, bool, String)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::AcknowledgementDelivered {
                channel,
                ok,
                detail,
            } => Some((channel.clone(), *ok, detail.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_first_human_acknowledgement_acknowledges_the_alert_once_and_triggers_link_home() {
    environment();
    let receiver = Receiver::start().await;
    let config = format!(
        "public_url = \"https://warroom.example.com/\"\n{}",
        oncall(&receiver, "/enqueue")
    );
    let room = Room::open("", &config).await;
    // An automation declares and publishes: nobody has acknowledged yet.
    let id = room.declare_as(BOT).await;
    let seq = room
        .send(BOT, &id, publish("Checkout errors at 30%."))
        .await
        .expect("published");
    room.until(&id, "the trigger", delivered(seq)).await;
    let trigger = receiver.wait_for(1).await[0].json();
    assert_eq!(trigger["event_action"], "trigger");
    let link = format!("https://warroom.example.com/incidents/{id}");
    assert_eq!(
        trigger["links"],
        json!([{"href": link, "text": "Open in warroom"}])
    );
    assert!(acknowledgements(&room.events(&id).await).is_empty());

    // A person's first touch acknowledges the incident, and with it the alert.
    let note = json!({"type": "add_note", "text": "Looking."});
    room.send(ALICE, &id, note.clone()).await.expect("noted");
    let ack = receiver.wait_for(2).await[1].json();
    assert_eq!(
        ack,
        json!({"routing_key": ROUTING_KEY, "event_action": "acknowledge", "dedup_key": id})
    );
    let recorded = async {
        loop {
            let found = acknowledgements(&room.events(&id).await);
            if !found.is_empty() {
                return found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    };
    let found = within("the acknowledgement on the timeline", recorded).await;
    assert_eq!(
        found,
        [("oncall".to_string(), true, "HTTP 202".to_string())]
    );

    // Never again: more touches, an explicit acknowledge, another update.
    room.send(BOB, &id, note).await.expect("noted");
    let explicit = room.send(BOB, &id, json!({"type": "acknowledge"})).await;
    assert_eq!(rejected(explicit).0, "unchanged");
    let (_, ok, _) = page(&room, &id, "Rolled back.").await;
    assert_eq!(ok, Some(true));
    let seen = receiver.wait_for(3).await;
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[2].json()["event_action"], "trigger");
    assert_eq!(acknowledgements(&room.events(&id).await).len(), 1);
    assert!(!room.log_text(&id).contains(ROUTING_KEY));
    room.stop().await;
}

const BIN: &str = env!("CARGO_BIN_EXE_warroom");

/// The real binary with nothing of the caller's `WARROOM_*`, its data in `dir/data`.
fn binary(dir: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(BIN);
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
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    command
}

/// Runs to completion; stdout, after asserting exit 0.
fn succeeds(mut command: std::process::Command, what: &str) -> String {
    let output = command.output().expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "`{what}` failed: {stderr}");
    String::from_utf8(output.stdout).expect("utf-8")
}

/// A `warroom serve` child, killed when dropped; every line of its log (stderr).
struct Hub {
    child: std::process::Child,
    log: std::sync::mpsc::Receiver<String>,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_routing_key_stays_out_of_the_log_the_export_and_the_hubs_own_log() {
    use std::io::BufRead;
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path();
    std::fs::write(path.join("actions.toml"), page_action(&receiver)).expect("actions");
    let config = path.join("warroom.toml");
    // The channel's receiver quotes the key back, as an API refusing it might.
    let text = format!(
        "actions = \"actions.toml\"\npublic_url = \"https://warroom.example.com\"\n{}",
        oncall(&receiver, "/mirror")
    );
    std::fs::write(&config, text).expect("config");
    let mut new_token = binary(path);
    new_token.args([
        "token",
        "new",
        "--name",
        "alice",
        "--role",
        "commander",
        "--config",
    ]);
    new_token.arg(&config);
    let token = succeeds(new_token, "token new").trim().to_string();

    let mut serve = binary(path);
    serve
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .env("WR_PO_ROUTING_KEY", ROUTING_KEY)
        .env("WARROOM_LOG", "warroom=debug")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = serve.spawn().expect("the hub starts");
    let stderr = child.stderr.take().expect("stderr");
    let (lines, log) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines.send(line);
        }
    });
    let mut hub = Hub { child, log };
    let mut hub_log = String::new();
    let addr = loop {
        let line = hub
            .log
            .recv_timeout(LIMIT)
            .expect("the hub says where it listens");
        hub_log.push_str(&line);
        hub_log.push('\n');
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .expect("an address")
                .to_string();
        }
    };

    let url = format!("http://{addr}");
    let mut alice = within("connect", HubClient::connect(&url, &token, None, 0))
        .await
        .expect("connects");
    let declare = json!({"type": "declare", "title": "Checkout errors", "severity": "SEV2"});
    let command =
        |value: serde_json::Value| -> Command { serde_json::from_value(value).expect("a command") };
    let (id, _) = within("declare", alice.command(None, command(declare)))
        .await
        .expect("declared");
    let request = json!({"type": "request_action", "action": "page_oncall",
        "params": {"reason": "Checkout down"}});
    let (_, run) = within("page", alice.command(Some(&id), command(request)))
        .await
        .expect("requested");
    let (_, published) = within(
        "publish",
        alice.command(Some(&id), command(publish("Down."))),
    )
    .await
    .expect("published");
    let settled = async {
        loop {
            let state = State::replay(&alice.load(&id).await.expect("loads"));
            let paged = finished(run)(&state);
            if paged && delivered(published)(&state) {
                return state;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    };
    let state = within("the page and the delivery", settled).await;
    let delivery = &state
        .published_at_seq(published)
        .expect("the update")
        .deliveries["oncall"];
    assert_eq!(delivery.ok, Some(false));
    assert!(
        delivery.detail.contains("${WR_PO_ROUTING_KEY}"),
        "{}",
        delivery.detail
    );
    let bodies: Vec<_> = receiver.wait_for(2).await.iter().map(Seen::json).collect();
    assert!(
        bodies.iter().all(|b| b["routing_key"] == ROUTING_KEY),
        "the key went to PagerDuty"
    );
    alice.close().await;

    // Where the channel's link lands: how to open the incident, no token needed.
    let page = reqwest::get(format!("{url}/incidents/{id}"))
        .await
        .expect("the link");
    assert_eq!(page.status(), 200);
    let text = page.text().await.expect("a page");
    let join = format!("warroom join https://warroom.example.com --incident {id}");
    assert!(text.contains(&join), "{text}");
    let junk = reqwest::get(format!("{url}/incidents/%3Cscript%3E"))
        .await
        .expect("an answer");
    assert_eq!(junk.status(), 404);
    let _ = hub.child.kill();
    let _ = hub.child.wait();
    hub_log.extend(hub.log.try_iter().map(|line| line + "\n"));
    while let Ok(line) = hub.log.recv_timeout(std::time::Duration::from_secs(2)) {
        hub_log.push_str(&line);
        hub_log.push('\n');
    }
    assert!(hub_log.contains("action finished"), "{hub_log}");
    assert!(!hub_log.contains(ROUTING_KEY), "{hub_log}");

    let data = warroom::engine::DataDir::new(path.join("data"));
    let stored = std::fs::read_to_string(data.log_path(&id)).expect("the log");
    assert!(!stored.contains(ROUTING_KEY));
    for format in ["json", "md", "csv"] {
        let mut export = binary(path);
        export.args(["export", &id, "--format", format]);
        let exported = succeeds(export, "export");
        assert!(exported.contains(&id), "{format}: {exported}");
        assert!(!exported.contains(ROUTING_KEY), "{format}: {exported}");
    }
}

/// What the runner recorded of pages: (channel, resolve, ok, detail).
fn pages(events: &[Event]) -> Vec<(String, bool, bool, String)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::PageSent {
                channel,
                resolve,
                ok,
                detail,
            } => Some((channel.clone(), *resolve, *ok, detail.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_alert_declared_incident_pages_a_person_acknowledges_and_resolving_resolves() {
    environment();
    let receiver = Receiver::start().await;
    let config = format!(
        "public_url = \"https://warroom.example.com\"\n{}page_on_declare = true\n",
        oncall(&receiver, "/enqueue")
    );
    let room = Room::open("", &config).await;

    // An automation (an alert intake) declares: the on-call is paged at once.
    let id = room.declare_as(BOT).await;
    let trigger = receiver.wait_for(1).await[0].json();
    assert_eq!(
        trigger,
        json!({
            "routing_key": ROUTING_KEY,
            "event_action": "trigger",
            "dedup_key": id,
            "payload": {
                "summary": "[SEV2] Checkout errors",
                "severity": "error",
                "source": "warroom",
                "custom_details": {"incident": id, "declared_by": "system:monitor"},
            },
            "links": [{"href": format!("https://warroom.example.com/incidents/{id}"), "text": "Open in warroom"}],
        })
    );
    let paged = room
        .until(&id, "the page recorded", |s| s.paged.contains("oncall"))
        .await;
    assert!(
        paged.acknowledged_at.is_none(),
        "an automation acknowledges nothing"
    );

    // The first person to touch it acknowledges the page, once.
    let note = json!({"type": "add_note", "text": "On it."});
    room.send(ALICE, &id, note.clone()).await.expect("noted");
    let ack = receiver.wait_for(2).await[1].json();
    assert_eq!(
        ack,
        json!({"routing_key": ROUTING_KEY, "event_action": "acknowledge", "dedup_key": id})
    );
    room.send(BOB, &id, note).await.expect("noted");

    // Resolving resolves the page; nothing is left open.
    let resolve = json!({"type": "set_status", "status": "resolved", "reason": "rolled back"});
    room.send(ALICE, &id, resolve).await.expect("resolved");
    let seen = receiver.wait_for(3).await;
    assert_eq!(
        seen[2].json(),
        json!({"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": id})
    );
    let state = room
        .until(&id, "the page resolved", |s| s.paged.is_empty())
        .await;
    assert_eq!(state.status, warroom::incident::Status::Resolved);
    let recorded = pages(&room.events(&id).await);
    assert_eq!(
        recorded,
        [
            ("oncall".to_string(), false, true, "HTTP 202".to_string()),
            ("oncall".to_string(), true, true, "HTTP 202".to_string()),
        ]
    );
    assert_eq!(receiver.wait_for(3).await.len(), 3, "nothing more was sent");
    assert!(!room.log_text(&id).contains(ROUTING_KEY));
    room.stop().await;
}
