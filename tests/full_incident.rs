//! One incident from the alert to what was learned (issue 11, "done when"), against the
//! real hub: Alertmanager declares it, people set detection, mitigation and impact end,
//! resolve it, write every post-mortem section and add follow-ups; the exported
//! post-mortem then has no placeholder and no unwritten section, one timeline, the
//! response metrics as computed here by hand from the recorded times, the follow-ups
//! as its remediations and its due date in business days; the HTML export is the same
//! document as one page.

mod hub_support;

use chrono::{DateTime, Datelike, Duration, SubsecRound, Utc, Weekday};
use hub_support::{http, serve, token, within};
use serde_json::{Value, json};

/// The minutes and seconds `format_duration` writes for these spans.
fn minutes(span: Duration) -> String {
    let secs = span.num_seconds();
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m, s) {
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, _) => format!("{h}h {m:02}m"),
    }
}

/// `days` working days (Monday to Friday) after `from`.
fn business_days_after(from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let mut at = from;
    let mut left = days;
    while left > 0 {
        at += Duration::days(1);
        if !matches!(at.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    at
}

fn alertmanager(starts: DateTime<Utc>) -> String {
    let labels =
        json!({"alertname": "CheckoutErrors", "severity": "critical", "region": "eu-west-1"});
    let summary = json!({"summary": "Checkout API returning 502s"});
    json!({
        "version": "4", "groupKey": "{}:{alertname=\"CheckoutErrors\"}", "truncatedAlerts": 0,
        "status": "firing", "receiver": "warroom", "groupLabels": {"alertname": "CheckoutErrors"},
        "commonLabels": labels, "commonAnnotations": summary, "externalURL": "http://am:9093",
        "alerts": [{
            "status": "firing", "labels": labels, "annotations": summary,
            "startsAt": starts.to_rfc3339(), "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": "f1",
        }],
    })
    .to_string()
}

/// The `at` of the first event of `kind` in a JSON export.
fn first_at(export: &Value, kind: &str) -> DateTime<Utc> {
    let events = export["events"].as_array().expect("events");
    let event = events
        .iter()
        .find(|e| e["type"] == kind || e["kind"] == kind)
        .unwrap_or_else(|| panic!("a {kind} event in {events:?}"));
    event["at"].as_str().expect("at").parse().expect("RFC 3339")
}

#[test]
fn alert_to_post_mortem_exports_a_finished_document_with_metrics_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let ic = token(dir.path(), "ines", "commander");
    let monitor = token(dir.path(), "prometheus", "ops");
    let hub = serve(dir.path(), "", &[]);
    let base = Utc::now().trunc_subsecs(0) - Duration::hours(2);
    let at = |m: i64| (base + Duration::minutes(m)).to_rfc3339();

    // Alertmanager declares (an automation: it acknowledges nothing).
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let bearer = format!("Bearer {monitor}");
    let (status, answer) = runtime.block_on(within(
        "the alert",
        http(
            hub.addr,
            "POST",
            "/api/v1/alerts/alertmanager",
            &[("Authorization", &bearer)],
            alertmanager(base).as_bytes(),
        ),
    ));
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    let id = answer["incident"]
        .as_str()
        .expect("an incident")
        .to_string();

    // People correct detection (five minutes after the impact began), act, resolve.
    hub.ok(&ic, &["times", &id, "--detected", &at(5)]);
    hub.ok(&ic, &["note", &id, "Rolled back deploy 4121; 502s falling"]);
    hub.ok(
        &ic,
        &[
            "times",
            &id,
            "--mitigated",
            &at(30),
            "--impact-end",
            &at(50),
        ],
    );
    hub.ok(
        &ic,
        &[
            "status",
            &id,
            "--set",
            "resolved",
            "--reason",
            "rollback held",
        ],
    );

    // Every section written, and two follow-ups.
    let sections = [
        (
            "summary",
            "Checkout returned 502s for 50 minutes after deploy 4121.",
        ),
        ("impact", "About 12% of checkouts failed in eu-west-1."),
        (
            "detection",
            "The CheckoutErrors alert fired; paged five minutes later.",
        ),
        (
            "root_cause",
            "The new route skipped the connection pool limit.",
        ),
        ("contributing_factors", "- no canary on the new route"),
        ("went_well", "- the rollback took four minutes"),
        ("went_badly", "- the alert threshold was too high"),
        ("remediations", "Tracked as follow-ups below."),
        ("attachments", "- dashboard: checkout-5xx"),
    ];
    let mut args = vec!["postmortem".to_string(), id.clone()];
    for (section, text) in sections {
        args.extend(["--set".to_string(), format!("{section}={text}")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let shown = hub.ok(&ic, &args);
    assert!(!shown.contains("Unwritten:"), "{shown}");
    let due = (Utc::now().date_naive() + Duration::days(10)).to_string();
    for (text, owner, priority) in [
        ("Add a canary stage for new routes", "bob", "P1"),
        ("Lower the checkout 5xx alert threshold", "carol", "P2"),
    ] {
        hub.ok(
            &ic,
            &[
                "followup",
                "add",
                &id,
                text,
                "--owner",
                owner,
                "--due",
                &due,
                "--priority",
                priority,
            ],
        );
    }

    // The JSON export holds the recorded times the metrics are computed from.
    let export: Value = serde_json::from_str(&hub.ok(&ic, &["export", &id, "--format", "json"]))
        .expect("JSON export");
    let acknowledged = first_at(&export, "acknowledged");
    let resolved: DateTime<Utc> = export["incident"]["resolved_at"]
        .as_str()
        .expect("resolved_at")
        .parse()
        .unwrap();
    let detected = base + Duration::minutes(5);
    assert!(
        acknowledged > detected,
        "the note acknowledged, not the alert"
    );

    let md = hub.ok(&ic, &["export", &id, "--format", "md", "--strict"]);
    assert!(!md.contains('⟨'), "no placeholder left:\n{md}");
    assert!(!md.contains("Not written yet"), "{md}");
    assert_eq!(md.matches("## Timeline").count(), 1, "one timeline:\n{md}");
    assert_eq!(md.matches("Rolled back deploy 4121").count(), 1, "{md}");
    assert!(md.contains("The timeline is in the ticket above."), "{md}");
    for (row, value) in [
        ("Time to detect", minutes(Duration::minutes(5))),
        ("Time to acknowledge", minutes(acknowledged - detected)),
        ("Time to mitigate", minutes(Duration::minutes(25))),
        ("Time to resolve", minutes(resolved - detected)),
        ("Impact lasted", minutes(Duration::minutes(50))),
    ] {
        let line = format!("| {row} | {value} |");
        assert!(md.contains(&line), "{line} in:\n{md}");
    }
    // SEV1 (the alert said critical) is answered within 15 minutes: this one was not.
    assert!(
        md.contains("| Response deadline | missed (within 15 min asked"),
        "{md}"
    );
    let due_at = business_days_after(resolved, 5);
    let due_line = format!(
        "| Post-mortem due | {} (5 business days after the resolve; open) |",
        due_at.format("%Y-%m-%d %H:%M UTC")
    );
    assert!(md.contains(&due_line), "{due_line} in:\n{md}");
    // The remediations are the follow-ups, each with its owner, due date and priority.
    let remediations = md
        .split("## Remediations")
        .nth(1)
        .expect("a remediations section");
    for needle in [
        "Add a canary stage for new routes",
        "bob",
        "Lower the checkout 5xx alert threshold",
        "carol",
        &due,
        "P1",
    ] {
        assert!(
            remediations.contains(needle),
            "{needle} in:\n{remediations}"
        );
    }

    // The same document as one self-contained page.
    let html = hub.ok(
        &ic,
        &["export", &id, "--format", "html", "--part", "postmortem"],
    );
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("default-src 'none'"), "{html}");
    assert!(html.contains("<td>Time to detect</td>"), "{html}");
    assert!(html.contains("Add a canary stage for new routes"), "{html}");
    assert!(!html.contains("<script"), "{html}");
}
