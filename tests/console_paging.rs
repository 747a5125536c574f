//! The timeline of an incident longer than its window in memory, without a terminal:
//! reaching the top asks the hub for the page before it (once), shows a loading row,
//! and shows the page above when it arrives; a search also asks the hub and shows the
//! older matches after the ones in memory, with where it got to; a moved window drops
//! the pages. Hub answers are fed to `App::update` as the sync task would deliver them,
//! with a fixed clock; snapshots at 80x24 and 160x48.

use chrono::{DateTime, Duration, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use warroom::catalog;
use warroom::incident::state::TimelineEntry;
use warroom::incident::{Actor, Command, EntryKind, Role, Runbooks, Severity, State, decide};
use warroom::net::{ConnectionState, SyncEvent};
use warroom::protocol::Identity;
use warroom::tui::app::{App, Effect, Msg};
use warroom::tui::layout::Layout;
use warroom::tui::modal::Modal;
use warroom::tui::panes::Read;
use warroom::tui::theme::Theme;
use warroom::tui::view;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 5, 0, 0).unwrap()
}

/// Entries the window keeps in these tests (the rest are "out of memory").
const KEPT: usize = 30;

/// Note `n`'s text: every tenth mentions the disk.
fn text(n: usize) -> String {
    if n % 10 == 4 {
        format!("note {n}: disk pressure on db-{n}")
    } else {
        format!("note {n}: queue depth flat")
    }
}

/// An incident declared at 02:00 with 59 notes a minute apart, windowed as the hub
/// would hand it over: the newest `KEPT` entries in memory, the older ones returned.
fn incident(runbooks: &Runbooks) -> (State, Vec<TimelineEntry>) {
    let alice = Actor::new("alice", [Role::Commander]);
    let start = Utc.with_ymd_and_hms(2026, 11, 22, 2, 0, 0).unwrap();
    let mut state = State::default();
    let run = |state: &mut State, minute: i64, command: Command| {
        let at = start + Duration::minutes(minute);
        for event in decide(state, &alice, &command, at, runbooks, None).unwrap() {
            state.apply(&event);
        }
    };
    let declare = Command::Declare {
        id: "INC-7".into(),
        title: "Checkout latency".into(),
        severity: Severity::Sev2,
        playbook: None,
        summary: None,
    };
    run(&mut state, 0, declare);
    for n in 1..60 {
        let note = Command::AddNote {
            kind: EntryKind::Note,
            text: text(n),
            typed_at: None,
        };
        run(&mut state, n as i64, note);
    }
    let out = state.timeline.len() - KEPT;
    let older: Vec<TimelineEntry> = state.timeline.drain(..out).collect();
    state.timeline_dropped = out as u64;
    (state, older)
}

fn app() -> (App, Vec<TimelineEntry>) {
    let runbooks = Arc::new(catalog::embedded().unwrap());
    let (state, older) = incident(&runbooks);
    let me = Identity {
        name: "alice".into(),
        roles: [Role::Commander].into_iter().collect(),
    };
    let theme = Theme::built_in("default").unwrap();
    let layout = Layout::built_in("scribe").unwrap();
    let mut app = App::new(runbooks, theme, layout, me, now()).with_events(&[]);
    app.update(Msg::Sync(SyncEvent::Snapshot(Box::new(state))));
    app.update(key('1'));
    (app, older)
}

fn screen(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    app.update(Msg::Resize(width, height));
    terminal.draw(|frame| view::render(app, frame)).unwrap();
    terminal.backend().to_string()
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// The one read among `effects`.
fn the_read(effects: Vec<Effect>) -> Read {
    match &effects[..] {
        [Effect::Read(read)] => read.clone(),
        other => panic!("expected one read, got {other:?}"),
    }
}

#[test]
fn reaching_the_top_loads_the_page_before_it_once_and_shows_it_above() {
    for (width, height) in [(80, 24), (160, 48)] {
        let (mut app, older) = app();
        let first_kept = app.state.first_kept_seq().unwrap();
        assert!(app.state.timeline_dropped > 0);
        let total = app.state.timeline_len().to_string();
        let read = the_read(app.update(key('g')));
        assert_eq!(
            read,
            Read::Page {
                before_seq: first_kept,
                limit: 200
            }
        );
        // Never the same page twice at once, however often g or ↑ is pressed.
        assert!(app.update(key('g')).is_empty());
        assert!(app.update(key('k')).is_empty());
        let loading = screen(&mut app, width, height);
        assert!(loading.contains("loading older entries…"), "{loading}");
        assert!(
            loading.contains(&total),
            "the title counts every entry:\n{loading}"
        );

        app.asked("page-1", &read);
        // An answer to something else changes nothing.
        app.update(Msg::Sync(SyncEvent::Page {
            id: "stray".into(),
            entries: older[..3].to_vec(),
            older: false,
        }));
        assert!(screen(&mut app, width, height).contains("loading older entries…"));
        app.update(Msg::Sync(SyncEvent::Page {
            id: "page-1".into(),
            entries: older.clone(),
            older: false,
        }));
        let arrived = screen(&mut app, width, height);
        assert!(!arrived.contains("loading older"), "{arrived}");
        // The selection stayed on its entry; moving up walks into the page.
        assert!(arrived.contains(&text(30)), "{arrived}");
        app.update(code(KeyCode::PageUp));
        let above = screen(&mut app, width, height);
        let (newest_older, first_window) = (text(29), text(30));
        let row = |needle: &str| above.lines().position(|l| l.contains(needle));
        assert!(
            row(&newest_older) < row(&first_window) && row(&newest_older).is_some(),
            "older entries are shown above the window:\n{above}"
        );
        // The hub said there is nothing older: the top asks no more.
        assert!(app.update(key('g')).is_empty());
        let top = screen(&mut app, width, height);
        assert!(top.contains(&text(1)), "{top}");
        insta::assert_snapshot!(
            format!("paging_{width}x{height}"),
            format!("{loading}\n{above}\n{top}")
        );
    }
}

#[test]
fn a_search_shows_older_matches_from_the_hub_after_the_ones_in_memory() {
    for (width, height) in [(80, 24), (160, 48)] {
        let (mut app, older) = app();
        let first_kept = app.state.first_kept_seq().unwrap();
        app.update(key('/'));
        for c in "disk".chars() {
            app.update(key(c));
        }
        let read = the_read(app.update(code(KeyCode::Enter)));
        assert_eq!(
            read,
            Read::Search {
                query: "disk".into(),
                before_seq: first_kept
            }
        );
        let searching = screen(&mut app, width, height);
        assert!(searching.contains("searching older entries"), "{searching}");
        app.asked("search-1", &read);
        // The hub's matches, newest first, and where it stopped.
        let mut matches: Vec<TimelineEntry> = older
            .iter()
            .filter(|e| e.text.contains("disk"))
            .cloned()
            .collect();
        matches.reverse();
        let stopped_at = matches.last().unwrap().seq;
        app.update(Msg::Sync(SyncEvent::Found {
            id: "search-1".into(),
            query: "disk".into(),
            entries: matches.clone(),
            searched_to: stopped_at,
        }));
        let found = screen(&mut app, width, height);
        let row = |needle: &str| found.lines().position(|l| l.contains(needle));
        let (local, hub) = (row(&text(54)).unwrap(), row(&text(24)).unwrap());
        assert!(
            local < hub,
            "older matches come after the ones in memory:\n{found}"
        );
        assert!(
            found.contains(&format!("#{} 2026-11-22", matches[0].seq)),
            "older matches show their seq and date:\n{found}"
        );
        let more = format!("searched back to #{stopped_at} — press N for more");
        assert!(found.contains(&more), "{found}");
        assert!(!found.contains(&text(23)), "only matches:\n{found}");
        insta::assert_snapshot!(format!("search_{width}x{height}"), found);

        // N goes on from where the hub stopped.
        let next = the_read(app.update(key('N')));
        assert_eq!(
            next,
            Read::Search {
                query: "disk".into(),
                before_seq: stopped_at
            }
        );
        app.asked("search-2", &next);
        app.update(Msg::Sync(SyncEvent::Found {
            id: "search-2".into(),
            query: "disk".into(),
            entries: Vec::new(),
            searched_to: 0,
        }));
        let done = screen(&mut app, width, height);
        assert!(done.contains("searched the whole timeline"), "{done}");
        // Enter on an older match (the last, under the cursor while following) opens
        // it like any entry.
        app.update(key('G'));
        app.update(code(KeyCode::Enter));
        match &app.modal {
            Some(Modal::Detail { detail, .. }) => {
                let oldest = matches.last().unwrap();
                assert_eq!(detail.title, format!("Entry #{} — note", oldest.seq));
                assert!(detail.lines.contains(&oldest.text), "{detail:?}");
            }
            _ => panic!("Enter opens the entry"),
        }
    }
}

#[test]
fn filters_apply_to_pages_and_a_moved_window_drops_them() {
    let (mut app, older) = app();
    let read = the_read(app.update(key('g')));
    app.asked("p", &read);
    app.update(Msg::Sync(SyncEvent::Page {
        id: "p".into(),
        entries: older.clone(),
        older: false,
    }));
    // Only decisions: none in the page nor in the window.
    app.update(key('f'));
    app.update(key('f'));
    let filtered = screen(&mut app, 160, 48);
    assert!(filtered.contains("nothing matches"), "{filtered}");
    app.update(code(KeyCode::Esc));
    app.update(key('g'));
    let paged = screen(&mut app, 160, 48);
    assert!(paged.contains(&text(1)), "{paged}");
    // The window moves (entries left memory): the pages no longer join it and go,
    // and the top asks for the page before the new window.
    let mut moved = app.state.clone();
    moved.timeline.drain(..5);
    moved.timeline_dropped += 5;
    let first_kept = moved.first_kept_seq().unwrap();
    app.update(Msg::Sync(SyncEvent::Snapshot(Box::new(moved))));
    let after = screen(&mut app, 160, 48);
    assert!(!after.contains(&text(1)), "{after}");
    assert!(after.contains(&text(59)), "{after}");
    assert_eq!(
        the_read(app.update(key('g'))),
        Read::Page {
            before_seq: first_kept,
            limit: 200
        }
    );
    // A dropped link never answers: the top may ask again once it is back.
    app.update(Msg::Sync(SyncEvent::State(ConnectionState::Reconnecting {
        attempt: 1,
        pending: 0,
        reason: "refused".into(),
    })));
    app.update(Msg::Sync(SyncEvent::State(ConnectionState::Live)));
    assert!(matches!(&app.update(key('g'))[..], [Effect::Read(_)]));
}
