//! The console's link to the hub says why it is down: a stopped hub reads "refused",
//! not a library's error text.

use std::net::SocketAddr;
use std::time::Duration;
use warroom::engine::DataDir;
use warroom::hub::HubOptions;
use warroom::hub::auth::Authenticator;
use warroom::incident::Role;
use warroom::net::{ConnectionState, SyncEvent, SyncOptions};

const ALICE: &str = "wrt_alice_reconnect_000000000000000000000000000000000000000000000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_hub_reads_as_refused_and_the_link_comes_back_when_it_returns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let start = |listen: SocketAddr| {
        let auth = Authenticator::default().with_token(ALICE, "alice", [Role::Commander]);
        warroom::hub::start(HubOptions {
            listen,
            data: DataDir::new(dir.path()),
            runbooks: warroom::catalog::embedded().expect("catalog"),
            auth,
            limits: warroom::hub::HubLimits::default(),
        })
    };
    let hub = start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("starts");
    let addr = hub.addr;
    let url = format!("http://{addr}");
    let mut client = warroom::net::HubClient::connect(&url, ALICE, None, 0)
        .await
        .expect("connects");
    let declare = warroom::incident::Command::Declare {
        id: String::new(),
        title: "Link test".into(),
        severity: warroom::incident::Severity::Sev2,
        playbook: None,
        summary: None,
    };
    let (incident, _) = client.command(None, declare).await.expect("declared");
    client.close().await;

    let mut sync = warroom::net::sync::spawn(SyncOptions::new(&url, ALICE, &incident));
    let mut next_state = async || loop {
        match sync.events.recv().await.expect("the sync task runs") {
            SyncEvent::State(state) => return state,
            _ => continue,
        }
    };
    let wait = Duration::from_secs(10);
    let live = tokio::time::timeout(wait, async {
        while next_state().await != ConnectionState::Live {}
    });
    live.await.expect("live at first");

    hub.shutdown().await.expect("stops");
    let refused = tokio::time::timeout(wait, async {
        loop {
            if let ConnectionState::Reconnecting { reason, .. } = next_state().await
                && reason.contains("refused")
            {
                return reason;
            }
        }
    });
    let reason = refused.await.expect("reports the refusal");
    assert!(reason.contains("is the hub running?"), "{reason}");

    let _hub = start(addr).await.expect("restarts on the same address");
    let back = tokio::time::timeout(wait, async {
        while next_state().await != ConnectionState::Live {}
    });
    back.await.expect("live again");
    sync.stop();
}
