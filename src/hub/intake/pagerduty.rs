//! PagerDuty intake (`POST /api/v1/alerts/pagerduty`): V3 webhook subscriptions. Each
//! delivery is signed (`X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>`, with
//! the `[pagerduty] signing_secret` from the hub's environment) and carries one event.
//! `incident.triggered` declares the war-room incident for that PagerDuty incident (or
//! appends to it); acknowledged, escalated, priority_updated, resolved and annotated
//! become timeline entries (`alert_received`) and never change status or severity:
//! people steer the incident. The event's `id` is the delivery id.

use super::{
    ANSWER_WITHIN, Delivery, Family, Refusal, Route, answer_within, rate_limit, read_body, sign,
    suggest_playbook,
};
use crate::hub::HubState;
use crate::hub::alerts::severity_from_label;
use crate::incident::{Actor, Role, Runbooks, Severity};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

/// The `/metrics` label and command id prefix.
pub const SOURCE: &str = "pagerduty";
/// The acting name: an automation (it never acknowledges the war-room incident).
pub const ACTOR: &str = "system:pagerduty";
pub const SIGNATURE_HEADER: &str = "X-PagerDuty-Signature";

/// The event types read; the first declares.
pub const EVENT_TYPES: [&str; 6] = [
    "incident.triggered",
    "incident.acknowledged",
    "incident.escalated",
    "incident.priority_updated",
    "incident.resolved",
    "incident.annotated",
];

#[derive(Debug, Deserialize)]
struct Webhook {
    event: Event,
}

#[derive(Debug, Deserialize)]
struct Event {
    #[serde(default)]
    id: String,
    #[serde(default)]
    event_type: String,
    #[serde(default)]
    agent: Option<Reference>,
    #[serde(default)]
    data: serde_json::Value,
}

/// `{id, summary, html_url, …}`, as PagerDuty references users, services, priorities.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Reference {
    id: String,
    summary: String,
    html_url: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Incident {
    id: String,
    number: Option<u64>,
    title: String,
    html_url: String,
    urgency: String,
    service: Option<Reference>,
    priority: Option<Reference>,
}

/// `incident.annotated`'s data: the note and a reference to its incident.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Note {
    content: String,
    incident: Reference,
}

pub async fn receive(
    State(hub): State<Arc<HubState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match accept(&hub, &headers, peer, body).await {
        Ok(Some(delivery)) => answer_within(hub, delivery, ANSWER_WITHIN).await,
        Ok(None) => super::accepted_nothing("ignored"),
        Err(refusal) => refusal.respond(&hub, SOURCE),
    }
}

/// Checks a delivery and reads it; `None` for PagerDuty's test ping.
async fn accept(
    hub: &HubState,
    headers: &HeaderMap,
    peer: SocketAddr,
    body: Body,
) -> Result<Option<Delivery>, Refusal> {
    let Some(config) = &hub.intake.pagerduty else {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "unconfigured",
            "PagerDuty intake is not configured on this hub: add `[pagerduty]` with signing_secret = \"${PD_SIGNING_SECRET}\" to its config",
        ));
    };
    let body = read_body(headers, body).await?;
    let key = sign::secret(&config.signing_secret)?;
    if let Err(refusal) = sign::verify(headers, SIGNATURE_HEADER, "v1=", &key, &body) {
        hub.metrics
            .auth_failures
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::time::sleep(hub.throttle.fail(peer.ip())).await;
        return Err(refusal);
    }
    rate_limit(&hub.limiters.intake, SOURCE)?;
    let webhook: Webhook = serde_json::from_slice(&body)
        .map_err(|e| Refusal::malformed(format!("not a PagerDuty V3 webhook: {e}")))?;
    read(webhook, hub.registry.runbooks())
}

/// PagerDuty priorities P1 (highest) to P5 are SEV1 to SEV5; other priority names are
/// read like an Alertmanager severity label; without a priority, high urgency is SEV2
/// and low urgency SEV4.
pub fn severity(priority: Option<&str>, urgency: &str) -> Severity {
    if let Some(priority) = priority.map(str::trim).filter(|p| !p.is_empty()) {
        let level = priority
            .strip_prefix(['P', 'p'])
            .and_then(|n| n.parse::<u8>().ok());
        return match level {
            Some(1) => Severity::Sev1,
            Some(2) => Severity::Sev2,
            Some(3) => Severity::Sev3,
            Some(4) => Severity::Sev4,
            Some(5) => Severity::Sev5,
            _ => severity_from_label(Some(priority)),
        };
    }
    match urgency {
        "low" => Severity::Sev4,
        _ => Severity::Sev2,
    }
}

fn read(webhook: Webhook, runbooks: &Runbooks) -> Result<Option<Delivery>, Refusal> {
    let event = webhook.event;
    if event.event_type == "pagey.ping" {
        return Ok(None);
    }
    if !EVENT_TYPES.contains(&event.event_type.as_str()) {
        return Err(Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_event",
            format!(
                "event type `{}` is not read here: subscribe only to {}",
                event.event_type,
                EVENT_TYPES.join(", ")
            ),
        ));
    }
    if event.id.trim().is_empty() {
        return Err(Refusal::malformed("the event has no id"));
    }
    let verb = event
        .event_type
        .strip_prefix("incident.")
        .unwrap_or_default()
        .replace('_', " ");
    let by = event
        .agent
        .as_ref()
        .filter(|a| !a.summary.is_empty())
        .map_or(String::new(), |a| format!(" by {}", a.summary));
    let actor = Actor::new(ACTOR, [Role::Responder]);
    let delivery = super::delivery_hash(event.id.as_bytes());
    if event.event_type == "incident.annotated" {
        let note: Note = serde_json::from_value(event.data)
            .map_err(|e| Refusal::malformed(format!("incident.annotated data: {e}")))?;
        let id = required(&note.incident.id, "data.incident.id")?;
        return Ok(Some(Delivery {
            source: SOURCE.into(),
            id_prefix: SOURCE.into(),
            actor,
            route: Route {
                group_key: None,
                family: Some(family(id)),
            },
            firing: true,
            may_declare: false,
            title: String::new(),
            severity: Severity::Sev2,
            summary: format!("PagerDuty note on {id}{by}: {}", note.content),
            suggested_playbook: None,
            delivery,
            started_at: None,
        }));
    }
    let incident: Incident = serde_json::from_value(event.data)
        .map_err(|e| Refusal::malformed(format!("{} data: {e}", event.event_type)))?;
    let id = required(&incident.id, "data.id")?;
    let service = incident.service.unwrap_or_default();
    let service_id = if service.id.is_empty() {
        "-"
    } else {
        &service.id
    };
    let priority = incident.priority.as_ref().map(|p| p.summary.as_str());
    let number = incident.number.map_or(id.to_string(), |n| format!("#{n}"));
    let mut facts = vec![format!("{id}")];
    if !service.summary.is_empty() {
        facts.push(format!("service {}", service.summary));
    }
    if let Some(priority) = priority.filter(|p| !p.is_empty()) {
        facts.push(priority.to_string());
    }
    if !incident.urgency.is_empty() {
        facts.push(format!("{} urgency", incident.urgency));
    }
    let link = if incident.html_url.is_empty() {
        String::new()
    } else {
        format!(" {}", incident.html_url)
    };
    let summary = format!(
        "PagerDuty incident {number} {verb}{by}: {} ({}){link}",
        incident.title,
        facts.join(", ")
    );
    let title = if incident.title.trim().is_empty() {
        format!("PagerDuty incident {number}")
    } else {
        incident.title.clone()
    };
    Ok(Some(Delivery {
        source: SOURCE.into(),
        id_prefix: SOURCE.into(),
        actor,
        route: Route {
            group_key: Some(format!("pagerduty:{id}@{service_id}")),
            family: Some(family(id)),
        },
        firing: event.event_type != "incident.resolved",
        may_declare: event.event_type == "incident.triggered",
        severity: severity(priority, &incident.urgency),
        suggested_playbook: suggest_playbook(runbooks, [incident.title.as_str(), &service.summary]),
        title,
        summary,
        delivery,
        started_at: None,
    }))
}

fn family(id: &str) -> Family {
    Family {
        prefix: format!("pagerduty:{id}@"),
        what: format!("PagerDuty incident {id}"),
    }
}

fn required<'a>(value: &'a str, field: &str) -> Result<&'a str, Refusal> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Refusal::malformed(format!("the event has no {field}")));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_then_urgency_map_to_severity() {
        assert_eq!(severity(Some("P1"), "high"), Severity::Sev1);
        assert_eq!(severity(Some("P3"), "high"), Severity::Sev3);
        assert_eq!(severity(Some("p5"), "high"), Severity::Sev5);
        assert_eq!(severity(Some("critical"), "low"), Severity::Sev1);
        assert_eq!(severity(None, "high"), Severity::Sev2);
        assert_eq!(severity(Some(""), "low"), Severity::Sev4);
        assert_eq!(severity(None, ""), Severity::Sev2);
    }

    fn webhook(text: &str) -> Webhook {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_triggered_event_declares_under_its_incident_and_service() {
        let text = r#"{"event":{"id":"5ac64822","event_type":"incident.triggered",
            "agent":{"summary":"Earline Greenholt"},
            "data":{"id":"PT4KHLK","type":"incident","number":1234,"title":"The server is on fire.",
            "html_url":"https://acme.pagerduty.com/incidents/PT4KHLK","urgency":"high",
            "service":{"id":"PIJ90N7","summary":"My Mail Service"},"priority":{"summary":"P1"}}}}"#;
        let runbooks = Runbooks::default();
        let delivery = read(webhook(text), &runbooks).unwrap().unwrap();
        assert_eq!(
            delivery.route.group_key.as_deref(),
            Some("pagerduty:PT4KHLK@PIJ90N7")
        );
        assert!(delivery.may_declare && delivery.firing);
        assert_eq!(delivery.severity, Severity::Sev1);
        assert_eq!(
            delivery.summary,
            "PagerDuty incident #1234 triggered by Earline Greenholt: The server is on fire. \
             (PT4KHLK, service My Mail Service, P1, high urgency) https://acme.pagerduty.com/incidents/PT4KHLK"
        );
    }

    #[test]
    fn unknown_types_and_missing_ids_are_refused() {
        let runbooks = Runbooks::default();
        let other = r#"{"event":{"id":"x","event_type":"incident.reassigned","data":{}}}"#;
        let refusal = read(webhook(other), &runbooks).unwrap_err();
        assert_eq!(
            (refusal.status.as_u16(), refusal.reason),
            (422, "unknown_event")
        );
        let ping = r#"{"event":{"id":"x","event_type":"pagey.ping","data":{}}}"#;
        assert!(read(webhook(ping), &runbooks).unwrap().is_none());
        let no_id = r#"{"event":{"event_type":"incident.triggered","data":{"id":"P1"}}}"#;
        assert_eq!(
            read(webhook(no_id), &runbooks).unwrap_err().status.as_u16(),
            400
        );
    }
}
