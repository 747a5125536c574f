//! The console without a terminal: `TestBackend` + insta snapshots with a fixed clock
//! and the demo incident (every layout at every size is in `console_layout.rs`), and
//! headless tests that feed keys and hub events to `App::update` and assert on effects,
//! state and screen.

use chrono::{DateTime, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use warroom::catalog;
use warroom::incident::{Command, EntryKind, Event, Role, Severity};
use warroom::net::{ConnectionState, SyncEvent};
use warroom::protocol::{Identity, RejectReason};
use warroom::tui::app::{App, Effect, Msg};
use warroom::tui::layout::Layout;
use warroom::tui::theme::Theme;
use warroom::tui::view;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 5, 0, 0).unwrap()
}

fn demo_events() -> Vec<Event> {
    warroom::demo::events(&catalog::embedded().unwrap(), now())
}

fn app(layout: &str, roles: &[Role]) -> App {
    let runbooks = Arc::new(catalog::embedded().unwrap());
    let me = Identity {
        name: "alice".into(),
        roles: roles.iter().copied().collect(),
    };
    let mut app = App::new(
        runbooks,
        Theme::built_in("default").unwrap(),
        Layout::built_in(layout).unwrap(),
        me,
        now(),
    )
    .with_events(&demo_events());
    app.here = vec!["alice".into(), "bob".into()];
    app
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

fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| app.update(key(c))).collect()
}

#[test]
fn compact_layout_80x24_each_pane() {
    let mut app = app("commander", &[Role::Commander]);
    let mut all = String::new();
    for pane in ['1', '2', '3', '4', '5'] {
        app.update(key(pane));
        all.push_str(&screen(&mut app, 80, 24));
        all.push('\n');
    }
    insta::assert_snapshot!(all);
}

#[test]
fn help_overlay_is_generated_from_the_keymap() {
    let mut app = app("commander", &[Role::Commander]);
    app.update(key('?'));
    let text = screen(&mut app, 100, 40);
    assert!(
        text.contains("Everywhere") && text.contains("write a note"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn typing_a_note_sends_it_and_keeps_the_editor_open() {
    let mut app = app("scribe", &[Role::Scribe]);
    app.update(key('n'));
    assert!(
        type_text(&mut app, "db failover done").is_empty(),
        "nothing is sent while typing"
    );
    let effects = app.update(code(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::Send(Command::AddNote {
            kind: EntryKind::Note,
            text: "db failover done".into(),
            typed_at: None,
        })]
    );
    // The editor stays open for the next note; Tab switches the kind.
    app.update(code(KeyCode::Tab));
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("new decision"), "{text}");
    type_text(&mut app, "roll back");
    let effects = app.update(code(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::Send(Command::AddNote {
            kind: EntryKind::Decision,
            text: "roll back".into(),
            typed_at: None,
        })]
    );
    // A decision is deliberate: the next entry is a note again.
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("new note"), "{text}");
}

#[test]
fn quitting_with_an_unsent_note_asks_first() {
    let mut app = app("scribe", &[Role::Scribe]);
    app.update(key('n'));
    type_text(&mut app, "half a thought");
    app.update(code(KeyCode::Esc));
    assert!(app.update(key('q')).is_empty(), "quit must ask");
    let text = screen(&mut app, 100, 30);
    assert!(
        text.contains("Unsent work") && text.contains("half a thought"),
        "{text}"
    );
    assert!(app.update(key('n')).is_empty(), "n stays");
    // The draft survived closing the editor and comes back when it reopens.
    app.update(key('n'));
    let effects = app.update(code(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::Send(Command::AddNote {
            kind: EntryKind::Note,
            text: "half a thought".into(),
            typed_at: None,
        })]
    );
    app.update(code(KeyCode::Esc));
    assert_eq!(app.update(key('q')), vec![Effect::Quit]);
}

#[test]
fn the_palette_runs_commands_by_name() {
    let mut app = app("commander", &[Role::Commander]);
    app.update(key(':'));
    type_text(&mut app, "status monitoring");
    let effects = app.update(code(KeyCode::Enter));
    assert!(
        matches!(
            &effects[..],
            [Effect::Send(Command::SetStatus {
                status: warroom::incident::Status::Monitoring,
                ..
            })]
        ),
        "{effects:?}"
    );
    app.update(key(':'));
    type_text(&mut app, "severity sev2");
    let effects = app.update(code(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::Send(Command::SetSeverity {
            severity: Severity::Sev2,
            reason: None
        })]
    );
}

#[test]
fn tab_and_digits_move_focus_through_the_layout() {
    let mut app = app("commander", &[Role::Commander]);
    screen(&mut app, 160, 48);
    let order = app.visible_panes();
    assert_eq!(app.focus, order[0]);
    app.update(code(KeyCode::Tab));
    assert_eq!(app.focus, order[1]);
    app.update(code(KeyCode::BackTab));
    app.update(code(KeyCode::BackTab));
    assert_eq!(app.focus, *order.last().unwrap());
    // Digits name pane kinds, whatever the layout's order: 4 is comms.
    app.update(key('4'));
    assert_eq!(app.focus, warroom::tui::layout::PaneKind::Comms);
}

#[test]
fn hub_events_rejections_and_link_state_reach_the_screen() {
    let mut app = app("commander", &[Role::Commander]);
    let mut next = app.state.clone();
    let rb = catalog::embedded().unwrap();
    let bob = warroom::incident::Actor::new("bob", [Role::Scribe]);
    let events = warroom::incident::decide(
        &next,
        &bob,
        &Command::AddNote {
            kind: EntryKind::Note,
            text: "from bob".into(),
            typed_at: None,
        },
        now(),
        &rb,
        None,
    )
    .unwrap();
    next.apply(&events[0]);
    app.update(Msg::Sync(SyncEvent::Event(events[0].clone())));
    assert_eq!(app.state, next);
    app.sent("c1".into(), &Command::Acknowledge);
    app.update(Msg::Sync(SyncEvent::Rejected {
        id: "c1".into(),
        code: RejectReason::Unchanged,
        message: "already acknowledged".into(),
    }));
    assert!(app.pending.is_empty());
    app.update(Msg::Sync(SyncEvent::State(ConnectionState::Reconnecting {
        attempt: 2,
        pending: 1,
        reason: "gone".into(),
    })));
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("from bob"), "{text}");
    assert!(text.contains("already acknowledged"), "{text}");
    assert!(text.contains("reconnecting #2, 1 pending"), "{text}");
}

#[test]
fn monochrome_theme_draws_no_colour() {
    let runbooks = Arc::new(catalog::embedded().unwrap());
    let me = Identity {
        name: "alice".into(),
        roles: [Role::Commander].into_iter().collect(),
    };
    let mut app = App::new(
        runbooks,
        Theme::select("default", None, true).unwrap(),
        Layout::built_in("commander").unwrap(),
        me,
        now(),
    )
    .with_events(&demo_events());
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    app.update(Msg::Resize(160, 48));
    terminal
        .draw(|frame| view::render(&mut app, frame))
        .unwrap();
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert!(
            matches!(cell.fg, ratatui::style::Color::Reset),
            "coloured cell {:?}",
            cell
        );
        assert!(
            matches!(cell.bg, ratatui::style::Color::Reset),
            "coloured cell {:?}",
            cell
        );
    }
}

/// A note full of characters that steer terminals or change widths: the screen holds
/// none of them and the timeline's right border stays in its column on every row.
#[test]
fn hostile_characters_in_a_note_never_reach_the_screen() {
    let mut app = app("commander", &[Role::Commander]);
    let rb = catalog::embedded().unwrap();
    let bob = warroom::incident::Actor::new("bob", [Role::Scribe]);
    let text = "zwj a\u{200d}b\u{200d}c 👩\u{200d}💻 bidi \u{202e}gnp.exe\u{202c} osc \u{1b}]0;t\u{7} c1 \u{9b}2J zw\u{200b}\u{feff}end";
    let events = warroom::incident::decide(
        &app.state,
        &bob,
        &Command::AddNote {
            kind: EntryKind::Note,
            text: text.into(),
            typed_at: None,
        },
        now(),
        &rb,
        None,
    )
    .unwrap();
    app.update(Msg::Sync(SyncEvent::Event(events[0].clone())));
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    app.update(Msg::Resize(160, 48));
    terminal
        .draw(|frame| view::render(&mut app, frame))
        .unwrap();
    let buffer = terminal.backend().buffer();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("zwj abc"), "the note is shown:\n{screen}");
    let dangerous: Vec<(u16, u16, String)> = buffer
        .content
        .iter()
        .enumerate()
        .filter(|(_, cell)| {
            cell.symbol()
                .chars()
                .any(warroom::incident::safe_text::is_dangerous)
        })
        .map(|(i, cell)| {
            let (x, y) = buffer.pos_of(i);
            (x, y, cell.symbol().escape_unicode().to_string())
        })
        .collect();
    assert!(dangerous.is_empty(), "on screen: {dangerous:?}");
    // Drawn as a terminal does (a wide symbol covers the cells after it), no row is
    // wider than the screen, so no border is pushed out.
    for y in 0..48 {
        let (mut x, mut width) = (0, 0);
        while x < 160 {
            let drawn = unicode_width::UnicodeWidthStr::width(buffer[(x, y)].symbol());
            width += drawn;
            x += u16::try_from(drawn.max(1)).unwrap();
        }
        assert!(width <= 160, "row {y} draws {width} columns");
    }
}
