//! The post-mortem view and follow-up creation in the console, headless: insta
//! snapshots (TestBackend, fixed clock, the demo incident) at 80x24 and 160x48, and
//! key tests — editing never leaks keys into commands, saving sends exactly one
//! `write_postmortem`, a reader without the permission is told why, someone else's
//! save never clobbers your text, and follow-ups come from the selected timeline entry
//! or checklist item with the right origin.

use chrono::{DateTime, Duration, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use warroom::catalog;
use warroom::incident::event::EventKind;
use warroom::incident::followup::{FollowupState, Origin, Priority};
use warroom::incident::template::Audience;
use warroom::incident::{Command, Event, Role, Status};
use warroom::net::SyncEvent;
use warroom::protocol::Identity;
use warroom::tui::app::{App, Effect, Msg};
use warroom::tui::layout::{Layout, PaneKind};
use warroom::tui::theme::Theme;
use warroom::tui::view;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 5, 0, 0).unwrap()
}

fn app_as(name: &str, roles: &[Role]) -> App {
    let runbooks = Arc::new(catalog::embedded().unwrap());
    let events = warroom::demo::events(&runbooks, now());
    let me = Identity {
        name: name.into(),
        roles: roles.iter().copied().collect(),
    };
    let mut app = App::new(
        runbooks,
        Theme::built_in("default").unwrap(),
        Layout::built_in("commander").unwrap(),
        me,
        now(),
    )
    .with_events(&events);
    app.here = vec!["alice".into(), "bob".into()];
    app
}

/// alice, the demo's commander.
fn app() -> App {
    app_as("alice", &[Role::Commander])
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

/// The next event of the incident, as the hub would send it.
fn event(app: &mut App, actor: &str, kind: EventKind) {
    let event = Event {
        seq: app.state.seq + 1,
        at: app.now,
        actor: actor.into(),
        command_id: None,
        kind,
    };
    app.update(Msg::Sync(SyncEvent::Event(event)));
}

fn written(app: &mut App, actor: &str, section: &str, text: &str) {
    let kind = EventKind::PostmortemWritten {
        section: section.into(),
        text: text.into(),
    };
    event(app, actor, kind);
}

fn followup(app: &mut App, text: &str, owner: &str, due_in_days: i64, priority: Priority) {
    let number = app.state.followups.len() as u32 + 1;
    let kind = EventKind::FollowupAdded {
        number,
        text: text.into(),
        owner: owner.into(),
        due: now().date_naive() + Duration::days(due_in_days),
        priority,
        from: None,
    };
    event(app, "alice", kind);
}

/// The demo incident resolved, with an internal resolution update published.
fn resolve(app: &mut App) {
    let from = app.state.status;
    let kind = EventKind::StatusChanged {
        from,
        to: Status::Resolved,
        reason: Some("exports fixed".into()),
    };
    event(app, "alice", kind);
    let text = "RESOLVED: INC | exports\n\
        Impact:    4 tenants saw other tenants' invoices for 38 minutes\n\
        Root cause (preliminary): the tenant filter was skipped on the CSV export path\n";
    let kind = EventKind::CommsPublished {
        template: "internal_resolution".into(),
        title: "Internal: resolution".into(),
        audience: Audience::Internal,
        channels: vec![],
        text: text.into(),
    };
    event(app, "carol", kind);
}

fn sent(effects: &[Effect]) -> Vec<&Command> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(command) => Some(command),
            _ => None,
        })
        .collect()
}

/// An incident with some of its post-mortem written and follow-ups, one overdue.
fn written_up() -> App {
    let mut app = app();
    resolve(&mut app);
    written(
        &mut app,
        "bob",
        "summary",
        "Exports showed other tenants' invoices for 38 minutes.\n\nThe export path skipped the tenant filter after a cache change; we disabled CSV exports, fixed the filter and re-enabled them.",
    );
    written(
        &mut app,
        "carol",
        "went_well",
        "- the page reached on-call in 2 minutes",
    );
    followup(
        &mut app,
        "add a tenant filter test to the export path",
        "bob",
        7,
        Priority::P1,
    );
    followup(
        &mut app,
        "alert on cross-tenant reads",
        "carol",
        3,
        Priority::P2,
    );
    app.now = now() + Duration::days(5);
    app
}

#[test]
fn the_post_mortem_view_at_80x24_and_160x48() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = written_up();
        screen(&mut app, w, h);
        app.update(key('M'));
        let mut shown = screen(&mut app, w, h);
        assert!(shown.contains("Post-mortem"), "{shown}");
        assert!(shown.contains("2 of 9 sections written"), "{shown}");
        assert!(
            shown.contains("draft ready"),
            "impact has a draft:\n{shown}"
        );
        // The Remediations section lists the follow-ups, the overdue one marked.
        for _ in 0..7 {
            app.update(key('j'));
        }
        shown.push('\n');
        let remediations = screen(&mut app, w, h);
        assert!(remediations.contains("OVERDUE"), "{remediations}");
        shown.push_str(&remediations);
        // An unwritten section with a draft opens on it, marked as a draft.
        app.update(key('g'));
        app.update(key('j'));
        app.update(code(KeyCode::Enter));
        shown.push('\n');
        let editing = screen(&mut app, w, h);
        assert!(editing.contains("Impact · DRAFT, not saved"), "{editing}");
        assert!(editing.contains("4 tenants saw other tenants"), "{editing}");
        shown.push_str(&editing);
        insta::assert_snapshot!(format!("postmortem_view_{w}x{h}"), shown);
    }
}

#[test]
fn the_follow_up_form_at_80x24_and_160x48() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut app = app();
        screen(&mut app, w, h);
        app.update(key('2'));
        app.update(key('F'));
        let mut shown = screen(&mut app, w, h);
        assert!(
            shown.contains("New follow-up — from checklist item"),
            "{shown}"
        );
        // A due date in the past is refused on the form, which stays open.
        app.update(code(KeyCode::Tab));
        app.update(code(KeyCode::Tab));
        type_text(&mut app, "2026-11-01");
        assert!(sent(&app.update(code(KeyCode::Enter))).is_empty());
        shown.push('\n');
        let refused = screen(&mut app, w, h);
        assert!(refused.contains("is in the past"), "{refused}");
        shown.push_str(&refused);
        insta::assert_snapshot!(format!("follow_up_form_{w}x{h}"), shown);
    }
}

#[test]
fn editing_a_section_never_turns_keys_into_commands_and_saves_once() {
    let mut app = app();
    screen(&mut app, 160, 48);
    app.update(key('M'));
    for _ in 0..3 {
        app.update(key('j'));
    }
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    // Every key that means something elsewhere is text here.
    let prose = "q: n d a M F x W O 1 2 ? L J G g j k / Tab";
    let mut effects = type_text(&mut app, prose);
    effects.extend(app.update(code(KeyCode::Enter)));
    effects.extend(type_text(&mut app, "second line"));
    effects.extend(app.update(code(KeyCode::Tab)));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(app.modal.is_none(), "no palette, help or form opened");
    assert!(!app.panes.timeline.composing(), "no note composer opened");
    let effects = app.update(ctrl('s'));
    assert_eq!(
        effects,
        vec![Effect::Send(Command::WritePostmortem {
            section: "root_cause".into(),
            text: format!("{prose}\nsecond line"),
        })],
        "Ctrl-S sends exactly one write_postmortem"
    );
    // Seen back from the hub: the editor closes and says so.
    written(
        &mut app,
        "alice",
        "root_cause",
        &format!("{prose}\nsecond line"),
    );
    let view = app.postmortem.as_ref().expect("the view stays open");
    assert!(view.editor.is_none());
    assert!(app.toast.as_deref().unwrap_or("").contains("saved"));
    // Esc leaves the view; q then quits (nothing unsent).
    app.update(code(KeyCode::Esc));
    assert!(app.postmortem.is_none());
    assert_eq!(app.update(key('q')), vec![Effect::Quit]);
}

#[test]
fn a_section_over_the_limit_is_refused_with_its_count() {
    let mut app = app();
    screen(&mut app, 160, 48);
    app.update(key('M'));
    app.update(code(KeyCode::Enter));
    let limit = warroom::incident::postmortem::SECTION_MAX_CHARS;
    app.update(Msg::Paste("x".repeat(limit + 1)));
    let shown = screen(&mut app, 160, 48);
    assert!(shown.contains(&format!("{}/{limit}", limit + 1)), "{shown}");
    assert!(sent(&app.update(ctrl('s'))).is_empty());
    let toast = app.toast.clone().unwrap_or_default();
    assert!(toast.contains("the limit is 16000"), "{toast}");
}

#[test]
fn without_the_permission_the_view_is_read_only_and_says_why() {
    let mut app = app_as("erin", &[Role::Responder]);
    screen(&mut app, 160, 48);
    app.update(key('M'));
    let shown = screen(&mut app, 160, 48);
    assert!(shown.contains("read-only"), "{shown}");
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    let toast = app.toast.clone().unwrap_or_default();
    assert!(
        toast.contains("read-only") && toast.contains("write the post-mortem's sections"),
        "{toast}"
    );
    assert!(app.postmortem.as_ref().unwrap().editor.is_none());
    // What was typed next is not text anywhere, and nothing is sent.
    let effects = type_text(&mut app, "hello");
    assert!(sent(&effects).is_empty(), "{effects:?}");
    assert!(sent(&app.update(ctrl('s'))).is_empty());
}

#[test]
fn someone_elses_save_while_you_edit_is_told_and_never_clobbers_your_text() {
    let mut app = app();
    screen(&mut app, 160, 48);
    app.update(key('M'));
    app.update(key('j'));
    app.update(code(KeyCode::Enter));
    app.update(ctrl('u'));
    type_text(&mut app, "my impact text");
    written(&mut app, "bob", "impact", "bob's impact text");
    let editor = app.postmortem.as_ref().unwrap().editor.as_ref().unwrap();
    assert_eq!(editor.text(), "my impact text");
    let toast = app.toast.clone().unwrap_or_default();
    assert!(toast.contains("bob just saved “Impact”"), "{toast}");
    let shown = screen(&mut app, 160, 48);
    assert!(shown.contains("bob saved this section at"), "{shown}");
    // Saving now writes yours over theirs, deliberately.
    assert_eq!(
        sent(&app.update(ctrl('s'))),
        [&Command::WritePostmortem {
            section: "impact".into(),
            text: "my impact text".into(),
        }]
    );
}

#[test]
fn esc_with_changes_asks_before_throwing_them_away() {
    let mut app = app();
    screen(&mut app, 160, 48);
    app.update(key('M'));
    app.update(key('j'));
    app.update(key('j'));
    app.update(code(KeyCode::Enter));
    type_text(&mut app, "paged by the export error alert");
    app.update(code(KeyCode::Esc));
    let shown = screen(&mut app, 160, 48);
    assert!(shown.contains("Throw away your changes?"), "{shown}");
    app.update(key('n'));
    let editor = app.postmortem.as_ref().unwrap().editor.as_ref();
    assert!(editor.is_some_and(|e| e.text().contains("paged by")));
    // Esc again and yes: thrown away, the view stays.
    app.update(code(KeyCode::Esc));
    app.update(key('y'));
    assert!(app.postmortem.as_ref().unwrap().editor.is_none());
    app.update(code(KeyCode::Enter));
    type_text(&mut app, "again");
    app.update(code(KeyCode::Esc));
    app.update(key('n'));
    app.update(code(KeyCode::Esc));
    app.update(key('n'));
    // Still editing: q is text; Ctrl-C asks to leave the editor, not the console.
    assert!(app.update(key('q')).is_empty());
}

#[test]
fn the_palette_opens_the_view_and_f_makes_follow_ups_with_their_origin() {
    let mut app = app();
    screen(&mut app, 160, 48);
    app.update(key(':'));
    type_text(&mut app, "post-mortem");
    app.update(code(KeyCode::Enter));
    assert!(app.postmortem.is_some(), "the palette opens the view");
    app.update(key('M'));
    assert!(app.postmortem.is_none(), "M closes it");

    // From the checklist: the selected item.
    app.update(key('2'));
    assert_eq!(app.focus, PaneKind::Checklist);
    let item = app.state.checklist[0].clone();
    app.update(key('F'));
    let effects = app.update(code(KeyCode::Enter));
    assert_eq!(
        sent(&effects),
        [&Command::AddFollowup {
            text: item.text.split_whitespace().collect::<Vec<_>>().join(" "),
            owner: "alice".into(),
            due: now().date_naive() + Duration::days(7),
            priority: Priority::P2,
            from: Some(Origin::Item(item.id.clone())),
        }]
    );

    // From the timeline: the selected entry (the newest while following).
    app.update(key('1'));
    let newest = app.state.timeline.last().unwrap().clone();
    app.update(key('F'));
    app.update(ctrl('u'));
    type_text(&mut app, "make the cache key include the tenant");
    app.update(code(KeyCode::Tab));
    app.update(ctrl('u'));
    type_text(&mut app, "bob");
    app.update(code(KeyCode::BackTab));
    app.update(code(KeyCode::BackTab));
    app.update(key('1'));
    let effects = app.update(code(KeyCode::Enter));
    assert_eq!(
        sent(&effects),
        [&Command::AddFollowup {
            text: "make the cache key include the tenant".into(),
            owner: "bob".into(),
            due: now().date_naive() + Duration::days(7),
            priority: Priority::P1,
            from: Some(Origin::Entry(newest.seq)),
        }]
    );

    // In the view: on its own; Esc cancels without sending.
    app.update(key('M'));
    app.update(key('F'));
    let shown = screen(&mut app, 160, 48);
    assert!(shown.contains("New follow-up — on its own"), "{shown}");
    assert!(sent(&app.update(code(KeyCode::Esc))).is_empty());
    assert!(app.modal.is_none());
}

#[test]
fn follow_ups_are_marked_done_and_wont_do_from_the_view() {
    let mut app = written_up();
    screen(&mut app, 160, 48);
    app.update(key('M'));
    assert!(
        sent(&app.update(key('x'))).is_empty(),
        "a section is not a follow-up"
    );
    assert!(
        app.toast
            .as_deref()
            .unwrap_or("")
            .contains("select a follow-up")
    );
    app.update(key('G'));
    assert_eq!(
        sent(&app.update(key('x'))),
        [&Command::SetFollowupState {
            number: 2,
            state: FollowupState::Done
        }]
    );
    app.update(key('k'));
    assert_eq!(
        sent(&app.update(key('W'))),
        [&Command::SetFollowupState {
            number: 1,
            state: FollowupState::WontDo
        }]
    );
    assert!(sent(&app.update(key('O'))).is_empty(), "already open");
    // Enter shows the follow-up in full.
    app.update(code(KeyCode::Enter));
    let shown = screen(&mut app, 160, 48);
    assert!(
        shown.contains("Follow-up #1") && shown.contains("OVERDUE"),
        "{shown}"
    );
}

#[test]
fn a_note_from_the_view_and_a_paste_into_its_editor() {
    let mut app = app();
    screen(&mut app, 80, 24);
    app.update(key('M'));
    // n means "write a note" here too: the composer opens over the view.
    app.update(key('n'));
    type_text(&mut app, "rollback started");
    let shown = screen(&mut app, 80, 24);
    assert!(
        shown.contains("new note") && shown.contains("Post-mortem"),
        "{shown}"
    );
    let effects = app.update(code(KeyCode::Enter));
    assert!(
        matches!(&sent(&effects)[..], [Command::AddNote { text, .. }] if text == "rollback started"),
        "{effects:?}"
    );
    app.update(code(KeyCode::Esc));
    assert!(
        app.postmortem.is_some(),
        "closing the composer leaves the view open"
    );
    // A paste with no editor open is not a note under the view.
    assert!(app.update(Msg::Paste("stray".into())).is_empty());
    assert!(!app.panes.timeline.composing());
    // In the editor a paste is text, line breaks kept.
    app.update(code(KeyCode::Enter));
    app.update(Msg::Paste("line one\r\nline two".into()));
    let editor = app.postmortem.as_ref().unwrap().editor.as_ref().unwrap();
    assert_eq!(editor.text(), "line one\nline two");
}

#[test]
fn a_refused_save_keeps_the_editor_and_its_text() {
    use warroom::protocol::RejectReason;
    let mut app = app();
    screen(&mut app, 160, 48);
    app.update(key('M'));
    app.update(code(KeyCode::Enter));
    type_text(&mut app, "our summary");
    let effects = app.update(ctrl('s'));
    let [command] = &sent(&effects)[..] else {
        panic!("one command: {effects:?}");
    };
    app.sent("s1".into(), command);
    // Another command's refusal is not this one's.
    app.sent("n1".into(), &Command::Acknowledge);
    app.update(Msg::Sync(SyncEvent::Rejected {
        id: "n1".into(),
        code: RejectReason::Unchanged,
        message: "already acknowledged".into(),
    }));
    let editor = app.postmortem.as_ref().unwrap().editor.as_ref().unwrap();
    assert!(editor.sent.is_some(), "still on its way");
    app.update(Msg::Sync(SyncEvent::Rejected {
        id: "s1".into(),
        code: RejectReason::Forbidden,
        message: "your roles may not write the post-mortem's sections".into(),
    }));
    let editor = app.postmortem.as_ref().unwrap().editor.as_ref().unwrap();
    assert!(editor.sent.is_none());
    assert_eq!(editor.text(), "our summary");
    assert!(app.toast.as_deref().unwrap_or("").contains("refused"));
}
