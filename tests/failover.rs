//! Clients that move to another hub (issue 14, item 3): `--hub` and `join` take several
//! hub URLs; a one-shot command uses the first that answers, and a live subscription
//! that loses its hub moves on to the next, resumes after the last seq it delivered
//! and re-sends its outbox, so a note typed while no hub was up lands exactly once and
//! in order. The hubs here take turns on one data directory (a file store has one
//! writer); with a replicated store they run side by side.

mod hub_support;

use hub_support::{LIMIT, serve, serve_at, token};
use std::net::TcpListener;
use warroom::incident::state::EntryKind;
use warroom::incident::{Command, EventKind};
use warroom::net::sync::{self, SyncEvent, SyncHandle, SyncOptions};

/// A loopback port nothing listens on now (the hub started there later takes it).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    listener.local_addr().expect("its address").port()
}

/// The next sync event that `pick` accepts, within the limit.
async fn until<T>(
    handle: &mut SyncHandle,
    what: &str,
    mut pick: impl FnMut(SyncEvent) -> Option<T>,
) -> T {
    let wait = async {
        while let Some(event) = handle.events.recv().await {
            if let Some(found) = pick(event) {
                return found;
            }
        }
        panic!("the subscription ended while waiting for {what}");
    };
    tokio::time::timeout(LIMIT, wait)
        .await
        .unwrap_or_else(|_| panic!("timed out after {LIMIT:?} waiting for {what}"))
}

#[test]
fn a_subscription_moves_to_the_next_hub_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let alice = token(dir.path(), "alice", "commander");
    let first = serve(dir.path(), "", &[]);
    let dead = "http://127.0.0.1:1".to_string();
    let second_port = free_port();
    let second_url = format!("http://127.0.0.1:{second_port}");
    let hubs = format!("{dead},{},{second_url}", first.url());

    // A one-shot command skips the hub that does not answer.
    let id = first
        .ok(
            &alice,
            &["declare", "--title", "Checkout 502s", "--severity", "SEV2"],
        )
        .trim()
        .to_string();
    let out = hub_support::warroom(dir.path(), &[])
        .args(["note", &id, "first note", "--hub", &hubs, "--token", &alice])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut options = SyncOptions::new(hubs.clone(), alice.clone(), id.clone());
        options.snapshot = true;
        let mut handle = sync::spawn(options);
        let on = until(&mut handle, "a hub", |e| match e {
            SyncEvent::Hub(hub) => Some(hub),
            _ => None,
        })
        .await;
        assert_eq!(on, first.url(), "the dead hub is skipped");
        let synced = until(&mut handle, "synced", |e| match e {
            SyncEvent::Synced(seq) => Some(seq),
            _ => None,
        })
        .await;

        // The hub goes away; a note typed meanwhile waits in the outbox.
        drop(first);
        until(&mut handle, "the link lost", |e| match e {
            SyncEvent::State(warroom::net::ConnectionState::Reconnecting { .. }) => Some(()),
            _ => None,
        })
        .await;
        let typed = handle.send(Command::AddNote {
            kind: EntryKind::Note,
            text: "typed while no hub was up".into(),
            typed_at: None,
        });
        let second = serve_at(dir.path(), &format!("127.0.0.1:{second_port}"), &[]);
        let on = until(&mut handle, "the next hub", |e| match e {
            SyncEvent::Hub(hub) => Some(hub),
            _ => None,
        })
        .await;
        assert_eq!(on, second_url);
        // Resumed after the last seq: the typed note is the next event, once, and its
        // ack names it (in whichever order the two arrive).
        let mut note: Option<(u64, String)> = None;
        let mut ack: Option<(String, u64)> = None;
        until(&mut handle, "the typed note and its ack", |e| {
            match e {
                SyncEvent::Event(event) => {
                    if let EventKind::NoteAdded { text, .. } = event.kind {
                        assert!(note.is_none(), "the note arrived twice");
                        note = Some((event.seq, text));
                    }
                }
                SyncEvent::Acked { id, seq } => ack = Some((id, seq)),
                _ => {}
            }
            (note.is_some() && ack.is_some()).then_some(())
        })
        .await;
        let (seq, text) = note.unwrap();
        assert_eq!(text, "typed while no hub was up");
        assert_eq!(seq, synced + 1, "nothing skipped, nothing twice");
        assert_eq!(ack, Some((typed, seq)));
        handle.stop();
        let timeline = second.ok(&alice, &["export", &id, "--format", "csv"]);
        assert_eq!(
            timeline.matches("typed while no hub was up").count(),
            1,
            "{timeline}"
        );
    });
}

#[test]
fn when_no_hub_answers_each_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let hubs = format!("http://127.0.0.1:1,http://127.0.0.1:{}", free_port());
    let out = hub_support::warroom(dir.path(), &[])
        .args(["list", "--hub", &hubs, "--token", "wrt_x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no hub answered"), "{err}");
    assert!(
        err.contains("127.0.0.1:1") && err.contains(&hubs[19..]),
        "{err}"
    );
}
