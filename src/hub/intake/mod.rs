//! What every alert intake shares, whatever the source: reading the body under a size
//! limit, bearer-token or signature authentication, a rate limit per source, refusals
//! as one-line JSON errors counted on `/metrics`, and declare-or-append by a source key
//! with command ids made from the source's delivery id (so a retried delivery is
//! applied once). The work runs on its own task: the sender is answered within
//! [`ANSWER_WITHIN`] even if the log is slow, and the work finishes after the answer.
//!
//! One file per source turns its payload into a [`Delivery`]: `alerts` (Alertmanager,
//! in the hub's root), `pagerduty`, `grafana`, and `generic` (`[[intake]]` blocks).

pub mod generic;
pub mod grafana;
pub mod pagerduty;
pub mod sign;

use super::actor::CommandReply;
use super::auth::token_hash;
use super::limits::{PerToken, RateLimited};
use super::{HubState, Unavailable};
use crate::engine::Submission;
use crate::hub::config::{IntakeConfig, PagerDutyConfig};
use crate::incident::times::TimeKind;
use crate::incident::{Actor, Command, Severity};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The largest body any intake reads: what Alertmanager's intake always allowed.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// How long an oversize body is still read (and dropped) so the sender gets its `413`
/// instead of a reset connection; beyond this the connection is just closed.
const DRAIN_BYTES: usize = 8 * MAX_BODY_BYTES;

/// Senders give up after a few seconds (PagerDuty and Slack among the quickest): what
/// is not done by then is answered `202` and finishes after the answer.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(2);

/// The intake sources a hub's configuration names beyond Alertmanager and Grafana.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntakeSources {
    pub pagerduty: Option<PagerDutyConfig>,
    pub intakes: Vec<IntakeConfig>,
    /// Slash commands from Slack and Mattermost (`hub::chat_in`).
    pub chat: crate::hub::chat_in::ChatSources,
}

/// A refused delivery: its HTTP status, the reason counted on `/metrics` and one
/// sentence for the sender. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub reason: &'static str,
    pub message: String,
    pub retry_after: Option<RateLimited>,
}

impl Refusal {
    pub fn new(status: StatusCode, reason: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            reason,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn malformed(message: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::BAD_REQUEST, "malformed", message)
    }

    /// Counts it for `source` and answers `{"error": …}` (with `retry_after_ms` and a
    /// `Retry-After` header when over a rate limit).
    pub fn respond(self, hub: &HubState, source: &str) -> Response {
        hub.metrics.intake.refused(source, self.reason);
        self.answer()
    }

    /// `{"error": …}` (with `retry_after_ms` and a `Retry-After` header when over a
    /// rate limit), without counting it anywhere: the caller counts.
    pub fn answer(self) -> Response {
        let Some(limited) = self.retry_after else {
            return error(self.status, self.message);
        };
        let body = serde_json::json!({
            "error": self.message,
            "retry_after_ms": limited.retry_after_ms(),
        });
        let retry_after = [(header::RETRY_AFTER, limited.retry_after_secs().to_string())];
        (self.status, retry_after, Json(body)).into_response()
    }
}

/// `{"error": message}` on one line.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// Reads the whole body, refusing one over [`MAX_BODY_BYTES`] with `413`.
pub async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, Refusal> {
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the body is over {MAX_BODY_BYTES} bytes: send smaller deliveries (fewer alerts per notification)"
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > DRAIN_BYTES) {
        return Err(too_large());
    }
    let mut stream = body.into_data_stream();
    let mut read = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| Refusal::malformed(format!("the body could not be read: {e}")))?;
        seen = seen.saturating_add(chunk.len());
        if seen > DRAIN_BYTES {
            return Err(too_large());
        }
        if seen <= MAX_BODY_BYTES {
            read.extend_from_slice(&chunk);
        }
    }
    if seen > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(Bytes::from(read))
}

/// The responder whose token is in `Authorization: Bearer …`; a missing or unknown
/// token is `401` after the failed-auth delay for `peer`.
pub async fn bearer(
    hub: &HubState,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Result<Actor, Refusal> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(sender) = token.and_then(|t| hub.auth.current().authenticate(t)) {
        return Ok(sender);
    }
    hub.metrics.auth_failures.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(hub.throttle.fail(peer.ip())).await;
    Err(Refusal::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "send `Authorization: Bearer <token>` with a responder token",
    ))
}

/// Takes one delivery from `key`'s bucket, or refuses with `429`.
pub fn rate_limit(limiter: &PerToken, key: &str) -> Result<(), Refusal> {
    limiter.check(key).map_err(|limited| {
        tracing::warn!(source = %key, "alert intake over its rate limit");
        Refusal {
            status: StatusCode::TOO_MANY_REQUESTS,
            reason: "rate_limited",
            message: limited.message.clone(),
            retry_after: Some(limited),
        }
    })
}

/// The first 32 hex digits of the SHA-256 of a delivery id (or of a body): short,
/// fixed-length and safe in a command id whatever the source sent.
pub fn delivery_hash(id: &[u8]) -> String {
    let hash = token_hash(&String::from_utf8_lossy(id));
    hash.get(..32).unwrap_or_default().to_string()
}

/// Cuts `text` to `max` characters, ending with `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Which incident a delivery belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The source key linking deliveries to one incident (Alertmanager's `groupKey`,
    /// `pagerduty:<incident>@<service>`, …); `None` when the payload cannot say it in
    /// full and only `family` can find the incident (a PagerDuty note).
    pub group_key: Option<String>,
    /// Keys starting with this name the same thing at the source: an open incident
    /// linked under another key of the family refuses the delivery (`409`).
    pub family: Option<Family>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    pub prefix: String,
    /// What the family is, for the refusal: "PagerDuty incident PT4KHLK".
    pub what: String,
}

/// One delivery, in the terms every source shares.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The `/metrics` label.
    pub source: String,
    /// What its command ids start with: `<prefix>-declare:<delivery>`,
    /// `<prefix>-record:<delivery>`.
    pub id_prefix: String,
    pub actor: Actor,
    pub route: Route,
    pub firing: bool,
    /// Whether it may declare when nothing is linked (else it is ignored).
    pub may_declare: bool,
    pub title: String,
    pub severity: Severity,
    pub summary: String,
    pub suggested_playbook: Option<String>,
    /// [`delivery_hash`] of the source's delivery id (or of the body).
    pub delivery: String,
    /// When the source says the problem began (Alertmanager's earliest `startsAt`): an
    /// incident it declares gets it as its impact start and detection time, which
    /// people can correct.
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// What was done with a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub incident: String,
    pub action: &'static str,
}

/// Declares or appends, under the registry's alert lock so that concurrent deliveries
/// for one new key open one incident.
pub async fn deliver(hub: &HubState, delivery: Delivery) -> Result<Accepted, Refusal> {
    let Delivery {
        source,
        id_prefix,
        actor,
        route,
        firing,
        may_declare,
        title,
        severity,
        summary,
        suggested_playbook,
        delivery,
        started_at,
    } = delivery;
    let registry = &hub.registry;
    let serialized = registry.alert_lock.lock().await;
    let linked = route
        .group_key
        .as_deref()
        .and_then(|key| Some((key.to_string(), registry.incident_for_alert_group(key)?)));
    let (group_key, incident) = match (linked, &route.family) {
        (Some(linked), _) => linked,
        (None, family) => {
            let kin = family.as_ref().and_then(|f| {
                Some((
                    f,
                    registry
                        .open_alert_groups_under(&f.prefix)
                        .into_iter()
                        .next()?,
                ))
            });
            match (route.group_key, kin) {
                (Some(key), Some((family, (other, incident)))) => {
                    return Err(Refusal::new(
                        StatusCode::CONFLICT,
                        "conflict",
                        format!(
                            "{} is linked to incident {incident} as `{other}`, and this delivery says `{key}`: nothing was written (one source incident, one war-room incident)",
                            family.what
                        ),
                    ));
                }
                (None, Some((_, linked))) => linked,
                (None, None) => {
                    return Ok(Accepted {
                        incident: String::new(),
                        action: "ignored",
                    });
                }
                (Some(_), None) if !firing || !may_declare => {
                    return Ok(Accepted {
                        incident: String::new(),
                        action: "ignored",
                    });
                }
                (Some(key), None) => {
                    let declare = Submission {
                        actor: actor.clone(),
                        command: Command::Declare {
                            id: String::new(),
                            title: truncate(&title, 200),
                            severity,
                            playbook: None,
                            summary: None,
                        },
                        command_id: Some(format!("{id_prefix}-declare:{delivery}")),
                    };
                    let id = match registry.declare(declare).await {
                        Ok((id, CommandReply::Applied { .. } | CommandReply::Duplicate { .. })) => {
                            id
                        }
                        Ok((_, reply)) => return Err(refused(reply, "")),
                        Err(e) => {
                            return Err(Refusal::new(
                                StatusCode::SERVICE_UNAVAILABLE,
                                "unavailable",
                                e.to_string(),
                            ));
                        }
                    };
                    registry.link_alert_group(&key, &id);
                    propose_times(registry, &actor, &id, &id_prefix, &delivery, started_at).await;
                    (key, id)
                }
            }
        }
    };
    drop(serialized);
    let record = Submission {
        actor,
        command: Command::RecordAlert {
            group_key,
            firing,
            summary: truncate(&summary, 1_000),
            suggested_playbook,
        },
        command_id: Some(format!("{id_prefix}-record:{delivery}")),
    };
    match registry.submit(&incident, record).await {
        reply @ (CommandReply::Applied { .. } | CommandReply::Duplicate { .. }) => {
            if matches!(reply, CommandReply::Applied { .. }) {
                hub.metrics.intake.accepted(&source);
            }
            let action = if firing { "appended" } else { "noted_resolved" };
            Ok(Accepted { incident, action })
        }
        reply => Err(refused(reply, &incident)),
    }
}

/// Sets a new incident's impact start and detection time to when the source says the
/// problem began, if it says and that is not in the future. Best effort: the alert is
/// recorded either way, and people can set the times again (`warroom times`).
async fn propose_times(
    registry: &super::registry::Registry,
    actor: &Actor,
    incident: &str,
    id_prefix: &str,
    delivery: &str,
    started_at: Option<chrono::DateTime<chrono::Utc>>,
) {
    let Some(at) = started_at.filter(|at| *at <= chrono::Utc::now()) else {
        return;
    };
    for which in [TimeKind::ImpactStart, TimeKind::Detected] {
        let set = Submission {
            actor: actor.clone(),
            command: Command::SetTime { which, time: at },
            command_id: Some(format!("{id_prefix}-{which}:{delivery}")),
        };
        let reply = registry.submit(incident, set).await;
        if !matches!(
            reply,
            CommandReply::Applied { .. } | CommandReply::Duplicate { .. }
        ) {
            tracing::warn!(%incident, %which, "the alert's start was not set as the incident's time");
        }
    }
}

/// The refusal for an incident's answer that was not applied: senders retry 5xx, so
/// what may pass is 503 and what will not is 403 or 404.
fn refused(reply: CommandReply, incident: &str) -> Refusal {
    match reply {
        CommandReply::Rejected(r) => Refusal::new(StatusCode::FORBIDDEN, "forbidden", r.message),
        CommandReply::StorageFailed(m) => {
            Refusal::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
        }
        CommandReply::Unavailable(why) => {
            let status = match why {
                Unavailable::NoIncident | Unavailable::Quarantined(_) => StatusCode::NOT_FOUND,
                Unavailable::ShuttingDown | Unavailable::OpenFailed(_) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
            };
            Refusal::new(status, "unavailable", why.message(incident))
        }
        CommandReply::Applied { .. } | CommandReply::Duplicate { .. } => Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unavailable",
            "applied, yet reported as refused",
        ),
    }
}

/// Runs [`deliver`] on its own task and answers with its outcome, or with `202` if it
/// takes longer than `within` (it then finishes after the answer; a refusal it meets is
/// still counted and logged).
pub async fn answer_within(hub: Arc<HubState>, delivery: Delivery, within: Duration) -> Response {
    let source = delivery.source.clone();
    let working = hub.clone();
    let work = tokio::spawn(async move {
        let label = delivery.source.clone();
        let outcome = deliver(&working, delivery).await;
        if let Err(refusal) = &outcome {
            let message = &refusal.message;
            tracing::warn!(source = %label, reason = refusal.reason, "alert delivery refused: {message}");
        }
        outcome
    });
    let late = hub.clone();
    let counted = source.clone();
    let count_late = move |outcome: Result<Accepted, Refusal>| {
        if let Err(refusal) = outcome {
            late.metrics.intake.refused(&counted, refusal.reason);
        }
    };
    match in_time(work, within, count_late).await {
        Some(Ok(Ok(Accepted { incident, action }))) => {
            Json(serde_json::json!({ "incident": incident, "action": action })).into_response()
        }
        Some(Ok(Err(refusal))) => refusal.respond(&hub, &source),
        Some(Err(joined)) => {
            tracing::error!(%joined, "an alert delivery's task failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the delivery failed inside the hub; it was logged",
            )
        }
        None => {
            let body = serde_json::json!({ "incident": "", "action": "accepted" });
            (StatusCode::ACCEPTED, Json(body)).into_response()
        }
    }
}

/// `work`'s outcome if it finishes within `within`; otherwise `None` at once, and the
/// work goes on: `late` gets its outcome when it comes.
pub(crate) async fn in_time<T: Send + 'static>(
    mut work: tokio::task::JoinHandle<T>,
    within: Duration,
    late: impl FnOnce(T) + Send + 'static,
) -> Option<Result<T, tokio::task::JoinError>> {
    match tokio::time::timeout(within, &mut work).await {
        Ok(outcome) => Some(outcome),
        Err(_) => {
            tokio::spawn(async move {
                if let Ok(outcome) = work.await {
                    late(outcome);
                }
            });
            None
        }
    }
}

/// `200 {"incident":"","action":…}`: accepted, nothing to write.
pub fn accepted_nothing(action: &str) -> Response {
    Json(serde_json::json!({ "incident": "", "action": action })).into_response()
}

/// The playbook whose `match_labels` best match the words of `texts` (each text also
/// counts whole); ties go to the first by id.
pub fn suggest_playbook<'a>(
    runbooks: &crate::incident::Runbooks,
    texts: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut words = std::collections::BTreeSet::new();
    for text in texts {
        let lower = text.to_ascii_lowercase();
        for word in lower.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
            if !word.is_empty() {
                words.insert(word.to_string());
            }
        }
        words.insert(lower);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slow_work_is_answered_at_once_and_finishes_after() {
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let work = tokio::spawn(async move {
            let _ = released.await;
            "written"
        });
        let (done, finished) = tokio::sync::oneshot::channel();
        let answered = in_time(work, Duration::from_millis(20), move |outcome| {
            let _ = done.send(outcome);
        });
        assert!(
            answered.await.is_none(),
            "answered before the work was done"
        );
        let _ = release.send(());
        assert_eq!(
            finished.await.ok(),
            Some("written"),
            "the work went on after the answer"
        );

        let quick = tokio::spawn(async { 7 });
        let answered = in_time(quick, Duration::from_secs(10), |_| {}).await;
        assert_eq!(answered.and_then(Result::ok), Some(7));
    }
}
