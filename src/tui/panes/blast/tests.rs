//! The blast pane's tests: the grid read without colour, marking and walking the
//! cursor, adding tenants, regions and services, sideways scrolling, and the snapshots.

use super::*;
use crate::incident::{Actor, Role, Runbooks, Severity, State, decide};
use crate::tui::panes::tests::{screen, t};
use crate::tui::theme::Theme;
use ratatui::style::Modifier;
use std::collections::BTreeSet;

fn set(tenant: &str, region: &str, state: CellState) -> Command {
    let (tenant, region) = (tenant.into(), region.into());
    Command::SetCell {
        tenant,
        region,
        state,
    }
}

/// acme degraded and globex suspected in eu-west-1, initech healthy in us-east-1,
/// export-api down; plus `extra` commands.
fn incident(runbooks: &Runbooks, extra: Vec<Command>) -> State {
    let alice = Actor::new("alice", [Role::Commander]);
    let declare = Command::Declare {
        id: "INC-1".into(),
        title: "Tenant data visible across tenants".into(),
        severity: Severity::Sev1,
        playbook: None,
        summary: None,
    };
    let service = Command::SetService {
        service: "export-api".into(),
        state: CellState::Down,
    };
    let mut script = vec![
        declare,
        set("acme", "eu-west-1", CellState::Degraded),
        set("globex", "eu-west-1", CellState::Suspected),
        set("initech", "us-east-1", CellState::Healthy),
        service,
    ];
    script.extend(extra);
    let mut state = State::default();
    for (minute, command) in script.iter().enumerate() {
        let at = t(minute as i64);
        for event in decide(&state, &alice, command, at, runbooks, None).unwrap() {
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
    fn new(extra: Vec<Command>) -> Fixture {
        let runbooks = crate::catalog::embedded().unwrap();
        let state = incident(&runbooks, extra);
        let theme = Theme::built_in("default").unwrap();
        let roles = BTreeSet::from([Role::Commander]);
        Fixture {
            runbooks,
            theme,
            roles,
            state,
        }
    }

    fn ctx(&self) -> ViewCtx<'_> {
        let (state, runbooks, theme) = (&self.state, &self.runbooks, &self.theme);
        let roles = &self.roles;
        ViewCtx {
            state,
            runbooks,
            theme,
            now: t(30),
            me: "alice",
            roles,
            granted: roles,
            number: 3,
        }
    }
}

#[test]
fn grid_legend_and_services_read_without_colour() {
    let mut fx = Fixture::new(vec![]);
    fx.theme = Theme::built_in("monochrome").unwrap();
    let (text, buf) = screen(&mut BlastPane::default(), &fx.ctx(), 78, 17);
    let line = |start: &str| {
        text.lines()
            .find(|l| l.contains(start))
            .unwrap()
            .to_string()
    };
    assert!(line("┃cells").contains("degraded 1 · suspected 1 · healthy 1 · unknown 3"));
    assert!(line("┃tenant").contains("eu-west-1 us-east-1"), "{text}");
    assert!(line("┃acme").contains("degraded  ·"), "{text}");
    assert!(line("┃globex").contains("suspected ·"), "{text}");
    assert!(line("┃initech").contains("·         healthy"), "{text}");
    assert!(line("┃export-api").contains("DOWN"), "{text}");
    assert!(text.contains("Services  1/1 affected"), "{text}");
    assert!(
        text.contains("2/3 tenants · 1/1 services affected"),
        "{text}"
    );
    // The cursor starts on acme × eu-west-1, shown reversed in monochrome.
    let y = text.lines().position(|l| l.starts_with("┃acme")).unwrap() as u16;
    assert!(buf[(9, y)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn keys_mark_cells_then_walk_into_the_services() {
    let fx = Fixture::new(vec![]);
    let (ctx, mut pane) = (fx.ctx(), BlastPane::default());
    let down = pane.on_action(Action::SetCell(CellState::Down), &ctx);
    assert_eq!(
        down,
        Reaction::Send(set("acme", "eu-west-1", CellState::Down))
    );
    pane.on_action(Action::Right, &ctx);
    pane.on_action(Action::Down, &ctx);
    let ok = pane.on_action(Action::SetCell(CellState::Healthy), &ctx);
    assert_eq!(
        ok,
        Reaction::Send(set("globex", "us-east-1", CellState::Healthy))
    );
    // CellState::Down past the last tenant lands on the first service.
    pane.on_action(Action::Down, &ctx);
    pane.on_action(Action::Down, &ctx);
    let recovered = pane.on_action(Action::SetCell(CellState::Recovered), &ctx);
    let service = "export-api".into();
    let wanted = Command::SetService {
        service,
        state: CellState::Recovered,
    };
    assert_eq!(recovered, Reaction::Send(wanted));
    let same = pane.on_action(Action::SetCell(CellState::Down), &ctx);
    assert!(matches!(same, Reaction::Toast(t) if t.contains("already down")));
    // And back up to the grid, where the column was kept.
    pane.on_action(Action::Up, &ctx);
    let cell = pane.on_action(Action::SetCell(CellState::Isolated), &ctx);
    assert_eq!(
        cell,
        Reaction::Send(set("initech", "us-east-1", CellState::Isolated))
    );
}

#[test]
fn adding_tenants_regions_and_services_prompts_then_sends() {
    let fx = Fixture::new(vec![]);
    let (ctx, mut pane) = (fx.ctx(), BlastPane::default());
    let Reaction::Prompt(p) = pane.on_action(Action::AddTenant, &ctx) else {
        panic!()
    };
    assert_eq!(p.purpose, Purpose::AddTenant);
    let Reaction::Prompt(p) = pane.on_submit(&Purpose::AddTenant, " umbrella ", &ctx) else {
        panic!()
    };
    assert_eq!(
        (p.purpose.clone(), p.initial.as_str()),
        (Purpose::AddRegion("umbrella".into()), "eu-west-1")
    );
    let sent = pane.on_submit(&p.purpose, "ap-south-1", &ctx);
    assert_eq!(
        sent,
        Reaction::Send(set("umbrella", "ap-south-1", CellState::Suspected))
    );
    // Re-adding a cell that already says something never downgrades it.
    let again = pane.on_submit(&Purpose::AddRegion("acme".into()), "eu-west-1", &ctx);
    assert!(matches!(again, Reaction::Toast(t) if t.contains("already degraded")));

    let Reaction::Prompt(p) = pane.on_action(Action::AddRegion, &ctx) else {
        panic!()
    };
    assert_eq!(p.purpose, Purpose::AddRegion("acme".into()));

    let Reaction::Prompt(p) = pane.on_action(Action::AddService, &ctx) else {
        panic!()
    };
    let sent = pane.on_submit(&p.purpose, "billing", &ctx);
    let service = "billing".into();
    assert_eq!(
        sent,
        Reaction::Send(Command::SetService {
            service,
            state: CellState::Degraded
        })
    );
    assert_eq!(
        pane.on_submit(&Purpose::AddService, "  ", &ctx),
        Reaction::None
    );
}

#[test]
fn the_cursor_lands_on_what_was_added_once_it_exists() {
    let mut fx = Fixture::new(vec![]);
    let mut pane = BlastPane::default();
    pane.on_submit(
        &Purpose::AddRegion("umbrella".into()),
        "ap-south-1",
        &fx.ctx(),
    );
    fx.state = incident(
        &fx.runbooks,
        vec![set("umbrella", "ap-south-1", CellState::Suspected)],
    );
    screen(&mut pane, &fx.ctx(), 78, 17);
    assert_eq!((pane.spot, pane.col), (Spot::Tenant(3), 2));
}

#[test]
fn wide_grids_scroll_sideways_with_markers() {
    let regions = [
        "eu-west-1",
        "eu-west-2",
        "eu-central-1",
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "ap-south-1",
        "ap-southeast-2",
    ];
    let extra = regions
        .iter()
        .map(|r| set("acme", r, CellState::Suspected))
        .collect();
    let fx = Fixture::new(extra);
    let (ctx, mut pane) = (fx.ctx(), BlastPane::default());
    let (text, _) = screen(&mut pane, &ctx, 78, 17);
    assert!(
        text.contains(MORE_RIGHT) && !text.contains(MORE_LEFT),
        "{text}"
    );
    (0..10).for_each(|_| drop(pane.on_action(Action::Right, &ctx)));
    let (text, _) = screen(&mut pane, &ctx, 78, 17);
    assert!(
        text.contains(MORE_LEFT) && !text.contains(MORE_RIGHT),
        "{text}"
    );
    assert!(text.contains("ap-southeast-2"), "{text}");
    let set = pane.on_action(Action::SetCell(CellState::Down), &ctx);
    assert_eq!(
        set,
        Reaction::Send(super::tests::set("acme", "ap-southeast-2", CellState::Down))
    );
}

#[test]
fn empty_blast_radius_says_what_to_do() {
    let mut fx = Fixture::new(vec![]);
    fx.state = State::default();
    let mut pane = BlastPane::default();
    let (text, _) = screen(&mut pane, &fx.ctx(), 78, 17);
    assert!(text.contains(EMPTY), "{text}");
    let reaction = pane.on_action(Action::SetCell(CellState::Down), &fx.ctx());
    assert_eq!(reaction, Reaction::Toast(EMPTY.into()));
}

#[test]
fn snapshots() {
    let extra = ["us-west-2", "ap-south-1", "ap-southeast-2", "sa-east-1"]
        .iter()
        .map(|r| set("umbrella-corporation-holdings", r, CellState::Isolated))
        .chain([Command::SetService {
            service: "billing".into(),
            state: CellState::Recovered,
        }])
        .collect();
    let fx = Fixture::new(extra);
    let (ctx, mut pane) = (fx.ctx(), BlastPane::default());
    pane.on_action(Action::Down, &ctx);
    pane.on_action(Action::Right, &ctx);
    // Kept in `panes/snapshots` with the other panes' (insta looks next to this file).
    insta::with_settings!({ snapshot_path => "../snapshots" }, {
        insta::assert_snapshot!("blast_78x17", screen(&mut pane, &ctx, 78, 17).0);
        insta::assert_snapshot!("blast_100x30", screen(&mut pane, &ctx, 100, 30).0);
    });
}

#[test]
fn e_renames_and_x_removes_the_name_under_the_cursor() {
    let fx = Fixture::new(vec![]);
    let (ctx, mut pane) = (fx.ctx(), BlastPane::default());
    // On the first cell (acme × eu-west-1) both names are offered.
    let Reaction::Pick(picker) = pane.on_action(Action::RenameName, &ctx) else {
        panic!("E offers the names under the cursor")
    };
    let values: Vec<&str> = picker.choices.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(values, ["tenant:acme", "region:eu-west-1"]);
    let Reaction::Prompt(prompt) = pane.on_submit(&picker.purpose, "region:eu-west-1", &ctx) else {
        panic!("then asks for the new name")
    };
    assert_eq!(prompt.initial, "eu-west-1");
    let sent = pane.on_submit(&prompt.purpose, "eu-west-2", &ctx);
    assert_eq!(
        sent,
        Reaction::Send(Command::RenameBlast {
            axis: BlastAxis::Region,
            from: "eu-west-1".into(),
            to: "eu-west-2".into(),
        })
    );
    assert_eq!(
        pane.on_submit(&prompt.purpose, "eu-west-1", &ctx),
        Reaction::None
    );

    let Reaction::Pick(picker) = pane.on_action(Action::RemoveName, &ctx) else {
        panic!("X offers the names under the cursor")
    };
    let Reaction::Confirm {
        title,
        detail,
        command,
    } = pane.on_submit(&picker.purpose, "tenant:acme", &ctx)
    else {
        panic!("removing asks first")
    };
    assert_eq!(title, "Remove tenant acme?");
    assert!(
        detail.contains("1 cell(s)") && detail.contains("scope"),
        "{detail}"
    );
    assert_eq!(
        command,
        Command::RemoveBlast {
            axis: BlastAxis::Tenant,
            name: "acme".into()
        }
    );
}

#[test]
fn a_narrow_pane_ends_its_title_and_legend_in_an_ellipsis() {
    let fx = Fixture::new(vec![]);
    let (text, _) = screen(&mut BlastPane::default(), &fx.ctx(), 34, 12);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("3  Blast radius 2/3 tenants") && lines[0].ends_with("…┓"),
        "{text}"
    );
    let legend = lines.iter().find(|l| l.contains("cells")).unwrap();
    assert!(legend.ends_with("…┃"), "{text}");
}
