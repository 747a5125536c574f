//! What a team running a SEV1 records, through the pure domain: the scope updates
//! report is "ever confirmed harmed" (recovered stays, suspected never enters), names
//! typed wrong are renamed or removed by events, public updates carry a public title,
//! publish-time placeholders are stamped at publish, and notes typed offline keep
//! their typed time.

use chrono::{DateTime, Duration, TimeZone, Utc};
use warroom::catalog;
use warroom::incident::blast::BlastAxis;
use warroom::incident::render::render;
use warroom::incident::runbook::FieldValues;
use warroom::incident::{
    Actor, CellState, Command, Event, RejectCode, Role, Runbooks, Severity, State, decide,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
}

struct Room {
    state: State,
    runbooks: Runbooks,
    clock: DateTime<Utc>,
}

impl Room {
    fn new() -> Room {
        let mut room = Room {
            state: State::default(),
            runbooks: catalog::embedded().expect("embedded catalog"),
            clock: t0(),
        };
        room.ok(Command::Declare {
            id: "INC-1".into(),
            title: "acme sees globex invoices".into(),
            severity: Severity::Sev1,
            playbook: None,
            summary: None,
        });
        room
    }

    fn run(&mut self, command: Command) -> Result<Vec<Event>, warroom::incident::Rejection> {
        self.clock += Duration::seconds(30);
        let alice = Actor::new("alice", [Role::Commander]);
        let events = decide(
            &self.state,
            &alice,
            &command,
            self.clock,
            &self.runbooks,
            None,
        )?;
        for event in &events {
            self.state.apply(event);
        }
        Ok(events)
    }

    fn ok(&mut self, command: Command) {
        self.run(command).expect("accepted");
    }

    fn cell(&mut self, tenant: &str, region: &str, state: CellState) {
        self.ok(Command::SetCell {
            tenant: tenant.into(),
            region: region.into(),
            state,
        });
    }

    fn placeholder(&self, name: &str) -> String {
        warroom::incident::render::built_in(name, &self.state, &self.runbooks, self.clock)
            .unwrap_or_default()
    }
}

#[test]
fn scope_is_every_tenant_ever_harmed_and_now_is_shown_apart() {
    let mut room = Room::new();
    room.cell("globex", "eu-west-1", CellState::Down);
    room.cell("acme", "eu-west-1", CellState::Degraded);
    room.cell("hooli", "us-east-1", CellState::Suspected);
    room.cell("hooli", "us-east-1", CellState::Healthy);
    room.cell("globex", "eu-west-1", CellState::Recovered);
    room.ok(Command::SetService {
        service: "export-api".into(),
        state: CellState::Down,
    });
    room.ok(Command::SetService {
        service: "export-api".into(),
        state: CellState::Recovered,
    });

    assert_eq!(room.placeholder("affected_tenants"), "globex, acme");
    assert_eq!(room.placeholder("affected_regions"), "eu-west-1");
    assert_eq!(room.placeholder("affected_services"), "export-api");
    assert_eq!(
        room.placeholder("tenants_now"),
        "globex recovered, acme degraded, hooli healthy"
    );
    assert_eq!(room.placeholder("services_now"), "export-api recovered");
}

#[test]
fn a_mistyped_region_is_renamed_and_a_stray_one_removed_with_their_cells() {
    let mut room = Room::new();
    room.cell("globex", "eu-west-1eu-west-1", CellState::Down);
    room.cell("initech", "eu-west-1eu-west-1", CellState::Degraded);
    room.cell("initech", "us-east-1", CellState::Suspected);
    room.cell("umbrella", "nowhere", CellState::Suspected);

    room.ok(Command::RenameBlast {
        axis: BlastAxis::Region,
        from: "eu-west-1eu-west-1".into(),
        to: "eu-west-1".into(),
    });
    let blast = &room.state.blast;
    assert_eq!(blast.regions, ["eu-west-1", "us-east-1", "nowhere"]);
    assert_eq!(blast.cell("globex", "eu-west-1"), CellState::Down);
    assert_eq!(blast.cell("initech", "eu-west-1"), CellState::Degraded);
    assert_eq!(blast.scope_regions, ["eu-west-1"]);

    room.ok(Command::RemoveBlast {
        axis: BlastAxis::Region,
        name: "nowhere".into(),
    });
    room.ok(Command::RemoveBlast {
        axis: BlastAxis::Tenant,
        name: "umbrella".into(),
    });
    let blast = &room.state.blast;
    assert_eq!(blast.regions, ["eu-west-1", "us-east-1"]);
    assert_eq!(blast.tenants, ["globex", "initech"]);
    assert!(
        !blast
            .cells
            .keys()
            .any(|(t, r)| t == "umbrella" || r == "nowhere")
    );

    // The history stays on the timeline.
    let texts: Vec<&str> = room
        .state
        .timeline
        .iter()
        .map(|e| e.current_text())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("eu-west-1eu-west-1 renamed to eu-west-1"))
    );
    assert!(texts.iter().any(|t| t.contains("region nowhere removed")));
}

#[test]
fn renaming_onto_an_existing_tenant_merges_and_unknown_names_are_refused() {
    let mut room = Room::new();
    room.cell("acme", "eu-west-1", CellState::Down);
    room.cell("acme-corp", "us-east-1", CellState::Degraded);
    room.ok(Command::RenameBlast {
        axis: BlastAxis::Tenant,
        from: "acme-corp".into(),
        to: "acme".into(),
    });
    let blast = &room.state.blast;
    assert_eq!(blast.tenants, ["acme"]);
    assert_eq!(blast.cell("acme", "us-east-1"), CellState::Degraded);
    assert_eq!(blast.cell("acme", "eu-west-1"), CellState::Down);
    assert_eq!(blast.scope_tenants, ["acme"]);

    let refused = room
        .run(Command::RemoveBlast {
            axis: BlastAxis::Service,
            name: "nope".into(),
        })
        .expect_err("unknown service");
    assert_eq!(refused.code, RejectCode::NotFound);
    assert!(refused.message.contains("no service `nope`"), "{refused}");
    let refused = room
        .run(Command::RenameBlast {
            axis: BlastAxis::Tenant,
            from: "acme".into(),
            to: "acme".into(),
        })
        .expect_err("same name");
    assert_eq!(refused.code, RejectCode::Unchanged);
}

#[test]
fn a_public_update_needs_a_public_title_and_shows_it_not_the_internal_one() {
    let mut room = Room::new();
    let template = room.runbooks.template("status_investigating").cloned();
    let template = template.expect("status_investigating exists");
    let mut fields = FieldValues::new();
    fields.insert("symptom".into(), "errors when exporting invoices".into());
    let text = render(&template, &room.state, &room.runbooks, &fields, room.clock).text;
    assert!(text.contains("⟨public_title⟩"), "{text}");

    let refused = room
        .run(Command::Publish {
            template: "status_investigating".into(),
            text: "Investigating: errors".into(),
            channels: Vec::new(),
        })
        .expect_err("no public title yet");
    assert_eq!(refused.code, RejectCode::Invalid);
    assert!(refused.message.contains("public title"), "{refused}");

    room.ok(Command::SetPublicTitle {
        title: "Invoice export errors".into(),
    });
    let text = render(&template, &room.state, &room.runbooks, &fields, room.clock).text;
    assert!(
        text.starts_with("Invoice export errors: investigating"),
        "{text}"
    );
    assert!(!text.contains("acme") && !text.contains("globex"), "{text}");
    room.ok(Command::Publish {
        template: "status_investigating".into(),
        text,
        channels: Vec::new(),
    });
    // Internal updates are not held to it.
    room.ok(Command::Publish {
        template: "internal_update".into(),
        text: "internal words".into(),
        channels: Vec::new(),
    });
}

#[test]
fn publish_times_are_stamped_by_the_hub_at_the_moment_it_publishes() {
    let mut room = Room::new();
    room.ok(Command::SetPublicTitle {
        title: "Export errors".into(),
    });
    let template = room.runbooks.template("status_investigating").cloned();
    let template = template.expect("status_investigating exists");
    let mut fields = FieldValues::new();
    fields.insert("symptom".into(), "errors".into());
    let drafted = warroom::incident::render::render_for_publish(
        &template,
        &room.state,
        &room.runbooks,
        &fields,
        room.clock,
    )
    .text;
    assert!(drafted.contains("(posted {now})"), "{drafted}");
    // The confirmation stays open for three minutes; the hub publishes at its time.
    room.clock += Duration::minutes(3);
    room.ok(Command::Publish {
        template: "status_investigating".into(),
        text: drafted,
        channels: Vec::new(),
    });
    let published = room.state.published.last().expect("published");
    let at = published.at;
    assert!(
        published
            .text
            .contains(&format!("(posted {})", at.format("%Y-%m-%d %H:%M UTC"))),
        "{}",
        published.text
    );
    // The severity matrix's update cadence, counted from this publish.
    let level = room.runbooks.level(Severity::Sev1).expect("SEV1 level");
    let cadence = level.update_every_minutes.expect("SEV1 has a cadence");
    let next = at + Duration::minutes(i64::from(cadence));
    assert!(
        published.text.contains(&format!(
            "Next update: {}.",
            next.format("%Y-%m-%d %H:%M UTC")
        )),
        "{}",
        published.text
    );
}

#[test]
fn a_note_typed_offline_keeps_its_typed_time_and_a_clock_ahead_is_not_believed() {
    let mut room = Room::new();
    let typed = room.clock - Duration::minutes(4);
    room.ok(Command::AddNote {
        kind: warroom::incident::EntryKind::Note,
        text: "typed while the link was down".into(),
        typed_at: Some(typed),
    });
    let entry = room.state.timeline.last().expect("the note");
    assert_eq!(entry.typed_at, Some(typed + Duration::seconds(0)));
    assert!(entry.at > typed);
    // Typed just now: nothing extra to show. Typed "in the future": not believed.
    for typed_at in [
        room.clock + Duration::seconds(28),
        room.clock + Duration::hours(1),
    ] {
        room.ok(Command::AddNote {
            kind: warroom::incident::EntryKind::Note,
            text: "live".into(),
            typed_at: Some(typed_at),
        });
        assert_eq!(room.state.timeline.last().expect("note").typed_at, None);
    }
}
