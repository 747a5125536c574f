//! The registry without a server: what a stopped registry answers, and that a quarantined
//! incident is named and refused while the others are served.

use super::{Registry, Unavailable};
use crate::engine::{DataDir, Submission};
use crate::hub::actor::CommandReply;
use crate::hub::effects;
use crate::hub::metrics::Metrics;
use crate::incident::{Actor, Command, EntryKind, Role, Severity};
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;

fn by_alice(command: Command) -> Submission {
    Submission {
        actor: Actor::new("alice", [Role::Commander]),
        command,
        command_id: None,
    }
}

fn note() -> Submission {
    by_alice(Command::AddNote {
        kind: EntryKind::Note,
        text: "n".into(),
        typed_at: None,
    })
}

/// A data directory with incidents `ids` declared in it, and a registry over it.
fn registry(dir: &std::path::Path, ids: &[&str]) -> Arc<Registry> {
    let data = DataDir::new(dir);
    let runbooks = crate::catalog::embedded().expect("catalog");
    for id in ids {
        let declare = by_alice(Command::Declare {
            id: (*id).to_string(),
            title: "T".into(),
            severity: Severity::Sev3,
            playbook: None,
            summary: None,
        });
        data.declare(declare, Utc::now(), &runbooks)
            .expect("declared");
    }
    let (jobs, _queue) = effects::channel();
    let metrics = Arc::new(Metrics::default());
    let idle = Duration::from_secs(300);
    Arc::new(Registry::load(data, Arc::new(runbooks), metrics, jobs, idle).expect("loads"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_registry_says_shutting_down_never_no_incident() {
    let dir = tempfile::tempdir().expect("temp dir");
    let registry = registry(dir.path(), &["INC-1", "INC-2"]);
    // INC-1 is open (an actor), INC-2 closed since start-up.
    assert!(matches!(
        registry.submit("INC-1", note()).await,
        CommandReply::Applied { .. }
    ));
    let stopping = registry.clone();
    tokio::task::spawn_blocking(move || stopping.shutdown())
        .await
        .expect("stopped");
    for id in ["INC-1", "INC-2"] {
        match registry.submit(id, note()).await {
            CommandReply::Unavailable(Unavailable::ShuttingDown) => {}
            other => panic!("{id}: {other:?}"),
        }
        let subscribed = registry.subscribe(id, 0, false).await;
        assert_eq!(subscribed.err(), Some(Unavailable::ShuttingDown), "{id}");
    }
    match registry.submit("INC-9", note()).await {
        CommandReply::Unavailable(Unavailable::NoIncident) => {}
        other => panic!("{other:?}"),
    }
    let reason = Unavailable::ShuttingDown.reject_reason();
    assert_eq!(reason, crate::protocol::RejectReason::ShuttingDown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_hub_on_the_same_data_directory_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let _first = registry(dir.path(), &["INC-1"]);
    let (jobs, _queue) = effects::channel();
    let second = Registry::load(
        DataDir::new(dir.path()),
        Arc::new(crate::catalog::embedded().expect("catalog")),
        Arc::new(Metrics::default()),
        jobs,
        Duration::from_secs(300),
    );
    let error = second.err().expect("refused").to_string();
    assert!(error.contains("another warroom hub"), "{error}");
    let local = DataDir::new(dir.path()).check_no_hub();
    assert!(local.is_err(), "a local write beside the hub is refused");
}
