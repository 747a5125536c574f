//! Prometheus Alertmanager intake (`POST /api/v1/alerts/alertmanager`, webhook payload
//! version 4). A firing group with no open incident declares one; a group already
//! linked (by `groupKey`) appends to its incident's timeline; resolved alerts are noted
//! and never resolve an incident. Retried deliveries (same body) are applied once.
//! Each token may deliver so many times a minute (`alerts_per_minute`, `alert_burst`);
//! over that the answer is 429 with `Retry-After`. What every intake shares (auth, size
//! limit, declare-or-append, answering in time) is in `hub::intake`.

use super::HubState;
use super::intake::{self, Delivery, Refusal, Route, truncate};
use crate::incident::{Actor, Runbooks, Severity};
use crate::protocol::RejectReason;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The acting name on alert events: an automation, so it never acknowledges.
pub const ALERT_ACTOR: &str = "system:alertmanager";
/// The `/metrics` label of this intake.
pub const SOURCE: &str = "alertmanager";

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Payload {
    /// As sent: `None` when left out, `Some(Value::Null)` for `"version": null`.
    #[serde(deserialize_with = "present")]
    pub version: Option<serde_json::Value>,
    pub group_key: String,
    pub status: String,
    pub receiver: String,
    pub group_labels: BTreeMap<String, String>,
    pub common_labels: BTreeMap<String, String>,
    pub common_annotations: BTreeMap<String, String>,
    #[serde(rename = "externalURL")]
    pub external_url: String,
    pub alerts: Vec<Alert>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Alert {
    pub status: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub starts_at: String,
    pub ends_at: String,
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
    pub fingerprint: String,
}

/// Keeps a field that is present, even as `null`, apart from one left out.
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(deserializer).map(Some)
}

/// Why a payload's `version` cannot be read, if it cannot: only `"4"` (or none) can.
fn unsupported_version(version: Option<&serde_json::Value>) -> Option<String> {
    let version = version?;
    (version.as_str() != Some("4")).then(|| {
        format!(
            "payload version {version} is not supported: warroom reads Alertmanager webhook version \"4\" (send \"version\": \"4\" or leave it out)"
        )
    })
}

/// Maps the usual Prometheus `severity` label values (and SEVn/Pn) to a severity;
/// unknown or missing means SEV2, the runbooks' "if unsure" level.
pub fn severity_from_label(label: Option<&str>) -> Severity {
    let Some(label) = label.map(str::trim) else {
        return Severity::Sev2;
    };
    match label.to_ascii_lowercase().as_str() {
        "critical" | "page" | "emergency" | "fatal" => Severity::Sev1,
        "high" | "error" | "major" => Severity::Sev2,
        "warning" | "warn" | "medium" => Severity::Sev3,
        "low" | "minor" => Severity::Sev4,
        "info" | "informational" | "none" => Severity::Sev5,
        _ => label.parse().unwrap_or(Severity::Sev2),
    }
}

/// The playbook whose `match_labels` best match the alert's label keys, values and
/// alert name words; ties go to the first by id.
pub fn suggest_playbook(runbooks: &Runbooks, payload: &Payload) -> Option<String> {
    let labels =
        std::iter::once(&payload.common_labels).chain(payload.alerts.iter().map(|a| &a.labels));
    let words = labels.flat_map(|l| l.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]));
    intake::suggest_playbook(runbooks, words)
}

fn describe(payload: &Payload) -> String {
    let firing = payload
        .alerts
        .iter()
        .filter(|a| a.status != "resolved")
        .count();
    let resolved = payload.alerts.len() - firing;
    let names: BTreeSet<&str> = payload
        .alerts
        .iter()
        .filter_map(|a| a.labels.get("alertname").map(String::as_str))
        .collect();
    let summary = payload
        .common_annotations
        .get("summary")
        .or_else(|| payload.common_annotations.get("description"))
        .map_or(String::new(), |s| format!(" — {s}"));
    let names = names.into_iter().collect::<Vec<_>>().join(", ");
    truncate(
        &format!("{names} ({firing} firing, {resolved} resolved){summary}"),
        1_000,
    )
}

pub async fn alertmanager(
    State(hub): State<Arc<HubState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match accept(&hub, &headers, peer, body).await {
        Ok(delivery) => intake::answer_within(hub, delivery, intake::ANSWER_WITHIN).await,
        Err(refusal) => refusal.respond(&hub, SOURCE),
    }
}

async fn accept(
    hub: &HubState,
    headers: &HeaderMap,
    peer: SocketAddr,
    body: Body,
) -> Result<Delivery, Refusal> {
    let sender = intake::bearer(hub, headers, peer).await?;
    if let Err(refusal) = intake::rate_limit(&hub.limiters.alerts, &sender.name) {
        hub.metrics.rejected(RejectReason::RateLimited);
        return Err(refusal);
    }
    let body = intake::read_body(headers, body).await?;
    let payload: Payload = serde_json::from_slice(&body)
        .map_err(|e| Refusal::malformed(format!("not an Alertmanager webhook payload: {e}")))?;
    if let Some(message) = unsupported_version(payload.version.as_ref()) {
        return Err(Refusal::malformed(message));
    }
    if payload.group_key.is_empty() {
        return Err(Refusal::malformed("the payload has no groupKey"));
    }
    hub.metrics.alerts_received.fetch_add(1, Ordering::Relaxed);
    let title = payload
        .common_annotations
        .get("summary")
        .or_else(|| payload.common_labels.get("alertname"))
        .or_else(|| payload.group_labels.get("alertname"))
        .cloned()
        .unwrap_or_else(|| "Alert from Alertmanager".to_string());
    Ok(Delivery {
        source: SOURCE.into(),
        // Kept from before the shared intake, so retries across an upgrade still match.
        id_prefix: "am".into(),
        actor: Actor::new(ALERT_ACTOR, sender.roles.iter().copied()),
        route: Route {
            group_key: Some(payload.group_key.clone()),
            family: None,
        },
        firing: payload.status != "resolved",
        may_declare: true,
        severity: severity_from_label(payload.common_labels.get("severity").map(String::as_str)),
        suggested_playbook: suggest_playbook(hub.registry.runbooks(), &payload),
        summary: describe(&payload),
        title,
        // A retried delivery carries the same body, so the same command ids.
        delivery: intake::delivery_hash(&body),
        started_at: earliest_start(&payload),
    })
}

/// The earliest `startsAt` of the firing alerts, if any parses.
fn earliest_start(payload: &Payload) -> Option<chrono::DateTime<chrono::Utc>> {
    payload
        .alerts
        .iter()
        .filter(|a| a.status != "resolved")
        .filter_map(|a| chrono::DateTime::parse_from_rfc3339(&a.starts_at).ok())
        .map(|at| at.with_timezone(&chrono::Utc))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_labels_map_to_levels() {
        assert_eq!(severity_from_label(Some("critical")), Severity::Sev1);
        assert_eq!(severity_from_label(Some("warning")), Severity::Sev3);
        assert_eq!(severity_from_label(Some("P0")), Severity::Sev1);
        assert_eq!(severity_from_label(Some("weird")), Severity::Sev2);
        assert_eq!(severity_from_label(None), Severity::Sev2);
    }

    #[test]
    fn only_version_4_or_none_is_read() {
        let version = |body: &str| serde_json::from_str::<Payload>(body).unwrap().version;
        assert_eq!(unsupported_version(version("{}").as_ref()), None);
        assert_eq!(
            unsupported_version(version(r#"{"version":"4"}"#).as_ref()),
            None
        );
        let null = unsupported_version(version(r#"{"version":null}"#).as_ref());
        assert!(null.is_some_and(|m| m.starts_with("payload version null ")));
        let number = unsupported_version(version(r#"{"version":4}"#).as_ref());
        assert!(number.is_some_and(|m| m.contains("version 4 is not")));
    }
}
