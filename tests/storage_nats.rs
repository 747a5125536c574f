//! The storage contract (`tests/storage_contract/`) run against the NATS JetStream
//! backend on a real `nats-server -js` (skipped, saying so, if it is not installed),
//! plus what only that backend promises: the stream refused when its settings differ,
//! unreachable servers named, and the same bytes and hashes as the file log.

mod engine_support;
mod nats_server;
mod storage_contract;

use std::path::Path;
use std::time::Duration;

use nats_server::NatsServer;
use storage_contract::{Ev, Harness, ev};
use warroom::store::{
    FileStore, IncidentLog, IncidentStore, NatsConfig, NatsError, NatsStore, StoreError,
};

struct Nats {
    url: String,
}

/// A stream name of its own for each test location: two stores over one location (a
/// reopen, another hub) share it, other tests do not see it.
fn stream_for(location: &Path) -> String {
    let name: String = location
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("t{name}")
}

impl Nats {
    fn config(&self, stream: &str) -> NatsConfig {
        let mut config = NatsConfig::new(vec![self.url.clone()]);
        config.stream = stream.to_owned();
        config.replicas = 1;
        config.deadline = Duration::from_secs(10);
        config
    }
}

impl Harness for Nats {
    type Store = NatsStore;

    fn store(&self, location: &Path) -> NatsStore {
        NatsStore::connect(&self.config(&stream_for(location))).expect("the store connects")
    }

    /// A batch is one message, stored whole or not at all: no partial write exists.
    fn crash_mid_append(&self, _location: &Path, _id: &str) -> bool {
        false
    }
}

#[test]
fn nats_store_passes_the_storage_contract() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    storage_contract::run(&Nats { url: server.url() });
}

#[test]
fn nats_store_refuses_a_stream_with_other_settings_naming_the_difference() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    let nats = Nats { url: server.url() };
    let store = NatsStore::connect(&nats.config("mismatch")).unwrap();
    drop(store);
    let mut three = nats.config("mismatch");
    three.replicas = 3;
    let err = NatsStore::connect(&three).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, NatsError::StreamMismatch { .. }), "{message}");
    assert!(
        message.contains("replicas: the stream has 1, the configuration wants 3"),
        "{message}"
    );
    // The stream was left as it was: the first configuration still connects.
    NatsStore::connect(&nats.config("mismatch")).unwrap();
}

#[test]
fn nats_store_names_the_servers_it_could_not_reach() {
    // Ports nobody listens on: bound, read, released.
    let closed: Vec<String> = (0..2)
        .map(|_| {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            format!("nats://127.0.0.1:{port}")
        })
        .collect();
    let mut config = NatsConfig::new(closed.clone());
    config.deadline = Duration::from_secs(3);
    let err = NatsStore::connect(&config).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, NatsError::Unreachable { .. }), "{message}");
    for url in &closed {
        assert!(message.contains(url.as_str()), "{message}");
    }
}

/// The same events stored through the JetStream store and through the file store give
/// the same lines byte for byte, so a log read back from the stream and written out
/// as a file verifies, with the same head.
#[test]
fn nats_store_keeps_the_file_logs_bytes_and_hashes() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    let nats = Nats { url: server.url() };
    let dir = tempfile::tempdir().unwrap();
    let store = nats.store(dir.path());
    let files = FileStore::new(dir.path().join("files"));
    let (mut remote, _) = store.create("INC-7", &[ev(1, 0), ev(2, 0)]).unwrap();
    let (mut local, _) = files.create("INC-7", &[ev(1, 0), ev(2, 0)]).unwrap();
    for seq in 3..=9 {
        let head = remote.head();
        remote.append(&head, &[ev(seq, 1)]).unwrap();
        let head = IncidentLog::head(&local);
        IncidentLog::append(&mut local, &head, &[ev(seq, 1)]).unwrap();
    }
    assert_eq!(remote.head(), IncidentLog::head(&local), "the same chain");
    let mut exported = String::new();
    let mut prev = warroom::store::GENESIS_PREV.to_owned();
    for event in remote.read_range(1, 9).unwrap() {
        exported.push_str(&format!(
            r#"{{"prev":"{prev}","hash":"{}","event":{}}}"#,
            event.hash, event.json
        ));
        exported.push('\n');
        prev = event.hash;
    }
    let file_bytes = std::fs::read_to_string(files.log_path("INC-7")).unwrap();
    assert_eq!(exported, file_bytes, "byte for byte");
    let path = dir.path().join("exported.jsonl");
    std::fs::write(&path, exported).unwrap();
    let report = warroom::store::verify(&path).unwrap();
    assert_eq!(report.head_hash, remote.head().hash);
    assert_eq!(report.events, 9);
    let _: Vec<Ev> = store.open::<Ev>("INC-7").unwrap().events;
}

/// Ids that are not one subject token are refused before anything is published.
#[test]
fn nats_store_refuses_ids_that_are_not_one_subject_token() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    let nats = Nats { url: server.url() };
    let dir = tempfile::tempdir().unwrap();
    let store = nats.store(dir.path());
    for id in ["", "a.b", "a*", ">", "a b", "../x"] {
        let err = store.create(id, &[ev(1, 0)]).unwrap_err();
        assert!(matches!(err, StoreError::BadId { .. }), "{id:?}: {err}");
    }
    assert!(store.ids().unwrap().is_empty());
}

/// Two engines (two hubs) on one incident in one stream: the one whose handle is
/// behind loses the append race, reads what the other wrote, decides its batch again
/// and commits after it, reporting the other's events first so it can broadcast them.
/// The log stays one chain with both notes, each once.
#[test]
fn an_engine_that_lost_the_race_decides_again_after_the_other_writers_events() {
    use chrono::{TimeZone, Utc};
    use warroom::engine::{Incident, Outcome};
    use warroom::incident::{Actor, Event, Role, Severity};
    use warroom::store::AnyStore;

    let Some(server) = NatsServer::start() else {
        return;
    };
    let nats = Nats { url: server.url() };
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (
        AnyStore::Nats(nats.store(dir.path())),
        AnyStore::Nats(nats.store(dir.path())),
    );
    let runbooks = warroom::catalog::embedded().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 4, 0, 0).unwrap();
    let alice = Actor::new("alice", [Role::Commander]);
    let declare = engine_support::declaring(&alice, "INC-1", "shared", Severity::Sev2);
    let note = |id: &str, text: &str| engine_support::noting(&alice, id, text);
    let mut first = Incident::create(&one, "INC-1", &declare, now, &runbooks).unwrap();
    let mut second = Incident::open(&two, "INC-1").unwrap();
    let declared = first.state().seq;
    let won = first
        .execute(&[note("hub-1", "from hub one")], now, &runbooks)
        .unwrap();
    assert_eq!(won.conflicts, 0, "the first writer raced nobody");
    assert!(!won.append_time.is_zero(), "its append was timed");
    // `second` still believes the log ends at the declare.
    assert_eq!(second.state().seq, declared);
    let committed = second
        .execute(&[note("hub-2", "from hub two")], now, &runbooks)
        .expect("decided again after the conflict");
    assert_eq!(
        committed.conflicts, 1,
        "the lost race is counted for /metrics"
    );
    assert!(
        matches!(&committed.outcomes[0], Outcome::Applied(e) if e[0].seq == declared + 2),
        "{:?}",
        committed.outcomes
    );
    let broadcast: Vec<Event> = committed
        .event_json
        .iter()
        .map(|json| serde_json::from_str(json).unwrap())
        .collect();
    assert_eq!(
        broadcast.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [declared + 1, declared + 2],
        "the other hub's event first, then ours"
    );
    assert_eq!(second.state().seq, declared + 2);
    // A command the other hub applied already is a duplicate here, not a second note.
    let again = second
        .execute(&[note("hub-1", "from hub one")], now, &runbooks)
        .unwrap();
    assert!(matches!(again.outcomes[0], Outcome::Duplicate { .. }));
    drop((first, second));
    let events = one.open::<Event>("INC-1").unwrap().events;
    let notes = engine_support::notes(&events);
    assert_eq!(notes, ["from hub one", "from hub two"]);
}

/// NATS gone mid-incident: a command is refused with a retryable error and nothing is
/// decided on events that were never stored; when the server is back (same port, same
/// store) the client reconnects by itself and the same command goes through once,
/// after everything acknowledged before.
#[test]
fn writes_refused_while_nats_is_down_resume_by_themselves_when_it_is_back() {
    use chrono::{TimeZone, Utc};
    use std::time::Instant;
    use warroom::engine::{EngineError, Incident, Outcome};
    use warroom::incident::{Actor, Event, Role, Severity};
    use warroom::store::AnyStore;

    let Some(mut server) = NatsServer::start() else {
        return;
    };
    let nats = Nats { url: server.url() };
    let dir = tempfile::tempdir().unwrap();
    let mut config = nats.config(&stream_for(dir.path()));
    config.deadline = Duration::from_secs(2);
    let store = AnyStore::Nats(NatsStore::connect(&config).unwrap());
    let runbooks = warroom::catalog::embedded().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 4, 0, 0).unwrap();
    let alice = Actor::new("alice", [Role::Commander]);
    let declare =
        engine_support::declaring(&alice, "INC-1", "outage of the outage tool", Severity::Sev1);
    let note = |id: &str, text: &str| [engine_support::noting(&alice, id, text)];
    let mut incident = Incident::create(&store, "INC-1", &declare, now, &runbooks).unwrap();
    incident
        .execute(&note("n1", "before"), now, &runbooks)
        .unwrap();
    let acknowledged = incident.state().seq;

    server.stop();
    let err = incident
        .execute(&note("n2", "while down"), now, &runbooks)
        .unwrap_err();
    assert!(
        matches!(&err, EngineError::Store(StoreError::Nats(e)) if e.is_retryable()),
        "{err}"
    );

    server.restart();
    let deadline = Instant::now() + Duration::from_secs(30);
    let committed = loop {
        match incident.execute(&note("n2", "while down"), now, &runbooks) {
            Ok(committed) => break committed,
            Err(EngineError::Store(StoreError::Nats(e)))
                if e.is_retryable() && Instant::now() < deadline =>
            {
                // The client is still reconnecting: a short pause, then the same command.
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(other) => panic!("writes did not resume: {other}"),
        }
    };
    // Applied now, or already applied: a newer NATS client re-sends the publish it
    // buffered while the server was down, and the command is then found in the log
    // (exactly once either way, as the notes below show).
    assert!(
        matches!(&committed.outcomes[0], Outcome::Applied(e) if e[0].seq == acknowledged + 1)
            || matches!(&committed.outcomes[0], Outcome::Duplicate { last_seq } if *last_seq == acknowledged + 1),
        "{:?}",
        committed.outcomes
    );
    drop(incident);
    let events = store.open::<Event>("INC-1").unwrap().events;
    let notes = engine_support::notes(&events);
    assert_eq!(notes, ["before", "while down"], "each once, in order");
}

/// Something else writing to an incident's subject never crashes anything: opening the
/// incident says which message is not a warroom batch, and the other incidents serve.
#[test]
fn a_foreign_message_on_an_incidents_subject_is_named_not_trusted() {
    let Some(server) = NatsServer::start() else {
        return;
    };
    let nats = Nats { url: server.url() };
    let dir = tempfile::tempdir().unwrap();
    let store = nats.store(dir.path());
    let stream = stream_for(dir.path());
    store.create("INC-1", &[ev(1, 0), ev(2, 0)]).unwrap();
    store.create("INC-2", &[ev(1, 0)]).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = async_nats::connect(server.url()).await.unwrap();
        let js = async_nats::jetstream::new(client);
        js.publish(format!("{stream}.incident.INC-1"), "not a batch".into())
            .await
            .unwrap()
            .await
            .unwrap();
    });
    let err = store.open::<Ev>("INC-1").unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, StoreError::Nats(NatsError::Malformed { .. })),
        "{message}"
    );
    assert!(
        message.contains(&format!("{stream}.incident.INC-1")),
        "{message}"
    );
    assert!(message.contains("not a warroom batch"), "{message}");
    assert_eq!(
        store.stored_head("INC-1").unwrap(),
        None,
        "no head to trust"
    );
    assert_eq!(store.open::<Ev>("INC-2").unwrap().events, vec![ev(1, 0)]);
}

/// A writer announces each batch it has stored; a follower on another connection (another
/// hub) takes an announced batch as it is when it continues its head, its lines checked
/// against its own chain, and nothing else: a batch after one it missed, one it already
/// has, or one whose lines do not chain onto its head (here a forged one) leave its
/// handle where it was, and it reads the stream instead.
#[test]
fn a_follower_takes_an_announced_batch_only_when_it_continues_its_head() {
    use std::sync::{Mutex, mpsc};
    use warroom::store::Committed;

    let Some(server) = NatsServer::start() else {
        return;
    };
    let nats = Nats { url: server.url() };
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (nats.store(dir.path()), nats.store(dir.path()));
    let (mut writer, _) = one.create("INC-1", &[ev(1, 1)]).unwrap();
    let mut follower = two.open::<Ev>("INC-1").unwrap().log;
    let (tx, heard) = mpsc::channel::<Committed>();
    let tx = Mutex::new(tx);
    let _following = follower
        .follow(Box::new(move |committed| {
            let _ = tx.lock().unwrap().send(committed);
        }))
        .unwrap();
    // The announcement of the batch starting at `first`. Others before it are skipped:
    // the create's may arrive after the subscription (another connection published it).
    let next = |heard: &mpsc::Receiver<Committed>, first: u64| loop {
        let batch = heard
            .recv_timeout(Duration::from_secs(10))
            .expect("an announcement");
        if batch.first() >= first {
            break batch;
        }
    };

    // The next batch: taken without a read, the handle at the writer's head.
    let head = writer.head();
    writer.append(&head, &[ev(2, 1), ev(3, 1)]).unwrap();
    let batch = next(&heard, 2);
    assert_eq!((batch.first(), batch.last()), (2, 3));
    let events = follower.accept(&batch).expect("it continues the head");
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(follower.head(), writer.head());
    assert!(
        events[1].json.contains("event 3"),
        "the stored JSON: {}",
        events[1].json
    );
    // Heard again (or its own): already there, nothing changes.
    assert!(follower.accept(&batch).is_none());
    assert_eq!(follower.head(), writer.head());

    // One batch missed: the one after it is a gap, and the stream is read instead.
    let head = writer.head();
    writer.append(&head, &[ev(4, 1)]).unwrap();
    let _missed = next(&heard, 4);
    let head = writer.head();
    writer.append(&head, &[ev(5, 1)]).unwrap();
    let after_gap = next(&heard, 5);
    assert!(follower.accept(&after_gap).is_none(), "a gap is not taken");
    assert_eq!(follower.head().seq, 3);
    assert_eq!(follower.refresh().unwrap(), writer.head());

    // A forged announcement of event 6 whose line does not chain onto the head.
    let client = std::thread::spawn({
        let url = server.url();
        let subject = format!("{}.committed.INC-1", stream_for(dir.path()));
        move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let client = async_nats::connect(url).await.unwrap();
                let mut headers = async_nats::HeaderMap::new();
                headers.insert("Warroom-Seq", "6-6");
                headers.insert("Warroom-Stream-Seq", "1000");
                let line = format!(
                    "{{\"prev\":\"{}\",\"hash\":\"{}\",\"event\":{{\"seq\":6}}}}\n",
                    "0".repeat(64),
                    "1".repeat(64)
                );
                client
                    .publish_with_headers(subject, headers, line.into())
                    .await
                    .unwrap();
                client.flush().await.unwrap();
            });
        }
    });
    client.join().unwrap();
    let forged = next(&heard, 6);
    assert_eq!(forged.first(), 6);
    assert!(
        follower.accept(&forged).is_none(),
        "a forged batch is not taken"
    );
    assert_eq!(follower.head(), writer.head(), "the handle did not move");
}

/// Several hubs on one stream declaring at the same moment, each letting the id be
/// numbered: every declare succeeds, each with its own `INC-<day>-N`. (Each counts the
/// same ids; whoever loses the create takes the next number.)
#[test]
fn hubs_declaring_at_once_on_one_stream_each_get_their_own_number() {
    use chrono::Utc;
    use std::sync::{Arc, Barrier};
    use warroom::engine::DataDir;
    use warroom::incident::{Actor, Role, Severity};

    let Some(server) = NatsServer::start() else {
        return;
    };
    let nats = Nats { url: server.url() };
    let dir = tempfile::tempdir().unwrap();
    const HUBS: usize = 6;
    let barrier = Arc::new(Barrier::new(HUBS));
    let declarers: Vec<_> = (0..HUBS)
        .map(|n| {
            let store = nats.store(dir.path());
            let root = dir.path().join(format!("hub{n}"));
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let data = DataDir::new(root).with_nats(store);
                let runbooks = warroom::catalog::embedded().unwrap();
                let ic = Actor::new(format!("ic{n}"), [Role::Commander]);
                let title = format!("declared through hub {n}");
                let declare = engine_support::declaring(&ic, "", &title, Severity::Sev2);
                barrier.wait();
                data.declare(declare, Utc::now(), &runbooks)
                    .map(|incident| incident.state().id.clone())
            })
        })
        .collect();
    let mut ids: Vec<String> = declarers
        .into_iter()
        .map(|d| d.join().unwrap().expect("every declare succeeds"))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), HUBS, "each its own id: {ids:?}");
}

/// `tls://` servers: the store connects over TLS, checking the server's certificate
/// against the configured CA, and refuses (naming the servers) without that CA, and a
/// `nats://` URL to a TLS-only server is not a silent way round it.
#[test]
fn tls_servers_are_checked_against_the_configured_ca() {
    let dir = tempfile::tempdir().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2090, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.path().join("nats.pem"), dir.path().join("nats-key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let Some(server) = NatsServer::start_tls(&cert_path, &key_path) else {
        return;
    };
    let config = |url: String, ca: Option<&Path>| {
        let mut config = NatsConfig::new(vec![url]);
        config.stream = "tls".into();
        config.replicas = 1;
        config.deadline = Duration::from_secs(5);
        config.ca = ca.map(Path::to_path_buf);
        config
    };

    let store = NatsStore::connect(&config(server.tls_url(), Some(&cert_path)))
        .expect("connects over TLS with the CA");
    let (_log, _) = store.create("INC-1", &[ev(1, 0)]).unwrap();
    assert_eq!(store.ids().unwrap(), ["INC-1"]);

    let err = NatsStore::connect(&config(server.tls_url(), None)).unwrap_err();
    assert!(matches!(err, NatsError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains(&server.tls_url()), "{err}");

    // The server asks for TLS whatever the URL says: still checked.
    let err = NatsStore::connect(&config(server.url(), None)).unwrap_err();
    assert!(matches!(err, NatsError::Unreachable { .. }), "{err}");

    let missing = dir.path().join("no-such-ca.pem");
    let err = NatsStore::connect(&config(server.tls_url(), Some(&missing))).unwrap_err();
    assert!(err.to_string().contains("no-such-ca.pem"), "{err}");
}
