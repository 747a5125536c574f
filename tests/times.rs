//! Impact times and honest response metrics (issue 11, item 1): times people set, each
//! with who set it, refused in the future or before the impact started; metrics
//! measured from detection; an automation's declare does not acknowledge; the severity
//! matrix's response deadline and update cadence judged; `warroom times` and `status`
//! show them.

use chrono::{DateTime, Duration, TimeZone, Utc};
use warroom::catalog;
use warroom::incident::times::{Metrics, TimeKind};
use warroom::incident::{Actor, Command, RejectCode, Role, Severity, State, Status, decide};

fn alice() -> Actor {
    Actor::new("alice", [Role::Commander])
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap()
}

fn apply(state: &mut State, who: &Actor, command: Command, now: DateTime<Utc>) {
    let runbooks = catalog::embedded().unwrap();
    let events = decide(state, who, &command, now, &runbooks, None)
        .unwrap_or_else(|r| panic!("{command:?}: {}", r.message));
    for e in &events {
        state.apply(e);
    }
}

fn refused(state: &State, command: Command, now: DateTime<Utc>) -> (RejectCode, String) {
    let runbooks = catalog::embedded().unwrap();
    let r = decide(state, &alice(), &command, now, &runbooks, None).expect_err("refused");
    (r.code, r.message)
}

fn declared(who: &Actor, severity: Severity) -> State {
    let mut state = State::default();
    let declare = Command::Declare {
        id: "INC-T".into(),
        title: "Checkout 502s".into(),
        severity,
        playbook: None,
        summary: None,
    };
    apply(&mut state, who, declare, t0());
    state
}

fn set(which: TimeKind, at: DateTime<Utc>) -> Command {
    Command::SetTime { which, time: at }
}

#[test]
fn metrics_are_measured_from_detection_as_computed_by_hand() {
    let runbooks = catalog::embedded().unwrap();
    let mut state = declared(&alice(), Severity::Sev2);
    let m = |minutes: i64| t0() + Duration::minutes(minutes);
    apply(
        &mut state,
        &alice(),
        set(TimeKind::ImpactStart, m(-20)),
        m(1),
    );
    apply(&mut state, &alice(), set(TimeKind::Detected, m(-5)), m(1));
    let status = |status| Command::SetStatus {
        status,
        reason: Some("r".into()),
    };
    apply(&mut state, &alice(), status(Status::Monitoring), m(30));
    apply(&mut state, &alice(), set(TimeKind::ImpactEnd, m(50)), m(55));
    apply(&mut state, &alice(), status(Status::Resolved), m(75));
    let metrics = Metrics::of(&state, &runbooks, m(80));
    assert_eq!(
        metrics.time_to_detect,
        Some(Duration::minutes(15)),
        "-20 → -5"
    );
    // alice declared at 0: a human declaring acknowledges; measured from detection.
    assert_eq!(metrics.time_to_acknowledge, Some(Duration::minutes(5)));
    assert_eq!(
        metrics.time_to_mitigate,
        Some(Duration::minutes(35)),
        "-5 → 30"
    );
    assert_eq!(
        metrics.time_to_resolve,
        Some(Duration::minutes(80)),
        "-5 → 75"
    );
    assert_eq!(
        metrics.impact_duration,
        Some(Duration::minutes(70)),
        "-20 → 50"
    );
    // SEV2: respond within 60 min (met), update every 30 min: no update in 0..75 is
    // one gap of 75 min, over 30: one miss.
    assert_eq!(metrics.response_minutes, Some(60));
    assert_eq!(metrics.response_deadline_met, Some(true));
    assert_eq!(metrics.update_every_minutes, Some(30));
    assert_eq!(metrics.update_cadence_misses, 1);
    let set_by = &state.times[&TimeKind::Detected];
    assert_eq!((set_by.at, set_by.by.as_str()), (m(-5), "alice"));
    // A set time is a line on the timeline.
    assert!(
        state
            .timeline
            .iter()
            .any(|e| e.text == "Detected: 2026-11-30 08:55 UTC"),
        "{:?}",
        state.timeline.iter().map(|e| &e.text).collect::<Vec<_>>()
    );
}

#[test]
fn an_automation_declaring_does_not_acknowledge_and_a_late_ack_misses_the_deadline() {
    let runbooks = catalog::embedded().unwrap();
    let robot = Actor::new("system:alertmanager", [Role::Responder]);
    assert!(robot.is_automation());
    let mut state = declared(&robot, Severity::Sev1);
    assert_eq!(state.acknowledged_at, None);
    let m = |minutes: i64| t0() + Duration::minutes(minutes);
    assert_eq!(
        Metrics::of(&state, &runbooks, m(10)).response_deadline_met,
        None,
        "still open"
    );
    assert_eq!(
        Metrics::of(&state, &runbooks, m(16)).response_deadline_met,
        Some(false)
    );
    apply(&mut state, &alice(), Command::Acknowledge, m(20));
    let metrics = Metrics::of(&state, &runbooks, m(21));
    assert_eq!(metrics.time_to_acknowledge, Some(Duration::minutes(20)));
    assert_eq!(
        metrics.response_deadline_met,
        Some(false),
        "SEV1: within 15 min"
    );
}

#[test]
fn times_in_the_future_or_before_the_impact_are_refused() {
    let mut state = declared(&alice(), Severity::Sev2);
    let m = |minutes: i64| t0() + Duration::minutes(minutes);
    let (code, message) = refused(&state, set(TimeKind::Detected, m(30)), m(10));
    assert_eq!(code, RejectCode::Invalid);
    assert!(message.contains("in the future"), "{message}");
    apply(
        &mut state,
        &alice(),
        set(TimeKind::ImpactStart, m(-10)),
        m(1),
    );
    let (_, message) = refused(&state, set(TimeKind::ImpactEnd, m(-20)), m(1));
    assert!(message.contains("before the impact started"), "{message}");
    apply(&mut state, &alice(), set(TimeKind::Detected, m(-5)), m(1));
    let (_, message) = refused(&state, set(TimeKind::ImpactStart, m(-1)), m(1));
    assert!(message.contains("after it was detected"), "{message}");
    let (code, _) = refused(&state, set(TimeKind::Detected, m(-5)), m(1));
    assert_eq!(code, RejectCode::Unchanged);
    let observer = Actor::new("olga", [Role::Observer]);
    let runbooks = catalog::embedded().unwrap();
    let r = decide(
        &state,
        &observer,
        &set(TimeKind::Mitigated, m(0)),
        m(1),
        &runbooks,
        None,
    )
    .expect_err("an observer sets nothing");
    assert_eq!(r.code, RejectCode::Forbidden);
}

mod cli_support;

fn warroom(data: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    cli_support::warroom_in(data, Some(("alice", "commander")), args)
}

#[test]
fn the_times_command_sets_shows_and_refuses_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (code, out, err) = warroom(data, &["declare", "--title", "Checkout 502s"]);
    assert_eq!(code, Some(0), "{err}");
    let id = out.trim().to_string();
    let (code, out, err) = warroom(
        data,
        &[
            "times",
            &id,
            "--impact-start",
            "2020-01-01T08:00:00Z",
            "--detected",
            "2020-01-01T08:05:00Z",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("time_set"), "{out}");
    assert!(
        out.contains("Impact started 2020-01-01 08:00 UTC (alice)"),
        "{out}"
    );
    assert!(out.contains("Time to detect 5m 00s"), "{out}");
    let out = cli_support::read(data, &["status", &id]);
    assert!(
        out.contains("Time to detect 5m 00s"),
        "status shows them: {out}"
    );
    // A typo writes nothing, not even the good times before it.
    let (code, out, err) = warroom(
        data,
        &[
            "times",
            &id,
            "--mitigated",
            "2020-01-01T09:00:00Z",
            "--impact-end",
            "9.30",
        ],
    );
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(
        err.contains("--impact-end `9.30`") && err.lines().count() == 1,
        "{err}"
    );
    let (_, out, _) = warroom(data, &["times", &id]);
    assert!(
        !out.contains("Mitigated 2020"),
        "nothing was written: {out}"
    );
    let (code, _, err) = warroom(
        data,
        &["times", &id, "--impact-end", "2019-12-31T00:00:00Z"],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("before the impact started") && err.lines().count() == 1,
        "{err}"
    );
}
