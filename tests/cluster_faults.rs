//! The war room survives the loss of a machine (issue 14, "Done when"): three
//! `nats-server` processes as a JetStream cluster on loopback (a stream with replicas 3),
//! two `warroom serve` hubs on it, and three live subscriptions (`net::sync`, each given
//! both hubs, in a different order) writing notes through both hubs. One hub is killed
//! with SIGKILL, later the stream's leader node, while the writing goes on. Afterwards
//! every acknowledged note is in the log exactly once, every client saw the same events
//! in the same order, the log exported from the stream passes `warroom verify`, the
//! clients of the killed hub moved to the survivor (the time it took is printed), and
//! an `exec` action requested at the moment of the kill ran exactly once.
//!
//! Skipped, saying so, when `nats-server` is not installed (`.ci/run` installs it), and
//! when it is older than 2.9.21 (see [`FORKS_BEFORE`]).

mod nats_server;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nats_server::cluster::NatsCluster;
use tokio::sync::{Notify, mpsc, oneshot};
use warroom::incident::state::{RunOutcome, RunStatus};
use warroom::incident::{Command as Cmd, EntryKind, Event, EventKind, Severity, State};
use warroom::net::HubClient;
use warroom::net::sync::{self, SyncEvent, SyncOptions};
use warroom::store::{IncidentLog, IncidentStore, NatsConfig, NatsError, NatsStore};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
const TOKEN: &str = "tok-alice-cluster-faults";
const STREAM: &str = "faults";
/// The longest any one phase may take: generous, as the machine is shared.
const LIMIT: Duration = Duration::from_secs(60);
/// How soon a client of the killed hub must be on the survivor. The issue aims at two
/// seconds; the bound is looser so a loaded machine does not fail the test, and the
/// measured time is printed.
const RECONNECT_BOUND: Duration = Duration::from_secs(10);
/// The pace of each client's notes.
const NOTE_EVERY: Duration = Duration::from_millis(30);

/// nats-server before 2.9.21 checks `Nats-Expected-Last-Subject-Sequence` on a
/// replicated stream only before proposing the message, so two publishes in flight with
/// the same expected sequence can both be stored (nats-server#4320, fixed by #4319 in
/// 2.9.21): two hubs writing one incident then fork its subject, and both hubs stop
/// writing it ("message N … is not a warroom batch (it starts at event X, not Y)").
/// Measured here with Debian's 2.9.10; with 2.15.1 this test passes. Not warroom's to
/// fix: the store needs a server that keeps the compare-and-set.
const FORKS_BEFORE: (u32, u32, u32) = (2, 9, 21);

/// A `warroom serve` child, killed (SIGKILL) and reaped when dropped.
struct Hub {
    child: Child,
    addr: SocketAddr,
    /// What it printed on stderr (its log), line by line.
    said: Arc<Mutex<Vec<String>>>,
}

impl Hub {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `warroom` with a clean environment (no `WARROOM_*`, an empty catalog override).
fn warroom(dir: &Path) -> Command {
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
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    command
}

/// Writes the hub's `warroom.toml` and `actions.toml` into `dir`: one commander token,
/// the `mark` action (appends a line to `marks`), the store on the cluster.
fn configure(dir: &Path, servers: &[String], marks: &Path) {
    let awk = format!(r#"BEGIN {{ print "ran" >> "{}" }}"#, marks.display());
    let actions = format!(
        "[[action]]\nid = \"mark\"\ntitle = \"Mark\"\ndescription = \"Appends a line to a file.\"\n\
         roles = [\"commander\"]\nconfirm = true\ntwo_person = false\nidempotent = false\n\
         timeout_seconds = 10\nkind = \"exec\"\nargv = [\"/usr/bin/awk\", '{awk}']\n"
    );
    std::fs::write(dir.join("actions.toml"), actions).expect("the actions file");
    let servers = servers
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let config = format!(
        "actions = \"actions.toml\"\n\n[[responder]]\nname = \"alice\"\n\
         roles = [\"commander\"]\ntoken_sha256 = \"{}\"\n\n[store]\nkind = \"nats\"\n\
         servers = [{servers}]\nstream = \"{STREAM}\"\nreplicas = 3\n",
        warroom::hub::auth::token_hash(TOKEN)
    );
    std::fs::write(dir.join("warroom.toml"), config).expect("the config");
}

/// `warroom serve` over `dir` on a free port; waits (bounded) for its address.
fn serve(dir: &Path) -> Hub {
    let mut child = warroom(dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(dir.join("warroom.toml"))
        .arg("--data")
        .arg(dir.join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hub starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, lines) = std::sync::mpsc::channel();
    let logged = Arc::new(Mutex::new(Vec::new()));
    let log = logged.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if std::env::var_os("CLUSTER_FAULTS_DEBUG").is_some() {
                eprintln!("[hub] {line}");
            }
            if let Ok(mut log) = log.lock() {
                log.push(line.clone());
            }
            let _ = tx.send(line); // keep draining even when nobody listens
        }
    });
    let deadline = Instant::now() + LIMIT;
    let mut said = Vec::new();
    while let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let addr = rest.split_whitespace().next().and_then(|a| a.parse().ok());
            return Hub {
                child,
                addr: addr.expect("an address after `listening on`"),
                said: logged,
            };
        }
        said.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the hub did not say where it listens: {said:#?}");
}

/// What one client saw, shared with the test while its driver runs.
#[derive(Default)]
struct Seen {
    /// Every event, in the order delivered.
    events: Vec<Event>,
    /// Each hub it connected to, and when.
    hubs: Vec<(String, Instant)>,
    /// Acknowledged command ids and their seqs.
    acked: HashMap<String, u64>,
    /// Notes sent: command id and text.
    notes: Vec<(String, String)>,
    /// Commands rejected for good: id and message.
    rejected: Vec<(String, String)>,
    /// The connection states it went through, for a failure's message.
    states: Vec<String>,
}

struct Client {
    seen: Arc<Mutex<Seen>>,
    /// Extra commands to send (answered with their ids).
    extra: mpsc::UnboundedSender<(Cmd, oneshot::Sender<String>)>,
    /// Tells the driver to stop writing notes.
    stop_writing: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Client {
    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        // Poisoned only if a driver panicked, which fails the test anyway.
        self.seen.lock().expect("a driver panicked")
    }

    async fn send(&self, command: Cmd) -> String {
        let (tx, rx) = oneshot::channel();
        self.extra.send((command, tx)).expect("the driver runs");
        rx.await.expect("the driver answers")
    }
}

/// A live subscription to `incident` over `hubs` (in that order), writing a note
/// `c<n>-<k>` every [`NOTE_EVERY`] until told to stop; everything it sees goes into its
/// [`Seen`], and `changed` is notified after each.
fn client(n: usize, hubs: String, incident: &str, changed: Arc<Notify>) -> Client {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (extra, mut extras) = mpsc::unbounded_channel::<(Cmd, oneshot::Sender<String>)>();
    let stop_writing = Arc::new(Notify::new());
    let mut handle = sync::spawn(SyncOptions::new(hubs, TOKEN, incident));
    let (shared, stop) = (seen.clone(), stop_writing.clone());
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(NOTE_EVERY);
        let mut writing = true;
        let mut k = 0usize;
        loop {
            tokio::select! {
                _ = tick.tick(), if writing => {
                    let text = format!("c{n}-{k}");
                    k += 1;
                    let id = handle.send(Cmd::AddNote { kind: EntryKind::Note, text: text.clone(), typed_at: None });
                    shared.lock().expect("the test panicked").notes.push((id, text));
                }
                _ = stop.notified() => writing = false,
                extra = extras.recv() => {
                    let Some((command, reply)) = extra else { break };
                    let _ = reply.send(handle.send(command));
                }
                event = handle.events.recv() => {
                    let Some(event) = event else { break };
                    let mut seen = shared.lock().expect("the test panicked");
                    match event {
                        SyncEvent::Event(event) => seen.events.push(event),
                        SyncEvent::Hub(hub) => seen.hubs.push((hub, Instant::now())),
                        SyncEvent::Acked { id, seq } => { seen.acked.insert(id, seq); }
                        SyncEvent::Rejected { id, message, .. } => seen.rejected.push((id, message)),
                        SyncEvent::State(state) => seen.states.push(format!("{state:?}")),
                        _ => continue,
                    }
                    drop(seen);
                    changed.notify_waiters();
                }
            }
        }
    });
    Client {
        seen,
        extra,
        stop_writing,
        task,
    }
}

/// Waits (at most [`LIMIT`]) until `done` holds, re-checking whenever a client saw
/// something; on a time-out, says what each client last went through.
async fn until(clients: &[Client], changed: &Notify, what: &str, mut done: impl FnMut() -> bool) {
    let wait = async {
        loop {
            let notified = changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if done() {
                return;
            }
            notified.await;
        }
    };
    if tokio::time::timeout(LIMIT, wait).await.is_err() {
        let said: Vec<String> = clients
            .iter()
            .enumerate()
            .map(|(n, c)| {
                let seen = c.seen();
                let states = &seen.states[seen.states.len().saturating_sub(4)..];
                let pending = seen.notes.iter().filter(|(id, _)| !seen.acked.contains_key(id)).count();
                format!(
                    "client {n}: hubs {:?}, {} events, {} acked, {pending} unacked, last states {states:?}",
                    seen.hubs.iter().map(|(h, _)| h).collect::<Vec<_>>(),
                    seen.events.len(),
                    seen.acked.len(),
                )
            })
            .collect();
        panic!(
            "timed out after {LIMIT:?} waiting for {what}:\n{}",
            said.join("\n")
        );
    }
}

/// Every client has at least `more` acknowledgements beyond `before[i]`.
fn acked_beyond(clients: &[Client], before: &[usize], more: usize) -> bool {
    clients
        .iter()
        .zip(before)
        .all(|(c, b)| c.seen().acked.len() >= b + more)
}

fn acked_counts(clients: &[Client]) -> Vec<usize> {
    clients.iter().map(|c| c.seen().acked.len()).collect()
}

/// The incident's log read back from the stream, written out as a file log (the bytes
/// `warroom verify` checks).
fn export(servers: Vec<String>, incident: &str, to: &Path) -> u64 {
    let mut config = NatsConfig::new(servers);
    config.stream = STREAM.to_owned();
    config.replicas = 3;
    config.deadline = Duration::from_secs(10);
    // Right after a node's SIGKILL some of the stream's and buckets' leaders may still
    // be being elected: a connect that gets no answer meanwhile is tried again.
    let mut tries = 0;
    let store = loop {
        match NatsStore::connect(&config) {
            Ok(store) => break store,
            Err(NatsError::Unavailable { .. }) if tries < 3 => tries += 1,
            Err(error) => panic!("the store connects: {error}"),
        }
    };
    let opened = store.open::<Event>(incident).expect("the incident opens");
    let head = IncidentLog::head(&opened.log);
    let mut text = String::new();
    let mut prev = warroom::store::GENESIS_PREV.to_owned();
    for event in opened.log.read_range(1, head.seq).expect("the whole log") {
        text.push_str(&format!(
            r#"{{"prev":"{prev}","hash":"{}","event":{}}}"#,
            event.hash, event.json
        ));
        text.push('\n');
        prev = event.hash;
    }
    std::fs::write(to, text).expect("the export written");
    head.seq
}

#[test]
fn the_war_room_survives_a_hub_and_a_nats_node_killed_mid_incident() {
    // KNOWN SERVER BUG, not skipped quietly: with an older server this test fails for
    // a reason outside warroom (see FORKS_BEFORE); set CLUSTER_FAULTS_ANY_SERVER=1 to
    // run it anyway and watch the fork.
    if let Some(version) = nats_server::cluster::server_version()
        && version < FORKS_BEFORE
        && std::env::var_os("CLUSTER_FAULTS_ANY_SERVER").is_none()
    {
        eprintln!(
            "skipped: nats-server {version:?} forks a subject when two hubs write one \
             incident on a replicated stream (nats-server#4320, fixed in 2.9.21); install \
             a newer nats-server to run this test"
        );
        return;
    }
    let Some(mut cluster) = NatsCluster::start() else {
        return;
    };
    let root = tempfile::tempdir().expect("a temp dir");
    let (one_dir, two_dir) = (root.path().join("one"), root.path().join("two"));
    let marks: PathBuf = root.path().join("marks");
    for dir in [&one_dir, &two_dir] {
        std::fs::create_dir_all(dir).expect("a hub dir");
        configure(dir, &cluster.urls(), &marks);
    }
    let one = serve(&one_dir);
    let two = serve(&two_dir);
    let (one_url, two_url) = (one.url(), two.url());
    let mut one = Some(one);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let declare = Cmd::Declare {
            id: String::new(),
            title: "Checkout down in every region".into(),
            severity: Severity::Sev1,
            playbook: None,
            summary: None,
        };
        let mut declarer = HubClient::connect(&one_url, TOKEN, None, 0)
            .await
            .expect("connects to hub one");
        let incident = tokio::time::timeout(LIMIT, declarer.command(None, declare))
            .await
            .expect("declared in time")
            .expect("declared")
            .0;
        declarer.close().await;

        // Clients 0 and 2 start on hub one, client 1 on hub two.
        let changed = Arc::new(Notify::new());
        let orders = [
            format!("{one_url},{two_url}"),
            format!("{two_url},{one_url}"),
            format!("{one_url},{two_url}"),
        ];
        let clients: Vec<Client> = orders
            .into_iter()
            .enumerate()
            .map(|(n, hubs)| client(n, hubs, &incident, changed.clone()))
            .collect();
        until(
            &clients,
            &changed,
            "every client writing through its first hub",
            || acked_beyond(&clients, &[0, 0, 0], 10),
        )
        .await;
        for (n, client) in clients.iter().enumerate() {
            let want = if n == 1 { &two_url } else { &one_url };
            assert_eq!(&client.seen().hubs[0].0, want, "client {n}'s first hub");
        }

        // The action is requested by a client of hub one, and hub one is killed at
        // once: whichever hub takes the request runs it, once.
        let request = Cmd::RequestAction {
            action: "mark".into(),
            params: Default::default(),
            dry_run: false,
        };
        let request_id = clients[0].send(request).await;
        drop(one.take()); // SIGKILL
        let hub_killed = Instant::now();
        let before = acked_counts(&clients);
        until(&clients, &changed, "clients 0 and 2 on hub two", || {
            [0, 2].iter().all(|&n| {
                let seen = clients[n].seen();
                seen.hubs
                    .iter()
                    .any(|(h, at)| *h == two_url && *at > hub_killed)
            })
        })
        .await;
        for n in [0, 2] {
            let seen = clients[n].seen();
            let (_, at) = seen
                .hubs
                .iter()
                .find(|(h, at)| *h == two_url && *at > hub_killed)
                .expect("on hub two");
            let took = at.duration_since(hub_killed);
            println!("client {n}: on the surviving hub {took:?} after the SIGKILL");
            assert!(
                took < RECONNECT_BOUND,
                "client {n} took {took:?} to reach the surviving hub"
            );
        }
        until(&clients, &changed, "writing on through hub two", || {
            acked_beyond(&clients, &before, 10)
        })
        .await;

        // Now the node leading the stream.
        let nats = async_nats::connect(cluster.live_urls()[0].as_str())
            .await
            .expect("connects to the cluster");
        let js = async_nats::jetstream::new(nats);
        let mut stream = js.get_stream(STREAM).await.expect("the stream");
        let info = stream.info().await.expect("the stream's info");
        let leader = info
            .cluster
            .as_ref()
            .and_then(|c| c.leader.clone())
            .expect("the stream has a leader");
        assert!(cluster.names().contains(&leader), "{leader}");
        cluster.kill(&leader);
        let node_killed = Instant::now();
        let before = acked_counts(&clients);
        until(
            &clients,
            &changed,
            "writing on after the NATS node is gone",
            || acked_beyond(&clients, &before, 10),
        )
        .await;
        println!(
            "writes resumed {:?} after the SIGKILL of stream leader {leader}",
            node_killed.elapsed()
        );

        // Stop writing; everything sent is acknowledged (nothing is stuck in an outbox).
        for client in &clients {
            client.stop_writing.notify_one();
        }
        until(&clients, &changed, "every note acknowledged", || {
            clients.iter().all(|c| {
                let seen = c.seen();
                seen.notes.iter().all(|(id, _)| seen.acked.contains_key(id))
            })
        })
        .await;
        until(
            &clients,
            &changed,
            "the action's request acknowledged",
            || clients[0].seen().acked.contains_key(&request_id),
        )
        .await;
        let run = clients[0].seen().acked[&request_id];
        until(
            &clients,
            &changed,
            "the action's outcome on every client",
            || {
                clients.iter().all(|c| {
                    let state = State::replay(&c.seen().events);
                    state
                        .run(run)
                        .is_some_and(|r| matches!(r.status, RunStatus::Finished(_)))
                })
            },
        )
        .await;
        // Every client reaches the same head, then their events are compared.
        let head = clients
            .iter()
            .map(|c| c.seen().acked.values().copied().max().unwrap_or(0))
            .max()
            .unwrap_or(0);
        until(
            &clients,
            &changed,
            "every client at the last acknowledged seq",
            || {
                clients
                    .iter()
                    .all(|c| c.seen().events.last().is_some_and(|e| e.seq >= head))
            },
        )
        .await;
        let rejected: Vec<String> = clients
            .iter()
            .flat_map(|c| c.seen().rejected.clone())
            .map(|(id, message)| format!("{id}: {message}"))
            .collect();
        assert!(rejected.is_empty(), "rejected: {rejected:?}");

        let reference: Vec<Event> = clients[0].seen().events.clone();
        assert_eq!(
            reference.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=reference.len() as u64).collect::<Vec<_>>(),
            "client 0 saw every seq once, in order"
        );
        for (n, client) in clients.iter().enumerate().skip(1) {
            let seen = client.seen();
            let common = seen.events.len().min(reference.len());
            assert_eq!(
                seen.events[..common],
                reference[..common],
                "client {n} saw what client 0 saw"
            );
        }
        let state = State::replay(&reference);
        let found = state.run(run).expect("the run");
        assert_eq!(found.status, RunStatus::Finished(RunOutcome::Succeeded));

        // The log in the stream: every acknowledged note exactly once, and it verifies.
        let path = root.path().join("exported.jsonl");
        let export_from = cluster.live_urls();
        let seq = tokio::task::spawn_blocking({
            let (incident, path) = (incident.clone(), path.clone());
            move || export(export_from, &incident, &path)
        })
        .await
        .expect("the export ran");
        assert!(seq >= head, "the stream holds every acknowledged event");
        let logged: Vec<Event> = std::fs::read_to_string(&path)
            .expect("the export")
            .lines()
            .map(|line| {
                let value: serde_json::Value = serde_json::from_str(line).expect("a line");
                serde_json::from_value(value["event"].clone()).expect("an event")
            })
            .collect();
        assert_eq!(
            logged[..reference.len().min(logged.len())],
            reference[..reference.len().min(logged.len())],
            "the clients saw the log's order"
        );
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for event in &logged {
            if let EventKind::NoteAdded { text, .. } = &event.kind {
                *counts.entry(text.as_str()).or_default() += 1;
            }
        }
        let mut notes = 0;
        for client in &clients {
            for (_, text) in &client.seen().notes {
                notes += 1;
                assert_eq!(counts.get(text.as_str()), Some(&1), "note {text}");
            }
        }
        println!(
            "{notes} notes acknowledged, {} events in the log",
            logged.len()
        );
        let verify = warroom(root.path())
            .arg("verify")
            .arg(&path)
            .output()
            .expect("verify runs");
        assert!(verify.status.success(), "warroom verify: {verify:?}");

        for client in clients {
            client.task.abort();
        }
    });
    // A lost race (JetStream's "wrong last sequence", 10071 or, with a publish of the
    // same expectation in flight, 10164) is a conflict decided again, never a refusal.
    let refusals: Vec<String> = two
        .said
        .lock()
        .expect("the log reader")
        .iter()
        .filter(|line| line.contains("refused to append"))
        .cloned()
        .collect();
    assert!(refusals.is_empty(), "{refusals:#?}");
    drop(two);
    // The action ran exactly once, across both hubs and the kill.
    let ran = std::fs::read_to_string(&marks).unwrap_or_default();
    assert_eq!(ran.lines().count(), 1, "the action's runs: {ran:?}");
}
