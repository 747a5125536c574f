//! Shared by the action tests: a local HTTP receiver that records every request
//! (method, path, headers, body) and answers by path, and a hub room started from a
//! real `warroom.toml` + actions file in a temporary directory.
#![allow(dead_code)] // each test file uses part of it

use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tempfile::TempDir;
use tokio::sync::watch;
use warroom::hub::Effects;
use warroom::hub::auth::Authenticator;
use warroom::hub::config::HubConfig;
use warroom::hub::{HubOptions, RunningHub};
use warroom::incident::state::RunStatus;
use warroom::incident::{Command, Event, Role, Runbooks, State};
use warroom::net::{HubClient, NetError};

pub const ALICE: &str = "tok-alice-commander";
pub const BOB: &str = "tok-bob-scribe";
pub const CAROL: &str = "tok-carol-ops";
pub const DAVE: &str = "tok-dave-ops";
pub const OLGA: &str = "tok-olga-observer";
pub const RITA: &str = "tok-rita-responder";
/// An automation (`system:monitor`, comms): what it does acknowledges nothing.
pub const BOT: &str = "tok-monitor-automation";
pub const LIMIT: Duration = Duration::from_secs(20);
/// How long the receiver's `/slow` path takes to answer.
pub const SLOW: Duration = Duration::from_secs(30);

pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    let result = tokio::time::timeout(LIMIT, future).await;
    result.unwrap_or_else(|_| panic!("timed out after {LIMIT:?}: {what}"))
}

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Lowercase names.
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Seen {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// A local HTTP server standing in for the systems actions and channels talk to.
/// Paths: `/fail` 500, `/bad` 400, `/slow` answers after [`SLOW`], `/flaky` 500 until
/// [`Receiver::heal`], `/echo` 200 with the Authorization header in the body, `/forms`
/// 200 with the bearer token in every encoding of [`echo_forms`], `/lost` 404
/// "Cannot POST <path and query>" (as Express answers), `/mirror` 400 quoting the JSON
/// body's `routing_key` (as an API that quotes what it refused), `/enqueue` 202 with PagerDuty's
/// answer, anything else 200 `ok`.
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    count: Arc<watch::Sender<usize>>,
    healed: Arc<AtomicBool>,
}

async fn answer(
    Extract(receiver): Extract<Receiver>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let path = uri
        .path_and_query()
        .map_or(uri.path().to_string(), |p| p.to_string());
    let seen = Seen {
        method: method.to_string(),
        path: path.clone(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    v.to_str().unwrap_or("?").to_string(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let authorization = seen.headers.get("authorization").cloned();
    receiver.seen.lock().expect("lock").push(seen);
    receiver.count.send_modify(|n| *n += 1);
    match path.split('/').nth(1).unwrap_or_default() {
        "fail" => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "upstream broke".to_string(),
        ),
        "bad" => (StatusCode::BAD_REQUEST, "no such tenant".to_string()),
        "slow" => {
            tokio::time::sleep(SLOW).await;
            (StatusCode::OK, "late".to_string())
        }
        "flaky" if !receiver.healed.load(Ordering::SeqCst) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "try later".to_string())
        }
        "echo" => (
            StatusCode::OK,
            format!("accepted; you sent {}", authorization.unwrap_or_default()),
        ),
        "forms" => {
            let auth = authorization.unwrap_or_default();
            let token = auth.strip_prefix("Bearer ").unwrap_or(&auth);
            (StatusCode::OK, echo_forms(token).join("\n"))
        }
        "lost" => (StatusCode::NOT_FOUND, format!("Cannot {method} {path}")),
        "mirror" => {
            let sent: Value = serde_json::from_slice(&body).unwrap_or_default();
            let key = sent["routing_key"].as_str().unwrap_or_default();
            let errors = json!({"status": "invalid event", "errors": [format!("unknown routing_key {key}")]});
            (StatusCode::BAD_REQUEST, errors.to_string())
        }
        "enqueue" => (
            StatusCode::ACCEPTED,
            r#"{"status":"success","message":"Event processed","dedup_key":"x"}"#.to_string(),
        ),
        _ => (StatusCode::OK, "ok".to_string()),
    }
}

/// `secret` as a careless target might echo it: as is, upper-cased, percent-encoded in
/// both hex cases, split across lines, base64 (standard and URL-safe, embedded at each
/// of the three alignments), hex in both cases.
pub fn echo_forms(secret: &str) -> Vec<String> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let percent = |upper: bool| -> String {
        secret
            .bytes()
            .map(|b| match (b.is_ascii_alphanumeric(), upper) {
                (true, _) => char::from(b).to_string(),
                (false, true) => format!("%{b:02X}"),
                (false, false) => format!("%{b:02x}"),
            })
            .collect()
    };
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    let half = secret.len() / 2;
    let mut forms = vec![
        secret.to_string(),
        secret.to_uppercase(),
        percent(true),
        percent(false),
        format!("{}\n{}", &secret[..half], &secret[half..]),
        format!("{}\r\n  {}", &secret[..3], &secret[3..]),
        hex.to_uppercase(),
        hex,
    ];
    for prefix in ["", "u:", "user:"] {
        let plain = format!("{prefix}{secret}");
        forms.push(STANDARD.encode(&plain));
        forms.push(URL_SAFE_NO_PAD.encode(&plain));
    }
    forms
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let receiver = Receiver {
            addr: listener.local_addr().expect("an address"),
            seen: Arc::default(),
            count: Arc::new(watch::channel(0).0),
            healed: Arc::default(),
        };
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    /// Waits until at least `n` requests have arrived; returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Seen> {
        let mut count = self.count.subscribe();
        within("requests at the receiver", count.wait_for(|c| *c >= n))
            .await
            .expect("the receiver is alive");
        self.seen()
    }

    pub fn heal(&self) {
        self.healed.store(true, Ordering::SeqCst);
    }
}

/// An `[[action]]` table: `fields` are the kind-specific keys and any overrides.
pub fn action(id: &str, roles: &str, idempotent: bool, two_person: bool, fields: &str) -> String {
    format!(
        "[[action]]\nid = \"{id}\"\ntitle = \"Test {id}\"\ndescription = \"A test action.\"\n\
         roles = {roles}\nconfirm = true\ntwo_person = {two_person}\nidempotent = {idempotent}\n{fields}\n"
    )
}

/// A POST to `BASE{path}` with no parameters (`BASE`: replace with the receiver URL).
pub fn http_action(id: &str, idempotent: bool, timeout: u64, path: &str) -> String {
    let fields = format!(
        "timeout_seconds = {timeout}\nkind = \"http\"\nmethod = \"POST\"\nurl = \"BASE{path}\"\n"
    );
    action(id, r#"["commander", "ops"]"#, idempotent, false, &fields)
}

/// The run has an outcome.
pub fn finished(run: u64) -> impl Fn(&State) -> bool {
    move |s| {
        s.run(run)
            .is_some_and(|r| matches!(r.status, RunStatus::Finished(_)))
    }
}

/// Writes `warroom.toml` (`actions = "actions.toml"` + `config`) and the actions file
/// into `dir` and loads them as the hub does. `{dir}` in either becomes `dir`.
pub fn configure(dir: &std::path::Path, actions: &str, config: &str) -> (Runbooks, Effects) {
    let root = dir.display().to_string();
    std::fs::write(dir.join("actions.toml"), actions.replace("{dir}", &root))
        .expect("writes the actions");
    let text = format!(
        "actions = \"actions.toml\"\n{}",
        config.replace("{dir}", &root)
    );
    let path = dir.join("warroom.toml");
    std::fs::write(&path, text).expect("writes the config");
    let config = HubConfig::load(&path).expect("the config loads");
    let mut runbooks = warroom::catalog::embedded().expect("catalog");
    let effects = config
        .apply_to(&mut runbooks)
        .expect("actions and channels load");
    (runbooks, effects)
}

/// A hub started from `warroom.toml` (actions + channels) in its own directory.
pub struct Room {
    pub hub: RunningHub,
    pub dir: TempDir,
}

impl Room {
    /// `actions`: the actions file's text; `config`: extra `warroom.toml` text
    /// (channels). `{dir}` in either is replaced by the room's directory.
    pub async fn open(actions: &str, config: &str) -> Room {
        let dir = tempfile::tempdir().expect("a temp dir");
        Room::start(dir, actions, config).await
    }

    pub async fn start(dir: TempDir, actions: &str, config: &str) -> Room {
        let (runbooks, effects) = configure(dir.path(), actions, config);
        let auth = Authenticator::default()
            .with_token(ALICE, "alice", [Role::Commander])
            .with_token(BOB, "bob", [Role::Scribe])
            .with_token(CAROL, "carol", [Role::Ops])
            .with_token(DAVE, "dave", [Role::Ops])
            .with_token(OLGA, "olga", [Role::Observer])
            .with_token(RITA, "rita", [Role::Responder])
            .with_token(BOT, "system:monitor", [Role::Comms]);
        let options = HubOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data: warroom::engine::DataDir::new(dir.path().join("data")),
            runbooks,
            auth,
            limits: warroom::hub::HubLimits::default(),
        };
        let hub = warroom::hub::start_with(options, effects)
            .await
            .expect("starts");
        Room { hub, dir }
    }

    pub async fn stop(self) -> TempDir {
        within("shutdown", self.hub.shutdown())
            .await
            .expect("a clean shutdown");
        self.dir
    }

    pub async fn client(&self, token: &str) -> HubClient {
        let url = format!("http://{}", self.hub.addr);
        within("connect", HubClient::connect(&url, token, None, 0))
            .await
            .expect("connects")
    }

    /// Sends one command as `token`'s holder; the last seq or the rejection.
    pub async fn send(&self, token: &str, incident: &str, command: Value) -> Result<u64, NetError> {
        let command: Command = serde_json::from_value(command).expect("a valid command");
        let mut client = self.client(token).await;
        let sent = within("a command", client.command(Some(incident), command)).await;
        client.close().await;
        sent.map(|(_, seq)| seq)
    }

    pub async fn declare(&self) -> String {
        self.declare_as(ALICE).await
    }

    /// Declares an incident as `token`'s holder (who takes its commander seat).
    pub async fn declare_as(&self, token: &str) -> String {
        let mut client = self.client(token).await;
        let declare = json!({"type": "declare", "title": "Checkout errors", "severity": "SEV2"});
        let command: Command = serde_json::from_value(declare).expect("a command");
        let declared = within("declare", client.command(None, command)).await;
        client.close().await;
        declared.expect("declared").0
    }

    /// Requests `action` as `token`'s holder; the run id or the rejection.
    pub async fn request(
        &self,
        token: &str,
        incident: &str,
        action: &str,
        params: Value,
    ) -> Result<u64, NetError> {
        let command = json!({"type": "request_action", "action": action, "params": params});
        self.send(token, incident, command).await
    }

    pub async fn events(&self, incident: &str) -> Vec<Event> {
        let mut olga = self.client(OLGA).await;
        let events = within("load", olga.load(incident)).await.expect("loads");
        olga.close().await;
        events
    }

    /// Polls the incident (bounded) until `done` holds; returns that state.
    pub async fn until(&self, incident: &str, what: &str, done: impl Fn(&State) -> bool) -> State {
        let poll = async {
            loop {
                let state = State::replay(&self.events(incident).await);
                if done(&state) {
                    return state;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        };
        within(what, poll).await
    }

    /// The event log's text as stored.
    pub fn log_text(&self, incident: &str) -> String {
        let data = warroom::engine::DataDir::new(self.dir.path().join("data"));
        std::fs::read_to_string(data.log_path(incident)).expect("the log")
    }
}

/// The rejection's code, as the protocol names it.
pub fn rejected(result: Result<u64, NetError>) -> (String, String) {
    match result {
        Err(NetError::Rejected { code, message }) => {
            let code = serde_json::to_value(code).expect("a code");
            (code.as_str().unwrap_or_default().to_string(), message)
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}
