//! Pages out: a `pagerduty` channel sends each published update as a PagerDuty Events
//! API v2 event to a local receiver standing in for `events.pagerduty.com`, checked
//! body for body; failures are recorded on the timeline, and the routing key (from
//! this process's environment) never reaches the log or a delivery's detail.

mod actions_support;

use actions_support::*;
use serde_json::json;
use warroom::incident::State;

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
