//! The pure domain through its public API: decide + apply with the embedded runbooks and
//! a fixed clock. No I/O.

use chrono::{DateTime, Duration, TimeZone, Utc};
use warroom::catalog;
use warroom::incident::clocks::{self, ClockState};
use warroom::incident::render::render;
use warroom::incident::runbook::FieldValues;
use warroom::incident::times::Metrics;
use warroom::incident::{
    Actor, CellState, Command, EntryKind, Event, EventKind, RejectCode, Role, Runbooks, Severity,
    State, Status, decide,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
}

fn runbooks() -> Runbooks {
    catalog::embedded().expect("embedded catalog is valid")
}

struct Sim {
    state: State,
    events: Vec<Event>,
    runbooks: Runbooks,
}

impl Sim {
    fn declared(severity: Severity, playbook: Option<&str>) -> Sim {
        let mut sim = Sim {
            state: State::default(),
            events: Vec::new(),
            runbooks: runbooks(),
        };
        sim.ok(
            &alice(),
            Command::Declare {
                id: "INC-1".into(),
                title: "PII leak".into(),
                severity,
                playbook: playbook.map(str::to_string),
                summary: None,
            },
            t0(),
        );
        sim
    }

    fn run(
        &mut self,
        actor: &Actor,
        command: Command,
        at: DateTime<Utc>,
    ) -> Result<Vec<Event>, warroom::incident::Rejection> {
        let events = decide(&self.state, actor, &command, at, &self.runbooks, None)?;
        for e in &events {
            self.state.apply(e);
        }
        self.events.extend(events.clone());
        Ok(events)
    }

    fn ok(&mut self, actor: &Actor, command: Command, at: DateTime<Utc>) -> Vec<Event> {
        self.run(actor, command, at).expect("command accepted")
    }

    fn rejected(&mut self, actor: &Actor, command: Command) -> RejectCode {
        let before = self.state.clone();
        let code = self
            .run(actor, command, t0())
            .expect_err("command rejected")
            .code;
        assert_eq!(self.state, before, "a rejected command changed nothing");
        code
    }
}

fn alice() -> Actor {
    Actor::new("alice", [Role::Commander])
}
fn bob() -> Actor {
    Actor::new("bob", [Role::Responder])
}
fn olive() -> Actor {
    Actor::new("olive", [Role::Observer])
}

#[test]
fn declaring_seats_the_declarer_and_loads_the_first_15_minutes() {
    let sim = Sim::declared(Severity::Sev1, Some("cross_tenant_exposure"));
    let kinds: Vec<&str> = sim.events.iter().map(|e| e.kind.name()).collect();
    assert_eq!(
        kinds,
        [
            "declared",
            "acknowledged",
            "role_assigned",
            "items_added",
            "items_added"
        ]
    );
    assert_eq!(sim.state.holder(Role::Commander), Some("alice"));
    assert_eq!(sim.state.acknowledged_at, Some(t0()));
    assert!(
        sim.state
            .checklist
            .iter()
            .any(|i| i.id.starts_with("first_15_minutes."))
    );
    assert!(
        sim.state
            .checklist
            .iter()
            .any(|i| i.id == "cross_tenant_exposure.1")
    );
    assert_eq!(sim.state.playbooks, ["cross_tenant_exposure"]);
    let seqs: Vec<u64> = sim.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
}

#[test]
fn automation_declares_without_acknowledging_and_the_first_human_acknowledges() {
    let mut sim = Sim {
        state: State::default(),
        events: Vec::new(),
        runbooks: runbooks(),
    };
    let bot = Actor::new("system:alertmanager", [Role::Responder]);
    sim.ok(
        &bot,
        Command::Declare {
            id: "INC-2".into(),
            title: "5xx spike".into(),
            severity: Severity::Sev2,
            playbook: None,
            summary: None,
        },
        t0(),
    );
    assert_eq!(sim.state.acknowledged_at, None);
    assert_eq!(sim.state.holder(Role::Commander), None);
    let later = t0() + Duration::minutes(7);
    let events = sim.ok(
        &bob(),
        Command::AddNote {
            kind: EntryKind::Note,
            text: "looking".into(),
            typed_at: None,
        },
        later,
    );
    assert_eq!(events[0].kind, EventKind::Acknowledged);
    let metrics = Metrics::of(&sim.state, &sim.runbooks, t0() + Duration::days(1));
    assert_eq!(metrics.time_to_acknowledge, Some(Duration::minutes(7)));
    // Nobody holds command: a responder may take it, but may not hand it to someone else.
    assert_eq!(
        sim.rejected(
            &bob(),
            Command::AssignRole {
                role: Role::Commander,
                person: "carol".into()
            }
        ),
        RejectCode::Forbidden
    );
    sim.ok(
        &bob(),
        Command::AssignRole {
            role: Role::Commander,
            person: "bob".into(),
        },
        later,
    );
    // Holding the seat grants the commander's permissions in this incident.
    sim.ok(
        &bob(),
        Command::SetSeverity {
            severity: Severity::Sev1,
            reason: None,
        },
        later,
    );
}

#[test]
fn the_permission_table_is_enforced() {
    let mut sim = Sim::declared(Severity::Sev2, None);
    let note = || Command::AddNote {
        kind: EntryKind::Note,
        text: "x".into(),
        typed_at: None,
    };
    assert_eq!(sim.rejected(&olive(), note()), RejectCode::Forbidden);
    assert_eq!(
        sim.rejected(
            &bob(),
            Command::SetSeverity {
                severity: Severity::Sev1,
                reason: None
            }
        ),
        RejectCode::Forbidden
    );
    assert_eq!(
        sim.rejected(
            &bob(),
            Command::SetStatus {
                status: Status::Resolved,
                reason: None
            }
        ),
        RejectCode::Forbidden
    );
    assert_eq!(
        sim.rejected(
            &bob(),
            Command::SetFlag {
                flag: "personal_data_breach".into(),
                on: true,
                aware_at: None
            }
        ),
        RejectCode::Forbidden
    );
    sim.ok(&bob(), note(), t0());
    // Seating bob as comms lead lets him publish.
    let publish = || Command::Publish {
        template: "internal_update".into(),
        text: "All hands: mitigation in progress.".into(),
        channels: vec![],
    };
    assert_eq!(sim.rejected(&bob(), publish()), RejectCode::Forbidden);
    sim.ok(
        &alice(),
        Command::AssignRole {
            role: Role::Comms,
            person: "bob".into(),
        },
        t0(),
    );
    // The template's default channel is kept where the hub has it.
    sim.runbooks.channels = vec!["internal".into(), "status_page".into()];
    let events = sim.ok(&bob(), publish(), t0());
    assert!(
        matches!(&events[0].kind, EventKind::CommsPublished { channels, .. } if channels == &["internal"])
    );
}

#[test]
fn bad_input_is_rejected_with_a_specific_code() {
    let mut sim = Sim::declared(Severity::Sev2, None);
    let long = "x".repeat(4_001);
    assert_eq!(
        sim.rejected(
            &alice(),
            Command::AddNote {
                kind: EntryKind::Note,
                text: long,
                typed_at: None,
            }
        ),
        RejectCode::TooLarge
    );
    assert_eq!(
        sim.rejected(
            &alice(),
            Command::AddNote {
                kind: EntryKind::Note,
                text: "   ".into(),
                typed_at: None,
            }
        ),
        RejectCode::Invalid
    );
    assert_eq!(
        sim.rejected(
            &alice(),
            Command::AddNote {
                kind: EntryKind::System,
                text: "forged".into(),
                typed_at: None,
            }
        ),
        RejectCode::Invalid
    );
    assert_eq!(
        sim.rejected(
            &alice(),
            Command::ApplyPlaybook {
                playbook: "nope".into()
            }
        ),
        RejectCode::NotFound
    );
    assert_eq!(
        sim.rejected(&alice(), Command::Tick { item: "999".into() }),
        RejectCode::NotFound
    );
    assert_eq!(
        sim.rejected(
            &alice(),
            Command::SetSeverity {
                severity: Severity::Sev2,
                reason: None
            }
        ),
        RejectCode::Unchanged
    );
    assert_eq!(
        sim.rejected(
            &alice(),
            Command::SetFlag {
                flag: "made_up".into(),
                on: true,
                aware_at: None
            }
        ),
        RejectCode::NotFound
    );
    assert_eq!(
        sim.rejected(
            &alice(),
            Command::SetCell {
                tenant: "a\u{7}".into(),
                region: "eu".into(),
                state: CellState::Down
            }
        ),
        RejectCode::Invalid
    );
    let mut empty = Sim {
        state: State::default(),
        events: vec![],
        runbooks: runbooks(),
    };
    assert_eq!(
        empty.rejected(
            &alice(),
            Command::AddNote {
                kind: EntryKind::Note,
                text: "x".into(),
                typed_at: None,
            }
        ),
        RejectCode::NoIncident
    );
    assert_eq!(
        sim.rejected(
            &alice(),
            Command::Declare {
                id: "INC-1".into(),
                title: "again".into(),
                severity: Severity::Sev2,
                playbook: None,
                summary: None
            }
        ),
        RejectCode::AlreadyExists
    );
}

#[test]
fn corrections_supersede_without_erasing() {
    let mut sim = Sim::declared(Severity::Sev2, None);
    let events = sim.ok(
        &bob(),
        Command::AddNote {
            kind: EntryKind::Note,
            text: "db is down".into(),
            typed_at: None,
        },
        t0(),
    );
    let seq = events.last().unwrap().seq;
    // Only the author, the scribe or the commander may correct.
    let carol = Actor::new("carol", [Role::Responder]);
    assert_eq!(
        sim.rejected(
            &carol,
            Command::CorrectNote {
                entry: seq,
                text: "x".into()
            }
        ),
        RejectCode::Forbidden
    );
    sim.ok(
        &bob(),
        Command::CorrectNote {
            entry: seq,
            text: "db replica is down".into(),
        },
        t0(),
    );
    let entry = sim.state.entry(seq).unwrap();
    assert_eq!(entry.text, "db is down");
    assert_eq!(entry.current_text(), "db replica is down");
    // Warroom's own entries cannot be "corrected".
    assert_eq!(
        sim.rejected(
            &alice(),
            Command::CorrectNote {
                entry: 1,
                text: "x".into()
            }
        ),
        RejectCode::Invalid
    );
}

#[test]
fn checklist_items_resolve_by_number_id_and_suffix() {
    let mut sim = Sim::declared(Severity::Sev2, None);
    let first = sim.state.checklist[0].id.clone();
    let suffix = first.rsplit('.').next().unwrap().to_string();
    sim.ok(
        &bob(),
        Command::Tick {
            item: suffix.clone(),
        },
        t0(),
    );
    assert_eq!(
        sim.state.checklist[0].done.as_ref().map(|t| t.by.as_str()),
        Some("bob")
    );
    assert_eq!(
        sim.rejected(&bob(), Command::Tick { item: "1".into() }),
        RejectCode::Unchanged
    );
    sim.ok(&bob(), Command::Untick { item: first }, t0());
    assert!(sim.state.checklist[0].done.is_none());
    sim.ok(
        &alice(),
        Command::AddItem {
            text: "Call the DPO".into(),
            role: Some(Role::Security),
        },
        t0(),
    );
    let added = sim.state.checklist.last().unwrap();
    assert_eq!(
        (added.id.as_str(), added.group.as_str()),
        ("adhoc.1", "Ad hoc")
    );
}

#[test]
fn lifecycle_sets_mitigation_and_resolution_times_and_reopens() {
    let mut sim = Sim::declared(Severity::Sev1, None);
    let at = |m| t0() + Duration::minutes(m);
    let status = |s| Command::SetStatus {
        status: s,
        reason: None,
    };
    sim.ok(&alice(), status(Status::Identified), at(10));
    sim.ok(&alice(), status(Status::Monitoring), at(40));
    sim.ok(&alice(), status(Status::Resolved), at(100));
    let m = Metrics::of(&sim.state, &sim.runbooks, t0() + Duration::days(1));
    assert_eq!(m.time_to_mitigate, Some(Duration::minutes(40)));
    assert_eq!(m.time_to_resolve, Some(Duration::minutes(100)));
    sim.ok(&alice(), status(Status::Investigating), at(120));
    assert_eq!(sim.state.resolved_at, None);
    assert!(
        sim.state
            .timeline
            .last()
            .unwrap()
            .text
            .starts_with("Re-opened")
    );
    sim.ok(&alice(), status(Status::Resolved), at(150));
    assert_eq!(
        Metrics::of(&sim.state, &sim.runbooks, t0() + Duration::days(1)).time_to_mitigate,
        Some(Duration::minutes(40))
    );
    assert_eq!(
        Metrics::of(&sim.state, &sim.runbooks, t0() + Duration::days(1)).time_to_resolve,
        Some(Duration::minutes(150))
    );
}

#[test]
fn clocks_warn_then_go_overdue_and_regulatory_clocks_follow_flags() {
    let mut sim = Sim::declared(Severity::Sev1, None);
    let rb = runbooks();
    let clock = |state: &State, id: &str, at: DateTime<Utc>| {
        clocks::compute(state, &rb, at)
            .into_iter()
            .find(|c| c.id == id)
    };
    // SEV1 updates every 30 minutes from declaration.
    let next = clock(&sim.state, "next_update", t0() + Duration::minutes(5)).unwrap();
    assert_eq!(next.due, t0() + Duration::minutes(30));
    assert_eq!(next.state, ClockState::Running);
    assert_eq!(
        clock(&sim.state, "next_update", t0() + Duration::minutes(25))
            .unwrap()
            .state,
        ClockState::Warning
    );
    assert_eq!(
        clock(&sim.state, "next_update", t0() + Duration::minutes(31))
            .unwrap()
            .state,
        ClockState::Overdue
    );
    // Publishing an internal update restarts it.
    sim.ok(
        &alice(),
        Command::Publish {
            template: "internal_update".into(),
            text: "update".into(),
            channels: vec![],
        },
        t0() + Duration::minutes(20),
    );
    assert_eq!(
        clock(&sim.state, "next_update", t0() + Duration::minutes(31))
            .unwrap()
            .due,
        t0() + Duration::minutes(50)
    );
    // GDPR: 72 hours from (back-dated) awareness, and it can be marked met.
    let aware = t0() - Duration::hours(2);
    sim.ok(
        &alice(),
        Command::SetFlag {
            flag: "personal_data_breach".into(),
            on: true,
            aware_at: Some(aware),
        },
        t0(),
    );
    let gdpr = clocks::compute(&sim.state, &rb, t0())
        .into_iter()
        .find(|c| c.regulatory)
        .expect("a GDPR clock");
    assert_eq!(gdpr.due, aware + Duration::hours(72));
    sim.ok(
        &alice(),
        Command::CompleteClock {
            clock: gdpr.id.clone(),
            note: "filed with the DPA".into(),
        },
        t0(),
    );
    assert_eq!(
        clock(&sim.state, &gdpr.id, t0() + Duration::days(5))
            .unwrap()
            .state,
        ClockState::Met
    );
    // Awareness in the future is refused.
    assert_eq!(
        sim.rejected(
            &alice(),
            Command::SetFlag {
                flag: "sec_material".into(),
                on: true,
                aware_at: Some(t0() + Duration::hours(1))
            }
        ),
        RejectCode::Invalid
    );
    // SEC counts business days: from Friday 09:00, four business days is Thursday 09:00.
    sim.ok(
        &alice(),
        Command::SetFlag {
            flag: "sec_material".into(),
            on: true,
            aware_at: None,
        },
        t0(),
    );
    let sec = clocks::compute(&sim.state, &rb, t0())
        .into_iter()
        .find(|c| c.id.starts_with("sec"))
        .expect("an SEC clock");
    assert_eq!(
        sec.due,
        Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap()
    );
}

#[test]
fn unfreeze_clock_is_ready_after_an_hour_stable() {
    let mut sim = Sim::declared(Severity::Sev2, None);
    sim.ok(
        &alice(),
        Command::SetStatus {
            status: Status::Monitoring,
            reason: None,
        },
        t0(),
    );
    let rb = runbooks();
    let find = |at| {
        clocks::compute(&sim.state, &rb, at)
            .into_iter()
            .find(|c| c.id == "unfreeze")
            .unwrap()
            .state
    };
    assert_eq!(find(t0() + Duration::minutes(59)), ClockState::Running);
    assert_eq!(find(t0() + Duration::minutes(60)), ClockState::Ready);
}

#[test]
fn templates_fill_from_the_incident_and_publishing_refuses_unfilled_fields() {
    let mut sim = Sim::declared(Severity::Sev1, None);
    sim.ok(
        &alice(),
        Command::SetCell {
            tenant: "acme".into(),
            region: "eu-west-1".into(),
            state: CellState::Degraded,
        },
        t0(),
    );
    sim.ok(
        &alice(),
        Command::SetCell {
            tenant: "globex".into(),
            region: "us-east-1".into(),
            state: CellState::Healthy,
        },
        t0(),
    );
    let rb = runbooks();
    let template = rb.template("status_identified").unwrap();
    let empty = render(template, &sim.state, &rb, &FieldValues::new(), t0());
    assert!(!empty.missing.is_empty());
    assert!(empty.text.contains('⟨'));
    let publish = |text: String| Command::Publish {
        template: "status_identified".into(),
        text,
        channels: vec![],
    };
    assert_eq!(
        sim.rejected(&alice(), publish(empty.text.clone())),
        RejectCode::Invalid
    );
    let fields: FieldValues = template
        .fields
        .keys()
        .map(|k| (k.clone(), format!("<{k} value>")))
        .collect();
    // A public template also needs the incident's public title.
    let no_title = render(template, &sim.state, &rb, &fields, t0());
    assert_eq!(no_title.missing, ["public_title"]);
    sim.ok(
        &alice(),
        Command::SetPublicTitle {
            title: "Export errors".into(),
        },
        t0(),
    );
    let full = render(template, &sim.state, &rb, &fields, t0());
    assert!(full.missing.is_empty(), "{:?}", full.missing);
    assert!(
        full.text.contains("eu-west-1"),
        "affected regions filled in: {}",
        full.text
    );
    assert!(
        !full.text.contains("us-east-1"),
        "healthy regions are not affected"
    );
    sim.ok(&alice(), publish(full.text.clone()), t0());
    assert_eq!(
        sim.state.published.last().unwrap().text,
        full.text.trim_end()
    );
    assert_eq!(sim.state.timeline.last().unwrap().kind, EntryKind::Comms);
}

#[test]
fn events_round_trip_through_json_to_the_same_state() {
    let mut sim = Sim::declared(Severity::Sev1, Some("llm_provider_outage"));
    sim.ok(
        &bob(),
        Command::AddNote {
            kind: EntryKind::Action,
            text: "failover to backup \"provider\"\nline 2".into(),
            typed_at: None,
        },
        t0(),
    );
    sim.ok(
        &alice(),
        Command::SetService {
            service: "chat-api".into(),
            state: CellState::Degraded,
        },
        t0(),
    );
    let lines: Vec<String> = sim
        .events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let back: Vec<Event> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(back, sim.events);
    assert_eq!(State::replay(&back), sim.state);
}

fn with_actions(mut sim: Sim) -> Sim {
    #[derive(serde::Deserialize)]
    struct File {
        action: Vec<warroom::incident::action::ActionSpec>,
    }
    let file: File = toml::from_str(include_str!("../assets/actions.example.toml")).unwrap();
    sim.runbooks.actions = file.action;
    sim
}

fn runner() -> Actor {
    Actor::new(warroom::incident::decide_effects::RUNNER, [Role::Responder])
}

#[test]
fn actions_validate_parameters_and_need_two_people_when_marked() {
    use std::collections::BTreeMap;
    use warroom::incident::state::{RunOutcome, RunStatus};
    let mut sim = with_actions(Sim::declared(Severity::Sev1, None));
    let dana = Actor::new("dana", [Role::Security]);
    let erin = Actor::new("erin", [Role::Security]);
    let tenant = |t: &str| BTreeMap::from([("tenant".to_string(), t.to_string())]);
    let request = |t: &str, dry_run| Command::RequestAction {
        action: "isolate_tenant".into(),
        params: tenant(t),
        dry_run,
    };
    // A value that does not match the pattern never reaches a preview.
    assert_eq!(
        sim.rejected(&dana, request("acme; rm -rf /", false)),
        RejectCode::Invalid
    );
    // A responder without one of the action's roles may not ask.
    assert_eq!(
        sim.rejected(&bob(), request("acme", false)),
        RejectCode::Forbidden
    );
    // A dry run shows the request and never runs.
    let dry = sim.ok(&dana, request("acme", true), t0());
    let run = dry[0].seq;
    assert_eq!(sim.state.run(run).unwrap().status, RunStatus::DryRun);
    assert!(
        sim.state
            .timeline
            .last()
            .unwrap()
            .text
            .contains("POST https://")
    );
    let events = sim.ok(&dana, request("acme", false), t0());
    let run = events.last().unwrap().seq;
    assert_eq!(
        sim.state.run(run).unwrap().status,
        RunStatus::AwaitingApproval
    );
    // Two-person rule: not the requester, not someone without the role.
    assert_eq!(
        sim.rejected(&dana, Command::ApproveAction { run }),
        RejectCode::Forbidden
    );
    assert_eq!(
        sim.rejected(&bob(), Command::ApproveAction { run }),
        RejectCode::Forbidden
    );
    // Nobody but the runner records outcomes.
    let result = || Command::RecordActionResult {
        run,
        outcome: RunOutcome::Succeeded,
        status: Some(200),
        duration_ms: 5,
        excerpt: String::new(),
    };
    assert_eq!(sim.rejected(&alice(), result()), RejectCode::Forbidden);
    sim.ok(&erin, Command::ApproveAction { run }, t0());
    assert_eq!(sim.state.run(run).unwrap().status, RunStatus::Ready);
    sim.ok(
        &runner(),
        Command::RecordActionStarted { run, attempt: 1 },
        t0(),
    );
    sim.ok(&runner(), result(), t0());
    let finished = sim.state.run(run).unwrap();
    assert_eq!(
        (finished.status, finished.result_status),
        (RunStatus::Finished(RunOutcome::Succeeded), Some(200))
    );
    assert_eq!(sim.rejected(&runner(), result()), RejectCode::Unchanged);
}

#[test]
fn deliveries_are_recorded_retried_and_restart_the_update_clock() {
    let mut sim = Sim::declared(Severity::Sev1, None);
    sim.runbooks.channels = vec!["internal".into()];
    let events = sim.ok(
        &alice(),
        Command::Publish {
            template: "internal_update".into(),
            text: "update".into(),
            channels: vec![],
        },
        t0() + Duration::minutes(10),
    );
    let published = events.last().unwrap().seq;
    let rb = sim.runbooks.clone();
    let next = |state: &State| {
        clocks::compute(state, &rb, t0())
            .into_iter()
            .find(|c| c.id == "next_update")
            .unwrap()
            .due
    };
    assert_eq!(
        next(&sim.state),
        t0() + Duration::minutes(30),
        "not delivered yet"
    );
    let failed = Command::RecordDelivery {
        published,
        channel: "internal".into(),
        ok: false,
        detail: "HTTP 500".into(),
    };
    sim.ok(&runner(), failed, t0());
    assert_eq!(
        sim.rejected(
            &alice(),
            Command::RecordDelivery {
                published,
                channel: "internal".into(),
                ok: true,
                detail: String::new()
            }
        ),
        RejectCode::Forbidden
    );
    sim.ok(
        &alice(),
        Command::RetryDelivery {
            published,
            channel: "internal".into(),
        },
        t0(),
    );
    sim.ok(
        &runner(),
        Command::RecordDelivery {
            published,
            channel: "internal".into(),
            ok: true,
            detail: "HTTP 200".into(),
        },
        t0(),
    );
    assert_eq!(
        next(&sim.state),
        t0() + Duration::minutes(40),
        "delivered at +10 restarts the 30-minute cadence"
    );
    assert_eq!(
        sim.rejected(
            &alice(),
            Command::Publish {
                template: "internal_update".into(),
                text: "x".into(),
                channels: vec!["pager".into()]
            }
        ),
        RejectCode::NotFound
    );
}

/// The escalation chain from the security report: a `responder` token declares (and so
/// commands the record), seats itself ops, seats an observer as security; none of it
/// reaches production, which only the token's own roles govern.
#[test]
fn seats_govern_the_record_and_never_grant_containment_actions() {
    use std::collections::BTreeMap;
    use warroom::incident::state::RunStatus;
    let mut sim = Sim {
        state: State::default(),
        events: Vec::new(),
        runbooks: with_actions(Sim::declared(Severity::Sev2, None)).runbooks,
    };
    let ops_only: warroom::incident::action::ActionSpec = toml::from_str(
        "id = \"ops_exec\"\ntitle = \"Ops only\"\ndescription = \"D\"\nroles = [\"ops\"]\n\
         confirm = true\ntwo_person = false\nidempotent = true\ntimeout_seconds = 1\n\
         kind = \"exec\"\nargv = [\"/usr/bin/true\"]\n",
    )
    .unwrap();
    sim.runbooks.actions.push(ops_only);
    let rita = Actor::new("rita", [Role::Responder]);
    sim.ok(
        &rita,
        Command::Declare {
            id: "INC-2".into(),
            title: "Escalation".into(),
            severity: Severity::Sev2,
            playbook: None,
            summary: None,
        },
        t0(),
    );
    // The declarer takes command of the record: she steers severity…
    assert_eq!(sim.state.holder(Role::Commander), Some("rita"));
    sim.ok(
        &rita,
        Command::SetSeverity {
            severity: Severity::Sev1,
            reason: None,
        },
        t0(),
    );
    // …but the commander seat does not grant a ["commander", "ops"] action.
    let clamp = Command::RequestAction {
        action: "clamp_tenant_budget".into(),
        params: BTreeMap::from([
            ("tenant".to_string(), "acme".to_string()),
            ("limit_usd".to_string(), "50".to_string()),
        ]),
        dry_run: false,
    };
    assert_eq!(sim.rejected(&rita, clamp.clone()), RejectCode::Forbidden);
    // Seating herself as ops lead is a record change; the ops-only action stays closed.
    sim.ok(
        &rita,
        Command::AssignRole {
            role: Role::Ops,
            person: "rita".into(),
        },
        t0(),
    );
    let ops_exec = || Command::RequestAction {
        action: "ops_exec".into(),
        params: BTreeMap::new(),
        dry_run: false,
    };
    assert_eq!(sim.rejected(&rita, ops_exec()), RejectCode::Forbidden);
    // A dry run previews production: it too needs the token's role.
    let dry = Command::RequestAction {
        action: "ops_exec".into(),
        params: BTreeMap::new(),
        dry_run: true,
    };
    assert_eq!(sim.rejected(&rita, dry), RejectCode::Forbidden);
    // The hub refuses to seat an observer (it knows tokens; see tests/actions_hub.rs);
    // should a log hold such a seat anyway, it grants the observer nothing at all.
    sim.ok(
        &rita,
        Command::AssignRole {
            role: Role::Security,
            person: "olive".into(),
        },
        t0(),
    );
    let dana = Actor::new("dana", [Role::Security]);
    let isolate = Command::RequestAction {
        action: "isolate_tenant".into(),
        params: BTreeMap::from([("tenant".to_string(), "acme".to_string())]),
        dry_run: false,
    };
    let events = sim.ok(&dana, isolate, t0());
    let run = events.last().unwrap().seq;
    assert_eq!(
        sim.rejected(&olive(), Command::ApproveAction { run }),
        RejectCode::Forbidden
    );
    let deny = || Command::DenyAction {
        run,
        reason: "no".into(),
    };
    assert_eq!(sim.rejected(&olive(), deny()), RejectCode::Forbidden);
    let note = Command::AddNote {
        kind: EntryKind::Note,
        text: "I am security now".into(),
        typed_at: None,
    };
    assert_eq!(sim.rejected(&olive(), note), RejectCode::Forbidden);
    // Rita's seats (commander, ops) do not let her approve or deny either.
    assert_eq!(
        sim.rejected(&rita, Command::ApproveAction { run }),
        RejectCode::Forbidden
    );
    assert_eq!(sim.rejected(&rita, deny()), RejectCode::Forbidden);
    assert_eq!(
        sim.state.run(run).unwrap().status,
        RunStatus::AwaitingApproval
    );
    // A second security token approves; ops tokens still request ops actions.
    let erin = Actor::new("erin", [Role::Security]);
    sim.ok(&erin, Command::ApproveAction { run }, t0());
    assert_eq!(sim.state.run(run).unwrap().status, RunStatus::Ready);
    let carol = Actor::new("carol", [Role::Ops]);
    sim.ok(&carol, ops_exec(), t0());
    sim.ok(&carol, clamp, t0());
}
