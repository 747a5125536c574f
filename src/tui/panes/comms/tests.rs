//! The comms pane's tests: publishing refuses unfilled fields then confirms the exact
//! text (to the channels the hub has), saved drafts settle and reopen for teammates,
//! hand edits stick, the countdown, delivery status and retry, and the snapshots.

use super::*;
use crate::incident::{Actor, CellState, Role, Severity, State, decide};
use crate::tui::theme::Theme;
use chrono::{DateTime, Duration, TimeZone, Utc};
use ratatui::crossterm::event::KeyModifiers;
use std::collections::BTreeSet;

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn run(state: &mut State, rb: &Runbooks, who: &str, minute: i64, command: Command) {
    let actor = Actor::new(who, [Role::Responder]);
    for event in decide(state, &actor, &command, t(minute), rb, None).unwrap() {
        state.apply(&event);
    }
}

/// A SEV1 cross-tenant incident: alice commands, carol is comms lead, two regions hit.
fn incident() -> (State, Runbooks) {
    let rb = crate::catalog::embedded().unwrap();
    let mut state = State::default();
    let alice = Actor::new("alice", [Role::Commander]);
    let declare = Command::Declare {
        id: "INC-20261120-1".into(),
        title: "Tenant data visible across tenants".into(),
        severity: Severity::Sev1,
        playbook: Some("cross_tenant_exposure".into()),
        summary: None,
    };
    for event in decide(&state, &alice, &declare, t(0), &rb, None).unwrap() {
        state.apply(&event);
    }
    let comms = Command::AssignRole {
        role: Role::Comms,
        person: "carol".into(),
    };
    run(&mut state, &rb, "alice", 1, comms);
    let public = Command::SetPublicTitle {
        title: "Some customers see errors in exports".into(),
    };
    run(&mut state, &rb, "alice", 1, public);
    for (tenant, region) in [("acme", "eu-west-1"), ("globex", "us-east-1")] {
        let (tenant, region) = (tenant.into(), region.into());
        let cell = CellState::Degraded;
        run(
            &mut state,
            &rb,
            "alice",
            2,
            Command::SetCell {
                tenant,
                region,
                state: cell,
            },
        );
    }
    (state, rb)
}

fn with<R>(state: &State, rb: &Runbooks, now: i64, f: impl FnOnce(&ViewCtx) -> R) -> R {
    let theme = Theme::built_in("default").unwrap();
    let roles = BTreeSet::from([Role::Comms]);
    let ctx = ViewCtx {
        state,
        runbooks: rb,
        theme: &theme,
        now: t(now),
        me: "carol",
        roles: &roles,
        granted: &roles,
        number: 4,
    };
    f(&ctx)
}

fn screen(pane: &mut CommsPane, ctx: &ViewCtx, width: u16, height: u16) -> String {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    pane.render(ctx, area, &mut buf, true);
    let rows = (0..height).map(|y| {
        let row: String = (0..width).map(|x| buf[(x, y)].symbol()).collect();
        row.trim_end().to_string()
    });
    rows.collect::<Vec<_>>().join("\n")
}

/// Opens the first template (status page: investigating).
fn opened(ctx: &ViewCtx) -> CommsPane {
    let mut pane = CommsPane::default();
    assert_eq!(pane.on_action(Action::Select, ctx), Reaction::None);
    pane
}

#[test]
fn publish_refuses_unfilled_fields_then_confirms_the_exact_text() {
    let (state, mut rb) = incident();
    rb.channels = vec!["status_page".into()];
    with(&state, &rb, 10, |ctx| {
        let mut pane = opened(ctx);
        let refused = pane.on_action(Action::Publish, ctx);
        assert!(
            matches!(&refused, Reaction::Toast(t) if t.contains("⟨symptom⟩")),
            "{refused:?}"
        );
        let Reaction::Prompt(prompt) = pane.on_action(Action::FillFields, ctx) else {
            panic!("f asks for the first field");
        };
        assert!(
            prompt
                .title
                .starts_with("⟨symptom⟩ What customers experience")
        );
        let answer = pane.on_submit(&prompt.purpose, "errors exporting invoices", ctx);
        assert_eq!(answer, Reaction::None, "the template has one field");
        assert!(
            pane.unsent()
                .is_some_and(|u| u.contains("Status page: investigating"))
        );
        let Reaction::Confirm {
            title,
            detail,
            command,
        } = pane.on_action(Action::Publish, ctx)
        else {
            panic!("publish asks for confirmation");
        };
        assert_eq!(title, "Publish Status page: investigating to status_page");
        assert!(detail.contains("We are looking into errors exporting invoices."));
        assert!(detail.contains("Affected regions: eu-west-1, us-east-1."));
        // The confirmation shows the times as of now; the command leaves them for the
        // hub to stamp when it publishes (a confirmation left open must not go stale).
        assert!(detail.contains("(posted 2026-11-20 09:10 UTC)"), "{detail}");
        assert!(detail.ends_with("(times are stamped by the hub at the moment it publishes)"));
        let sent = detail
            .trim_end_matches("(times are stamped by the hub at the moment it publishes)")
            .trim_end()
            .replace("2026-11-20 09:10 UTC", "{now}")
            .replace("2026-11-20 09:30 UTC", "{next_update_at}");
        let expected = Command::Publish {
            template: "status_investigating".into(),
            text: sent,
            channels: vec!["status_page".into()],
        };
        assert_eq!(command, expected);
    });
}

#[test]
fn a_saved_draft_settles_the_work_and_reopens_for_teammates() {
    let (mut state, rb) = incident();
    let mut pane = with(&state, &rb, 10, |ctx| {
        let mut pane = opened(ctx);
        let purpose = Purpose::Field {
            template: "status_investigating".into(),
            field: "symptom".into(),
        };
        pane.on_submit(&purpose, "slow exports", ctx);
        pane
    });
    let Reaction::Send(save) = with(&state, &rb, 10, |ctx| {
        pane.on_action(Action::SaveDraft, ctx)
    }) else {
        panic!("w sends the draft");
    };
    assert!(
        matches!(&save, Command::SaveDraft { fields, .. } if fields["symptom"] == "slow exports")
    );
    run(&mut state, &rb, "carol", 10, save);
    with(&state, &rb, 11, |ctx| {
        screen(&mut pane, ctx, 78, 17);
        assert_eq!(pane.unsent(), None);
        let mut fresh = opened(ctx);
        let text = screen(&mut fresh, ctx, 100, 30);
        assert!(text.contains("We are looking into slow exports."), "{text}");
        assert!(
            text.contains("team draft saved by carol at 09:10 UTC"),
            "{text}"
        );
    });
}

#[test]
fn hand_edits_stick_and_markers_can_still_be_filled() {
    let (state, rb) = incident();
    with(&state, &rb, 10, |ctx| {
        let mut pane = opened(ctx);
        pane.on_action(Action::EditDraft, ctx);
        assert!(pane.capturing());
        let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
        pane.on_key(key(KeyCode::Home), ctx);
        for c in "URGENT ".chars() {
            pane.on_key(key(KeyCode::Char(c)), ctx);
        }
        pane.on_key(key(KeyCode::Esc), ctx);
        assert!(!pane.capturing());
        let shown = screen(&mut pane, ctx, 100, 30);
        assert!(
            shown.contains("· edited") && shown.contains("URGENT Some customers see errors"),
            "{shown}"
        );
        let Reaction::Prompt(prompt) = pane.on_action(Action::FillFields, ctx) else {
            panic!("the edited text still has ⟨symptom⟩");
        };
        pane.on_submit(&prompt.purpose, "timeouts", ctx);
        let (_, _, text) = pane.current(ctx).unwrap();
        assert!(text.starts_with("URGENT Some customers") && text.contains("into timeouts."));
        let Reaction::Pick(picker) = pane.on_action(Action::Select, ctx) else {
            panic!("Enter on an edited draft offers to re-render it");
        };
        pane.on_submit(&picker.purpose, "reset", ctx);
        let (_, _, text) = pane.current(ctx).unwrap();
        assert!(
            text.starts_with("Some customers see errors in exports: investigating")
                && text.contains("into timeouts.")
        );
    });
}

#[test]
fn the_countdown_warns_then_goes_overdue() {
    let (state, rb) = incident();
    let title = |now| {
        with(&state, &rb, now, |ctx| {
            let text = screen(&mut CommsPane::default(), ctx, 78, 17);
            text.lines().next().unwrap_or_default().to_string()
        })
    };
    assert!(title(5).contains("next update in 25m"));
    assert!(title(25).contains("next update in 5m"));
    assert!(title(41).contains("update OVERDUE by 11m"));
}

#[test]
fn publish_names_only_channels_the_hub_has() {
    let (state, rb) = incident();
    with(&state, &rb, 10, |ctx| {
        let mut pane = opened(ctx);
        let purpose = Purpose::Field {
            template: "status_investigating".into(),
            field: "symptom".into(),
        };
        pane.on_submit(&purpose, "slow exports", ctx);
        let Reaction::Confirm { title, command, .. } = pane.on_action(Action::Publish, ctx) else {
            panic!("publish asks for confirmation");
        };
        assert!(
            title.ends_with("(no delivery channel on this hub: recorded, for pasting by hand)")
        );
        assert!(matches!(command, Command::Publish { channels, .. } if channels.is_empty()));
    });
}

#[test]
fn the_last_update_shows_each_delivery_and_r_retries_a_failed_one() {
    let (mut state, mut rb) = incident();
    rb.channels = vec!["status_page".into(), "internal".into()];
    let publish = Command::Publish {
        template: "status_investigating".into(),
        text: "Investigating: errors exporting invoices.".into(),
        channels: vec!["status_page".into(), "internal".into()],
    };
    run(&mut state, &rb, "carol", 4, publish);
    let seq = state.seq;
    with(&state, &rb, 5, |ctx| {
        let text = screen(&mut CommsPane::default(), ctx, 100, 30);
        assert!(text.contains("→ internal … pending"), "{text}");
        assert!(text.contains("→ status_page … pending"), "{text}");
        let none = CommsPane::default().on_action(Action::RetryDelivery, ctx);
        let expected = "no failed delivery of “Status page: investigating”";
        assert_eq!(none, Reaction::Toast(expected.into()));
    });
    let record = |channel: &str, ok: bool| Command::RecordDelivery {
        published: seq,
        channel: channel.into(),
        ok,
        detail: if ok { String::new() } else { "HTTP 503".into() },
    };
    run(
        &mut state,
        &rb,
        "system:runner",
        5,
        record("status_page", false),
    );
    run(
        &mut state,
        &rb,
        "system:runner",
        5,
        record("internal", true),
    );
    with(&state, &rb, 6, |ctx| {
        let text = screen(&mut CommsPane::default(), ctx, 100, 30);
        assert!(text.contains("→ internal ✓ delivered"), "{text}");
        assert!(
            text.contains("→ status_page ✗ FAILED · R retries · HTTP"),
            "{text}"
        );
        let retry = CommsPane::default().on_action(Action::RetryDelivery, ctx);
        let expected = Command::RetryDelivery {
            published: seq,
            channel: "status_page".into(),
        };
        assert_eq!(retry, Reaction::Send(expected));
    });
    run(
        &mut state,
        &rb,
        "system:runner",
        6,
        record("internal", false),
    );
    with(&state, &rb, 7, |ctx| {
        let mut pane = CommsPane::default();
        let Reaction::Pick(picker) = pane.on_action(Action::RetryDelivery, ctx) else {
            panic!("two failed channels: a choice");
        };
        assert_eq!(picker.choices.len(), 2);
        let chosen = pane.on_submit(&picker.purpose, "internal", ctx);
        let expected = Command::RetryDelivery {
            published: seq,
            channel: "internal".into(),
        };
        assert_eq!(chosen, Reaction::Send(expected));
    });
}

#[test]
fn snapshots() {
    let (mut state, rb) = incident();
    let publish = Command::Publish {
        template: "internal_initial".into(),
        text: "INCIDENT DECLARED: INC-20261120-1 | Tenant data visible across tenants\nSeverity:  SEV1 (Critical)".into(),
        channels: vec![],
    };
    run(&mut state, &rb, "carol", 4, publish);
    with(&state, &rb, 12, |ctx| {
        let mut pane = CommsPane::default();
        // Kept in `panes/snapshots` with the other panes' (insta looks next to this file).
        insta::with_settings!({ snapshot_path => "../snapshots" }, {
            insta::assert_snapshot!("comms_list_78x17", screen(&mut pane, ctx, 78, 17));
            pane.on_action(Action::Select, ctx);
            insta::assert_snapshot!("comms_draft_78x17", screen(&mut pane, ctx, 78, 17));
            insta::assert_snapshot!("comms_draft_100x30", screen(&mut pane, ctx, 100, 30));
        });
    });
}

#[test]
fn the_first_public_update_asks_for_a_public_title_first() {
    let rb = crate::catalog::embedded().unwrap();
    let mut state = State::default();
    let alice = Actor::new("alice", [Role::Commander]);
    let declare = Command::Declare {
        id: "INC-20261120-2".into(),
        title: "acme sees globex invoices".into(),
        severity: Severity::Sev1,
        playbook: None,
        summary: None,
    };
    for event in decide(&state, &alice, &declare, t(0), &rb, None).unwrap() {
        state.apply(&event);
    }
    with(&state, &rb, 5, |ctx| {
        let mut pane = opened(ctx);
        let Reaction::Prompt(prompt) = pane.on_action(Action::Publish, ctx) else {
            panic!("P on a public template without a public title asks for one");
        };
        assert!(prompt.title.starts_with("Public title"), "{}", prompt.title);
        let answer = pane.on_submit(&prompt.purpose, "  Export errors  ", ctx);
        assert_eq!(
            answer,
            Reaction::Send(Command::SetPublicTitle {
                title: "Export errors".into()
            })
        );
    });
}
