//! Follow-ups sent to an issue tracker, end to end: a real hub (in-process, from a real
//! `warroom.toml`) sends them to a local receiver shaped like GitHub's issues API
//! (`POST /repos/OWNER/REPO/issues`, answering 201 with `html_url` and `number`) that
//! records every request. The token comes from this process's environment and must
//! never reach the log. Also: a failing tracker and a retry, a send in flight, what
//! start-up does with a send a stopped hub left in flight, the CLI (`followup send`,
//! `followups`, the export's remediations) and config mistakes.

mod actions_support;

use actions_support::*;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use chrono::Utc;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use warroom::engine::{DataDir, Submission};
use warroom::incident::followup::{FollowupState, TrackerLink};
use warroom::incident::{Actor, Command, Role, State};

const TOKEN: &str = "ghp_tr4ck3r5ecretT0ken";
const BIN: &str = env!("CARGO_BIN_EXE_warroom");

/// Sets the token once, before any hub of this binary reads it.
fn environment() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: std serializes its own environment access; nothing in these tests
        // reads the environment through libc while this runs.
        unsafe { std::env::set_var("WR_TR_GITHUB_TOKEN", TOKEN) };
    });
}

const TRACKER: &str = r#"
[[tracker]]
name = "github"
url = "BASE/repos/acme/infra/issues"
headers = { Authorization = "Bearer ${WR_TR_GITHUB_TOKEN}", Accept = "application/vnd.github+json", X-GitHub-Api-Version = "2022-11-28" }
body = '{"title": "{title}", "body": "{text}\n\nOwner: {owner}, due {due} ({priority}). Follow-up #{number} of {incident}: {incident_title} ({severity})", "labels": ["incident-follow-up"]}'
timeout_seconds = 5
"#;

/// A stand-in for GitHub's issues API. It answers 500 (quoting the Authorization
/// header, as a careless API might) to the first `failures` requests, holds every
/// answer until the gate is open, and creates issues 42, 43, … otherwise.
#[derive(Clone)]
struct GitHub {
    addr: std::net::SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    count: Arc<watch::Sender<usize>>,
    failures: Arc<AtomicUsize>,
    gate: Arc<watch::Sender<bool>>,
}

async fn github(
    Extract(hub): Extract<GitHub>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let seen = Seen {
        method: method.to_string(),
        path: uri.path().to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let authorization = seen.headers.get("authorization").cloned();
    let parts: Vec<String> = uri.path().split('/').map(str::to_string).collect();
    let number = {
        let mut seen_all = hub.seen.lock().expect("lock");
        seen_all.push(seen);
        41 + seen_all.len()
    };
    hub.count.send_modify(|n| *n += 1);
    let mut gate = hub.gate.subscribe();
    let _ = gate.wait_for(|open| *open).await;
    let shaped =
        method == Method::POST && parts.len() == 5 && parts[1] == "repos" && parts[4] == "issues";
    if !shaped {
        return (
            StatusCode::NOT_FOUND,
            r#"{"message":"Not Found"}"#.to_string(),
        );
    }
    let failing = hub
        .failures
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        let quoted = authorization.unwrap_or_default();
        let message = json!({"message": format!("Server Error while checking {quoted}")});
        return (StatusCode::INTERNAL_SERVER_ERROR, message.to_string());
    }
    let (owner, repo) = (&parts[2], &parts[3]);
    let created = json!({
        "number": number,
        "html_url": format!("https://github.com/{owner}/{repo}/issues/{number}"),
        "url": format!("https://api.github.com/repos/{owner}/{repo}/issues/{number}"),
        "state": "open",
    });
    (StatusCode::CREATED, created.to_string())
}

impl GitHub {
    async fn start(failures: usize, open: bool) -> GitHub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let hub = GitHub {
            addr: listener.local_addr().expect("an address"),
            seen: Arc::default(),
            count: Arc::new(watch::channel(0).0),
            failures: Arc::new(AtomicUsize::new(failures)),
            gate: Arc::new(watch::channel(open).0),
        };
        let app = axum::Router::new().fallback(github).with_state(hub.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        hub
    }

    fn config(&self) -> String {
        TRACKER.replace("BASE", &format!("http://{}", self.addr))
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    async fn wait_for(&self, n: usize) {
        let mut count = self.count.subscribe();
        within("requests at the tracker", count.wait_for(|c| *c >= n))
            .await
            .expect("the tracker is alive");
    }

    fn open(&self) {
        self.gate.send_replace(true);
    }
}

fn add_followup() -> serde_json::Value {
    let due = (Utc::now() + chrono::Duration::days(14)).date_naive();
    json!({"type": "add_followup", "text": "Add a canary for \"checkout\" deploys\\now ![x](https://evil.example/p.png)",
        "owner": "bob", "due": due, "priority": "P1"})
}

fn issue(state: &State, number: u32) -> Option<TrackerLink> {
    state
        .followups
        .iter()
        .find(|f| f.number == number)
        .and_then(|f| f.issue.clone())
}

fn settled(number: u32) -> impl Fn(&State) -> bool {
    move |s| issue(s, number).is_some_and(|i| !matches!(i, TrackerLink::Sending { .. }))
}

#[tokio::test]
async fn a_followup_becomes_a_github_issue_and_its_url_is_recorded() {
    environment();
    let tracker = GitHub::start(0, true).await;
    let room = Room::open("", &tracker.config()).await;
    let id = room.declare().await;
    room.send(ALICE, &id, add_followup()).await.expect("added");
    let send = json!({"type": "send_followup", "number": 1});
    room.send(BOB, &id, send.clone()).await.expect("sent");
    let state = room.until(&id, "the issue's URL", settled(1)).await;

    let seen = tracker.seen();
    assert_eq!(seen.len(), 1, "one request: {seen:#?}");
    let request = &seen[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/repos/acme/infra/issues")
    );
    let header = |name: &str| request.headers.get(name).map(String::as_str);
    assert_eq!(
        header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(header("accept"), Some("application/vnd.github+json"));
    assert_eq!(header("x-github-api-version"), Some("2022-11-28"));
    assert_eq!(header("content-type"), Some("application/json"));
    let agent = header("user-agent").unwrap_or_default();
    assert!(
        agent.starts_with("warroom/"),
        "GitHub needs a User-Agent: {agent:?}"
    );
    let due = state.followups[0].due;
    let text = "Add a canary for \"checkout\" deploys\\now ![x](https://evil.example/p.png)";
    // The issue's body is Markdown: what was typed renders as typed, no image fetched.
    let inert =
        "Add a canary for \"checkout\" deploys\\\\now \\!\\[x\\](https://evil.example/p.png)";
    let expected = json!({
        "title": text,
        "body": format!("{inert}\n\nOwner: bob, due {due} (P1). Follow-up #1 of {id}: Checkout errors (SEV2)"),
        "labels": ["incident-follow-up"],
    });
    assert_eq!(request.json(), expected);

    let url = "https://github.com/acme/infra/issues/42";
    assert_eq!(
        issue(&state, 1),
        Some(TrackerLink::Linked {
            tracker: "github".into(),
            url: url.into()
        })
    );
    assert_eq!(state.followups[0].state, FollowupState::Open);
    let line = state.timeline.last().expect("an entry");
    assert_eq!(
        (line.author.as_str(), line.text.as_str()),
        (
            "system:runner",
            "Follow-up #1 linked to its issue in github: https://github.com/acme/infra/issues/42"
        )
    );

    let (code, message) = rejected(room.send(ALICE, &id, send).await);
    assert_eq!(code, "unchanged");
    assert!(message.contains("already linked to https://github.com/acme/infra/issues/42"));
    let unknown = json!({"type": "send_followup", "number": 1, "tracker": "jira"});
    let (code, message) = rejected(room.send(ALICE, &id, unknown).await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("not_found", "unknown tracker `jira`: this hub has github")
    );
    let (code, _) = rejected(
        room.send(OLGA, &id, json!({"type": "send_followup", "number": 2}))
            .await,
    );
    assert_eq!(code, "forbidden", "an observer may not send");
    assert_eq!(tracker.seen().len(), 1, "nothing more was sent");
    assert!(
        !room.log_text(&id).contains(TOKEN),
        "the token never reaches the log"
    );
    // Clients learn the tracker's name (never its URL or headers) from the catalog.
    let mut client = room.client(BOB).await;
    let catalog = within("the catalog", client.wait_catalog())
        .await
        .expect("a catalog");
    assert_eq!(catalog.trackers, ["github"]);
    client.close().await;
    room.stop().await;
}

#[tokio::test]
async fn a_created_issue_without_its_url_in_the_answer_is_an_unknown_outcome() {
    environment();
    let tracker = GitHub::start(0, true).await;
    let config = tracker.config() + "issue_url = \"/web_url\"\n";
    let room = Room::open("", &config).await;
    let id = room.declare().await;
    room.send(ALICE, &id, add_followup()).await.expect("added");
    room.send(ALICE, &id, json!({"type": "send_followup", "number": 1}))
        .await
        .expect("sent");
    let state = room.until(&id, "the outcome", settled(1)).await;
    assert_eq!(
        issue(&state, 1),
        Some(TrackerLink::Unknown {
            tracker: "github".into(),
            detail: "HTTP 201, but the answer has no issue URL at `/web_url`: the issue was probably created; check the tracker before sending again".into(),
        })
    );
    let line = &state.timeline.last().expect("an entry").text;
    assert!(
        line.contains("OUTCOME UNKNOWN") && line.contains("(status 201)"),
        "{line}"
    );
    room.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracker_answering_500_leaves_the_followup_open_and_a_retry_links_it() {
    environment();
    let tracker = GitHub::start(1, false).await;
    let room = Room::open("", &tracker.config()).await;
    let id = room.declare().await;
    room.send(ALICE, &id, add_followup()).await.expect("added");
    let send = json!({"type": "send_followup", "number": 1, "tracker": "github"});
    room.send(ALICE, &id, send.clone()).await.expect("sent");
    // The request has arrived and its answer is held: a second send is refused.
    tracker.wait_for(1).await;
    let (code, message) = rejected(room.send(BOB, &id, send.clone()).await);
    assert_eq!(code, "unchanged");
    assert!(message.contains("is being sent to github"), "{message}");
    tracker.open();

    let state = room.until(&id, "the failure", settled(1)).await;
    let Some(TrackerLink::Failed {
        tracker: name,
        detail,
    }) = issue(&state, 1)
    else {
        panic!("a failure: {:?}", issue(&state, 1));
    };
    assert_eq!(name, "github");
    assert_eq!(
        detail,
        "HTTP 500: {\"message\":\"Server Error while checking Bearer ${WR_TR_GITHUB_TOKEN}\"}"
    );
    assert_eq!(state.followups[0].state, FollowupState::Open);
    assert!(state.followups[0].issue_url().is_none());
    let hub = format!("http://{}", room.hub.addr);
    let home = tempfile::tempdir().expect("a temp dir");
    let home_path = home.path().to_path_buf();
    let listed = tokio::task::spawn_blocking(move || {
        let args = ["followups", "--open", "--hub", &hub, "--token", BOB];
        warroom(&home_path, &args, &[])
    })
    .await
    .expect("ran");
    assert_eq!(listed.0, 0, "{}", listed.2);
    assert!(
        listed.1.trim_end().ends_with("(github: send FAILED)"),
        "{}",
        listed.1
    );
    let line = &state.timeline.last().expect("an entry").text;
    assert!(
        line.starts_with("Follow-up #1: sending to github FAILED — the follow-up stays open; send it again to retry (status 500): HTTP 500"),
        "{line}"
    );

    room.send(ALICE, &id, send).await.expect("sent again");
    let state = room
        .until(&id, "the retry", |s| s.followups[0].issue_url().is_some())
        .await;
    assert_eq!(
        state.followups[0].issue_url(),
        Some("https://github.com/acme/infra/issues/43")
    );
    assert_eq!(tracker.seen().len(), 2);
    assert!(
        !room.log_text(&id).contains(TOKEN),
        "the token never reaches the log"
    );
    room.stop().await;
}

#[tokio::test]
async fn start_up_settles_a_send_a_stopped_hub_left_in_flight_and_never_resends_it() {
    environment();
    let tracker = GitHub::start(0, true).await;
    let config = tracker.config();
    let dir = tempfile::tempdir().expect("a temp dir");
    let (runbooks, _) = configure(dir.path(), "", &config);
    // A log as a hub killed mid-send leaves it: written by the engine, no runner.
    let data = DataDir::new(dir.path().join("data"));
    let alice = Actor::new("alice", [Role::Commander]);
    let submit = |command: serde_json::Value| Submission {
        actor: alice.clone(),
        command: serde_json::from_value::<Command>(command).expect("a command"),
        command_id: None,
    };
    let declare = json!({"type": "declare", "title": "Checkout errors", "severity": "SEV2"});
    let mut incident = data
        .declare(submit(declare), Utc::now(), &runbooks)
        .expect("declared");
    let id = incident.state().id.clone();
    let batch = [
        submit(add_followup()),
        submit(json!({"type": "send_followup", "number": 1})),
    ];
    incident
        .execute(&batch, Utc::now(), &runbooks)
        .expect("written");
    assert!(
        warroom::engine::LoadFacts::of(&incident).unsettled,
        "a fast start must not skip it"
    );
    drop(incident);

    let room = Room::start(dir, "", &config).await;
    let state = State::replay(&room.events(&id).await);
    let Some(TrackerLink::Unknown {
        tracker: name,
        detail,
    }) = issue(&state, 1)
    else {
        panic!("outcome unknown: {:?}", issue(&state, 1));
    };
    assert_eq!(name, "github");
    assert!(
        detail.contains("Check the tracker before sending it again"),
        "{detail}"
    );
    let line = &state.timeline.last().expect("an entry").text;
    assert!(
        line.contains("OUTCOME UNKNOWN — check the tracker"),
        "{line}"
    );
    assert!(tracker.seen().is_empty(), "never sent again by itself");

    // A person who checked may send it again.
    let send = json!({"type": "send_followup", "number": 1});
    room.send(ALICE, &id, send).await.expect("sent");
    room.until(&id, "the issue", |s| s.followups[0].issue_url().is_some())
        .await;
    assert_eq!(tracker.seen().len(), 1);
    room.stop().await;
}

/// Runs the binary with nothing from the caller's environment but `env`.
fn warroom(home: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = std::process::Command::new(BIN);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("WARROOM_") {
            command.env_remove(key);
        }
    }
    command
        .args(args)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("share"))
        .envs(env.iter().copied());
    let output = command.output().expect("runs warroom");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_sends_through_the_hub_and_shows_the_issue_everywhere() {
    environment();
    let tracker = GitHub::start(0, true).await;
    let room = Room::open("", &tracker.config()).await;
    let id = room.declare().await;
    room.send(ALICE, &id, add_followup()).await.expect("added");
    let hub = format!("http://{}", room.hub.addr);
    let home = tempfile::tempdir().expect("a temp dir");
    let home_path = home.path().to_path_buf();
    let run = move |args: Vec<String>| {
        let home = home_path.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            warroom(&home, &args, &[])
        })
    };
    let remote = |words: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        args.extend(["--hub".into(), hub.clone(), "--token".into(), ALICE.into()]);
        args
    };
    let url = "https://github.com/acme/infra/issues/42";

    let (code, out, err) = run(remote(&["followup", "send", &id, "1"]))
        .await
        .expect("ran");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.ends_with(&format!("follow-up #1 linked (github): {url}\n")),
        "{out}"
    );

    let (code, out, err) = run(remote(&["followups"])).await.expect("ran");
    assert_eq!(code, 0, "{err}");
    assert!(out.trim_end().ends_with(url), "{out}");
    let (code, out, err) = run(remote(&["followups", "--json"])).await.expect("ran");
    assert_eq!(code, 0, "{err}");
    let listed: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(listed[0]["issue_url"], url);

    let (code, out, err) = run(remote(&["export", &id, "--part", "postmortem"]))
        .await
        .expect("ran");
    assert_eq!(code, 0, "{err}");
    let remediation = out
        .lines()
        .find(|l| l.starts_with("- [ ] ") && l.contains(" — bob — "))
        .unwrap_or_else(|| panic!("a remediation in:\n{out}"));
    assert!(remediation.ends_with(url), "{remediation}");

    let (code, out, err) = run(remote(&["followup", "send", &id, "1"]))
        .await
        .expect("ran");
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("already linked"), "{err}");
    room.stop().await;
}

#[test]
fn tracker_mistakes_name_the_file_and_line_and_never_the_secret() {
    let home = tempfile::tempdir().expect("a temp dir");
    let config = home.path().join("warroom.toml");
    let config_text = config.display().to_string();
    let cases = [
        (
            "[[tracker]]\nname = \"github\"\nheaders = { Accept = \"application/json\" }\n",
            format!("{config_text}:1:1: tracker `github`: needs `url`"),
        ),
        (
            "[[tracker]]\nname = \"github\"\nurl = \"https://api.github.com/repos/a/b/issues\"\n\n[tracker.headers]\nAuthorization = \"Bearer ghp_literal5ecret\"\n",
            format!(
                "{config_text}:6:1: tracker `github`: header `Authorization` holds a literal credential"
            ),
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(&config, text).expect("writes");
        let data = home.path().join("data");
        let (code, out, err) = warroom(
            home.path(),
            &[
                "followup",
                "send",
                "INC-1",
                "1",
                "--data",
                &data.display().to_string(),
            ],
            &[("WARROOM_CONFIG", &config_text), ("WARROOM_USER", "alice")],
        );
        assert_eq!((code, out.as_str()), (1, ""), "{err}");
        assert!(err.contains(&expected), "expected {expected}\n got {err}");
        assert!(!err.contains("ghp_literal5ecret"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_hub_followup_send_runs_through_a_short_lived_one() {
    environment();
    let tracker = GitHub::start(0, true).await;
    let home = tempfile::tempdir().expect("a temp dir");
    let config = home.path().join("warroom.toml");
    std::fs::write(&config, tracker.config()).expect("writes the config");
    let config = config.display().to_string();
    let data = home.path().join("data").display().to_string();
    let home_path = home.path().to_path_buf();
    let due = (Utc::now() + chrono::Duration::days(7))
        .date_naive()
        .to_string();
    let outputs = tokio::task::spawn_blocking(move || {
        let run = |args: &[&str]| {
            let mut args = args.to_vec();
            args.extend(["--data", &data]);
            let env = [
                ("WARROOM_CONFIG", config.as_str()),
                ("WARROOM_USER", "alice"),
            ];
            warroom(&home_path, &args, &env)
        };
        let declared = run(&["declare", "--title", "Checkout errors"]);
        let id = declared.1.trim().to_string();
        let added = run(&[
            "followup",
            "add",
            &id,
            "Add a canary",
            "--owner",
            "bob",
            "--due",
            &due,
        ]);
        let sent = run(&["followup", "send", &id, "1"]);
        [declared, added, sent]
    })
    .await
    .expect("ran");
    for (code, _, err) in &outputs {
        assert_eq!(*code, 0, "{err}");
    }
    let (_, out, _) = &outputs[2];
    assert!(
        out.ends_with("follow-up #1 linked (github): https://github.com/acme/infra/issues/42\n"),
        "{out}"
    );
    let seen = tracker.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].json()["title"], "Add a canary");
}

#[test]
fn the_palette_offers_each_open_unlinked_followup_to_each_tracker() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use warroom::net::SyncEvent;
    use warroom::tui::app::{App, Effect, Msg};
    use warroom::tui::modal::Modal;
    let mut runbooks = warroom::catalog::embedded().expect("catalog");
    runbooks.trackers = vec!["github".into(), "jira".into()];
    let now = Utc::now();
    let alice = Actor::new("alice", [Role::Commander]);
    let runner = Actor::new("system:runner", [Role::Responder]);
    let mut state = State::default();
    let mut events = Vec::new();
    let mut apply = |actor: &Actor, command: serde_json::Value| {
        let command: Command = serde_json::from_value(command).expect("a command");
        for event in warroom::incident::decide(&state, actor, &command, now, &runbooks, None)
            .expect("decided")
        {
            state.apply(&event);
            events.push(event);
        }
        state.seq
    };
    let declare =
        json!({"type": "declare", "id": "INC-9", "title": "Checkout errors", "severity": "SEV2"});
    apply(&alice, declare);
    apply(&alice, add_followup());
    apply(&alice, add_followup());
    let requested = apply(
        &alice,
        json!({"type": "send_followup", "number": 2, "tracker": "jira"}),
    );
    apply(
        &runner,
        json!({"type": "record_followup_send", "number": 2, "requested": requested,
            "outcome": "linked", "url": "https://jira.example/browse/OPS-1"}),
    );
    let me = warroom::protocol::Identity {
        name: "alice".into(),
        roles: [Role::Commander].into_iter().collect(),
    };
    let theme = warroom::tui::theme::Theme::built_in("default").expect("a theme");
    let layout = warroom::tui::layout::Layout::built_in("commander").expect("a layout");
    let hub_catalog = warroom::catalog::embedded().expect("catalog");
    let mut app =
        App::new(std::sync::Arc::new(hub_catalog), theme, layout, me, now).with_events(&events);
    app.update(Msg::Sync(SyncEvent::Trackers(vec![
        "github".into(),
        "jira".into(),
    ])));
    let key = |c: char| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    app.update(key(':'));
    for c in "send follow-up".chars() {
        app.update(key(c));
    }
    let labels: Vec<String> = match &app.modal {
        Some(Modal::Palette(palette)) => {
            palette.matches().iter().map(|e| e.label.clone()).collect()
        }
        _ => panic!("no palette"),
    };
    let text = "Add a canary for \"checkout\" deploys\\now ![x](https://evil.example/p.png)";
    assert_eq!(
        labels,
        [
            format!("Send follow-up 1 to github: {text}"),
            format!("Send follow-up 1 to jira: {text}"),
        ],
        "follow-up 2 is linked already"
    );
    let effects = app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let sent: Vec<&Command> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(command) => Some(command),
            _ => None,
        })
        .collect();
    assert_eq!(
        sent,
        [&Command::SendFollowup {
            number: 1,
            tracker: Some("github".into())
        }]
    );
}
