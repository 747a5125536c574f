//! Grafana intake (`POST /api/v1/alerts/grafana`): the webhook contact point of Grafana
//! Alerting, Alertmanager-like JSON (`groupKey`, `status`, labels, `alerts[]`) plus
//! `title`, `state`, `message` and `orgId`. Authenticated like Alertmanager, by a
//! responder token (`Authorization: Bearer`); the group key is `grafana:<orgId>:<groupKey>`;
//! Grafana sends no delivery id, so a retry is recognized by its identical body.

use super::{
    ANSWER_WITHIN, Delivery, Refusal, Route, answer_within, bearer, delivery_hash, rate_limit,
    read_body, suggest_playbook,
};
use crate::hub::HubState;
use crate::hub::alerts::{Alert, severity_from_label};
use crate::incident::Actor;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;

pub const SOURCE: &str = "grafana";
pub const ACTOR: &str = "system:grafana";

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Payload {
    pub group_key: String,
    pub status: String,
    pub title: String,
    pub state: String,
    pub message: String,
    pub org_id: Option<i64>,
    pub common_labels: BTreeMap<String, String>,
    pub common_annotations: BTreeMap<String, String>,
    pub alerts: Vec<Alert>,
}

pub async fn receive(
    State(hub): State<Arc<HubState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match accept(&hub, &headers, peer, body).await {
        Ok(delivery) => answer_within(hub, delivery, ANSWER_WITHIN).await,
        Err(refusal) => refusal.respond(&hub, SOURCE),
    }
}

async fn accept(
    hub: &HubState,
    headers: &HeaderMap,
    peer: SocketAddr,
    body: Body,
) -> Result<Delivery, Refusal> {
    let sender = bearer(hub, headers, peer).await?;
    rate_limit(&hub.limiters.intake, SOURCE)?;
    let body = read_body(headers, body).await?;
    let payload: Payload = serde_json::from_slice(&body)
        .map_err(|e| Refusal::malformed(format!("not a Grafana webhook payload: {e}")))?;
    let delivery = read(payload, hub.registry.runbooks(), &sender)?;
    Ok(Delivery {
        delivery: delivery_hash(&body),
        ..delivery
    })
}

fn read(
    payload: Payload,
    runbooks: &crate::incident::Runbooks,
    sender: &Actor,
) -> Result<Delivery, Refusal> {
    if payload.group_key.trim().is_empty() {
        return Err(Refusal::malformed("the payload has no groupKey"));
    }
    let firing = payload.status != "resolved" && payload.state != "ok";
    let names: BTreeSet<&str> = payload
        .alerts
        .iter()
        .filter_map(|a| a.labels.get("alertname").map(String::as_str))
        .collect();
    let count = |resolved: bool| {
        let matching = payload
            .alerts
            .iter()
            .filter(|a| (a.status == "resolved") == resolved);
        matching.count()
    };
    let about = payload
        .common_annotations
        .get("summary")
        .or_else(|| payload.common_annotations.get("description"))
        .unwrap_or(&payload.title);
    let about = if about.is_empty() {
        String::new()
    } else {
        format!(" — {about}")
    };
    let names = names.into_iter().collect::<Vec<_>>().join(", ");
    let summary = format!(
        "Grafana: {names} ({} firing, {} resolved){about}",
        count(false),
        count(true)
    );
    let title = payload
        .common_annotations
        .get("summary")
        .or_else(|| payload.common_labels.get("alertname"))
        .filter(|t| !t.trim().is_empty())
        .cloned()
        .or_else(|| (!payload.title.trim().is_empty()).then(|| payload.title.clone()))
        .unwrap_or_else(|| "Alert from Grafana".to_string());
    let words = payload
        .common_labels
        .iter()
        .chain(payload.alerts.iter().flat_map(|a| a.labels.iter()))
        .flat_map(|(k, v)| [k.as_str(), v.as_str()]);
    let org = payload.org_id.unwrap_or(1);
    Ok(Delivery {
        source: SOURCE.into(),
        id_prefix: SOURCE.into(),
        actor: Actor::new(ACTOR, sender.roles.iter().copied()),
        route: Route {
            group_key: Some(format!("grafana:{org}:{}", payload.group_key)),
            family: None,
        },
        firing,
        may_declare: true,
        severity: severity_from_label(payload.common_labels.get("severity").map(String::as_str)),
        suggested_playbook: suggest_playbook(runbooks, words),
        title,
        summary,
        delivery: String::new(),
        started_at: None,
    })
}
