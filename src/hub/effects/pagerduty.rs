//! What a `pagerduty` channel sends: one PagerDuty Events API v2 event per published
//! update, built from the update alone (pure, no I/O). The incident id is the
//! `dedup_key`, so every update of one incident lands on one PagerDuty alert, and the
//! update published once the incident is resolved resolves that alert.

use super::excerpt::clip;
use super::jobs::Update;
use crate::incident::Severity;
use crate::incident::state::Status;
use serde_json::{Value, json};

/// Where events go unless the channel names another `url` (PagerDuty's EU service
/// region, or a local receiver in tests).
pub const EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// PagerDuty refuses a longer `payload.summary`.
const SUMMARY_CHARS: usize = 1024;

/// PagerDuty's four severities, from the incident's: SEV1 pages as `critical`, SEV2 as
/// `error`, SEV3 as `warning`, SEV4 and SEV5 as `info`. An incident without a severity
/// yet pages as `error`: someone thought it worth a page, but nobody said how bad.
pub fn severity(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Sev1) => "critical",
        Some(Severity::Sev2) | None => "error",
        Some(Severity::Sev3) => "warning",
        Some(Severity::Sev4 | Severity::Sev5) => "info",
    }
}

/// "Title: first line of the update", at most [`SUMMARY_CHARS`] characters.
fn summary(update: &Update) -> String {
    let first = update.text.lines().map(str::trim).find(|l| !l.is_empty());
    let whole = match first {
        Some(line) => format!("{}: {line}", update.title),
        None => update.title.clone(),
    };
    clip(&whole, SUMMARY_CHARS)
}

/// The event for `update`: `resolve` when the incident was resolved as it was
/// published (the resolution update), `trigger` otherwise. A trigger for an alert that
/// is already open only updates it in PagerDuty, so each update refreshes the summary
/// and severity without paging twice.
pub fn event(update: &Update, routing_key: &str) -> Value {
    if update.status == Status::Resolved {
        return json!({
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": update.incident,
        });
    }
    json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": update.incident,
        "payload": {
            "summary": summary(update),
            "severity": severity(update.severity),
            "source": "warroom",
            "timestamp": update.published_at,
            "custom_details": {
                "incident": update.incident,
                "status": update.status,
                "log_head": update.head,
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::export::LogHead;
    use crate::incident::template::Audience;

    fn update(text: &str, status: Status) -> Update {
        Update {
            incident: "INC-20261130-1".into(),
            title: "Checkout errors".into(),
            severity: Some(Severity::Sev3),
            status,
            template: "internal_update".into(),
            audience: Audience::Internal,
            text: text.into(),
            published_at: chrono::DateTime::UNIX_EPOCH,
            by: "alice".into(),
            head: LogHead {
                seq: 7,
                hash: "abc".into(),
            },
            seq: 6,
        }
    }

    #[test]
    fn each_severity_maps_to_one_of_pagerdutys_four() {
        let mapped: Vec<_> = [
            Some(Severity::Sev1),
            Some(Severity::Sev2),
            Some(Severity::Sev3),
            Some(Severity::Sev4),
            Some(Severity::Sev5),
            None,
        ]
        .into_iter()
        .map(severity)
        .collect();
        assert_eq!(
            mapped,
            ["critical", "error", "warning", "info", "info", "error"]
        );
    }

    #[test]
    fn the_summary_is_the_title_and_first_line_within_pagerdutys_limit() {
        let short = event(
            &update("\n  Rolled back.  \nMore.", Status::Monitoring),
            "k",
        );
        assert_eq!(short["payload"]["summary"], "Checkout errors: Rolled back.");
        let long = event(&update(&"x".repeat(5000), Status::Monitoring), "k");
        let summary = long["payload"]["summary"].as_str().unwrap();
        assert_eq!(summary.chars().count(), SUMMARY_CHARS);
        assert!(summary.ends_with('…'));
    }

    #[test]
    fn the_resolution_update_resolves_the_same_alert() {
        let resolved = event(&update("Fixed.", Status::Resolved), "key");
        assert_eq!(
            resolved,
            json!({"routing_key": "key", "event_action": "resolve", "dedup_key": "INC-20261130-1"})
        );
    }
}
