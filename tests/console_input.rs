//! Typing into the console without a terminal: prompts that start empty or with their
//! text selected, compose keys that mean the same in every pane of every layout (a
//! property test), bracketed pastes that land as text, the timeline's detail view,
//! help that stops at its end, checklist details, and a palette that follows your
//! roles. Everything goes through `App::update` with a fixed clock.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::{Arc, LazyLock};
use warroom::catalog;
use warroom::incident::action::ActionSpec;
use warroom::incident::{Actor, CellState, Command, EntryKind, Event, Role, Runbooks, decide};
use warroom::net::SyncEvent;
use warroom::protocol::Identity;
use warroom::tui::app::{App, Effect, Msg};
use warroom::tui::layout::{self, Layout, PaneKind};
use warroom::tui::modal::Modal;
use warroom::tui::theme::Theme;
use warroom::tui::view;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 5, 0, 0).unwrap()
}

static RUNBOOKS: LazyLock<Arc<Runbooks>> = LazyLock::new(|| Arc::new(catalog::embedded().unwrap()));
static DEMO: LazyLock<Vec<Event>> = LazyLock::new(|| warroom::demo::events(&RUNBOOKS, now()));

fn app(layout: &str, roles: &[Role]) -> App {
    app_as("alice", layout, roles)
}

/// The demo as `name` (alice holds the commander's seat in it).
fn app_as(name: &str, layout: &str, roles: &[Role]) -> App {
    let me = Identity {
        name: name.into(),
        roles: roles.iter().copied().collect(),
    };
    let theme = Theme::built_in("default").unwrap();
    let layout = Layout::built_in(layout).unwrap();
    App::new(RUNBOOKS.clone(), theme, layout, me, now()).with_events(&DEMO)
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

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| app.update(key(c))).collect()
}

/// What the hub would do with `command` from alice, applied as its events arrive.
fn hub_applies(app: &mut App, command: &Command) {
    let alice = Actor::new("alice", [Role::Commander]);
    let events = decide(&app.state, &alice, command, now(), &RUNBOOKS, None).unwrap();
    for event in events {
        app.update(Msg::Sync(SyncEvent::Event(event)));
    }
}

fn prompt_text(app: &App) -> (String, bool) {
    match &app.modal {
        Some(Modal::Prompt { input, .. }) => (input.lines().join("\n"), input.is_selecting()),
        _ => panic!("no prompt open"),
    }
}

fn suspected(tenant: &str, region: &str) -> Vec<Effect> {
    vec![Effect::Send(Command::SetCell {
        tenant: tenant.into(),
        region: region.into(),
        state: CellState::Suspected,
    })]
}

// ---------------------------------------------------------------------------------
// 1. Prompts start empty, or prefilled and selected.
// ---------------------------------------------------------------------------------

#[test]
fn blast_prompts_start_empty_or_with_their_text_selected() {
    let mut app = app("commander", &[Role::Commander]);
    screen(&mut app, 160, 48);
    app.update(key('3'));
    assert_eq!(app.focus, PaneKind::Blast);

    app.update(key('t'));
    assert_eq!(prompt_text(&app), (String::new(), false), "starts empty");
    type_text(&mut app, "globex2");
    app.update(code(KeyCode::Enter));
    // The region prompt offers the cursor's region, selected: typing replaces it.
    assert_eq!(prompt_text(&app), ("eu-west-1".into(), true));
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("Region where globex2 is hit"), "{text}");
    type_text(&mut app, "us-west-2");
    let sent = app.update(code(KeyCode::Enter));
    assert_eq!(sent, suspected("globex2", "us-west-2"));
    let Effect::Send(command) = &sent[0] else {
        unreachable!()
    };
    hub_applies(&mut app, command);

    // The second tenant's prompts hold nothing of the first's.
    app.update(key('t'));
    assert_eq!(prompt_text(&app), (String::new(), false));
    type_text(&mut app, "initech2");
    app.update(code(KeyCode::Enter));
    let (offered, selected) = prompt_text(&app);
    assert!(selected && !offered.is_empty(), "{offered:?}");
    type_text(&mut app, "us-east-1");
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        suspected("initech2", "us-east-1")
    );

    // Enter alone accepts what is offered; an arrow keeps it to edit.
    app.update(key('t'));
    type_text(&mut app, "hooli2");
    app.update(code(KeyCode::Enter));
    let (offered, _) = prompt_text(&app);
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        suspected("hooli2", &offered)
    );
    app.update(key('t'));
    type_text(&mut app, "acme2");
    app.update(code(KeyCode::Enter));
    app.update(code(KeyCode::End));
    type_text(&mut app, "b");
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        suspected("acme2", &format!("{offered}b"))
    );
}

#[test]
fn search_offers_the_old_query_selected() {
    let mut app = app("scribe", &[Role::Scribe]);
    screen(&mut app, 160, 48);
    app.update(key('/'));
    assert_eq!(prompt_text(&app), (String::new(), false));
    type_text(&mut app, "rollback");
    app.update(code(KeyCode::Enter));
    assert_eq!(app.panes.timeline.search, "rollback");
    app.update(key('/'));
    assert_eq!(prompt_text(&app), ("rollback".into(), true));
    type_text(&mut app, "cache");
    app.update(code(KeyCode::Enter));
    assert_eq!(app.panes.timeline.search, "cache");
}

// ---------------------------------------------------------------------------------
// 2. Compose keys mean the same everywhere; typed text is never a command.
// ---------------------------------------------------------------------------------

fn compose_key() -> impl Strategy<Value = (char, EntryKind)> {
    prop_oneof![
        Just(('n', EntryKind::Note)),
        Just(('d', EntryKind::Decision)),
        Just(('a', EntryKind::Action)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// In every pane of every layout at 80x24 and 160x48, a compose key, any printable
    /// text and Enter send exactly one entry holding exactly that text (trimmed, as
    /// the composer sends it), and nothing else.
    #[test]
    fn compose_keys_work_from_every_pane_and_typed_text_is_never_a_command(
        layout in prop::sample::select(layout::BUILT_IN.map(|(name, _)| name).to_vec()),
        (width, height) in prop_oneof![Just((80u16, 24u16)), Just((160, 48))],
        pane in any::<prop::sample::Index>(),
        (compose, kind) in compose_key(),
        text in "[ -~éüß€日本語😀]{1,40}",
    ) {
        prop_assume!(!text.trim().is_empty());
        let mut app = app(layout, &[Role::Commander]);
        screen(&mut app, width, height);
        let panes = app.visible_panes();
        let target = pane.index(panes.len());
        // Digits name pane kinds, the same in every layout.
        let digit = char::from_digit(panes[target].number() as u32, 10).unwrap();
        prop_assert!(app.update(key(digit)).is_empty());
        prop_assert_eq!(app.focus, panes[target]);
        screen(&mut app, width, height);

        let mut effects = app.update(key(compose));
        effects.extend(type_text(&mut app, &text));
        screen(&mut app, width, height);
        effects.extend(app.update(code(KeyCode::Enter)));
        prop_assert_eq!(
            effects,
            vec![Effect::Send(Command::AddNote { kind, text: text.trim().to_string(), typed_at: None, })]
        );
        prop_assert!(app.modal.is_none(), "no dialog opened");
        prop_assert!(app.panes.timeline.composing(), "the composer stays open");
        // Esc closes it and gives focus back to the pane it was opened from.
        prop_assert!(app.update(code(KeyCode::Esc)).is_empty());
        prop_assert_eq!(app.focus, panes[target]);
    }
}

#[test]
fn in_the_compact_layout_the_composer_opens_over_the_pane_you_are_in() {
    let mut app = app("commander", &[Role::Commander]);
    screen(&mut app, 80, 24);
    app.update(key('3'));
    app.update(key('n'));
    type_text(&mut app, "same RLS leak as acme");
    let text = screen(&mut app, 80, 24);
    assert!(
        text.contains("3  Blast radius"),
        "still on the blast tab:\n{text}"
    );
    assert!(text.contains("new note — Enter sends"), "{text}");
    assert!(text.contains("same RLS leak as acme"), "{text}");
    assert!(text.contains("Enter send · Ctrl-J new line"), "{text}");
    assert_eq!(app.focus, PaneKind::Blast);
}

#[test]
fn in_a_side_by_side_layout_the_composer_focuses_the_timeline_and_gives_focus_back() {
    let mut app = app("commander", &[Role::Commander]);
    screen(&mut app, 160, 48);
    app.update(key('5'));
    assert_eq!(app.focus, PaneKind::Actions);
    app.update(key('a'));
    assert_eq!(app.focus, PaneKind::Timeline);
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("new action — Enter sends"), "{text}");
    app.update(code(KeyCode::Esc));
    assert_eq!(app.focus, PaneKind::Actions);
}

// ---------------------------------------------------------------------------------
// 3. Pastes, line breaks, editing keys, and the kind after a decision.
// ---------------------------------------------------------------------------------

#[test]
fn a_paste_lands_as_text_and_nothing_is_sent_until_enter() {
    let mut app = app("commander", &[Role::Commander]);
    screen(&mut app, 160, 48);
    app.update(key('3'));
    // No editor open: the paste opens the composer as a note, whatever pane you are in.
    let effects = app.update(Msg::Paste("line one\r\nline two\twith tab".into()));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(app.panes.timeline.composing());
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("new note — Enter sends"), "{text}");
    assert!(text.contains("line one"), "{text}");
    assert!(text.contains("line two    with tab"), "{text}");
    // A second paste adds to it; Tab, typed, still switches the kind.
    assert!(app.update(Msg::Paste("\tthird".into())).is_empty());
    app.update(code(KeyCode::Tab));
    let effects = app.update(code(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::Send(Command::AddNote {
            kind: EntryKind::Decision,
            text: "line one\nline two    with tab    third".into(),
            typed_at: None,
        })]
    );
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("new note — Enter sends"), "{text}");
}

#[test]
fn editing_keys_and_line_breaks_in_the_composer() {
    let mut app = app("scribe", &[Role::Scribe]);
    screen(&mut app, 160, 48);
    app.update(key('n'));
    type_text(&mut app, "rollback of the cache");
    app.update(ctrl('w'));
    type_text(&mut app, "deploy");
    app.update(code(KeyCode::Home));
    type_text(&mut app, "start ");
    app.update(code(KeyCode::End));
    app.update(ctrl('j'));
    type_text(&mut app, "typo here");
    app.update(ctrl('u'));
    app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT)));
    type_text(&mut app, "third line");
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        vec![Effect::Send(Command::AddNote {
            kind: EntryKind::Note,
            text: "start rollback of the deploy\n\nthird line".into(),
            typed_at: None,
        })]
    );
}

#[test]
fn a_long_draft_grows_the_composer_so_it_can_be_reread() {
    let mut app = app("scribe", &[Role::Scribe]);
    screen(&mut app, 100, 30);
    app.update(key('n'));
    let draft = "the export cache keys on the invoice id only so any tenant that asks \
                 for a recent id gets whatever was cached last and we have seen this \
                 for acme globex and umbrella since the release on friday night";
    type_text(&mut app, draft);
    let text = screen(&mut app, 100, 30);
    let words: Vec<&str> = draft.split(' ').collect();
    for word in [words[0], words[words.len() / 2], words[words.len() - 1]] {
        assert!(text.contains(word), "{word} is not on screen:\n{text}");
    }
}

#[test]
fn a_paste_into_a_prompt_is_one_line_and_into_the_comms_draft_keeps_its_lines() {
    let mut app = app("commander", &[Role::Commander]);
    screen(&mut app, 160, 48);
    app.update(key('3'));
    app.update(key('t'));
    assert!(app.update(Msg::Paste("initech3\n".into())).is_empty());
    assert_eq!(prompt_text(&app), ("initech3".into(), false));

    let mut app = self::app("comms", &[Role::Comms]);
    screen(&mut app, 160, 48);
    app.update(key('e'));
    let before = app.panes.timeline.composing();
    assert!(app.update(Msg::Paste("ETA\n30 min".into())).is_empty());
    assert_eq!(app.panes.timeline.composing(), before, "stays in the draft");
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("ETA") && text.contains("30 min"), "{text}");
}

// ---------------------------------------------------------------------------------
// 6. The timeline's detail view.
// ---------------------------------------------------------------------------------

#[test]
fn enter_on_the_timeline_shows_the_entry_in_full() {
    let mut app = app("scribe", &[Role::Scribe]);
    screen(&mut app, 100, 30);
    // The demo's published update is long and has line breaks.
    let comms = app
        .state
        .timeline
        .iter()
        .rposition(|e| e.kind == EntryKind::Comms)
        .unwrap();
    let up = app.state.timeline.len() - 1 - comms;
    (0..up).for_each(|_| drop(app.update(key('k'))));
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("Author:  carol"), "{text}");
    assert!(text.contains("Kind:    comms"), "{text}");
    assert!(text.contains("UTC"), "{text}");
    insta::assert_snapshot!(text);
    // Any other key closes it; correcting stays on `c`.
    app.update(code(KeyCode::Esc));
    assert!(app.modal.is_none());
}

// ---------------------------------------------------------------------------------
// 14. Help, checklist details, the palette.
// ---------------------------------------------------------------------------------

#[test]
fn help_shows_every_section_and_stops_at_its_end() {
    let mut app = app("commander", &[Role::Commander]);
    screen(&mut app, 80, 24);
    app.update(key('?'));
    let first = screen(&mut app, 80, 24);
    assert!(
        first.contains("Everywhere") && first.contains("↓ more"),
        "{first}"
    );
    (0..300).for_each(|_| drop(app.update(code(KeyCode::Down))));
    let end = screen(&mut app, 80, 24);
    assert!(end.contains("tabs as spaces"), "the last row shows:\n{end}");
    assert!(!end.contains("↓ more"), "{end}");
    // One key up moves at once: the scroll stopped at the end instead of running on.
    app.update(code(KeyCode::Up));
    let up = screen(&mut app, 80, 24);
    assert_ne!(up, end);
    assert!(up.contains("↓ more"), "{up}");
    for section in [
        "Timeline",
        "Checklist",
        "Blast radius",
        "Comms",
        "Actions",
        "While typing",
    ] {
        app.update(key('?'));
        let mut seen = false;
        for _ in 0..40 {
            seen |= screen(&mut app, 80, 24).contains(section);
            app.update(code(KeyCode::PageDown));
        }
        assert!(seen, "no {section} section");
        app.update(code(KeyCode::Esc));
    }
}

#[test]
fn enter_on_a_checklist_item_shows_it_and_space_ticks() {
    let mut app = app("commander", &[Role::Commander]);
    screen(&mut app, 160, 48);
    app.update(key('2'));
    (0..3).for_each(|_| drop(app.update(key('j'))));
    assert!(
        app.update(code(KeyCode::Enter)).is_empty(),
        "Enter never ticks"
    );
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("Checklist item 4"), "{text}");
    assert!(text.contains("Owner:") && text.contains("Due:"), "{text}");
    app.update(code(KeyCode::Esc));
    let effects = app.update(key(' '));
    assert!(
        matches!(&effects[..], [Effect::Send(Command::Tick { .. })]),
        "{effects:?}"
    );
}

fn example_actions() -> Vec<ActionSpec> {
    #[derive(serde::Deserialize)]
    struct File {
        action: Vec<ActionSpec>,
    }
    let text = include_str!("../assets/actions.example.toml");
    toml::from_str::<File>(text).unwrap().action
}

fn palette_labels(app: &mut App, query: &str) -> Vec<String> {
    app.update(key(':'));
    type_text(app, query);
    let labels = match &app.modal {
        Some(Modal::Palette(palette)) => {
            palette.matches().iter().map(|e| e.label.clone()).collect()
        }
        _ => panic!("no palette"),
    };
    app.update(code(KeyCode::Esc));
    labels
}

#[test]
fn the_palette_follows_your_roles_and_finds_containment_actions_by_name() {
    let catalog = SyncEvent::Catalog {
        actions: example_actions(),
        channels: Vec::new(),
    };
    let mut ops = app("oncall", &[Role::Ops]);
    ops.update(Msg::Sync(catalog.clone()));
    let freeze = palette_labels(&mut ops, "freeze");
    assert!(
        freeze
            .iter()
            .any(|l| l.starts_with("Run action: Freeze deploys")),
        "{freeze:?}"
    );
    // Running it from the palette asks exactly as `r` on the actions pane does.
    ops.update(key(':'));
    type_text(&mut ops, "run action freeze");
    let effects = ops.update(code(KeyCode::Enter));
    assert!(
        effects.is_empty()
            && matches!(
                ops.modal,
                Some(Modal::Confirm { .. } | Modal::Prompt { .. })
            ),
        "{effects:?}"
    );

    let mut observer = app_as("olga", "commander", &[Role::Observer]);
    observer.update(Msg::Sync(catalog));
    for query in [
        "severity",
        "status",
        "freeze",
        "assign",
        "write a note",
        "mark",
    ] {
        let found = palette_labels(&mut observer, query);
        assert!(found.is_empty(), "an observer is offered {found:?}");
    }
    // Moving around is still offered.
    assert!(!palette_labels(&mut observer, "layout").is_empty());
}

#[test]
fn a_paste_never_acts_on_a_confirmation_or_a_detail() {
    let mut app = app("commander", &[Role::Commander]);
    screen(&mut app, 160, 48);
    app.update(code(KeyCode::Enter));
    assert!(matches!(app.modal, Some(Modal::Detail { .. })));
    assert!(app.update(Msg::Paste("y\n".into())).is_empty());
    assert!(matches!(app.modal, Some(Modal::Detail { .. })));
}

#[test]
fn a_pane_key_run_from_the_palette_acts_in_its_own_pane() {
    let mut app = app("commander", &[Role::Commander]);
    screen(&mut app, 160, 48);
    app.update(key(':'));
    type_text(&mut app, "checklist item in full");
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    assert_eq!(app.focus, PaneKind::Checklist);
    assert!(
        matches!(&app.modal, Some(Modal::Detail { detail, .. }) if detail.title.starts_with("Checklist item")),
        "the checklist's Enter, not the timeline's"
    );
}

#[test]
fn the_palette_sets_an_impact_time_typed_as_hh_mm_or_refuses_a_typo() {
    use warroom::incident::times::TimeKind;
    let mut app = app("commander", &[Role::Commander]);
    app.update(key(':'));
    type_text(&mut app, "impact start");
    let effects = app.update(code(KeyCode::Enter));
    assert!(effects.is_empty(), "asks when first: {effects:?}");
    type_text(&mut app, "04:10");
    let effects = app.update(code(KeyCode::Enter));
    let sent: Vec<&Command> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(command) => Some(command),
            _ => None,
        })
        .collect();
    let today = app.now.date_naive();
    assert_eq!(
        sent,
        [&Command::SetTime {
            which: TimeKind::ImpactStart,
            time: today.and_hms_opt(4, 10, 0).unwrap().and_utc(),
        }]
    );
    // A typo sends nothing and says why.
    app.update(key(':'));
    type_text(&mut app, "detected");
    app.update(code(KeyCode::Enter));
    type_text(&mut app, "4.10");
    let effects = app.update(code(KeyCode::Enter));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Send(_))),
        "{effects:?}"
    );
    assert!(
        app.toast.as_deref().is_some_and(|t| t.contains("HH:MM")),
        "{:?}",
        app.toast
    );
}

#[test]
fn the_palette_adds_a_follow_up_typed_on_one_line() {
    use warroom::incident::followup::Priority;
    let mut app = app("commander", &[Role::Commander]);
    app.update(key(':'));
    type_text(&mut app, "follow-up");
    app.update(code(KeyCode::Enter));
    type_text(&mut app, "bob +7d P1 add a canary for the export route");
    let effects = app.update(code(KeyCode::Enter));
    let due = app.now.date_naive() + chrono::Duration::days(7);
    let sent: Vec<&Command> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(command) => Some(command),
            _ => None,
        })
        .collect();
    assert_eq!(
        sent,
        [&Command::AddFollowup {
            text: "add a canary for the export route".into(),
            owner: "bob".into(),
            due,
            priority: Priority::P1,
            from: None,
        }]
    );
    app.update(key(':'));
    type_text(&mut app, "follow-up");
    app.update(code(KeyCode::Enter));
    type_text(&mut app, "bob soon fix it");
    let effects = app.update(code(KeyCode::Enter));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Send(_))));
    assert!(
        app.toast
            .as_deref()
            .is_some_and(|t| t.contains("not a date")),
        "{:?}",
        app.toast
    );
}
