//! Any JSON webhook (`POST /api/v1/intake/<name>`), mapped by an `[[intake]]` block of
//! the hub's config: JSON pointers name the title, group key, severity, summary, status
//! and delivery id in the body. The sender proves itself with a responder token
//! (`Authorization: Bearer`) or, with `hmac = {…}`, a signature header. The group key
//! is `intake/<name>:<value>`, so sources never share incidents by accident.

use super::{
    ANSWER_WITHIN, Delivery, Refusal, Route, answer_within, bearer, delivery_hash, rate_limit,
    read_body, sign, suggest_playbook,
};
use crate::hub::HubState;
use crate::hub::alerts::severity_from_label;
use crate::hub::config::IntakeConfig;
use crate::incident::{Actor, Role, Runbooks};
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;

pub async fn receive(
    State(hub): State<Arc<HubState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(config) = hub.intake.intakes.iter().find(|i| i.name == name).cloned() else {
        let refusal = Refusal::new(
            StatusCode::NOT_FOUND,
            "unconfigured",
            "no [[intake]] with that name on this hub: add one to its config (see README, \"Any JSON webhook\")",
        );
        return refusal.respond(&hub, "unknown");
    };
    let source = format!("intake/{}", config.name);
    match accept(&hub, &config, &source, &headers, peer, body).await {
        Ok(delivery) => answer_within(hub, delivery, ANSWER_WITHIN).await,
        Err(refusal) => refusal.respond(&hub, &source),
    }
}

async fn accept(
    hub: &HubState,
    config: &IntakeConfig,
    source: &str,
    headers: &HeaderMap,
    peer: SocketAddr,
    body: Body,
) -> Result<Delivery, Refusal> {
    let (actor, body) = match &config.hmac {
        None => {
            let sender = bearer(hub, headers, peer).await?;
            rate_limit(&hub.limiters.intake, source)?;
            let actor = Actor::new(format!("system:{source}"), sender.roles);
            (actor, read_body(headers, body).await?)
        }
        Some(hmac) => {
            let body = read_body(headers, body).await?;
            let key = sign::secret(&hmac.secret)?;
            if let Err(refusal) = sign::verify(headers, &hmac.header, &hmac.prefix, &key, &body) {
                hub.metrics
                    .auth_failures
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(hub.throttle.fail(peer.ip())).await;
                return Err(refusal);
            }
            rate_limit(&hub.limiters.intake, source)?;
            // A signature proves the sender, not a person: the least role that may
            // declare and write.
            (
                Actor::new(format!("system:{source}"), [Role::Responder]),
                body,
            )
        }
    };
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| Refusal::malformed(format!("the body is not JSON: {e}")))?;
    read(
        config,
        source,
        &value,
        &body,
        actor,
        hub.registry.runbooks(),
    )
}

/// The text at `pointer`: strings as they are, numbers and booleans written out;
/// nothing for a missing value, `null`, an empty string, an object or an array.
fn text_at(value: &Value, pointer: Option<&str>) -> Option<String> {
    match value.pointer(pointer?)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn read(
    config: &IntakeConfig,
    source: &str,
    value: &Value,
    body: &[u8],
    actor: Actor,
    runbooks: &Runbooks,
) -> Result<Delivery, Refusal> {
    let group = text_at(value, Some(&config.group_key)).ok_or_else(|| {
        Refusal::malformed(format!(
            "the body has no text at group_key \"{}\"",
            config.group_key
        ))
    })?;
    let firing = match config.status.as_deref().and_then(|p| value.pointer(p)) {
        Some(Value::Bool(firing)) => *firing,
        Some(Value::String(status)) => !config
            .resolved_values
            .iter()
            .any(|r| r.eq_ignore_ascii_case(status.trim())),
        _ => true,
    };
    let title = text_at(value, Some(&config.title))
        .unwrap_or_else(|| format!("Alert from {}", config.name));
    let severity = severity_from_label(text_at(value, config.severity.as_deref()).as_deref());
    let about = text_at(value, config.summary.as_deref()).unwrap_or_else(|| title.clone());
    let state = if firing { "firing" } else { "resolved" };
    let summary = format!("{}: {about} ({state}, {group})", config.name);
    let delivery = match text_at(value, config.delivery_id.as_deref()) {
        Some(id) => delivery_hash(id.as_bytes()),
        None => delivery_hash(body),
    };
    Ok(Delivery {
        source: source.to_string(),
        id_prefix: source.to_string(),
        actor,
        route: Route {
            group_key: Some(format!("{source}:{group}")),
            family: None,
        },
        firing,
        may_declare: true,
        severity,
        suggested_playbook: suggest_playbook(runbooks, [title.as_str(), &about]),
        title,
        summary,
        delivery,
        started_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::Severity;

    fn config() -> IntakeConfig {
        let text = "[[intake]]\nname = \"datadog\"\ntitle = \"/title\"\ngroup_key = \"/alert/id\"\n\
                    severity = \"/priority\"\nstatus = \"/transition\"\ndelivery_id = \"/id\"\n\
                    resolved_values = [\"Recovered\"]\n";
        let config = crate::hub::config::HubConfig::parse(text, "w.toml").unwrap();
        config.intakes[0].clone()
    }

    #[test]
    fn pointers_pick_the_fields() {
        let body = serde_json::json!({"id": 77, "title": "Disk full", "priority": "P1",
            "transition": "Triggered", "alert": {"id": "disk-db1"}});
        let actor = Actor::new("system:intake/datadog", [Role::Responder]);
        let runbooks = Runbooks::default();
        let delivery = read(
            &config(),
            "intake/datadog",
            &body,
            b"{}",
            actor.clone(),
            &runbooks,
        )
        .unwrap();
        assert_eq!(
            delivery.route.group_key.as_deref(),
            Some("intake/datadog:disk-db1")
        );
        assert_eq!(delivery.title, "Disk full");
        assert_eq!(
            delivery.severity,
            Severity::Sev2,
            "P1 reads as Alertmanager's P1"
        );
        assert!(delivery.firing);
        assert_eq!(delivery.delivery, delivery_hash(b"77"));
        let resolved = serde_json::json!({"title": "Disk full", "transition": "recovered",
            "alert": {"id": "disk-db1"}});
        let delivery = read(&config(), "s", &resolved, b"{}", actor.clone(), &runbooks).unwrap();
        assert!(!delivery.firing);
        assert_eq!(
            delivery.delivery,
            delivery_hash(b"{}"),
            "no id: the body's hash"
        );
        let keyless = serde_json::json!({"title": "x"});
        let refusal = read(&config(), "s", &keyless, b"{}", actor, &runbooks).unwrap_err();
        assert_eq!(
            refusal.message,
            "the body has no text at group_key \"/alert/id\""
        );
    }
}
