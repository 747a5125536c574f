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
use warroom::incident::{Command, EntryKind, Event, Role, Severity, Status};
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
    // From SEV1, SEV2 is lower: it asks for a reason first (see the guard's tests).
    app.update(key(':'));
    type_text(&mut app, "severity sev2");
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    type_text(&mut app, "contained");
    let effects = app.update(code(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::Send(Command::SetSeverity {
            severity: Severity::Sev2,
            reason: Some("contained".into())
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

/// Runs the palette entry whose label holds every word of `query`.
fn palette(app: &mut App, query: &str) -> Vec<Effect> {
    app.update(key(':'));
    type_text(app, query);
    app.update(code(KeyCode::Enter))
}

/// The demo is a SEV1 with open items, tenants still hit and a down service: resolving
/// from the palette opens the guard, which lists them and sends nothing until a
/// one-line summary is typed; the summary becomes the command's reason.
#[test]
fn resolving_lists_what_is_open_and_needs_a_one_line_summary() {
    let mut app = app("commander", &[Role::Commander]);
    assert!(
        palette(&mut app, "set status resolved").is_empty(),
        "resolving waits for the guard"
    );
    let text = screen(&mut app, 100, 40);
    assert!(text.contains("Resolve INC-DEMO-1?"), "{text}");
    assert!(text.contains("Still open:"), "{text}");
    assert!(text.contains("open checklist items"), "{text}");
    assert!(
        text.contains("tenant acme still isolated in eu-west-1"),
        "{text}"
    );
    assert!(text.contains("service export-api still down"), "{text}");
    assert!(text.contains("Enter: resolve · Esc: cancel"), "{text}");
    insta::assert_snapshot!(text);
    // Enter with nothing typed (or only spaces) resolves nothing and says why.
    type_text(&mut app, "  ");
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    let text = screen(&mut app, 100, 40);
    assert!(text.contains("A summary is required"), "{text}");
    // Arrows scroll the list, letters are typed: `j` is text here, not a scroll key.
    type_text(&mut app, "rolled back; all tenants verified");
    let effects = app.update(code(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::Send(Command::SetStatus {
            status: Status::Resolved,
            reason: Some("rolled back; all tenants verified".into()),
        })]
    );
    assert!(app.modal.is_none());
}

#[test]
fn lowering_severity_is_guarded_raising_and_other_statuses_are_not() {
    let mut app = app("commander", &[Role::Commander]);
    assert!(palette(&mut app, "set severity sev3").is_empty());
    let text = screen(&mut app, 100, 40);
    assert!(text.contains("Lower severity SEV1 → SEV3?"), "{text}");
    assert!(text.contains("Reason:"), "{text}");
    // Esc cancels: nothing sent, the dialog gone.
    assert!(app.update(code(KeyCode::Esc)).is_empty());
    assert!(app.modal.is_none());
    assert_eq!(
        palette(&mut app, "set status monitoring"),
        vec![Effect::Send(Command::SetStatus {
            status: Status::Monitoring,
            reason: None,
        })]
    );
    // At SEV3, SEV2 is a raise: sent at once.
    let rb = catalog::embedded().unwrap();
    let alice = warroom::incident::Actor::new("alice", [Role::Commander]);
    let lowered = warroom::incident::decide(
        &app.state,
        &alice,
        &Command::SetSeverity {
            severity: Severity::Sev3,
            reason: Some("contained".into()),
        },
        now(),
        &rb,
        None,
    )
    .unwrap();
    app.update(Msg::Sync(SyncEvent::Event(lowered[0].clone())));
    assert_eq!(
        palette(&mut app, "set severity sev2"),
        vec![Effect::Send(Command::SetSeverity {
            severity: Severity::Sev2,
            reason: None,
        })]
    );
}

/// A note sent while the link is down shows at the timeline's foot, marked pending;
/// the hub's acknowledgement keeps it until its event arrives, which replaces it. A
/// refused note goes with the toast.
#[test]
fn pending_notes_sit_at_the_timeline_foot_until_their_entry_arrives() {
    let mut app = app("scribe", &[Role::Scribe]);
    app.update(Msg::Sync(SyncEvent::State(ConnectionState::Reconnecting {
        attempt: 3,
        pending: 2,
        reason: "refused: nothing listens there (is the hub running?)".into(),
    })));
    let note = |text: &str| Command::AddNote {
        kind: EntryKind::Note,
        text: text.into(),
        typed_at: None,
    };
    app.sent("n1".into(), &note("failover done in eu-west-1"));
    app.sent("n2".into(), &note("refused one"));
    let text = screen(&mut app, 160, 48);
    let row = |text: &str, needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in\n{text}"))
    };
    let first = row(&text, "[pending] failover done in eu-west-1");
    let second = row(&text, "[pending] refused one");
    let newest_entry = row(&text, "Rollback complete in eu-west-1");
    assert!(
        newest_entry < first && first < second,
        "pending notes follow the entries, in sending order:\n{text}"
    );
    assert!(
        text.contains("05:00:00 alice"),
        "stamped when typed:\n{text}"
    );
    insta::assert_snapshot!(text);

    // Acknowledged: still shown until the event itself is applied.
    let seq = app.state.seq + 1;
    app.update(Msg::Sync(SyncEvent::Acked {
        id: "n1".into(),
        seq,
    }));
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("[pending] failover done"), "{text}");
    let rb = catalog::embedded().unwrap();
    let alice = warroom::incident::Actor::new("alice", [Role::Scribe]);
    let events = warroom::incident::decide(
        &app.state,
        &alice,
        &note("failover done in eu-west-1"),
        now(),
        &rb,
        None,
    )
    .unwrap();
    app.update(Msg::Sync(SyncEvent::Event(events[0].clone())));
    let text = screen(&mut app, 160, 48);
    assert!(!text.contains("[pending] failover done"), "{text}");
    assert_eq!(
        text.matches("failover done in eu-west-1").count(),
        1,
        "the real entry replaced it:\n{text}"
    );
    app.update(Msg::Sync(SyncEvent::Rejected {
        id: "n2".into(),
        code: RejectReason::Invalid,
        message: "no".into(),
    }));
    let text = screen(&mut app, 160, 48);
    assert!(!text.contains("[pending]"), "{text}");
    assert!(app.pending.is_empty());
}

/// While the link is down the header says why, on a line of its own, cut with `…`
/// when it does not fit.
#[test]
fn the_header_says_why_the_link_is_down() {
    let mut app = app("commander", &[Role::Commander]);
    let reason = "refused: nothing listens there (is the hub running?)";
    app.update(Msg::Sync(SyncEvent::State(ConnectionState::Reconnecting {
        attempt: 4,
        pending: 1,
        reason: reason.into(),
    })));
    let text = screen(&mut app, 160, 48);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("◌ reconnecting #4, 1 pending"), "{text}");
    assert!(lines[1].contains(&format!("link down: {reason}")), "{text}");
    let narrow = screen(&mut app, 40, 24);
    let why = narrow.lines().nth(1).unwrap_or("");
    assert!(
        why.contains("link down: refused: nothing listens") && why.ends_with("…\""),
        "{narrow}"
    );
    app.update(Msg::Sync(SyncEvent::State(ConnectionState::Offline {
        pending: 0,
        reason: "the hub closed the connection: token revoked".into(),
    })));
    let text = screen(&mut app, 80, 24);
    let head: Vec<&str> = text.lines().take(5).collect();
    assert!(
        head[1].contains("link down: the hub closed the connection: token revoked"),
        "{text}"
    );
    insta::assert_snapshot!(head.join("\n"));
    // Live again: the line goes.
    app.update(Msg::Sync(SyncEvent::State(ConnectionState::Live)));
    let text = screen(&mut app, 80, 24);
    assert!(!text.contains("link down"), "{text}");
}

/// Assigning a seat offers who is here and who has taken part, and still takes any
/// typed name.
#[test]
fn assigning_a_seat_offers_people_and_takes_a_typed_name() {
    let mut app = app("commander", &[Role::Commander]);
    app.here = vec!["alice".into(), "erin".into()];
    assert!(palette(&mut app, "assign ops").is_empty());
    let text = screen(&mut app, 100, 40);
    for name in [
        "alice — here now",
        "erin — here now",
        "bob — scribe",
        "carol — comms",
        "dana — security",
        "type another name",
    ] {
        assert!(text.contains(name), "no {name:?}:\n{text}");
    }
    insta::assert_snapshot!(text);
    type_text(&mut app, "dan");
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        vec![Effect::Send(Command::AssignRole {
            role: Role::Ops,
            person: "dana".into(),
        })]
    );
    palette(&mut app, "assign ops");
    type_text(&mut app, "zed");
    let text = screen(&mut app, 100, 40);
    assert!(text.contains("Enter takes “zed”"), "{text}");
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        vec![Effect::Send(Command::AssignRole {
            role: Role::Ops,
            person: "zed".into(),
        })]
    );
    // "type another name" opens a free-text prompt.
    palette(&mut app, "assign ops");
    type_text(&mut app, "another");
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    type_text(&mut app, "frank");
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        vec![Effect::Send(Command::AssignRole {
            role: Role::Ops,
            person: "frank".into(),
        })]
    );
}

/// The help's last section describes the dialogs' keys as they are: the resolve guard
/// and the seat picker's free text.
#[test]
fn help_ends_with_the_keys_of_dialogs_and_pickers() {
    let mut app = app("commander", &[Role::Commander]);
    app.update(key('?'));
    app.update(code(KeyCode::End));
    let text = screen(&mut app, 100, 40);
    assert!(text.contains("In dialogs and pickers"), "{text}");
    assert!(text.contains("resolving or lowering severity"), "{text}");
    assert!(text.contains("Enter on a name nobody"), "{text}");
}

/// After resolve, the header says what the post-mortem will measure: time to detect,
/// acknowledge, mitigate and resolve, and whether the response deadline was met.
#[test]
fn the_header_shows_the_response_metrics_once_resolved() {
    use warroom::incident::times::TimeKind;
    let runbooks = catalog::embedded().unwrap();
    let mut events = demo_events();
    let mut state = warroom::incident::State::replay(&events);
    let alice = warroom::incident::Actor::new("alice", [Role::Commander]);
    let start = now() - chrono::Duration::minutes(38);
    let commands = [
        Command::SetTime {
            which: TimeKind::ImpactStart,
            time: start - chrono::Duration::minutes(12),
        },
        Command::SetTime {
            which: TimeKind::Detected,
            time: start - chrono::Duration::minutes(3),
        },
        Command::SetStatus {
            status: Status::Resolved,
            reason: Some("fixed".into()),
        },
    ];
    for command in commands {
        let new = warroom::incident::decide(&state, &alice, &command, now(), &runbooks, None)
            .unwrap_or_else(|r| panic!("{}", r.message));
        for e in &new {
            state.apply(e);
        }
        events.extend(new);
    }
    let mut app = app("commander", &[Role::Commander]).with_events(&events);
    let wide = screen(&mut app, 160, 48);
    let header: Vec<&str> = wide.lines().take(5).collect();
    assert!(
        header.iter().any(|l| l.contains("TTD 9m 00s · TTA 3m 00s")),
        "{}",
        header.join("\n")
    );
    insta::assert_snapshot!("resolved_header_160x48", header.join("\n"));
    let narrow = screen(&mut app, 80, 24);
    insta::assert_snapshot!(
        "resolved_header_80x24",
        narrow.lines().take(5).collect::<Vec<_>>().join("\n")
    );
}

/// An idle console redraws when what its clocks show changes: once a minute when no
/// duration on screen is under a minute (an SSH door full of idle consoles stays idle).
#[test]
fn an_idle_console_redraws_once_a_minute_not_every_second() {
    let mut app = app("commander", &[Role::Commander]);
    screen(&mut app, 160, 48);
    let mut redraws = 0;
    // Two minutes of one-second ticks, from a moment no clock of the demo is near.
    let from = now() + chrono::Duration::seconds(20);
    app.dirty = false;
    for second in 0..120 {
        app.update(Msg::Tick(from + chrono::Duration::seconds(second)));
        if std::mem::take(&mut app.dirty) {
            redraws += 1;
        }
    }
    assert!(redraws <= 3, "{redraws} redraws in two idle minutes");
    assert!(redraws >= 2, "each new minute redraws ({redraws})");
}

/// Creating a follow-up from the palette: its one-line form at both sizes.
#[test]
fn the_follow_up_prompt_at_80x24_and_160x48() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = app("commander", &[Role::Commander]);
        screen(&mut app, w, h);
        app.update(key(':'));
        for c in "follow-up".chars() {
            app.update(key(c));
        }
        app.update(code(KeyCode::Enter));
        for c in "bob +7d P1 add a canary".chars() {
            app.update(key(c));
        }
        let shown = screen(&mut app, w, h);
        assert!(shown.contains("OWNER DUE [P1-P4] TEXT"), "{shown}");
        insta::assert_snapshot!(format!("follow_up_prompt_{w}x{h}"), shown);
    }
}

#[test]
fn the_header_names_the_hub_in_use_only_when_there_are_several() {
    let mut app = app("commander", &[Role::Commander]);
    app.update(Msg::Sync(SyncEvent::Hub("http://10.0.0.7:7420".into())));
    app.update(Msg::Sync(SyncEvent::State(ConnectionState::Live)));
    app.hub_label = "http://10.0.0.7:7420".into();
    let text = screen(&mut app, 160, 48);
    assert!(
        text.contains("● live") && !text.contains("10.0.0.7"),
        "{text}"
    );
    app.hub_label = "http://10.0.0.6:7420,http://10.0.0.7:7420".into();
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("● live · 10.0.0.7:7420"), "{text}");
}
