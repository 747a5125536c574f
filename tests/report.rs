//! `warroom report` over generated incidents (issue 11, item 5): counts by severity and
//! status, nearest-rank p50/p90 of time to acknowledge, mitigate and resolve as
//! computed by hand, missed response deadlines, follow-ups by owner.

mod cli_support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use warroom::catalog;
use warroom::engine::{DataDir, Submission};
use warroom::incident::times::TimeKind;
use warroom::incident::{Actor, Command, Role, Severity, Status};

fn alice() -> Actor {
    Actor::new("alice", [Role::Commander])
}

/// An incident detected `ack` minutes before alice declared it at `at`, mitigated
/// `mitigate` minutes after and resolved `resolve` minutes after the declaration.
fn incident(
    data: &DataDir,
    severity: Severity,
    at: DateTime<Utc>,
    ack: i64,
    mitigate: i64,
    resolve: i64,
) -> String {
    let rb = catalog::embedded().unwrap();
    let submit = |command: Command| Submission {
        actor: alice(),
        command,
        command_id: None,
    };
    let declare = submit(Command::Declare {
        id: String::new(),
        title: format!("{severity} at {at}"),
        severity,
        playbook: None,
        summary: None,
    });
    let mut incident = data.declare(declare, at, &rb).unwrap();
    let minutes = |m: i64| at + Duration::minutes(m);
    let steps = [
        (
            submit(Command::SetTime {
                which: TimeKind::Detected,
                time: minutes(-ack),
            }),
            minutes(1),
        ),
        (
            submit(Command::SetStatus {
                status: Status::Monitoring,
                reason: None,
            }),
            minutes(mitigate),
        ),
        (
            submit(Command::SetStatus {
                status: Status::Resolved,
                reason: Some("fixed".into()),
            }),
            minutes(resolve),
        ),
    ];
    for (step, now) in steps {
        incident.execute_one(step, now, &rb).unwrap();
    }
    incident.state().id.clone()
}

#[test]
fn the_report_matches_percentiles_computed_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let day = |d: u32| Utc.with_ymd_and_hms(2026, 11, d, 9, 0, 0).unwrap();
    // SEV2: acknowledged 5, 10 and 30 min after detection; mitigated 10, 20, 60 min
    // after the declaration (15, 30, 90 from detection); resolved 40, 50, 120 min after
    // (45, 60, 150 from detection).
    incident(&data, Severity::Sev2, day(2), 5, 10, 40);
    incident(&data, Severity::Sev2, day(3), 10, 20, 50);
    let third = incident(&data, Severity::Sev2, day(4), 30, 60, 120);
    // SEV1: acknowledged 20 min after detection: its 15-minute deadline missed.
    incident(&data, Severity::Sev1, day(5), 20, 25, 30);
    let rb = catalog::embedded().unwrap();
    let due = (Utc::now().date_naive() + Duration::days(30)).to_string();
    let mut opened = data.open(&third).unwrap();
    for (owner, text) in [
        ("bob", "canary"),
        ("bob", "threshold"),
        ("carol", "runbook"),
    ] {
        let add = Submission {
            actor: alice(),
            command: Command::AddFollowup {
                text: text.into(),
                owner: owner.into(),
                due: due.parse().unwrap(),
                priority: Default::default(),
                from: None,
            },
            command_id: None,
        };
        opened.execute_one(add, Utc::now(), &rb).unwrap();
    }
    drop(opened);

    let json: serde_json::Value =
        serde_json::from_str(&cli_support::read(dir.path(), &["report", "--json"])).unwrap();
    assert_eq!(json["incidents"], 4);
    let sev2 = &json["by_severity"]["SEV2"];
    assert_eq!(
        (sev2["incidents"].as_u64(), sev2["resolved"].as_u64()),
        (Some(3), Some(3))
    );
    // Nearest rank over three: p50 is the 2nd, p90 the 3rd.
    assert_eq!(sev2["acknowledge_p50"], 600);
    assert_eq!(sev2["acknowledge_p90"], 1800);
    assert_eq!(sev2["mitigate_p50"], 1800);
    assert_eq!(sev2["mitigate_p90"], 5400);
    assert_eq!(sev2["resolve_p50"], 3600);
    assert_eq!(sev2["resolve_p90"], 9000);
    assert_eq!(sev2["response_deadlines_missed"], 0, "SEV2 asks for 60 min");
    let sev1 = &json["by_severity"]["SEV1"];
    assert_eq!(sev1["acknowledge_p50"], 1200);
    assert_eq!(sev1["response_deadlines_missed"], 1, "SEV1 asks for 15 min");
    assert_eq!(json["followups_by_owner"]["bob"]["open"], 2);
    assert_eq!(json["followups_by_owner"]["carol"]["open"], 1);

    let csv = cli_support::read(dir.path(), &["report", "--csv"]);
    assert!(
        csv.lines()
            .any(|l| l.starts_with("SEV2,3,0,3,600,1800,1800,5400,3600,9000,0,")),
        "{csv}"
    );
    let text = cli_support::read(dir.path(), &["report"]);
    assert!(text.starts_with("4 incidents, all time"), "{text}");
    assert!(
        text.contains("Follow-ups of bob: 2 open, 0 overdue"),
        "{text}"
    );
    let recent = cli_support::read(dir.path(), &["report", "--since", "1d", "--json"]);
    assert!(
        recent.contains("\"incidents\": 0"),
        "none declared in the last day: {recent}"
    );
}
