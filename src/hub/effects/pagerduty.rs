//! What a `pagerduty` channel sends: one PagerDuty Events API v2 event per published
//! update, built from the update alone (pure, no I/O), and the `acknowledge` sent when
//! a person first acknowledges the incident. The incident id is the `dedup_key`, so
//! every update of one incident lands on one PagerDuty alert, and the update published
//! once the incident is resolved resolves that alert.

use super::excerpt::clip;
use super::jobs::Update;
pub use crate::incident::action::pagerduty::EVENTS_URL;
use crate::incident::action::pagerduty::{SUMMARY_CHARS, links, severity};
use crate::incident::state::Status;
use serde_json::{Value, json};

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
/// and severity without paging twice. With the hub's `public_url`, a trigger links to
/// the incident.
pub fn event(update: &Update, routing_key: &str, public_url: Option<&str>) -> Value {
    if update.status == Status::Resolved {
        return json!({
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": update.incident,
        });
    }
    let mut event = json!({
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
    });
    if let Some(links) = links(public_url, &update.incident) {
        event["links"] = links;
    }
    event
}

/// The page a `page_on_declare` channel sends when an automation declares `job`'s
/// incident: a `trigger` on the incident's alert (the same `dedup_key` its updates and
/// acknowledgement use).
pub fn page(job: &super::jobs::PageJob, routing_key: &str, public_url: Option<&str>) -> Value {
    let summary = clip(
        &format!(
            "[{}] {}",
            job.severity.map_or("SEV?", |s| s.code()),
            job.title
        ),
        SUMMARY_CHARS,
    );
    let mut event = json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": job.incident,
        "payload": {
            "summary": summary,
            "severity": severity(job.severity),
            "source": "warroom",
            "custom_details": {
                "incident": job.incident,
                "declared_by": job.declared_by,
            },
        },
    });
    if let Some(base) = public_url {
        event["links"] = json!([{
            "href": format!("{}/incidents/{}", base.trim_end_matches('/'), job.incident),
            "text": "Open in warroom",
        }]);
    }
    event
}

/// The `resolve` for `incident`'s alert.
pub fn resolve(incident: &str, routing_key: &str) -> Value {
    json!({
        "routing_key": routing_key,
        "event_action": "resolve",
        "dedup_key": incident,
    })
}

/// The `acknowledge` for `incident`'s alert: PagerDuty stops escalating it.
pub fn acknowledge(incident: &str, routing_key: &str) -> Value {
    json!({
        "routing_key": routing_key,
        "event_action": "acknowledge",
        "dedup_key": incident,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::Severity;
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
    fn the_summary_is_the_title_and_first_line_within_pagerdutys_limit() {
        let short = event(
            &update("\n  Rolled back.  \nMore.", Status::Monitoring),
            "k",
            None,
        );
        assert_eq!(short["payload"]["summary"], "Checkout errors: Rolled back.");
        let long = event(&update(&"x".repeat(5000), Status::Monitoring), "k", None);
        let summary = long["payload"]["summary"].as_str().unwrap();
        assert_eq!(summary.chars().count(), SUMMARY_CHARS);
        assert!(summary.ends_with('…'));
    }

    #[test]
    fn a_trigger_links_to_the_incident_when_the_hub_has_a_public_url() {
        let linked = event(
            &update("Rolled back.", Status::Monitoring),
            "k",
            Some("https://warroom.example.com"),
        );
        let expected = json!([{"href": "https://warroom.example.com/incidents/INC-20261130-1",
                               "text": "Open in warroom"}]);
        assert_eq!(linked["links"], expected);
        let plain = event(&update("Rolled back.", Status::Monitoring), "k", None);
        assert_eq!(plain.get("links"), None);
        let resolved = event(&update("Fixed.", Status::Resolved), "k", Some("https://w"));
        assert_eq!(resolved.get("links"), None, "a resolve carries no payload");
    }

    #[test]
    fn the_resolution_update_resolves_the_same_alert() {
        let resolved = event(&update("Fixed.", Status::Resolved), "key", None);
        assert_eq!(
            resolved,
            json!({"routing_key": "key", "event_action": "resolve", "dedup_key": "INC-20261130-1"})
        );
    }
}
