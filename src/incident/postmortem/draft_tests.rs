//! Tests of `draft`: each section's starting text from a resolved incident.

use super::*;
use crate::incident::event::{Event, EventKind};
use crate::incident::postmortem::SECTIONS;
use crate::incident::severity::Severity;
use crate::incident::template::{Audience, TemplateFile};
use crate::incident::times::MarkedTime;
use chrono::{Duration, TimeZone};

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 5, 0, 0).unwrap() + Duration::minutes(minute)
}

fn runbooks() -> Runbooks {
    let file: TemplateFile = toml::from_str(include_str!(
        "../../../assets/templates/internal_resolution.toml"
    ))
    .unwrap();
    Runbooks {
        templates: vec![Template::try_from(file).unwrap()],
        ..Runbooks::default()
    }
}

/// An incident declared at 05:00 by alice, with `kinds` applied a minute apart.
fn state(kinds: Vec<(&str, EventKind)>) -> State {
    let mut state = State::default();
    let declare = EventKind::Declared {
        id: "INC-1".into(),
        title: "Exports leak".into(),
        severity: Severity::Sev1,
        summary: None,
    };
    let all = std::iter::once(("alice", declare)).chain(kinds);
    for (n, (actor, kind)) in all.enumerate() {
        let seq = n as u64 + 1;
        state.apply(&Event {
            seq,
            at: at(seq as i64 - 1),
            actor: actor.into(),
            command_id: None,
            kind,
        });
    }
    state
}

fn resolved() -> EventKind {
    EventKind::StatusChanged {
        from: Status::Investigating,
        to: Status::Resolved,
        reason: None,
    }
}

fn published(text: &str) -> EventKind {
    EventKind::CommsPublished {
        template: "internal_resolution".into(),
        title: "Internal: resolution".into(),
        audience: Audience::Internal,
        channels: vec![],
        text: text.into(),
    }
}

const RESOLUTION: &str = "RESOLVED: INC-1 | Exports leak\n\
    Impact:    12 tenants saw others' invoices for 47 minutes\n\
    Root cause (preliminary): the tenant filter was skipped on the export path\n\
    Follow-up: ⟨follow_up⟩\n";

#[test]
fn fields_are_read_back_from_an_update_as_published() {
    let found = read_fields(&runbooks().templates[0], RESOLUTION);
    assert_eq!(
        found,
        vec![
            (
                "impact_summary".to_string(),
                "12 tenants saw others' invoices for 47 minutes".to_string()
            ),
            (
                "root_cause_summary".to_string(),
                "the tenant filter was skipped on the export path".to_string()
            ),
        ],
        "an unfilled ⟨follow_up⟩ is not a value"
    );
}

#[test]
fn summary_impact_and_root_cause_come_from_the_resolution_update() {
    let decision = EventKind::NoteAdded {
        kind: EntryKind::Decision,
        text: "disable\nCSV exports".into(),
        typed_at: None,
    };
    let state = state(vec![
        ("bob", decision),
        ("alice", resolved()),
        ("carol", published(RESOLUTION)),
    ]);
    let runbooks = runbooks();
    let summary = draft(&state, &runbooks, at(10), "summary").unwrap();
    assert!(
        summary.starts_with(
            "Exports leak (SEV1) was declared at 2026-11-22 05:00 UTC and resolved at \
             2026-11-22 05:02 UTC. It was mitigated after 2m 00s, resolved after 2m 00s."
        ),
        "{summary}"
    );
    assert!(summary.contains("Impact: 12 tenants saw others' invoices for 47 minutes"));
    assert!(summary.contains("Key decisions:\n- 05:01 disable CSV exports (bob)"));
    let impact = draft(&state, &runbooks, at(10), "impact").unwrap();
    assert_eq!(impact, "12 tenants saw others' invoices for 47 minutes");
    assert_eq!(
        draft(&state, &runbooks, at(10), "root_cause").as_deref(),
        Some(
            "Preliminary, from the resolution update: the tenant filter was skipped on \
             the export path"
        )
    );
    for people_only in [
        "contributing_factors",
        "remediations",
        "attachments",
        "nope",
    ] {
        assert_eq!(draft(&state, &runbooks, at(10), people_only), None);
    }
}

#[test]
fn nothing_known_means_no_draft() {
    let state = state(vec![]);
    for (id, _) in SECTIONS {
        assert_eq!(draft(&state, &runbooks(), at(5), id), None, "{id}");
    }
    // Resolved without a resolution update: a summary, but no impact or cause.
    let state = self::state(vec![("alice", resolved())]);
    assert!(draft(&state, &runbooks(), at(5), "summary").is_some());
    assert_eq!(draft(&state, &runbooks(), at(5), "impact"), None);
    assert_eq!(draft(&state, &runbooks(), at(5), "root_cause"), None);
}

#[test]
fn detection_comes_from_the_marked_times_and_the_alert() {
    let mark = |which, minute| EventKind::TimeSet {
        which,
        time: at(minute),
        previous: None,
    };
    let alert = EventKind::AlertReceived {
        group_key: "g".into(),
        firing: true,
        summary: "ExportErrors high".into(),
        suggested_playbook: None,
    };
    let state = state(vec![
        ("system:alertmanager", alert),
        ("bob", mark(TimeKind::ImpactStart, -30)),
        ("bob", mark(TimeKind::Detected, -5)),
    ]);
    assert_eq!(
        state.times.get(&TimeKind::Detected),
        Some(&MarkedTime {
            at: at(-5),
            by: "bob".into()
        })
    );
    let text = draft(&state, &runbooks(), at(10), "detection").unwrap();
    assert_eq!(
        text,
        "The impact started at 2026-11-22 04:30 UTC (set by bob).\n\
         It was detected at 2026-11-22 04:55 UTC (set by bob).\n\
         Time to detect: 25m 00s.\n\
         Raised by an alert from alertmanager at 2026-11-22 05:01 UTC: ExportErrors high"
    );
}

#[test]
fn what_went_well_and_badly_comes_from_the_measurements_once_resolved() {
    let mut runbooks = runbooks();
    runbooks.severity.level.push(
        toml::from_str(
            "code = \"SEV1\"\nalias = \"P0\"\nname = \"Critical\"\n\
             response_minutes = 15\nupdate_every_minutes = 30\n",
        )
        .unwrap(),
    );
    let run = |title: &str| EventKind::ActionRequested {
        action: title.to_lowercase(),
        title: title.into(),
        params: Default::default(),
        preview: crate::incident::action::Request::Exec {
            argv: vec!["true".into()],
            cwd: None,
            env: Vec::new(),
        },
        roles: Vec::new(),
        two_person: false,
        dry_run: false,
        fingerprint: String::new(),
    };
    let finished = |run, outcome| EventKind::ActionFinished {
        run,
        outcome,
        status: None,
        duration_ms: 0,
        excerpt: String::new(),
    };
    let open = state(vec![
        ("alice", EventKind::Acknowledged),
        ("alice", run("Freeze")),
        ("system:runner", finished(3, RunOutcome::Succeeded)),
        ("alice", run("Isolate")),
        ("system:runner", finished(5, RunOutcome::Failed)),
    ]);
    assert_eq!(
        draft(&open, &runbooks, at(10), "went_well"),
        None,
        "not over yet"
    );
    let mut resolved_state = open.clone();
    resolved_state.apply(&Event {
        seq: 6,
        at: at(6),
        actor: "alice".into(),
        command_id: None,
        kind: resolved(),
    });
    let well = draft(&resolved_state, &runbooks, at(10), "went_well").unwrap();
    assert_eq!(
        well,
        "- acknowledged within the 15-minute response deadline (after 1m 00s)\n\
         - an update went out at least every 30 min\n\
         - containment: Freeze succeeded"
    );
    let badly = draft(&resolved_state, &runbooks, at(10), "went_badly").unwrap();
    assert_eq!(badly, "- containment: Isolate failed");
}
