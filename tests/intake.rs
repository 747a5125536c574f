//! Alert intake beyond Alertmanager against the real binary: `warroom serve` on
//! 127.0.0.1:0 with a config holding `[pagerduty]` and `[[intake]]` blocks, their
//! secrets in the hub's environment, and deliveries posted over a plain socket.
//! PagerDuty V3 samples are shaped like PagerDuty's documented payloads and signed
//! here with the `hmac` crate (not the hub's code). Each test checks the HTTP answer,
//! what the incident log holds afterwards and the `/metrics` counters.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::net::SocketAddr;
use std::path::Path;
use warroom::incident::{Event, EventKind, Severity, State, Status};
use warroom::net::HubClient;

mod hub_support;

use hub_support::{Hub, http, metric, metrics, token, within};

const PD_SECRET: &str = "pd-signing-secret-for-tests";
const HOOK_SECRET: &str = "sentry-client-secret-for-tests";
const PD: &str = "/api/v1/alerts/pagerduty";
const SECRETS: [(&str, &str); 2] = [
    ("WR_TEST_PD_SECRET", PD_SECRET),
    ("WR_TEST_HOOK_SECRET", HOOK_SECRET),
];

fn warroom(dir: &Path) -> std::process::Command {
    hub_support::warroom(dir, &SECRETS)
}

fn serve(dir: &Path, extra: &str) -> Hub {
    hub_support::serve(dir, extra, &SECRETS)
}

/// A JSON answer: status and body, asserting the body is one line of JSON.
async fn post(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Value) {
    let (status, text) = http(addr, "POST", path, headers, body).await;
    assert!(!text.trim_end().contains('\n'), "one line: {text}");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON: {text}")),
    )
}

fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every event of `incident`, read by an observer.
async fn load_events(addr: SocketAddr, token: &str, incident: &str) -> Vec<Event> {
    let url = format!("http://{addr}");
    let mut client = within("connect", HubClient::connect(&url, token, None, 0))
        .await
        .expect("connects");
    let events = within("load", client.load(incident)).await.expect("loads");
    client.close().await;
    events
}

async fn incident_count(addr: SocketAddr, token: &str) -> usize {
    let url = format!("http://{addr}");
    let mut client = within("connect", HubClient::connect(&url, token, None, 0))
        .await
        .expect("connects");
    let listed = within("list", client.list()).await.expect("lists").len();
    client.close().await;
    listed
}

/// The alert entries of an incident: (actor, firing, summary).
fn alert_entries(events: &[Event]) -> Vec<(String, bool, String)> {
    let alert = |e: &Event| match &e.kind {
        EventKind::AlertReceived {
            firing, summary, ..
        } => Some((e.actor.clone(), *firing, summary.clone())),
        _ => None,
    };
    events.iter().filter_map(alert).collect()
}

/// A PagerDuty V3 webhook body for `event_type` on incident PT4KHLK of `service`.
fn pagerduty_event(event_id: &str, event_type: &str, service: &str) -> Vec<u8> {
    let status = match event_type {
        "incident.acknowledged" => "acknowledged",
        "incident.resolved" => "resolved",
        _ => "triggered",
    };
    json!({"event": {
        "id": event_id,
        "event_type": event_type,
        "resource_type": "incident",
        "occurred_at": "2026-03-14T09:00:00.000Z",
        "agent": {"html_url": "https://acme.pagerduty.com/users/PXPGF42", "id": "PXPGF42",
            "self": "https://api.pagerduty.com/users/PXPGF42", "summary": "Earline Greenholt",
            "type": "user_reference"},
        "client": {"name": "PagerDuty"},
        "data": {
            "id": "PT4KHLK", "type": "incident",
            "self": "https://api.pagerduty.com/incidents/PT4KHLK",
            "html_url": "https://acme.pagerduty.com/incidents/PT4KHLK",
            "number": 1234, "status": status,
            "incident_key": "baf7cf21b1da41b4b0221008339ff357",
            "created_at": "2026-03-14T09:00:00Z",
            "title": "Checkout API 5xx above 5%",
            "service": {"html_url": format!("https://acme.pagerduty.com/services/{service}"),
                "id": service, "self": format!("https://api.pagerduty.com/services/{service}"),
                "summary": "Checkout API", "type": "service_reference"},
            "assignees": [{"html_url": "https://acme.pagerduty.com/users/PXPGF42", "id": "PXPGF42",
                "self": "https://api.pagerduty.com/users/PXPGF42", "summary": "Earline Greenholt",
                "type": "user_reference"}],
            "escalation_policy": {"html_url": "https://acme.pagerduty.com/escalation_policies/PUS0KTE",
                "id": "PUS0KTE", "self": "https://api.pagerduty.com/escalation_policies/PUS0KTE",
                "summary": "Default", "type": "escalation_policy_reference"},
            "teams": [],
            "priority": {"html_url": "https://acme.pagerduty.com/account/incident_priorities",
                "id": "PSO75BM", "self": "https://api.pagerduty.com/priorities/PSO75BM",
                "summary": "P1", "type": "priority"},
            "urgency": "high",
            "conference_bridge": null,
            "resolve_reason": null
        }
    }})
    .to_string()
    .into_bytes()
}

#[test]
fn pagerduty_v3_declares_once_appends_and_refuses_bad_deliveries() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let olga = token(dir.path(), "olga", "observer");
    let hub = serve(
        dir.path(),
        "\n[pagerduty]\nsigning_secret = \"${WR_TEST_PD_SECRET}\"\n",
    );
    let addr = hub.addr;
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let triggered = pagerduty_event("01DEN3KX4YYLS1QG2ZPHUVWJRA", "incident.triggered", "PIJ90N7");
        let signed = format!("v1={}", signature(PD_SECRET, &triggered));
        let (status, answer) = post(addr, PD, &[("X-PagerDuty-Signature", &signed)], &triggered).await;
        assert_eq!(status, 200, "{answer}");
        let incident = answer["incident"].as_str().expect("an incident").to_string();
        assert_eq!(answer, json!({"incident": incident, "action": "appended"}));

        // PagerDuty retries a delivery it saw fail: the same event id is applied once.
        let again = post(addr, PD, &[("X-PagerDuty-Signature", &signed)], &triggered).await;
        assert_eq!(again, (200, answer.clone()));

        // During a secret rotation PagerDuty sends two signatures: either may match.
        let acknowledged = pagerduty_event("01DEN3KX4YYLS1QG2ZPHUVWJRB", "incident.acknowledged", "PIJ90N7");
        let two = format!("v1={}, v1={}", signature("the-old-secret", &acknowledged), signature(PD_SECRET, &acknowledged));
        let (status, answer) = post(addr, PD, &[("X-PagerDuty-Signature", &two)], &acknowledged).await;
        assert_eq!((status, &answer["action"]), (200, &json!("appended")), "{answer}");
        let resolved = pagerduty_event("01DEN3KX4YYLS1QG2ZPHUVWJRC", "incident.resolved", "PIJ90N7");
        let signed_resolved = format!("v1={}", signature(PD_SECRET, &resolved));
        let (status, answer) = post(addr, PD, &[("X-PagerDuty-Signature", &signed_resolved)], &resolved).await;
        assert_eq!((status, answer), (200, json!({"incident": incident, "action": "noted_resolved"})));

        // Refused, nothing written: each with its status, a one-line error and a counter.
        let other = pagerduty_event("01DEN3KX4YYLS1QG2ZPHUVWJRD", "incident.triggered", "PIJ90N7");
        let forged = format!("v1={}", signature("not-the-secret", &other));
        let (status, answer) = post(addr, PD, &[("X-PagerDuty-Signature", &forged)], &other).await;
        assert_eq!(status, 401, "{answer}");
        assert!(answer["error"].as_str().is_some_and(|e| e.contains("no signature")), "{answer}");
        let (status, answer) = post(addr, PD, &[], &other).await;
        assert_eq!(status, 401, "{answer}");
        assert!(answer["error"].as_str().is_some_and(|e| e.contains("X-PagerDuty-Signature")), "{answer}");
        let reassigned = pagerduty_event("01DEN3KX4YYLS1QG2ZPHUVWJRE", "incident.reassigned", "PIJ90N7");
        let signed = format!("v1={}", signature(PD_SECRET, &reassigned));
        let (status, answer) = post(addr, PD, &[("X-PagerDuty-Signature", &signed)], &reassigned).await;
        assert_eq!(status, 422, "{answer}");
        assert!(answer["error"].as_str().is_some_and(|e| e.starts_with("event type `incident.reassigned` is not read")), "{answer}");
        let moved = pagerduty_event("01DEN3KX4YYLS1QG2ZPHUVWJRF", "incident.triggered", "PZZZZZZ");
        let signed = format!("v1={}", signature(PD_SECRET, &moved));
        let (status, answer) = post(addr, PD, &[("X-PagerDuty-Signature", &signed)], &moved).await;
        assert_eq!(status, 409, "{answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(&incident) && message.contains("pagerduty:PT4KHLK@PZZZZZZ"), "{answer}");
        let mut huge = pagerduty_event("01DEN3KX4YYLS1QG2ZPHUVWJRG", "incident.triggered", "PIJ90N7");
        huge.truncate(huge.len() - 2);
        huge.extend_from_slice(format!(",\"padding\":\"{}\"}}}}", "x".repeat(2 * 1024 * 1024)).as_bytes());
        let signed = format!("v1={}", signature(PD_SECRET, &huge));
        let (status, answer) = post(addr, PD, &[("X-PagerDuty-Signature", &signed)], &huge).await;
        assert_eq!(status, 413, "{answer}");

        let events = load_events(addr, &olga, &incident).await;
        let state = State::replay(&events);
        assert_eq!(state.title, "Checkout API 5xx above 5%");
        assert_eq!(state.severity, Some(Severity::Sev1), "P1 is SEV1");
        assert_eq!(events[0].actor, "system:pagerduty");
        assert_ne!(state.status, Status::Resolved, "PagerDuty never resolves the war room");
        let alerts = alert_entries(&events);
        let steps: Vec<(&str, bool)> = alerts.iter().map(|(a, f, _)| (a.as_str(), *f)).collect();
        assert_eq!(
            steps,
            [("system:pagerduty", true), ("system:pagerduty", true), ("system:pagerduty", false)],
            "triggered, acknowledged, resolved: once each"
        );
        assert!(alerts[1].2.starts_with("PagerDuty incident #1234 acknowledged by Earline Greenholt: Checkout API 5xx above 5% (PT4KHLK, service Checkout API, P1, high urgency)"), "{}", alerts[1].2);
        assert_eq!(incident_count(addr, &olga).await, 1, "nothing else was declared");

        let text = metrics(addr).await;
        for (reason, count) in [("bad_signature", 1.0), ("unsigned", 1.0), ("unknown_event", 1.0), ("conflict", 1.0), ("too_large", 1.0)] {
            let name = format!("warroom_intake_refused_total{{source=\"pagerduty\",reason=\"{reason}\"}}");
            assert_eq!(metric(&text, &name), Some(count), "{name}\n{text}");
        }
        let accepted = metric(&text, "warroom_intake_accepted_total{source=\"pagerduty\"}");
        assert_eq!(accepted, Some(3.0), "the retry wrote nothing");
    });
}

/// A Grafana webhook contact point body (Grafana 10/11), firing or resolved.
fn grafana_payload(status: &str) -> Vec<u8> {
    let labels = json!({"alertname": "HighLatency", "grafana_folder": "Checkout",
        "severity": "warning", "service": "checkout"});
    let annotations = json!({"summary": "Checkout p99 latency above 2 s"});
    json!({
        "receiver": "warroom", "status": status, "orgId": 1,
        "alerts": [{
            "status": status, "labels": labels, "annotations": annotations,
            "startsAt": "2026-03-14T09:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://grafana.example.com/alerting/grafana/abc/view",
            "fingerprint": "57c6d9296de2ad39", "silenceURL": "https://grafana.example.com/alerting/silence/new",
            "dashboardURL": "", "panelURL": "", "values": {"B": 2.4, "C": 1}, "valueString": "[ var='B' value=2.4 ]"
        }],
        "groupLabels": {"alertname": "HighLatency"}, "commonLabels": labels,
        "commonAnnotations": annotations, "externalURL": "https://grafana.example.com/",
        "version": "1", "groupKey": "{}/{}:{alertname=\"HighLatency\"}", "truncatedAlerts": 0,
        "title": format!("[{}:1] HighLatency Checkout", status.to_uppercase()),
        "state": if status == "firing" { "alerting" } else { "ok" },
        "message": "**Firing**\n\nValue: B=2.4\nLabels:\n - alertname = HighLatency\n"
    })
    .to_string()
    .into_bytes()
}

const INTAKES: &str = r#"
[[intake]]
name = "monitor"
title = "/check/name"
group_key = "/check/id"
severity = "/level"
summary = "/output"
status = "/state"
delivery_id = "/event_id"

[[intake]]
name = "sentry"
title = "/data/issue/title"
group_key = "/data/issue/id"
status = "/action"
resolved_values = ["resolved"]
hmac = { header = "Sentry-Hook-Signature", algorithm = "sha256", secret = "${WR_TEST_HOOK_SECRET}" }
"#;

#[test]
fn grafana_and_json_webhooks_declare_by_their_mapping() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let olga = token(dir.path(), "olga", "observer");
    let sender = token(dir.path(), "monitoring", "responder");
    let hub = serve(dir.path(), INTAKES);
    let addr = hub.addr;
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let bearer = format!("Bearer {sender}");
        let auth = [("Authorization", bearer.as_str())];
        let grafana = "/api/v1/alerts/grafana";
        let (status, answer) = post(addr, grafana, &auth, &grafana_payload("firing")).await;
        assert_eq!(status, 200, "{answer}");
        let from_grafana = answer["incident"].as_str().expect("an id").to_string();
        let (status, answer) = post(addr, grafana, &auth, &grafana_payload("resolved")).await;
        assert_eq!((status, answer), (200, json!({"incident": from_grafana, "action": "noted_resolved"})));
        let (status, _) = post(addr, grafana, &[], &grafana_payload("firing")).await;
        assert_eq!(status, 401);
        let events = load_events(addr, &olga, &from_grafana).await;
        let state = State::replay(&events);
        assert_eq!(state.title, "Checkout p99 latency above 2 s");
        assert_eq!(state.severity, Some(Severity::Sev3), "severity=warning");
        let alerts = alert_entries(&events);
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0].2, "Grafana: HighLatency (1 firing, 0 resolved) — Checkout p99 latency above 2 s");
        assert_eq!(alerts[0].0, "system:grafana");

        // A monitor with a bearer token, mapped by pointers; its event id deduplicates.
        let check = |event: &str, state: &str| {
            json!({"event_id": event, "state": state, "level": "critical", "output": "db1 disk 97% full",
                "check": {"id": "disk-db1", "name": "Disk space on db1"}}).to_string().into_bytes()
        };
        let monitor = "/api/v1/intake/monitor";
        let (status, answer) = post(addr, monitor, &auth, &check("e-1", "alerting")).await;
        assert_eq!(status, 200, "{answer}");
        let from_monitor = answer["incident"].as_str().expect("an id").to_string();
        assert_ne!(from_monitor, from_grafana);
        let retried = post(addr, monitor, &auth, &check("e-1", "alerting")).await;
        assert_eq!(retried.0, 200);
        let (status, answer) = post(addr, monitor, &auth, &check("e-2", "ok")).await;
        assert_eq!((status, &answer["action"]), (200, &json!("noted_resolved")), "{answer}");
        let observer = format!("Bearer {olga}");
        let (status, answer) = post(addr, monitor, &[("Authorization", &observer)], &check("e-3", "alerting")).await;
        assert_eq!(status, 403, "observers may not write: {answer}");
        let (status, answer) = post(addr, monitor, &auth, b"{\"check\": {}}").await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer, json!({"error": "the body has no text at group_key \"/check/id\""}));
        let events = load_events(addr, &olga, &from_monitor).await;
        let state = State::replay(&events);
        assert_eq!((state.title.as_str(), state.severity), ("Disk space on db1", Some(Severity::Sev1)));
        let summaries: Vec<(bool, String)> = alert_entries(&events).into_iter().map(|(_, f, s)| (f, s)).collect();
        assert_eq!(summaries, [
            (true, "monitor: db1 disk 97% full (firing, disk-db1)".to_string()),
            (false, "monitor: db1 disk 97% full (resolved, disk-db1)".to_string()),
        ]);

        // A signed webhook (Sentry's integration platform style).
        let issue = json!({"action": "created", "data": {"issue": {"id": "1170820242", "title": "TypeError: cart is undefined"}}})
            .to_string().into_bytes();
        let sentry = "/api/v1/intake/sentry";
        let signed = signature(HOOK_SECRET, &issue);
        let (status, answer) = post(addr, sentry, &[("Sentry-Hook-Signature", &signed)], &issue).await;
        assert_eq!(status, 200, "{answer}");
        let from_sentry = answer["incident"].as_str().expect("an id").to_string();
        let forged = signature("guess", &issue);
        let (status, _) = post(addr, sentry, &[("Sentry-Hook-Signature", &forged)], &issue).await;
        assert_eq!(status, 401);
        let (status, _) = post(addr, sentry, &auth, &issue).await;
        assert_eq!(status, 401, "a signed source takes no token instead");
        let events = load_events(addr, &olga, &from_sentry).await;
        assert_eq!(State::replay(&events).title, "TypeError: cart is undefined");
        assert_eq!(events[0].actor, "system:intake/sentry");

        let (status, answer) = post(addr, "/api/v1/intake/nobody", &auth, b"{}").await;
        assert_eq!(status, 404, "{answer}");
        let (status, answer) = post(addr, PD, &[], b"{}").await;
        assert_eq!(status, 404, "no [pagerduty] block: {answer}");
        assert_eq!(incident_count(addr, &olga).await, 3);

        let text = metrics(addr).await;
        for (series, count) in [
            ("warroom_intake_accepted_total{source=\"grafana\"}", 2.0),
            ("warroom_intake_accepted_total{source=\"intake/monitor\"}", 2.0),
            ("warroom_intake_accepted_total{source=\"intake/sentry\"}", 1.0),
            ("warroom_intake_refused_total{source=\"grafana\",reason=\"unauthorized\"}", 1.0),
            ("warroom_intake_refused_total{source=\"intake/monitor\",reason=\"forbidden\"}", 1.0),
            ("warroom_intake_refused_total{source=\"intake/monitor\",reason=\"malformed\"}", 1.0),
            ("warroom_intake_refused_total{source=\"intake/sentry\",reason=\"bad_signature\"}", 1.0),
            ("warroom_intake_refused_total{source=\"intake/sentry\",reason=\"unsigned\"}", 1.0),
            ("warroom_intake_refused_total{source=\"unknown\",reason=\"unconfigured\"}", 1.0),
            ("warroom_intake_refused_total{source=\"pagerduty\",reason=\"unconfigured\"}", 1.0),
        ] {
            assert_eq!(metric(&text, series), Some(count), "{series}\n{text}");
        }
    });
}

/// A config mistake stops `serve` with file:line and how to fix it.
#[test]
fn a_literal_signing_secret_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = dir.path().join("warroom.toml");
    std::fs::write(&config, "[pagerduty]\nsigning_secret = \"abc123\"\n").expect("written");
    let output = warroom(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert!(
        stderr.contains("warroom.toml:2:1: [pagerduty] signing_secret must be a reference"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("abc123"),
        "the secret is never repeated: {stderr}"
    );
}
