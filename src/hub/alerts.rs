//! Prometheus Alertmanager intake (`POST /api/v1/alerts/alertmanager`, webhook payload
//! version 4). A firing group with no open incident declares one; a group already
//! linked (by `groupKey`) appends to its incident's timeline; resolved alerts are noted
//! and never resolve an incident. Retried deliveries (same body) are applied once.
//! Each token may deliver so many times a minute (`alerts_per_minute`, `alert_burst`);
//! over that the answer is 429 with `Retry-After`.

use super::actor::CommandReply;
use super::auth::token_hash;
use super::{HubState, Unavailable};
use crate::engine::Submission;
use crate::incident::{Actor, Command, Runbooks, Severity};
use crate::protocol::RejectReason;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The acting name on alert events: an automation, so it never acknowledges.
pub const ALERT_ACTOR: &str = "system:alertmanager";

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

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

fn answer(incident: &str, action: &str) -> Response {
    Json(serde_json::json!({ "incident": incident, "action": action })).into_response()
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
    let mut words = BTreeSet::new();
    let mut add = |text: &str| {
        let lower = text.to_ascii_lowercase();
        for word in lower.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
            if !word.is_empty() {
                words.insert(word.to_string());
            }
        }
        words.insert(lower);
    };
    for labels in
        std::iter::once(&payload.common_labels).chain(payload.alerts.iter().map(|a| &a.labels))
    {
        for (key, value) in labels {
            add(key);
            add(value);
        }
    }
    let mut best: Option<(usize, &str)> = None;
    for playbook in &runbooks.playbooks {
        let score = playbook
            .match_labels
            .iter()
            .filter(|label| words.contains(&label.to_ascii_lowercase()))
            .count();
        if score > 0 && best.is_none_or(|(top, _)| score > top) {
            best = Some((score, playbook.id.as_str()));
        }
    }
    best.map(|(_, id)| id.to_string())
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
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
    body: Bytes,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(sender) = token.and_then(|t| hub.auth.current().authenticate(t)) else {
        hub.metrics.auth_failures.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(hub.throttle.fail(peer.ip())).await;
        return error(
            StatusCode::UNAUTHORIZED,
            "send `Authorization: Bearer <token>` with a responder token",
        );
    };
    if let Err(limited) = hub.limiters.alerts.check(&sender.name) {
        hub.metrics.rejected(RejectReason::RateLimited);
        tracing::warn!(name = %sender.name, "alert intake over its rate limit");
        let body = serde_json::json!({
            "error": limited.message,
            "retry_after_ms": limited.retry_after_ms(),
        });
        let retry_after = [(header::RETRY_AFTER, limited.retry_after_secs().to_string())];
        return (StatusCode::TOO_MANY_REQUESTS, retry_after, Json(body)).into_response();
    }
    let payload: Payload = match serde_json::from_slice(&body) {
        Ok(payload) => payload,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("not an Alertmanager webhook payload: {e}"),
            );
        }
    };
    if let Some(message) = unsupported_version(payload.version.as_ref()) {
        return error(StatusCode::BAD_REQUEST, message);
    }
    if payload.group_key.is_empty() {
        return error(StatusCode::BAD_REQUEST, "the payload has no groupKey");
    }
    hub.metrics.alerts_received.fetch_add(1, Ordering::Relaxed);
    let actor = Actor::new(ALERT_ACTOR, sender.roles.iter().copied());
    // A retried delivery carries the same body, so the same command ids: applied once.
    let delivery = token_hash(&String::from_utf8_lossy(&body));
    let delivery = delivery.get(..32).unwrap_or_default();
    let firing = payload.status != "resolved";
    let suggested = suggest_playbook(hub.registry.runbooks(), &payload);
    let record = Command::RecordAlert {
        group_key: payload.group_key.clone(),
        firing,
        summary: describe(&payload),
        suggested_playbook: suggested,
    };

    let serialized = hub.registry.alert_lock.lock().await;
    let incident = match hub.registry.incident_for_alert_group(&payload.group_key) {
        Some(incident) => incident,
        None if !firing => return answer("", "ignored"),
        None => {
            let title = payload
                .common_annotations
                .get("summary")
                .or_else(|| payload.common_labels.get("alertname"))
                .or_else(|| payload.group_labels.get("alertname"))
                .cloned()
                .unwrap_or_else(|| "Alert from Alertmanager".to_string());
            let declare = Submission {
                actor: actor.clone(),
                command: Command::Declare {
                    id: String::new(),
                    title: truncate(&title, 200),
                    severity: severity_from_label(
                        payload.common_labels.get("severity").map(String::as_str),
                    ),
                    playbook: None,
                    summary: None,
                },
                command_id: Some(format!("am-declare:{delivery}")),
            };
            match hub.registry.declare(declare).await {
                Ok((id, CommandReply::Applied { .. } | CommandReply::Duplicate { .. })) => {
                    hub.registry.link_alert_group(&payload.group_key, &id);
                    id
                }
                Ok((_, CommandReply::Rejected(r))) => {
                    return error(StatusCode::FORBIDDEN, r.message);
                }
                Ok((_, CommandReply::StorageFailed(m))) => {
                    return error(StatusCode::SERVICE_UNAVAILABLE, m);
                }
                Ok((_, CommandReply::Unavailable(why))) => return unavailable(&why, ""),
                Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            }
        }
    };
    drop(serialized);
    let submission = Submission {
        actor,
        command: record,
        command_id: Some(format!("am-record:{delivery}")),
    };
    match hub.registry.submit(&incident, submission).await {
        CommandReply::Applied { .. } | CommandReply::Duplicate { .. } => {
            let action = if firing { "appended" } else { "noted_resolved" };
            answer(&incident, action)
        }
        CommandReply::Rejected(r) => error(StatusCode::FORBIDDEN, r.message),
        CommandReply::StorageFailed(m) => error(StatusCode::SERVICE_UNAVAILABLE, m),
        CommandReply::Unavailable(why) => unavailable(&why, &incident),
    }
}

/// The answer when the incident could not take the alert: Alertmanager retries 5xx, so
/// what may pass is 503 and what will not is 404.
fn unavailable(why: &Unavailable, incident: &str) -> Response {
    let status = match why {
        Unavailable::NoIncident | Unavailable::Quarantined(_) => StatusCode::NOT_FOUND,
        Unavailable::ShuttingDown | Unavailable::OpenFailed(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    error(status, why.message(incident))
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
