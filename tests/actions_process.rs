//! The real `warroom serve` binary killed with SIGKILL while an action and a delivery
//! are in flight (the receiver holds its answers): after a restart the run is "outcome
//! unknown", the delivery failed with a retry offered, and the receiver saw each
//! request exactly once: nothing was re-run.
//!
//! The hub gets a clean environment (no `WARROOM_*`, an empty catalog override) plus
//! the one secret its channel needs, a whole webhook URL in `WR_AP_STATUS_URL`.

mod actions_support;

use actions_support::{Receiver, action, within};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use warroom::incident::state::{RunOutcome, RunStatus};
use warroom::incident::{Command as Cmd, State};
use warroom::net::HubClient;

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
const TOKEN: &str = "tok-alice-process-test";

/// A `warroom serve` child, killed (SIGKILL) and reaped when dropped.
struct Hub {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `warroom serve` on a free port and waits (bounded) for its address.
fn serve(dir: &Path, status_url: &str) -> Hub {
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
        .env("WR_AP_STATUS_URL", status_url)
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(dir.join("warroom.toml"))
        .arg("--data")
        .arg(dir.join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the hub starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line); // keep draining even when nobody listens
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut said = Vec::new();
    while let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let addr = rest.split_whitespace().next().and_then(|a| a.parse().ok());
            let addr = addr.expect("an address after `listening on`");
            return Hub { child, addr };
        }
        said.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the hub did not say where it listens: {said:#?}");
}

async fn connect(hub: &Hub) -> HubClient {
    let url = format!("http://{}", hub.addr);
    within("connect", HubClient::connect(&url, TOKEN, None, 0))
        .await
        .expect("connects")
}

fn command(value: serde_json::Value) -> Cmd {
    serde_json::from_value(value).expect("a command")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_in_flight_when_the_hub_is_killed_is_unknown_after_restart_and_never_rerun() {
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let fields = format!(
        "timeout_seconds = 120\nkind = \"http\"\nmethod = \"POST\"\nurl = \"{}/slow/freeze\"\n",
        receiver.url()
    );
    // Idempotent, so the hub would retry it: it still must not run it again.
    let actions = action("freeze", r#"["commander"]"#, true, false, &fields);
    std::fs::write(dir.path().join("actions.toml"), actions).expect("actions");
    let config = format!(
        "actions = \"actions.toml\"\n\n[[channel]]\nname = \"status\"\nkind = \"webhook\"\n\
         url = \"${{WR_AP_STATUS_URL}}\"\ntimeout_seconds = 120\n\n[[responder]]\n\
         name = \"alice\"\nroles = [\"commander\"]\ntoken_sha256 = \"{}\"\n",
        warroom::hub::auth::token_hash(TOKEN)
    );
    std::fs::write(dir.path().join("warroom.toml"), config).expect("config");
    let status_url = format!("{}/slow/status", receiver.url());

    let hub = tokio::task::block_in_place(|| serve(dir.path(), &status_url));
    let mut alice = connect(&hub).await;
    let declare =
        command(json!({"type": "declare", "title": "Checkout errors", "severity": "SEV2"}));
    let (id, _) = within("declare", alice.command(None, declare))
        .await
        .expect("declared");
    let request = command(json!({"type": "request_action", "action": "freeze"}));
    let (_, run) = within("request", alice.command(Some(&id), request))
        .await
        .expect("requested");
    let publish = command(json!({"type": "publish", "template": "internal_update",
        "text": "Checkout is degraded; next update in 30 minutes.", "channels": ["status"]}));
    let (_, published) = within("publish", alice.command(Some(&id), publish))
        .await
        .expect("published");
    // Both requests are at the receiver, which holds its answers: both are in flight.
    receiver.wait_for(2).await;
    drop(alice);
    drop(hub); // SIGKILL

    let hub = tokio::task::block_in_place(|| serve(dir.path(), &status_url));
    let mut alice = connect(&hub).await;
    let events = within("load", alice.load(&id)).await.expect("loads");
    let state = State::replay(&events);
    let found = state.run(run).expect("the run");
    assert_eq!(found.status, RunStatus::Finished(RunOutcome::Unknown));
    assert_eq!(found.attempts, 1);
    assert_eq!(
        found.excerpt,
        "the hub stopped while this action was in flight; check the target before running it again"
    );
    let delivery = &state
        .published_at_seq(published)
        .expect("the update")
        .deliveries["status"];
    assert_eq!(delivery.ok, Some(false));
    assert_eq!(
        delivery.detail,
        "the hub stopped before delivering; retry it"
    );
    let paths: Vec<String> = receiver.seen().into_iter().map(|s| s.path).collect();
    let freeze = paths.iter().filter(|p| *p == "/slow/freeze").count();
    let status = paths.iter().filter(|p| *p == "/slow/status").count();
    assert_eq!((freeze, status), (1, 1), "{paths:?}");
    let log = warroom::engine::DataDir::new(dir.path().join("data")).log_path(&id);
    let text = std::fs::read_to_string(log).expect("the log");
    assert!(!text.contains(&status_url), "the secret URL is in the log");
    alice.close().await;
}
