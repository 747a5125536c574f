//! The actions pane's tests: ordering, parameter prompts checked before sending, the
//! confirmation's exact request (secret names, never values), dry runs, approval keys,
//! the empty hub, and the snapshots.

use super::*;
use crate::incident::{Actor, Runbooks, Severity, State, decide};
use crate::tui::theme::Theme;
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use std::collections::BTreeSet;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
}

/// The built-in catalog with the example actions, as a hub would send them.
fn runbooks() -> Runbooks {
    #[derive(Deserialize)]
    struct File {
        action: Vec<ActionSpec>,
    }
    let text = include_str!("../../../../assets/actions.example.toml");
    let mut rb = crate::catalog::embedded().unwrap();
    rb.actions = toml::from_str::<File>(text).unwrap().action;
    rb
}

fn run(state: &mut State, rb: &Runbooks, actor: &Actor, command: Command) {
    for event in decide(state, actor, &command, now(), rb, None).unwrap() {
        state.apply(&event);
    }
}

/// A SEV1 incident with `playbooks` applied, declared by alice (commander).
fn incident(rb: &Runbooks, playbooks: &[&str]) -> State {
    let mut state = State::default();
    let alice = Actor::new("alice", [Role::Commander]);
    let declare = Command::Declare {
        id: "INC-20261120-1".into(),
        title: "Tenant data visible across tenants".into(),
        severity: Severity::Sev1,
        playbook: None,
        summary: None,
    };
    run(&mut state, rb, &alice, declare);
    for p in playbooks {
        let apply = Command::ApplyPlaybook {
            playbook: p.to_string(),
        };
        run(&mut state, rb, &alice, apply);
    }
    state
}

fn request(action: &str, params: &[(&str, &str)], dry_run: bool) -> Command {
    let params = params.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    Command::RequestAction {
        action: action.into(),
        params: params.collect(),
        dry_run,
    }
}

fn with<R>(
    state: &State,
    rb: &Runbooks,
    me: &str,
    roles: &[Role],
    f: impl FnOnce(&ViewCtx) -> R,
) -> R {
    let theme = Theme::built_in("default").unwrap();
    let roles: BTreeSet<Role> = roles.iter().copied().collect();
    let ctx = ViewCtx {
        state,
        runbooks: rb,
        theme: &theme,
        now: now(),
        me,
        roles: &roles,
        granted: &roles,
        number: 5,
    };
    f(&ctx)
}

fn screen(pane: &mut ActionsPane, ctx: &ViewCtx, width: u16, height: u16) -> String {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    pane.render(ctx, area, &mut buf, true);
    let rows = (0..height).map(|y| {
        let row: String = (0..width).map(|x| buf[(x, y)].symbol()).collect();
        row.trim_end().to_string()
    });
    rows.collect::<Vec<_>>().join("\n")
}

/// A pane with the cursor on action `id`.
fn on_action(ctx: &ViewCtx, id: &str) -> ActionsPane {
    let index = items(ctx)
        .iter()
        .position(|i| matches!(i, Item::Action { spec, .. } if spec.id == id))
        .unwrap();
    ActionsPane {
        selected: index,
        asking: None,
    }
}

#[test]
fn suggested_actions_come_first_then_the_rest_then_runs() {
    let rb = runbooks();
    let mut state = incident(&rb, &["cross_tenant_exposure", "pii_data_breach"]);
    let alice = Actor::new("alice", [Role::Commander]);
    run(
        &mut state,
        &rb,
        &alice,
        request("freeze_deploys", &[], true),
    );
    with(&state, &rb, "sam", &[Role::Security], |ctx| {
        let list = items(ctx);
        let suggested = rb.playbook("cross_tenant_exposure").unwrap().actions[0].clone();
        assert!(matches!(list[0], Item::Action { spec, suggested: true } if spec.id == suggested));
        let isolate = list
            .iter()
            .filter(|i| matches!(i, Item::Action { spec, .. } if spec.id == "isolate_tenant"))
            .count();
        assert_eq!(isolate, 1, "once, however many playbooks suggest it");
        assert!(matches!(list.last(), Some(Item::Run(r)) if r.action == "freeze_deploys"));
        let actions = list
            .iter()
            .filter(|i| matches!(i, Item::Action { .. }))
            .count();
        assert_eq!(actions, 17);
        let text = screen(&mut ActionsPane::default(), ctx, 100, 40);
        assert!(
            text.contains("Suggested by the applied playbooks"),
            "{text}"
        );
        assert!(text.contains("Other actions") && text.contains("Runs in this incident"));
        let line = text
            .lines()
            .find(|l| l.contains("Isolate a tenant"))
            .unwrap_or("");
        assert!(
            line.contains("✓ Isolate a tenant") && line.contains("two-person"),
            "{text}"
        );
    });
}

#[test]
fn run_asks_for_each_parameter_checks_it_and_confirms_the_exact_request() {
    let rb = runbooks();
    let state = incident(&rb, &["cross_tenant_exposure"]);
    with(&state, &rb, "alice", &[Role::Commander], |ctx| {
        let mut pane = on_action(ctx, "isolate_tenant");
        let Reaction::Prompt(prompt) = pane.on_action(Action::RunAction, ctx) else {
            panic!("r asks for the tenant");
        };
        assert_eq!(prompt.title, "⟨tenant⟩ Tenant id as in the admin console");
        let Reaction::Prompt(again) = pane.on_submit(&prompt.purpose, "acme/../globex", ctx) else {
            panic!("a bad value is asked for again");
        };
        let expected = "✗ `acme/../globex` does not match ^[a-z0-9][a-z0-9-]{0,62}$ · ⟨tenant⟩ Tenant id as in the admin console";
        assert_eq!(again.title, expected);
        assert_eq!(again.initial, "acme/../globex");
        let Reaction::Confirm {
            title,
            detail,
            command,
        } = pane.on_submit(&again.purpose, " acme-eu ", ctx)
        else {
            panic!("then the confirmation");
        };
        assert_eq!(title, "Run Isolate a tenant?");
        assert!(
            detail.contains("POST https://tenants.example.internal/api/v1/tenants/acme-eu/isolate"),
            "{detail}"
        );
        assert!(
            detail.contains("Authorization: Bearer ${TENANT_ADMIN_TOKEN}"),
            "{detail}"
        );
        assert!(detail.contains("X-Incident-Id: INC-20261120-1"), "{detail}");
        assert!(detail.contains("\"requested_by\": \"alice\""), "{detail}");
        assert!(
            detail.contains("Needs a second person's approval"),
            "{detail}"
        );
        assert!(
            detail.starts_with("Suspend one tenant"),
            "the description first"
        );
        assert_eq!(
            command,
            request("isolate_tenant", &[("tenant", "acme-eu")], false)
        );
    });
}

#[test]
fn dry_runs_send_at_once_and_unconfirmed_actions_skip_the_dialog() {
    let mut rb = runbooks();
    let state = incident(&rb, &[]);
    with(&state, &rb, "alice", &[Role::Commander], |ctx| {
        let mut pane = on_action(ctx, "freeze_deploys");
        let sent = pane.on_action(Action::DryRun, ctx);
        assert_eq!(sent, Reaction::Send(request("freeze_deploys", &[], true)));
        let Reaction::Confirm { detail, .. } = pane.on_action(Action::RunAction, ctx) else {
            panic!("confirm = true asks first");
        };
        assert!(detail.contains("POST https://deploy.example.internal/api/v1/freeze"));
        assert!(detail.contains("Bearer ${DEPLOY_API_TOKEN}"), "{detail}");
        assert!(!detail.contains("second person"), "{detail}");
    });
    if let Some(freeze) = rb.actions.iter_mut().find(|a| a.id == "freeze_deploys") {
        freeze.confirm = false;
    }
    with(&state, &rb, "alice", &[Role::Commander], |ctx| {
        let mut pane = on_action(ctx, "freeze_deploys");
        let sent = pane.on_action(Action::RunAction, ctx);
        assert_eq!(sent, Reaction::Send(request("freeze_deploys", &[], false)));
    });
}

#[test]
fn the_dialog_text_is_wrapped_to_fit() {
    let text = "a b\n0123456789abc de";
    assert_eq!(wrapped(text, 5), "a b\n01234\n56789\nabc\nde");
    assert_eq!(wrapped("", 5), "");
}

#[test]
fn who_may_not_request_is_told_before_anything_is_asked() {
    let rb = runbooks();
    let state = incident(&rb, &[]);
    with(&state, &rb, "rita", &[Role::Responder], |ctx| {
        let mut pane = on_action(ctx, "isolate_tenant");
        let refused = pane.on_action(Action::RunAction, ctx);
        let expected =
            "you may not request Isolate a tenant: that needs one of commander, security";
        assert_eq!(refused, Reaction::Toast(expected.into()));
        let text = screen(&mut pane, ctx, 100, 30);
        assert!(text.contains("you may not (you: responder)"), "{text}");
    });
}

#[test]
fn approval_keys_need_someone_else_with_a_role_of_the_action() {
    let rb = runbooks();
    let mut state = incident(&rb, &["cross_tenant_exposure"]);
    let alice = Actor::new("alice", [Role::Commander]);
    let isolate = request("isolate_tenant", &[("tenant", "acme")], false);
    run(&mut state, &rb, &alice, isolate);
    let number = state.action_runs[0].run;
    with(&state, &rb, "alice", &[Role::Commander], |ctx| {
        let refused = ActionsPane::default().on_action(Action::Approve, ctx);
        // The cursor is on an action: A looks for a run someone else requested.
        assert_eq!(
            refused,
            Reaction::Toast("select the run to approve (under Runs)".into())
        );
        let mut pane = ActionsPane::default();
        pane.on_action(Action::Bottom, ctx);
        let expected = format!("you requested #{number}: a different responder must approve it");
        assert_eq!(
            pane.on_action(Action::Approve, ctx),
            Reaction::Toast(expected)
        );
    });
    with(&state, &rb, "olga", &[Role::Ops], |ctx| {
        let mut pane = ActionsPane::default();
        pane.on_action(Action::Bottom, ctx);
        let expected = format!("to approve #{number} you need one of commander, security");
        assert_eq!(
            pane.on_action(Action::Approve, ctx),
            Reaction::Toast(expected)
        );
    });
    with(&state, &rb, "bob", &[Role::Security], |ctx| {
        // With the only pending run someone else's, A finds it from anywhere.
        let Reaction::Confirm {
            title,
            detail,
            command,
        } = ActionsPane::default().on_action(Action::Approve, ctx)
        else {
            panic!("bob may approve");
        };
        assert_eq!(title, format!("Approve #{number} Isolate a tenant?"));
        assert!(detail.starts_with("Requested by alice at 09:00 UTC with tenant=acme."));
        assert!(
            detail.contains("/tenants/acme/isolate") && detail.contains("${TENANT_ADMIN_TOKEN}")
        );
        assert_eq!(command, Command::ApproveAction { run: number });
        let mut pane = ActionsPane::default();
        let Reaction::Prompt(prompt) = pane.on_action(Action::Deny, ctx) else {
            panic!("D asks why");
        };
        let denied = pane.on_submit(&prompt.purpose, " wrong tenant ", ctx);
        let expected = Command::DenyAction {
            run: number,
            reason: "wrong tenant".into(),
        };
        assert_eq!(denied, Reaction::Send(expected));
        let text = screen(&mut pane, ctx, 100, 30);
        assert!(text.contains("1 awaiting approval"), "{text}");
        assert!(
            text.contains(&format!("#{number:<4} awaiting approval")),
            "{text}"
        );
    });
}

#[test]
fn without_actions_the_pane_says_where_they_come_from() {
    let rb = crate::catalog::embedded().unwrap();
    let state = incident(&rb, &["cross_tenant_exposure"]);
    with(&state, &rb, "alice", &[Role::Commander], |ctx| {
        let mut pane = ActionsPane::default();
        let text = screen(&mut pane, ctx, 100, 30);
        assert!(
            text.contains("This hub has no containment actions configured."),
            "{text}"
        );
        assert!(text.contains("docs/ACTIONS.md"), "{text}");
        assert!(text.contains("isolate_tenant: not on this hub"), "{text}");
        let toast = pane.on_action(Action::RunAction, ctx);
        assert!(matches!(toast, Reaction::Toast(t) if t.contains("no such action")));
    });
    let state = incident(&rb, &[]);
    with(&state, &rb, "alice", &[Role::Commander], |ctx| {
        let toast = ActionsPane::default().on_action(Action::RunAction, ctx);
        assert_eq!(toast, Reaction::Toast(NO_ACTIONS.into()));
    });
}

#[test]
fn snapshots() {
    let rb = runbooks();
    let mut state = incident(&rb, &["cross_tenant_exposure", "pii_data_breach"]);
    let alice = Actor::new("alice", [Role::Commander]);
    run(
        &mut state,
        &rb,
        &alice,
        request("freeze_deploys", &[], true),
    );
    let isolate = request("isolate_tenant", &[("tenant", "acme")], false);
    run(&mut state, &rb, &alice, isolate);
    // Kept in `panes/snapshots` with the other panes' (insta looks next to this file).
    insta::with_settings!({ snapshot_path => "../snapshots" }, {
        with(&state, &rb, "bob", &[Role::Security], |ctx| {
            let mut pane = ActionsPane::default();
            insta::assert_snapshot!("actions_78x17", screen(&mut pane, ctx, 78, 17));
            insta::assert_snapshot!("actions_100x30", screen(&mut pane, ctx, 100, 30));
            pane.on_action(Action::Bottom, ctx);
            insta::assert_snapshot!("actions_run_100x30", screen(&mut pane, ctx, 100, 30));
        });
        let rb = crate::catalog::embedded().unwrap();
        let state = incident(&rb, &[]);
        with(&state, &rb, "bob", &[Role::Security], |ctx| {
            let text = screen(&mut ActionsPane::default(), ctx, 78, 17);
            insta::assert_snapshot!("actions_none_78x17", text);
        });
    });
}
