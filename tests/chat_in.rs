//! Slack and Mattermost slash commands against the real binary: `warroom serve` on
//! 127.0.0.1:0 with a config mapping chat user ids to responders, the signing secret
//! and the Mattermost token in the hub's environment, and commands posted as forms over
//! a plain socket. Slack requests are signed here with the `hmac` crate (not the hub's
//! code). Each test checks the HTTP answer, what the incident log holds afterwards
//! (read back over a WebSocket subscription) and the `/metrics` counters.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;
use warroom::hub::auth::token_hash;
use warroom::incident::{Command as IncidentCommand, Event, EventKind, Severity};
use warroom::net::HubClient;

mod hub_support;

use hub_support::{LIMIT, metric, metrics, within};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
const SLACK_SECRET: &str = "slack-signing-secret-for-tests";
const MM_TOKEN: &str = "mattermost-token-for-tests";
const SLACK: &str = "/api/v1/chat/slack";
const MATTERMOST: &str = "/api/v1/chat/mattermost";
const CORA: &str = "wrt_cora_the_commander";
const ALICE: &str = "wrt_alice_the_responder";
const OLGA: &str = "wrt_olga_the_observer";

/// Top-level keys `top`, three responders (alice mapped on both chats, olga an observer
/// mapped on Slack, cora on neither) and `extra`.
fn config(top: &str, extra: &str) -> String {
    format!(
        r#"{top}
[[responder]]
name = "cora"
roles = ["commander"]
token_sha256 = "{}"

[[responder]]
name = "alice"
roles = ["responder"]
token_sha256 = "{}"
slack_user = "U0ALICE"
mattermost_user = "mm0alice"

[[responder]]
name = "olga"
roles = ["observer"]
token_sha256 = "{}"
slack_user = "U0OLGA"
{extra}"#,
        token_hash(CORA),
        token_hash(ALICE),
        token_hash(OLGA)
    )
}

const SLACK_CONFIG: &str = "\n[slack]\nsigning_secret = \"${WR_TEST_SLACK_SECRET}\"\n";
const MM_CONFIG: &str = "\n[mattermost]\ntoken = \"${WR_TEST_MM_TOKEN}\"\n";

/// The hub child process, killed when dropped, and the lines it writes to stderr.
struct Hub {
    child: Child,
    addr: SocketAddr,
    stderr: mpsc::Receiver<String>,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Hub {
    /// Waits for a stderr line containing `needle`.
    fn said(&self, needle: &str) -> String {
        let deadline = Instant::now() + LIMIT;
        while let Ok(line) = self
            .stderr
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if line.contains(needle) {
                return line;
            }
        }
        panic!("the hub did not say `{needle}`");
    }
}

/// Writes the config in DIR and serves it, with the chat secrets in the environment.
fn serve(dir: &Path, config: &str) -> Hub {
    let path = dir.join("warroom.toml");
    std::fs::write(&path, config).expect("config written");
    let catalog = dir.join("empty-catalog");
    std::fs::create_dir_all(&catalog).expect("an empty catalog dir");
    let mut command = Command::new(BIN);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("WARROOM_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .env("WARROOM_CATALOG", catalog)
        .env("WARROOM_DATA", dir.join("data"))
        .env("WR_TEST_SLACK_SECRET", SLACK_SECRET)
        .env("WR_TEST_MM_TOKEN", MM_TOKEN)
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hub starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Owned (killed on drop) before anything can panic.
    let mut hub = Hub {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        stderr: rx,
    };
    let line = hub.said("listening on http://");
    let rest = line
        .split("listening on http://")
        .nth(1)
        .unwrap_or_default();
    hub.addr = rest
        .split_whitespace()
        .next()
        .and_then(|a| a.parse().ok())
        .expect("an address");
    hub
}

/// One HTTP/1.1 request with its content type; the status and the body as sent.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    content_type: &str,
    body: &[u8],
) -> (u16, String) {
    let mut all = headers.to_vec();
    all.push(("Content-Type", content_type));
    hub_support::http(addr, method, path, &all, body).await
}

/// Posts a form; the status and the body, asserting it is one line of JSON.
async fn post_form(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Value) {
    let form = "application/x-www-form-urlencoded";
    let (status, text) = http(addr, "POST", path, headers, form, body).await;
    assert!(!text.trim_end().contains('\n'), "one line: {text}");
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON: {text}"));
    (status, value)
}

/// A slash command's form as Slack sends it.
fn slash_form(user: &str, text: &str, trigger: &str) -> Vec<u8> {
    serde_urlencoded::to_string([
        ("token", "gIkuvaNzQIHg97ATvDxqgjtO"),
        ("team_id", "T0001"),
        ("team_domain", "example"),
        ("channel_id", "C2147483705"),
        ("channel_name", "incidents"),
        ("user_id", user),
        ("user_name", "someone"),
        ("command", "/warroom"),
        ("text", text),
        ("api_app_id", "A123456"),
        ("response_url", "https://hooks.slack.com/commands/1234/5678"),
        ("trigger_id", trigger),
    ])
    .expect("a form")
    .into_bytes()
}

/// Mattermost's form: the same fields, and the slash command's token.
fn mattermost_form(token: &str, user: &str, text: &str, trigger: &str) -> Vec<u8> {
    serde_urlencoded::to_string([
        ("channel_id", "hnb8s9o4wpd8f8z6xh3tqyuy4c"),
        ("channel_name", "incidents"),
        ("command", "/warroom"),
        ("response_url", "https://mm.example.com/hooks/commands/abc"),
        ("team_domain", "example"),
        ("team_id", "xejcwwxckbr5pmjnxfx8ygcr8o"),
        ("text", text),
        ("token", token),
        ("trigger_id", trigger),
        ("user_id", user),
        ("user_name", "someone"),
    ])
    .expect("a form")
    .into_bytes()
}

/// `v0=` + hex HMAC-SHA256 of `v0:timestamp:body`, as Slack signs.
fn slack_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("v0={hex}")
}

fn now() -> String {
    chrono::Utc::now().timestamp().to_string()
}

/// Posts `body` to the Slack endpoint signed with `secret` at `timestamp`.
async fn slack_at(addr: SocketAddr, secret: &str, timestamp: &str, body: &[u8]) -> (u16, Value) {
    let signature = slack_signature(secret, timestamp, body);
    let headers = [
        ("X-Slack-Request-Timestamp", timestamp),
        ("X-Slack-Signature", signature.as_str()),
    ];
    post_form(addr, SLACK, &headers, body).await
}

/// A correctly signed Slack command; the ephemeral text it was answered with.
async fn slack(addr: SocketAddr, user: &str, text: &str, trigger: &str) -> String {
    let body = slash_form(user, text, trigger);
    let (status, answer) = slack_at(addr, SLACK_SECRET, &now(), &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["response_type"], "ephemeral", "{answer}");
    answer["text"].as_str().expect("a text").to_string()
}

fn assert_counts(text: &str, family: &str, source: &str, label: &str, counts: &[(&str, f64)]) {
    for (value, count) in counts {
        let name = format!("{family}{{source=\"{source}\",{label}=\"{value}\"}}");
        assert_eq!(metric(text, &name), Some(*count), "{name}\n{text}");
    }
}

async fn client(addr: SocketAddr, token: &str) -> HubClient {
    let url = format!("http://{addr}");
    within("connect", HubClient::connect(&url, token, None, 0))
        .await
        .expect("connects")
}

/// Every event of `incident`, read over a subscription.
async fn load_events(addr: SocketAddr, incident: &str) -> Vec<Event> {
    let mut client = client(addr, CORA).await;
    let events = within("load", client.load(incident)).await.expect("loads");
    client.close().await;
    events
}

/// The notes of an incident: (author, text).
fn notes(events: &[Event]) -> Vec<(String, String)> {
    let note = |e: &Event| match &e.kind {
        EventKind::NoteAdded { text, .. } => Some((e.actor.clone(), text.clone())),
        _ => None,
    };
    events.iter().filter_map(note).collect()
}

fn acknowledgements(events: &[Event]) -> Vec<String> {
    let by = |e: &Event| matches!(e.kind, EventKind::Acknowledged).then(|| e.actor.clone());
    events.iter().filter_map(by).collect()
}

/// An incident declared by Alertmanager (an automation: not acknowledged yet).
async fn alert_incident(addr: SocketAddr) -> String {
    let payload = json!({
        "version": "4", "groupKey": "{}:{alertname=\"CheckoutDown\"}", "status": "firing",
        "receiver": "warroom", "groupLabels": {"alertname": "CheckoutDown"},
        "commonLabels": {"alertname": "CheckoutDown", "severity": "critical"},
        "commonAnnotations": {"summary": "Checkout <down> & out"},
        "externalURL": "http://alertmanager:9093",
        "alerts": [{"status": "firing", "labels": {"alertname": "CheckoutDown", "severity": "critical"},
            "annotations": {}, "startsAt": "2026-03-14T09:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "", "fingerprint": "a1"}]
    })
    .to_string();
    let bearer = format!("Bearer {CORA}");
    let headers = [("Authorization", bearer.as_str())];
    let path = "/api/v1/alerts/alertmanager";
    let (status, text) = http(
        addr,
        "POST",
        path,
        &headers,
        "application/json",
        payload.as_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).expect("JSON");
    answer["incident"]
        .as_str()
        .expect("an incident")
        .to_string()
}

#[test]
fn slack_commands_act_as_the_mapped_responder_once_per_delivery() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let hub = serve(
        dir.path(),
        &config("", &format!("{SLACK_CONFIG}{MM_CONFIG}")),
    );
    let addr = hub.addr;
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let incident = alert_incident(addr).await;

        let acked = slack(addr, "U0ALICE", &format!("ack {incident}"), "1001.1.aa").await;
        assert_eq!(acked, format!("Acknowledged {incident} as alice."));
        // Slack sends the `&`, `<`, `>` people type as entities; its own markup in `<…>`.
        let note =
            format!("note {incident} rolled back &lt;v42&gt; &amp; <!channel>\nerrors falling");
        let noted = slack(addr, "U0ALICE", &note, "1002.1.bb").await;
        assert_eq!(noted, format!("Noted on {incident}'s timeline as alice."));
        // Slack retries with the same trigger_id (signed again, later): written once.
        let again = slack(addr, "U0ALICE", &note, "1002.1.bb").await;
        assert!(again.contains("already carried out"), "{again}");
        // The same words in a new command are a new note.
        let lower = incident.to_lowercase();
        let second = slack(
            addr,
            "U0ALICE",
            &format!("note {lower} second look"),
            "1003.1.cc",
        )
        .await;
        assert_eq!(
            second,
            format!("Noted on {incident}'s timeline as alice."),
            "ids in any case"
        );

        let status = slack(addr, "U0ALICE", &format!("status {incident}"), "1004.1.dd").await;
        let lines: Vec<&str> = status.lines().collect();
        assert_eq!(
            lines[0],
            format!("*{incident}* Checkout &lt;down&gt; &amp; out"),
            "{status}"
        );
        assert!(
            lines[1].starts_with("SEV1 · Investigating · acknowledged "),
            "{status}"
        );
        assert!(
            status.contains(
                "alice (note): rolled back &lt;v42&gt; &amp; &lt;!channel&gt; errors falling"
            ),
            "{status}"
        );
        assert!(
            lines
                .last()
                .is_some_and(|l| l.ends_with("alice (note): second look")),
            "{status}"
        );

        let help = slack(addr, "U0ALICE", "help", "1005.1.ee").await;
        assert!(help.starts_with("/warroom note INC text…"), "{help}");
        let unknown = slack(addr, "U0ALICE", &format!("resolve {incident}"), "1006.1.ff").await;
        assert!(
            unknown.starts_with("`resolve` is not a warroom command.\n/warroom note"),
            "{unknown}"
        );
        let bare = slack(addr, "U0ALICE", &format!("note {incident}"), "1007.1.gg").await;
        assert!(bare.starts_with("say what to note"), "{bare}");
        // Mapped, but an observer: `decide` refuses, as it would on any path.
        let observer = slack(
            addr,
            "U0OLGA",
            &format!("note {incident} me too"),
            "1008.1.hh",
        )
        .await;
        assert!(
            observer.starts_with(&format!("Nothing was written to {incident}: ")),
            "{observer}"
        );
        let missing = slack(addr, "U0ALICE", "note INC-19990101-9 hello", "1009.1.ii").await;
        assert!(
            missing.starts_with("Nothing was written to INC-19990101-9"),
            "{missing}"
        );
        let acked_twice = slack(addr, "U0ALICE", &format!("ack {incident}"), "1010.1.jj").await;
        assert!(
            acked_twice.contains("already acknowledged"),
            "{acked_twice}"
        );

        let events = load_events(addr, &incident).await;
        assert_eq!(
            notes(&events),
            [
                (
                    "alice".to_string(),
                    "rolled back <v42> & <!channel>\nerrors falling".to_string()
                ),
                ("alice".to_string(), "second look".to_string()),
            ],
            "the log keeps what was typed, once"
        );
        assert_eq!(acknowledgements(&events), ["alice"]);

        let text = metrics(addr).await;
        assert_counts(
            &text,
            "warroom_chat_commands_total",
            "slack",
            "command",
            &[("ack", 1.0), ("note", 2.0), ("status", 1.0), ("help", 1.0)],
        );
        assert_counts(
            &text,
            "warroom_chat_refused_total",
            "slack",
            "reason",
            &[
                ("unknown_command", 1.0),
                ("bad_command", 1.0),
                ("forbidden", 1.0),
                ("unchanged", 1.0),
            ],
        );
    });
}

#[test]
fn refused_slack_commands_write_nothing_and_a_reload_maps_new_users() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let hub = serve(dir.path(), &config("", SLACK_CONFIG));
    let addr = hub.addr;
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let mut cora = client(addr, CORA).await;
        let declare = IncidentCommand::Declare {
            id: String::new(),
            title: "Payments degraded".into(),
            severity: Severity::Sev2,
            playbook: None,
            summary: None,
        };
        let (incident, _) = within("declare", cora.command(None, declare)).await.expect("declared");
        cora.close().await;
        let events_before = load_events(addr, &incident).await.len();
        let body = slash_form("U0ALICE", &format!("note {incident} forged"), "2001.1.aa");

        let (status, answer) = slack_at(addr, "not-the-secret", &now(), &body).await;
        assert_eq!(status, 401, "{answer}");
        assert!(answer["error"].as_str().is_some_and(|e| e.contains("X-Slack-Signature")), "{answer}");
        let stale = (chrono::Utc::now().timestamp() - 6 * 60).to_string();
        let (status, answer) = slack_at(addr, SLACK_SECRET, &stale, &body).await;
        assert_eq!(status, 401, "signed, but six minutes old: {answer}");
        assert!(answer["error"].as_str().is_some_and(|e| e.contains("from the hub's clock")), "{answer}");
        let (status, answer) = post_form(addr, SLACK, &[], &body).await;
        assert_eq!(status, 401, "unsigned: {answer}");
        let huge = [body.clone(), format!("&padding={}", "x".repeat(2 * 1024 * 1024)).into_bytes()].concat();
        let (status, answer) = slack_at(addr, SLACK_SECRET, &now(), &huge).await;
        assert_eq!(status, 413, "{answer}");
        let (status, answer) = post_form(addr, MATTERMOST, &[], &mattermost_form(MM_TOKEN, "mm0alice", "help", "x")).await;
        assert_eq!(status, 404, "no [mattermost] on this hub: {answer}");

        let unmapped = slack(addr, "U0DAVE", &format!("note {incident} hello"), "2002.1.bb").await;
        assert!(unmapped.starts_with("Sorry, your Slack user (someone) is not a responder on this warroom hub, so nothing was written."), "{unmapped}");
        assert!(unmapped.contains("`slack_user = \"U0DAVE\"`"), "{unmapped}");
        assert_eq!(load_events(addr, &incident).await.len(), events_before, "nothing was written");

        // The admin adds the mapping: the hub reloads it, and the same person now writes.
        let path = dir.path().join("warroom.toml");
        let mut text = std::fs::read_to_string(&path).expect("config");
        text.push_str(&format!(
            "\n[[responder]]\nname = \"dave\"\nroles = [\"responder\"]\ntoken_sha256 = \"{}\"\nslack_user = \"U0DAVE\"\n",
            token_hash("wrt_dave")
        ));
        std::fs::write(&path, text).expect("config written");
        hub.said("reloaded 4 responder(s)");
        let mapped = slack(addr, "U0DAVE", &format!("note {incident} hello"), "2003.1.cc").await;
        assert_eq!(mapped, format!("Noted on {incident}'s timeline as dave."));
        let events = load_events(addr, &incident).await;
        assert_eq!(notes(&events), [("dave".to_string(), "hello".to_string())]);

        let text = metrics(addr).await;
        assert_counts(&text, "warroom_chat_refused_total", "slack", "reason",
            &[("bad_signature", 1.0), ("stale", 1.0), ("unsigned", 1.0), ("too_large", 1.0), ("unmapped", 1.0)]);
        assert_counts(&text, "warroom_chat_refused_total", "mattermost", "reason", &[("unconfigured", 1.0)]);
    });
}

#[test]
fn mattermost_commands_are_checked_by_token() {
    let dir = tempfile::tempdir().expect("a temp dir");
    // Four commands a minute from Mattermost get through; the fifth is over the limit.
    let hub = serve(
        dir.path(),
        &config("alerts_per_minute = 1\nalert_burst = 4\n", MM_CONFIG),
    );
    let addr = hub.addr;
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let incident = alert_incident(addr).await;
        let form = |token: &str, user: &str, text: &str, trigger: &str| {
            mattermost_form(token, user, text, trigger)
        };

        let body = form(
            MM_TOKEN,
            "mm0alice",
            &format!("note {incident} cache flushed"),
            "mm-1",
        );
        let (status, answer) = post_form(addr, MATTERMOST, &[], &body).await;
        assert_eq!(
            (status, &answer["response_type"]),
            (200, &json!("ephemeral")),
            "{answer}"
        );
        assert_eq!(
            answer["text"],
            format!("Noted on {incident}'s timeline as alice.")
        );
        let (status, answer) = post_form(addr, MATTERMOST, &[], &body).await;
        assert_eq!(status, 200, "{answer}");
        assert!(
            answer["text"]
                .as_str()
                .is_some_and(|t| t.contains("already carried out")),
            "{answer}"
        );

        let body = form(MM_TOKEN, "mm0alice", &format!("status {incident}"), "mm-2");
        let (status, answer) = post_form(addr, MATTERMOST, &[], &body).await;
        assert_eq!(status, 200, "{answer}");
        let summary = answer["text"].as_str().unwrap_or_default();
        assert!(
            summary.starts_with(&format!("**{incident}** Checkout &lt;down&gt; &amp; out")),
            "{summary}"
        );
        assert!(summary.contains("alice (note): cache flushed"), "{summary}");

        let wrong = form(
            "not-the-token",
            "mm0alice",
            &format!("note {incident} forged"),
            "mm-3",
        );
        let (status, answer) = post_form(addr, MATTERMOST, &[], &wrong).await;
        assert_eq!(status, 401, "{answer}");
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|e| e.contains("`token`")),
            "{answer}"
        );
        let unmapped = form(
            MM_TOKEN,
            "mm0nobody",
            &format!("note {incident} hi"),
            "mm-4",
        );
        let (status, answer) = post_form(addr, MATTERMOST, &[], &unmapped).await;
        assert_eq!(status, 200, "{answer}");
        let text = answer["text"].as_str().unwrap_or_default();
        assert!(
            text.starts_with("Sorry, your Mattermost user (someone) is not a responder"),
            "{text}"
        );
        let (status, answer) = slack_at(
            addr,
            SLACK_SECRET,
            &now(),
            &slash_form("U0ALICE", "help", "t"),
        )
        .await;
        assert_eq!(status, 404, "no [slack] on this hub: {answer}");

        // Four got through the rate limit (the wrong token was refused before it).
        let fifth = form(
            MM_TOKEN,
            "mm0alice",
            &format!("note {incident} too fast"),
            "mm-5",
        );
        let (status, answer) = post_form(addr, MATTERMOST, &[], &fifth).await;
        assert_eq!(status, 429, "{answer}");
        assert!(
            answer["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0),
            "{answer}"
        );

        let events = load_events(addr, &incident).await;
        assert_eq!(
            notes(&events),
            [("alice".to_string(), "cache flushed".to_string())]
        );
        assert_eq!(
            acknowledgements(&events),
            ["alice"],
            "the first human touch acknowledges"
        );

        let text = metrics(addr).await;
        assert_counts(
            &text,
            "warroom_chat_commands_total",
            "mattermost",
            "command",
            &[("note", 1.0), ("status", 1.0)],
        );
        assert_counts(
            &text,
            "warroom_chat_refused_total",
            "mattermost",
            "reason",
            &[("bad_token", 1.0), ("unmapped", 1.0), ("rate_limited", 1.0)],
        );
    });
}
