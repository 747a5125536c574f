//! A JetStream quorum lost mid-incident (issue 14, "Bad input and faults"): with two of
//! three servers of an R3 stream SIGKILLed, a command is refused with a retryable error
//! and nothing is decided on events that were never stored; once the servers are back
//! the same command (the same command id) goes through, once, and the log read back on
//! a fresh connection verifies with every acknowledged note exactly once.
//!
//! Skipped, saying so, when `nats-server` is not installed (`.ci/run` installs it), and
//! when it is older than 2.9.21 (nats-server#4320: see the test).

mod engine_support;
mod nats_server;

use std::time::{Duration, Instant};

use chrono::Utc;
use nats_server::cluster::NatsCluster;
use warroom::engine::{EngineError, Incident, Outcome};
use warroom::incident::{Actor, Role, Severity};
use warroom::store::{AnyStore, NatsConfig, NatsStore, StoreError};

/// The longest the cluster may take to take writes again once its servers are back.
const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn a_lost_quorum_refuses_writes_retryably_and_they_resume_when_it_returns() {
    // nats-server before 2.9.21 checks the expected last sequence before replicating
    // (nats-server#4320): the write left pending by the lost quorum and the one after
    // it can both be stored, forking the log, which this test then reports. Measured
    // with Debian's 2.9.10; the hub warns at start on such a server. Not warroom's to fix.
    if let Some(version) = nats_server::cluster::server_version()
        && version < (2, 9, 21)
        && std::env::var_os("CLUSTER_FAULTS_ANY_SERVER").is_none()
    {
        eprintln!(
            "skipped: nats-server {version:?} can fork a replicated stream's subject after a lost quorum (nats-server#4320, fixed in 2.9.21); CLUSTER_FAULTS_ANY_SERVER=1 runs it anyway"
        );
        return;
    }
    let Some(mut cluster) = NatsCluster::start() else {
        return;
    };
    let mut config = NatsConfig::new(cluster.urls());
    config.stream = "quorum".into();
    config.replicas = 3;
    config.deadline = Duration::from_secs(6);
    let store = AnyStore::Nats(NatsStore::connect(&config).expect("the store connects"));
    let runbooks = warroom::catalog::embedded().unwrap();
    let alice = Actor::new("alice", [Role::Commander]);
    let declare = engine_support::declaring(&alice, "INC-1", "quorum", Severity::Sev1);
    let note = |id: &str| engine_support::noting(&alice, id, id);
    let mut incident =
        Incident::create(&store, "INC-1", &declare, Utc::now(), &runbooks).expect("declared");
    incident
        .execute(&[note("before")], Utc::now(), &runbooks)
        .expect("written with every server up");
    let seq_before = incident.state().seq;

    cluster.kill("n1");
    cluster.kill("n2");
    let refused = incident
        .execute(&[note("during")], Utc::now(), &runbooks)
        .expect_err("no quorum: refused");
    match &refused {
        EngineError::Store(StoreError::Nats(nats)) => {
            assert!(nats.is_retryable(), "retryable: {refused}");
        }
        other => panic!("a store error, retryable: {other}"),
    }
    // The refused batch is not the incident's: either the state went back to the log's,
    // or (the log could not be read back either) it is marked to be rebuilt first.
    assert!(
        incident.state().seq == seq_before || !incident.in_step(),
        "nothing decided on unstored events"
    );

    cluster.restart("n1");
    cluster.restart("n2");
    let deadline = Instant::now() + LIMIT;
    let resumed = loop {
        match incident.execute(&[note("during")], Utc::now(), &runbooks) {
            Ok(committed) => break committed,
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "writes did not resume within {LIMIT:?}: {error}"
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    };
    // Applied now, or found applied (a try whose ack was lost in the outage).
    assert!(
        matches!(
            resumed.outcomes[0],
            Outcome::Applied(_) | Outcome::Duplicate { .. }
        ),
        "{:?}",
        resumed.outcomes
    );
    drop(incident);

    // A fresh connection opens it (verifying the whole chain): each note once. The
    // buckets' streams may still be electing leaders on a loaded machine: a connect
    // that gets no answer is made again, within the same bound.
    let deadline = Instant::now() + LIMIT;
    let reopened = loop {
        match NatsStore::connect(&config) {
            Ok(store) => break store,
            Err(error) if error.is_retryable() && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(error) => panic!("connects again: {error}"),
        }
    };
    let opened =
        warroom::store::IncidentStore::open::<warroom::incident::Event>(&reopened, "INC-1")
            .expect("the log opens and verifies");
    let notes = engine_support::notes(&opened.events);
    assert_eq!(notes, ["before", "during"]);
}
