//! The checklist pane's tests: grouping, ticking, scrolling, the prompts and pickers,
//! refusals, and the snapshots.

use super::*;
use crate::incident::{Actor, Runbooks, Severity, decide};
use crate::tui::panes::tests::{screen, t};
use crate::tui::theme::Theme;
use std::collections::BTreeSet;

/// Declared at 09:00 with a playbook; bob ticks item 1 at 09:03 and adds an ad hoc item.
fn incident(runbooks: &Runbooks) -> State {
    let alice = Actor::new("alice", [Role::Commander]);
    let bob = Actor::new("bob", [Role::Ops]);
    let declare = Command::Declare {
        id: "INC-1".into(),
        title: "LLM provider 5xx".into(),
        severity: Severity::Sev2,
        playbook: Some("llm_provider_outage".into()),
        summary: None,
    };
    let add = Command::AddItem {
        text: "Ping the provider's TAM".into(),
        role: None,
    };
    let tick = Command::Tick { item: "1".into() };
    let mut state = State::default();
    for (minute, actor, command) in [(0, &alice, declare), (3, &bob, tick), (4, &bob, add)] {
        for event in decide(&state, actor, &command, t(minute), runbooks, None).unwrap() {
            state.apply(&event);
        }
    }
    state
}

struct Fixture {
    runbooks: Runbooks,
    theme: Theme,
    roles: BTreeSet<Role>,
    state: State,
}

impl Fixture {
    fn new(roles: impl IntoIterator<Item = Role>) -> Fixture {
        let runbooks = crate::catalog::embedded().unwrap();
        let state = incident(&runbooks);
        let theme = Theme::built_in("default").unwrap();
        Fixture {
            runbooks,
            theme,
            roles: roles.into_iter().collect(),
            state,
        }
    }

    fn ctx(&self) -> ViewCtx<'_> {
        let (state, runbooks, theme, roles) =
            (&self.state, &self.runbooks, &self.theme, &self.roles);
        ViewCtx {
            state,
            runbooks,
            theme,
            now: t(11),
            me: "alice",
            roles,
            granted: roles,
            number: 2,
        }
    }
}

fn send(pane: &mut ChecklistPane, action: Action, ctx: &ViewCtx) -> Command {
    match pane.on_action(action, ctx) {
        Reaction::Send(command) => command,
        other => panic!("{other:?}"),
    }
}

#[test]
fn shows_groups_ticks_owners_phases_and_deadlines() {
    let fx = Fixture::new([Role::Commander]);
    let (text, buf) = screen(&mut ChecklistPane::default(), &fx.ctx(), 100, 40);
    for wanted in [
        "First 15 minutes  1/12",
        "Playbook: LLM provider outage",
        "Ad hoc  0/1",
    ] {
        assert!(text.contains(wanted), "{wanted}\n{text}");
    }
    assert!(text.contains("1/26 done · 3 overdue"), "{text}");
    let line = |start: &str| text.lines().find(|l| l.contains(start)).unwrap();
    let first = line(" 1 [x] Acknowledge");
    assert!(
        first.contains(" resp ") && first.ends_with("bob 09:03┃"),
        "{first}"
    );
    // The 5-minute items are 6 minutes late at 09:11; the 15-minute ones due in 4.
    assert!(line(" 2 [ ] Declare").ends_with("OVERDUE 6m┃"));
    assert!(line(" 5 [ ] Set the").ends_with("due in 4m┃"));
    assert!(line("13 [ ] triage        Look at").contains(" ops "));
    // Overdue is said in the danger colour too, not only in words.
    let y = text
        .lines()
        .position(|l| l.contains(" 2 [ ] Declare"))
        .unwrap();
    let x = line(" 2 [ ] Declare")
        .chars()
        .position(|c| c == 'O')
        .unwrap();
    let danger = fx.theme.style(Meaning::Danger).fg;
    assert_eq!(Some(buf[(x as u16, y as u16)].fg), danger);
}

#[test]
fn toggles_by_id_and_moves_past_group_headers() {
    let fx = Fixture::new([Role::Commander]);
    let (ctx, mut pane) = (fx.ctx(), ChecklistPane::default());
    let acknowledge = "first_15_minutes.acknowledge".into();
    assert_eq!(
        send(&mut pane, Action::ToggleItem, &ctx),
        Command::Untick { item: acknowledge }
    );
    pane.on_action(Action::Down, &ctx);
    let declare = "first_15_minutes.declare".into();
    assert_eq!(
        send(&mut pane, Action::ToggleItem, &ctx),
        Command::Tick { item: declare }
    );
    // Twelve down from the top is the playbook's first step, past its header.
    pane.on_action(Action::Top, &ctx);
    (0..12).for_each(|_| drop(pane.on_action(Action::Down, &ctx)));
    let step = "llm_provider_outage.1".into();
    assert_eq!(
        send(&mut pane, Action::ToggleItem, &ctx),
        Command::Tick { item: step }
    );
    pane.on_action(Action::Bottom, &ctx);
    let adhoc = "adhoc.1".into();
    assert_eq!(
        send(&mut pane, Action::ToggleItem, &ctx),
        Command::Tick { item: adhoc }
    );
}

#[test]
fn scrolling_keeps_the_selection_on_screen() {
    let fx = Fixture::new([Role::Commander]);
    let (ctx, mut pane) = (fx.ctx(), ChecklistPane::default());
    pane.on_action(Action::Bottom, &ctx);
    let (text, _) = screen(&mut pane, &ctx, 78, 17);
    assert!(text.contains("Ping the provider's TAM") && !text.contains("Acknowledge"));
    pane.on_action(Action::Top, &ctx);
    let (text, _) = screen(&mut pane, &ctx, 78, 17);
    assert!(text.contains("First 15 minutes") && text.contains("Acknowledge"));
}

#[test]
fn add_assign_and_apply_go_through_prompt_and_picker() {
    let fx = Fixture::new([Role::Commander]);
    let (ctx, mut pane) = (fx.ctx(), ChecklistPane::default());
    let Reaction::Prompt(prompt) = pane.on_action(Action::AddItem, &ctx) else {
        panic!()
    };
    assert_eq!(prompt.purpose, Purpose::AddItem);
    let added = Command::AddItem {
        text: "Call legal".into(),
        role: None,
    };
    assert_eq!(
        pane.on_submit(&Purpose::AddItem, " Call legal ", &ctx),
        Reaction::Send(added)
    );
    assert_eq!(
        pane.on_submit(&Purpose::AddItem, "  ", &ctx),
        Reaction::None
    );

    pane.on_action(Action::Down, &ctx);
    let Reaction::Pick(picker) = pane.on_action(Action::AssignItem, &ctx) else {
        panic!()
    };
    let item = "first_15_minutes.declare".to_string();
    assert_eq!(picker.purpose, Purpose::AssignItem(item.clone()));
    let values: Vec<&str> = picker.choices.iter().map(|(v, _)| v.as_str()).collect();
    let roles = [
        "commander",
        "scribe",
        "comms",
        "ops",
        "security",
        "responder",
        "nobody",
    ];
    assert_eq!(values, roles);
    assert_eq!(picker.choices[0].1, "commander — Incident commander (now)");
    for (value, role) in [("ops", Some(Role::Ops)), ("nobody", None)] {
        let assigned = Command::AssignItem {
            item: item.clone(),
            role,
        };
        let reaction = pane.on_submit(&picker.purpose, value, &ctx);
        assert_eq!(reaction, Reaction::Send(assigned));
    }

    let Reaction::Pick(picker) = pane.on_action(Action::ApplyPlaybook, &ctx) else {
        panic!()
    };
    assert!(
        picker
            .choices
            .iter()
            .all(|(id, _)| id != "llm_provider_outage")
    );
    let db = picker
        .choices
        .iter()
        .find(|(id, _)| id == "database_failover")
        .unwrap();
    assert!(db.1.contains(" (database_failover) — SEV") && db.1.ends_with(" default"));
    let apply = Command::ApplyPlaybook {
        playbook: "database_failover".into(),
    };
    let reaction = pane.on_submit(&Purpose::ApplyPlaybook, "database_failover", &ctx);
    assert_eq!(reaction, Reaction::Send(apply));
}

#[test]
fn observers_hear_no_before_typing_and_empty_lists_say_what_to_do() {
    let mut fx = Fixture::new([Role::Observer]);
    let mut pane = ChecklistPane::default();
    assert!(matches!(
        pane.on_action(Action::AddItem, &fx.ctx()),
        Reaction::Toast(_)
    ));
    fx.state = State::default();
    let (text, _) = screen(&mut pane, &fx.ctx(), 78, 17);
    assert!(
        text.contains("No items yet — o adds one, p applies a playbook"),
        "{text}"
    );
    assert!(matches!(
        pane.on_action(Action::ToggleItem, &fx.ctx()),
        Reaction::Toast(_)
    ));
}

#[test]
fn snapshots() {
    let fx = Fixture::new([Role::Commander]);
    let (ctx, mut pane) = (fx.ctx(), ChecklistPane::default());
    pane.on_action(Action::Down, &ctx);
    // Kept in `panes/snapshots` with the other panes' (insta looks next to this file).
    insta::with_settings!({ snapshot_path => "../snapshots" }, {
        insta::assert_snapshot!("checklist_78x17", screen(&mut pane, &ctx, 78, 17).0);
        insta::assert_snapshot!("checklist_100x30", screen(&mut pane, &ctx, 100, 30).0);
    });
}

#[test]
fn enter_shows_the_item_in_full_and_space_ticks() {
    let fx = Fixture::new([Role::Commander]);
    let (ctx, mut pane) = (fx.ctx(), ChecklistPane::default());
    let Reaction::Detail(done) = pane.on_action(Action::Select, &ctx) else {
        panic!("Enter shows the item");
    };
    assert_eq!(done.title, "Checklist item 1");
    let all = done.lines.join("\n");
    assert!(
        all.contains("Done:    ticked by bob at 2026-11-20 09:03:00 UTC"),
        "{all}"
    );
    assert!(all.contains("Group:   First 15 minutes"), "{all}");
    pane.on_action(Action::Down, &ctx);
    let Reaction::Detail(open) = pane.on_action(Action::Select, &ctx) else {
        panic!("Enter shows the item");
    };
    let all = open.lines.join("\n");
    for wanted in [
        "Owner:   Incident commander (commander) — alice",
        "Due:     09:05 UTC — OVERDUE by 6m",
        "Done:    not yet — Space ticks it",
    ] {
        assert!(all.contains(wanted), "{wanted:?}:\n{all}");
    }
    // Space (ToggleItem) still ticks, and Enter never does.
    assert!(matches!(
        pane.on_action(Action::ToggleItem, &ctx),
        Reaction::Send(Command::Tick { .. })
    ));
    assert_eq!(
        crate::tui::keymap::resolve(
            Context::Checklist,
            &ratatui::crossterm::event::KeyEvent::from(ratatui::crossterm::event::KeyCode::Enter)
        ),
        Some(Action::Select)
    );
}
