//! Several `warroom serve` hubs (real child processes) on one real `nats-server -js`
//! stream (skipped, saying so, if it is not installed): what one hub commits reaches
//! the consoles of another as it is announced; the same declare re-sent through another
//! hub is answered with the incident it made; a lobby on one hub hears of incidents
//! declared and changed through another; an alert group's notifications reach one
//! incident whichever hub they arrive at.

mod engine_support;
mod hub_support;
mod nats_server;

use std::path::Path;
use std::time::{Duration, Instant};

use hub_support::{Hub, LIMIT, connect, metric, runtime, within};
use nats_server::NatsServer;
use warroom::incident::{Command as Cmd, EntryKind, EventKind, Severity};
use warroom::net::HubClient;

/// A token for alice (commander) in DIR's config, then `[store]` as given: the token.
fn configure(dir: &Path, store: &str) -> String {
    let token = hub_support::token(dir, "alice", "commander");
    hub_support::append_config(dir, store);
    token
}

/// `warroom serve --listen 127.0.0.1:0` on the config as it is.
fn serve(dir: &Path) -> Hub {
    hub_support::serve_at(dir, "127.0.0.1:0", &[])
}

/// `[store]` on `stream` of `nats`, one replica.
fn store(nats: &NatsServer, stream: &str) -> String {
    format!(
        "\n[store]\nkind = \"nats\"\nservers = [\"{}\"]\nstream = \"{stream}\"\nreplicas = 1\n",
        nats.url()
    )
}

/// Two hubs, each with its own data directory, on one stream: an incident declared
/// through one is listed by the other, and found when a client names it; a console subscribed
/// through the second sees, live, a note written through the first, and a note written
/// through the second lands after it in one chain.
#[test]
fn a_hub_follows_what_another_hub_commits_to_a_shared_incident() {
    use warroom::protocol::HubFrame;

    let Some(nats) = NatsServer::start() else {
        return;
    };
    let store = store(&nats, "shared");
    let (one_dir, two_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one_token = configure(one_dir.path(), &store);
    let two_token = configure(two_dir.path(), &store);
    let rt = runtime();
    let one = serve(one_dir.path());
    // Both hubs run before the incident exists.
    let two = serve(two_dir.path());
    let declare = Cmd::Declare {
        id: String::new(),
        title: "Shared by two hubs".into(),
        severity: Severity::Sev1,
        playbook: None,
        summary: None,
    };
    let note = |text: &str| Cmd::AddNote {
        kind: EntryKind::Note,
        text: text.into(),
        typed_at: None,
    };
    let incident = rt.block_on(async {
        let mut client = connect(one.addr, &one_token).await;
        let (incident, seq) = within(
            "declare",
            client.command_with_id("declare-once", None, declare.clone()),
        )
        .await
        .expect("declared");
        // The same declare re-sent through the other hub (a client that lost hub one
        // before its answer): the incident hub one made, not a second one.
        let mut resender = connect(two.addr, &two_token).await;
        let again = within(
            "the same declare through hub two",
            resender.command_with_id("declare-once", None, declare),
        )
        .await
        .expect("answered as a re-send");
        assert_eq!(again, (incident.clone(), seq));
        incident
    });
    // The second hub lists the incident, and finds it in the stream when a client
    // names it.
    rt.block_on(async {
        let mut watcher = connect(two.addr, &two_token).await;
        let listed = within("list through hub two", watcher.list())
            .await
            .expect("listed");
        assert!(
            listed
                .iter()
                .any(|s| s.id == incident && s.title == "Shared by two hubs"),
            "{listed:?}"
        );
        assert_eq!(listed.len(), 1, "one incident, declared once: {listed:?}");
        let before = within("subscribe", watcher.load(&incident))
            .await
            .expect("subscribed through hub two");
        let declared = before.len() as u64;
        let mut writer = connect(one.addr, &one_token).await;
        let (_, seq) = within(
            "note through hub one",
            writer.command(Some(&incident), note("from hub one")),
        )
        .await
        .expect("acked");
        assert_eq!(seq, declared + 1);
        let seen = within("the note arriving through hub two", async {
            loop {
                match watcher.next().await.expect("the subscription stays up") {
                    HubFrame::Event { event, .. } => break event,
                    _ => continue,
                }
            }
        })
        .await;
        assert_eq!(seen.seq, declared + 1);
        assert!(matches!(&seen.kind, EventKind::NoteAdded { text, .. } if text == "from hub one"));
        // It came as hub one announced it, not by reading the stream.
        let metrics = hub_support::metrics(two.addr).await;
        let announced = metric(&metrics, "warroom_store_followed_total{how=\"announced\"}");
        assert_eq!(announced, Some(1.0), "{metrics}");
        // Hub two writes on from there: one chain, no fork.
        let (_, seq) = within(
            "note through hub two",
            watcher.command(Some(&incident), note("from hub two")),
        )
        .await
        .expect("acked");
        assert_eq!(seq, declared + 2);
    });
    drop((one, two));
    let hub = serve(one_dir.path());
    let events = rt.block_on(async {
        let mut client = connect(hub.addr, &one_token).await;
        within("load", client.load(&incident)).await.expect("loads")
    });
    let notes = engine_support::notes(&events);
    assert_eq!(notes, ["from hub one", "from hub two"]);
}

/// The next `incident_changed` frame on a watching connection.
async fn news(
    lobby: &mut HubClient,
) -> (
    warroom::engine::IncidentSummary,
    Option<warroom::protocol::PreviousSummary>,
) {
    loop {
        if let warroom::protocol::HubFrame::IncidentChanged { item, previous } =
            lobby.next().await.expect("the lobby stays up")
        {
            return (item, previous);
        }
    }
}

/// A console watching the lobby through one hub hears of an incident declared through
/// another, and of its severity changing there, without anyone naming it on this hub;
/// this hub's `list` shows the new severity too.
#[test]
fn the_lobby_on_one_hub_hears_what_is_declared_and_changed_through_another() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let store = store(&nats, "lobby");
    let (one_dir, two_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one_token = configure(one_dir.path(), &store);
    let two_token = configure(two_dir.path(), &store);
    let rt = runtime();
    let (one, two) = (serve(one_dir.path()), serve(two_dir.path()));
    rt.block_on(async {
        let url = format!("http://{}", two.addr);
        let mut lobby = within(
            "watch the lobby through hub two",
            HubClient::connect_watching(&url, &two_token, None, 0, true, false),
        )
        .await
        .expect("connects");
        let mut writer = connect(one.addr, &one_token).await;
        let declare = Cmd::Declare {
            id: String::new(),
            title: "Declared through hub one".into(),
            severity: Severity::Sev2,
            playbook: None,
            summary: None,
        };
        let (incident, _) = within("declare through hub one", writer.command(None, declare))
            .await
            .expect("declared");
        let (item, previous) = within("news of the declare on hub two", news(&mut lobby)).await;
        assert_eq!(item.id, incident);
        assert_eq!(item.title, "Declared through hub one");
        assert!(previous.is_none(), "a declare: {previous:?}");

        let raise = Cmd::SetSeverity {
            severity: Severity::Sev1,
            reason: Some("two regions now".into()),
        };
        within(
            "raise the severity through hub one",
            writer.command(Some(&incident), raise),
        )
        .await
        .expect("raised");
        let (item, previous) = within("news of the change on hub two", news(&mut lobby)).await;
        assert_eq!(
            (item.id.as_str(), item.severity),
            (incident.as_str(), Some(Severity::Sev1))
        );
        assert_eq!(previous.map(|p| p.severity), Some(Some(Severity::Sev2)));

        let mut reader = connect(two.addr, &two_token).await;
        let listed = within("list through hub two", reader.list())
            .await
            .expect("listed");
        let found = listed.iter().find(|s| s.id == incident).expect("listed");
        assert_eq!(found.severity, Some(Severity::Sev1));
    });
}

/// POSTs `body` to `path` on `addr` with a bearer token: the status and the body.
fn http_send(addr: std::net::SocketAddr, path: &str, token: &str, body: &str) -> (u16, String) {
    let bearer = format!("Bearer {token}");
    let headers = [("Authorization", bearer.as_str())];
    runtime().block_on(hub_support::http(
        addr,
        "POST",
        path,
        &headers,
        body.as_bytes(),
    ))
}

/// Alertmanager behind a load balancer: the alert that declared an incident through one
/// hub, and the group's later notifications arriving at the other, all land on that one
/// incident (the other hub learns the group from the summary), and the first delivery
/// retried through the other hub declares nothing new.
#[test]
fn an_alert_groups_notifications_through_either_hub_reach_one_incident() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let store = store(&nats, "alerts");
    let (one_dir, two_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one_token = configure(one_dir.path(), &store);
    let two_token = configure(two_dir.path(), &store);
    let (one, two) = (serve(one_dir.path()), serve(two_dir.path()));
    let path = "/api/v1/alerts/alertmanager";
    let alert = |summary: &str| {
        format!(
            r#"{{"version":"4","groupKey":"{{}}:{{alertname=\"AgentCostRunaway\"}}","status":"firing","receiver":"warroom","commonLabels":{{"alertname":"AgentCostRunaway","severity":"critical"}},"alerts":[{{"status":"firing","labels":{{"alertname":"AgentCostRunaway"}},"annotations":{{"summary":"{summary}"}}}}]}}"#
        )
    };
    let answer = |body: &str| -> serde_json::Value { serde_json::from_str(body).expect("JSON") };

    let first = alert("spend 40x baseline");
    let (status, body) = http_send(one.addr, path, &one_token, &first);
    assert_eq!(status, 200, "{body}");
    let declared = answer(&body);
    let incident = declared["incident"].as_str().expect("an id").to_owned();

    // Hub two hears of it (its list shows it) without anyone naming it there.
    let deadline = Instant::now() + LIMIT;
    let rt = runtime();
    loop {
        let listed = rt.block_on(async {
            let mut client = connect(two.addr, &two_token).await;
            within("list through hub two", client.list())
                .await
                .expect("listed")
        });
        if listed.iter().any(|s| s.id == incident) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "hub two never heard of {incident}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let later = alert("spend 55x baseline");
    let (status, body) = http_send(two.addr, path, &two_token, &later);
    assert_eq!(status, 200, "{body}");
    let appended = answer(&body);
    assert_eq!(appended["incident"], incident.as_str(), "{body}");
    assert_eq!(appended["action"], "appended", "{body}");

    let (status, body) = http_send(two.addr, path, &two_token, &first);
    assert_eq!(status, 200, "{body}");
    assert_eq!(answer(&body)["incident"], incident.as_str(), "{body}");

    let listed = rt.block_on(async {
        let mut client = connect(one.addr, &one_token).await;
        within("list through hub one", client.list())
            .await
            .expect("listed")
    });
    assert_eq!(
        listed.len(),
        1,
        "one incident for one alert group: {listed:?}"
    );
}
