//! An incident longer than its window in memory, end to end: built through the engine,
//! served by the real hub on loopback, read by the sync task the console uses and by
//! the console itself. The snapshot holds only the window; a page before it brings the
//! entries just before, in seq order, read back from the log; a search finds a note
//! from the very beginning; and the console's `g` reaches the hub and shows the page.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use warroom::engine::{DataDir, Submission};
use warroom::hub::HubOptions;
use warroom::hub::auth::Authenticator;
use warroom::incident::state::TIMELINE_KEPT;
use warroom::incident::{Actor, Command, EntryKind, Role, Severity, State};
use warroom::net::{SyncEvent, SyncHandle, SyncOptions};
use warroom::protocol::Identity;
use warroom::tui::app::{App, Effect, Msg};
use warroom::tui::layout::Layout;
use warroom::tui::panes::Read;
use warroom::tui::theme::Theme;
use warroom::tui::view;

const ALICE: &str = "wrt_alice_pages_0000000000000000000000000000000000000000000000000";
const INCIDENT: &str = "INC-PAGES";
/// More notes than the window holds at its fullest, so the oldest left memory.
const NOTES: u64 = 2 * TIMELINE_KEPT as u64 + 800;
const FIRST_NOTE: &str = "first clue: the edge-7 certificate expired at 01:58";
const WAIT: Duration = Duration::from_secs(20);

fn note(n: u64) -> String {
    if n == 1 {
        FIRST_NOTE.to_string()
    } else {
        format!("routine note {n}: queue depth flat")
    }
}

/// Declares the incident and writes `NOTES` notes in batches through the engine;
/// returns the seq of the declare's last event (note n has seq base + n).
fn build(data: &DataDir) -> u64 {
    let runbooks = warroom::catalog::embedded().expect("catalog");
    let actor = Actor::new("alice", [Role::Commander]);
    let declare = Submission {
        actor: actor.clone(),
        command: Command::Declare {
            id: INCIDENT.into(),
            title: "A long incident".into(),
            severity: Severity::Sev2,
            playbook: None,
            summary: None,
        },
        command_id: None,
    };
    let now = chrono::Utc::now();
    let mut incident = data.declare(declare, now, &runbooks).expect("declares");
    let base = incident.state().seq;
    let mut n = 0;
    while n < NOTES {
        let batch: Vec<Submission> = (n + 1..=(n + 1000).min(NOTES))
            .map(|k| Submission {
                actor: actor.clone(),
                command: Command::AddNote {
                    kind: EntryKind::Note,
                    text: note(k),
                    typed_at: None,
                },
                command_id: Some(format!("note-{k}")),
            })
            .collect();
        n += batch.len() as u64;
        incident.execute(&batch, now, &runbooks).expect("writes");
    }
    assert_eq!(incident.state().seq, base + NOTES, "one event per note");
    base
}

/// The next sync event that `pick` accepts, within `WAIT`.
async fn next<T>(sync: &mut SyncHandle, mut pick: impl FnMut(SyncEvent) -> Option<T>) -> T {
    tokio::time::timeout(WAIT, async {
        loop {
            let event = sync.events.recv().await.expect("the sync task runs");
            if let Some(found) = pick(event) {
                return found;
            }
        }
    })
    .await
    .expect("the hub answers in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_searches_reach_entries_that_left_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = build(&DataDir::new(dir.path()));
    let auth = Authenticator::default().with_token(ALICE, "alice", [Role::Commander]);
    let hub = warroom::hub::start(HubOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data: DataDir::new(dir.path()),
        runbooks: warroom::catalog::embedded().expect("catalog"),
        auth,
        limits: warroom::hub::HubLimits::default(),
    })
    .await
    .expect("starts");
    let url = format!("http://{}", hub.addr);
    let mut options = SyncOptions::new(&url, ALICE, INCIDENT);
    options.snapshot = true;
    let mut sync = warroom::net::sync::spawn(options);

    let state: State = next(&mut sync, |e| match e {
        SyncEvent::Snapshot(state) => Some(*state),
        _ => None,
    })
    .await;
    assert!(
        state.timeline_dropped > 0,
        "the snapshot holds only the window"
    );
    assert_eq!(state.seq, base + NOTES);
    assert!(state.timeline_len() > NOTES, "the title counts every entry");
    let first_kept = state.first_kept_seq().expect("a window");

    // The page just before the window, in seq order, with the words written.
    let id = sync.request_page(first_kept, 200);
    let (entries, older) = next(&mut sync, |e| match e {
        SyncEvent::Page {
            id: got,
            entries,
            older,
        } if got == id => Some((entries, older)),
        _ => None,
    })
    .await;
    assert!(older, "there is more before the page");
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    let wanted: Vec<u64> = (first_kept - 200..first_kept).collect();
    assert_eq!(seqs, wanted);
    for entry in &entries {
        assert_eq!(entry.text, note(entry.seq - base), "entry #{}", entry.seq);
        assert_eq!(entry.author, "alice");
    }

    // A search of the whole timeline finds the very first note.
    let id = sync.search("EDGE-7 certificate", 0);
    let (found, searched_to) = next(&mut sync, |e| match e {
        SyncEvent::Found {
            id: got,
            entries,
            searched_to,
            ..
        } if got == id => Some((entries, searched_to)),
        _ => None,
    })
    .await;
    assert_eq!(searched_to, 0, "the whole log was searched");
    let seqs: Vec<u64> = found.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [base + 1]);
    assert_eq!(found[0].text, FIRST_NOTE);

    // The console on the same link: `g` asks the hub, the page shows above.
    let runbooks = Arc::new(warroom::catalog::embedded().expect("catalog"));
    let me = Identity {
        name: "alice".into(),
        roles: [Role::Commander].into_iter().collect(),
    };
    let theme = Theme::built_in("default").expect("theme");
    let layout = Layout::built_in("scribe").expect("layout");
    let mut app = App::new(runbooks, theme, layout, me, chrono::Utc::now());
    app.update(Msg::Sync(SyncEvent::Snapshot(Box::new(state))));
    let key = |c: char| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    app.update(key('1'));
    let effects = app.update(key('g'));
    let [Effect::Read(read)] = &effects[..] else {
        panic!("g asks for a page: {effects:?}");
    };
    let Read::Page { before_seq, limit } = read else {
        panic!("a page: {read:?}");
    };
    let id = sync.request_page(*before_seq, *limit);
    app.asked(&id, read);
    let page = next(&mut sync, |e| {
        matches!(&e, SyncEvent::Page { .. }).then_some(e)
    })
    .await;
    app.update(Msg::Sync(page));
    app.update(Msg::Key(KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE)));
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
    app.update(Msg::Resize(160, 48));
    terminal
        .draw(|frame| view::render(&mut app, frame))
        .expect("draws");
    let screen = terminal.backend().to_string();
    let just_before = note(first_kept - 1 - base);
    assert!(screen.contains(&just_before), "{screen}");
    assert!(!screen.contains("loading older"), "{screen}");
    sync.stop();
    hub.shutdown().await.expect("stops");
}

/// A raw client: a page or search outside the log, an empty or huge query, and an
/// unknown incident each get a clear reject naming the request; the connection goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_searches_outside_the_log_are_rejected_clearly() {
    use warroom::net::HubClient;
    use warroom::protocol::{ClientFrame, HubFrame, RejectReason};
    let dir = tempfile::tempdir().expect("temp dir");
    let base = build(&DataDir::new(dir.path()));
    let last = base + NOTES;
    let auth = Authenticator::default().with_token(ALICE, "alice", [Role::Commander]);
    let hub = warroom::hub::start(HubOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data: DataDir::new(dir.path()),
        runbooks: warroom::catalog::embedded().expect("catalog"),
        auth,
        limits: warroom::hub::HubLimits::default(),
    })
    .await
    .expect("starts");
    let url = format!("http://{}", hub.addr);
    let mut client = HubClient::connect(&url, ALICE, None, 0)
        .await
        .expect("connects");
    let frames = [
        ClientFrame::Page {
            id: "p-beyond".into(),
            incident: INCIDENT.into(),
            before_seq: last + 2,
            limit: 10,
        },
        ClientFrame::Search {
            id: "s-beyond".into(),
            incident: INCIDENT.into(),
            query: "note".into(),
            before_seq: u64::MAX,
        },
        ClientFrame::Search {
            id: "s-empty".into(),
            incident: INCIDENT.into(),
            query: "  ".into(),
            before_seq: 0,
        },
        ClientFrame::Search {
            id: "s-huge".into(),
            incident: INCIDENT.into(),
            query: "x".repeat(201),
            before_seq: 0,
        },
        ClientFrame::Page {
            id: "p-nowhere".into(),
            incident: "INC-NOWHERE".into(),
            before_seq: 0,
            limit: 10,
        },
        // Then one that is fine, pipelined behind them: the newest two entries.
        ClientFrame::Page {
            id: "p-newest".into(),
            incident: INCIDENT.into(),
            before_seq: last + 1,
            limit: 2,
        },
    ];
    for frame in &frames {
        client.send(frame).await.expect("sent");
    }
    let mut answers = std::collections::BTreeMap::new();
    while answers.len() < frames.len() {
        let frame = tokio::time::timeout(Duration::from_secs(20), client.next())
            .await
            .expect("answered in time")
            .expect("a frame");
        match frame {
            HubFrame::Reject {
                id, code, message, ..
            } => {
                answers.insert(id, Err((code, message)));
            }
            HubFrame::Page { id, entries, .. } => {
                answers.insert(id, Ok(entries.iter().map(|e| e.seq).collect::<Vec<_>>()));
            }
            _ => {}
        }
    }
    for (id, code, needle) in [
        (
            "p-beyond",
            RejectReason::Invalid,
            "beyond the incident's last event",
        ),
        (
            "s-beyond",
            RejectReason::Invalid,
            "beyond the incident's last event",
        ),
        ("s-empty", RejectReason::Invalid, "1-200 characters"),
        ("s-huge", RejectReason::Invalid, "1-200 characters"),
        ("p-nowhere", RejectReason::NotFound, "INC-NOWHERE"),
    ] {
        match &answers[id] {
            Err((got, message)) => {
                assert_eq!(*got, code, "{id}: {message}");
                assert!(message.contains(needle), "{id}: {message}");
            }
            Ok(seqs) => panic!("{id} was answered with a page: {seqs:?}"),
        }
    }
    assert_eq!(answers["p-newest"], Ok(vec![last - 1, last]));
    client.close().await;
}

/// Reads hold the incident's thread, so they share the per-connection command rate: a
/// pipelined flood of pages gets every request answered, the excess `rate_limited`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_page_requests_is_rate_limited_like_commands() {
    use warroom::net::HubClient;
    use warroom::protocol::{COMMAND_BURST, ClientFrame, HubFrame, RejectReason};
    let dir = tempfile::tempdir().expect("temp dir");
    build(&DataDir::new(dir.path()));
    let auth = Authenticator::default().with_token(ALICE, "alice", [Role::Commander]);
    let hub = warroom::hub::start(HubOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data: DataDir::new(dir.path()),
        runbooks: warroom::catalog::embedded().expect("catalog"),
        auth,
        limits: warroom::hub::HubLimits::default(),
    })
    .await
    .expect("starts");
    let url = format!("http://{}", hub.addr);
    let mut client = HubClient::connect(&url, ALICE, None, 0)
        .await
        .expect("connects");
    let sent = COMMAND_BURST as usize + 100;
    for n in 0..sent {
        let page = ClientFrame::Page {
            id: format!("p{n}"),
            incident: INCIDENT.into(),
            before_seq: 0,
            limit: 1,
        };
        client.send(&page).await.expect("sent");
    }
    let (mut pages, mut limited) = (0, 0);
    while pages + limited < sent {
        let frame = tokio::time::timeout(Duration::from_secs(20), client.next())
            .await
            .expect("answered in time")
            .expect("a frame");
        match frame {
            HubFrame::Page { .. } => pages += 1,
            HubFrame::Reject { code, .. } => {
                assert_eq!(code, RejectReason::RateLimited);
                limited += 1;
            }
            _ => {}
        }
    }
    assert!(
        pages >= COMMAND_BURST as usize,
        "the burst is served: {pages}"
    );
    assert!(
        limited > 0,
        "the rest is refused, not queued: {pages} pages"
    );
    client.close().await;
}
