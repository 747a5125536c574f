//! Snapshots of what people read: `warroom status` and the Markdown export (ticket and
//! post-mortem), for a fixed incident at a fixed clock.

use chrono::{DateTime, Duration, TimeZone, Utc};
use warroom::catalog;
use warroom::cli::show;
use warroom::incident::export::{ExportFormat, LogHead, export};
use warroom::incident::{
    Actor, CellState, Command, EntryKind, Event, Role, Severity, State, Status, decide,
};

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn incident() -> (State, Vec<Event>) {
    let rb = catalog::embedded().unwrap();
    let alice = Actor::new("alice", [Role::Commander]);
    let bob = Actor::new("bob", [Role::Responder]);
    let script: Vec<(i64, &Actor, Command)> = vec![
        (
            0,
            &alice,
            Command::Declare {
                id: "INC-20261120-1".into(),
                title: "Tenant data visible across tenants".into(),
                severity: Severity::Sev1,
                playbook: Some("cross_tenant_exposure".into()),
                summary: None,
            },
        ),
        (
            2,
            &alice,
            Command::AssignRole {
                role: Role::Scribe,
                person: "bob".into(),
            },
        ),
        (
            3,
            &bob,
            Command::AddNote {
                kind: EntryKind::Note,
                text: "acme sees globex invoices via /v1/export".into(),
                typed_at: None,
            },
        ),
        (
            4,
            &bob,
            Command::SetCell {
                tenant: "acme".into(),
                region: "eu-west-1".into(),
                state: CellState::Degraded,
            },
        ),
        (
            4,
            &bob,
            Command::SetCell {
                tenant: "globex".into(),
                region: "eu-west-1".into(),
                state: CellState::Suspected,
            },
        ),
        (
            5,
            &bob,
            Command::SetCell {
                tenant: "initech".into(),
                region: "us-east-1".into(),
                state: CellState::Healthy,
            },
        ),
        (
            6,
            &bob,
            Command::SetService {
                service: "export-api".into(),
                state: CellState::Down,
            },
        ),
        (
            8,
            &alice,
            Command::AddNote {
                kind: EntryKind::Decision,
                text: "Disable the shared export cache".into(),
                typed_at: None,
            },
        ),
        (9, &bob, Command::Tick { item: "1".into() }),
        (
            10,
            &alice,
            Command::SetFlag {
                flag: "personal_data_breach".into(),
                on: true,
                aware_at: None,
            },
        ),
        (
            40,
            &alice,
            Command::SetStatus {
                status: Status::Monitoring,
                reason: Some("cache off, no new reports".into()),
            },
        ),
        (
            95,
            &alice,
            Command::SetStatus {
                status: Status::Resolved,
                reason: None,
            },
        ),
    ];
    let mut state = State::default();
    let mut events = Vec::new();
    for (minute, actor, command) in script {
        let new = decide(&state, actor, &command, t(minute), &rb, None).unwrap();
        for e in &new {
            state.apply(e);
        }
        events.extend(new);
    }
    (state, events)
}

#[test]
fn status_view() {
    let (state, _) = incident();
    let rb = catalog::embedded().unwrap();
    insta::assert_snapshot!(show::status(&state, &rb, t(100)));
}

/// A head as the log would report it (the exports only state it).
fn head(events: &[warroom::incident::Event]) -> LogHead {
    LogHead {
        seq: events.len() as u64,
        hash: "ab".repeat(32),
    }
}

#[test]
fn markdown_export_ticket_and_postmortem() {
    let (state, events) = incident();
    let rb = catalog::embedded().unwrap();
    let head = Some(head(&events));
    let md = export(
        &state,
        &events,
        head.as_ref(),
        &rb,
        ExportFormat::Markdown,
        t(100),
    );
    insta::assert_snapshot!(md.unwrap());
}

#[test]
fn csv_export() {
    let (state, events) = incident();
    let rb = catalog::embedded().unwrap();
    let head = Some(head(&events));
    let csv = export(
        &state,
        &events,
        head.as_ref(),
        &rb,
        ExportFormat::Csv,
        t(100),
    );
    insta::assert_snapshot!(csv.unwrap());
}
