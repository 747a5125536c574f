//! `decide` for the commands that act on the world through the hub: requesting,
//! approving and recording containment action runs, and recording comms deliveries.
//! The permission rules here: an action's own `roles` say who may request, approve and
//! deny it, checked against the roles the actor's credentials grant
//! ([`production_roles`]) — never against seats held in the incident; the requester
//! never approves their own run; outcomes and deliveries are recorded only by the
//! hub's runner (an automation), never by a person; so are the acknowledgements a
//! channel passes on. Retrying a delivery re-sends a
//! published update, which is the comms record, so it follows the comms rule (seats
//! count) like publishing does.

use super::action::Context;
use super::authority::{is_observer_only, production_roles, record_roles};
use super::command::{Actor, Command};
use super::event::EventKind;
use super::limits::{NOTE_MAX_CHARS, check_name};
use super::rejection::{RejectCode, Rejection};
use super::role::{Permission, Role, permits};
use super::runbook::Runbooks;
use super::state::{RunStatus, State};

pub use super::authority::RUNNER;

fn forbidden(message: impl Into<String>) -> Rejection {
    Rejection::new(RejectCode::Forbidden, message)
}

/// `None` when `command` is not one of these; otherwise the decision.
pub fn decide(
    state: &State,
    actor: &Actor,
    command: &Command,
    runbooks: &Runbooks,
) -> Option<Result<Vec<EventKind>, Rejection>> {
    let result = match command {
        Command::RequestAction {
            action,
            params,
            dry_run,
        } => request(state, actor, action, params, *dry_run, runbooks),
        Command::ApproveAction { run } => approve(state, actor, *run, None),
        Command::DenyAction { run, reason } => approve(state, actor, *run, Some(reason)),
        Command::RecordActionStarted { run, attempt } => runner_only(actor).and_then(|()| {
            let found = state.run(*run).ok_or_else(|| no_run(*run))?;
            match found.status {
                RunStatus::Ready | RunStatus::Running => Ok(vec![EventKind::ActionStarted {
                    run: *run,
                    attempt: *attempt,
                }]),
                other => Err(Rejection::invalid(format!(
                    "run #{run} is {}; it cannot start",
                    other.label()
                ))),
            }
        }),
        Command::RecordActionResult {
            run,
            outcome,
            status,
            duration_ms,
            excerpt,
        } => runner_only(actor).and_then(|()| {
            let found = state.run(*run).ok_or_else(|| no_run(*run))?;
            match found.status {
                RunStatus::Ready | RunStatus::Running => Ok(vec![EventKind::ActionFinished {
                    run: *run,
                    outcome: *outcome,
                    status: *status,
                    duration_ms: *duration_ms,
                    excerpt: excerpt.chars().take(NOTE_MAX_CHARS).collect(),
                }]),
                other => Err(Rejection::unchanged(format!(
                    "run #{run} is already {}",
                    other.label()
                ))),
            }
        }),
        Command::RecordDelivery {
            published,
            channel,
            ok,
            detail,
        } => runner_only(actor).and_then(|()| {
            let found = state
                .published_at_seq(*published)
                .ok_or_else(|| no_update(*published))?;
            if !found.channels.contains(channel) {
                return Err(Rejection::not_found(format!(
                    "update #{published} was not sent to `{channel}`"
                )));
            }
            Ok(vec![EventKind::DeliveryRecorded {
                published: *published,
                channel: channel.clone(),
                ok: *ok,
                detail: detail.chars().take(NOTE_MAX_CHARS).collect(),
            }])
        }),
        Command::RecordAcknowledgement {
            channel,
            ok,
            detail,
        } => runner_only(actor).and_then(|()| {
            // Only a channel that has carried an update of this incident, or paged for
            // it, has an alert to acknowledge.
            let paged = state.paged.contains(channel);
            if !paged && !state.published.iter().any(|p| p.channels.contains(channel)) {
                return Err(Rejection::not_found(format!(
                    "no update of this incident was sent to `{channel}`"
                )));
            }
            Ok(vec![EventKind::AcknowledgementDelivered {
                channel: channel.clone(),
                ok: *ok,
                detail: detail.chars().take(NOTE_MAX_CHARS).collect(),
            }])
        }),
        Command::RecordPage {
            channel,
            resolve,
            ok,
            detail,
        } => runner_only(actor).map(|()| {
            vec![EventKind::PageSent {
                channel: channel.clone(),
                resolve: *resolve,
                ok: *ok,
                detail: detail.chars().take(NOTE_MAX_CHARS).collect(),
            }]
        }),
        Command::RetryDelivery { published, channel } => {
            if !permits(&record_roles(state, actor), Permission::PublishComms) {
                return Some(Err(forbidden(format!(
                    "{} may not retry deliveries: that needs commander or comms",
                    actor.name
                ))));
            }
            let Some(found) = state.published_at_seq(*published) else {
                return Some(Err(no_update(*published)));
            };
            match found.deliveries.get(channel) {
                Some(delivery) if delivery.ok == Some(false) => {
                    Ok(vec![EventKind::DeliveryRetryRequested {
                        published: *published,
                        channel: channel.clone(),
                    }])
                }
                Some(_) => Err(Rejection::unchanged(format!(
                    "delivery to `{channel}` is not failed"
                ))),
                None => Err(Rejection::not_found(format!(
                    "update #{published} was not sent to `{channel}`"
                ))),
            }
        }
        _ => return None,
    };
    Some(result)
}

fn runner_only(actor: &Actor) -> Result<(), Rejection> {
    super::authority::runner_only(actor, "only the hub's runner records outcomes")
}

/// True when the actor's credentials grant one of an action's `roles`. An observer
/// never may, even should an action (or an old log) name the role.
fn may_touch_production(actor: &Actor, roles: &[Role]) -> bool {
    let granted = production_roles(actor);
    !is_observer_only(granted)
        && roles
            .iter()
            .any(|r| *r != Role::Observer && granted.contains(r))
}

fn role_list(roles: &[Role]) -> String {
    roles.iter().map(|r| r.id()).collect::<Vec<_>>().join(", ")
}

fn no_run(run: u64) -> Rejection {
    Rejection::not_found(format!("no action run #{run} in this incident"))
}

fn no_update(seq: u64) -> Rejection {
    Rejection::not_found(format!("no published update #{seq} in this incident"))
}

fn request(
    state: &State,
    actor: &Actor,
    action: &str,
    params: &std::collections::BTreeMap<String, String>,
    dry_run: bool,
    runbooks: &Runbooks,
) -> Result<Vec<EventKind>, Rejection> {
    let spec = runbooks.action(action).ok_or_else(|| {
        if runbooks.actions.is_empty() {
            Rejection::not_found(
                "this hub has no containment actions configured (see docs/ACTIONS.md)",
            )
        } else {
            Rejection::not_found(format!(
                "unknown action `{action}`: `warroom actions` lists them"
            ))
        }
    })?;
    if !may_touch_production(actor, &spec.roles) {
        return Err(forbidden(format!(
            "{} may not request {}: that needs one of {} granted by their token (seats in the incident do not count for actions)",
            actor.name,
            spec.title,
            role_list(&spec.roles)
        )));
    }
    for (name, value) in params {
        check_name(&format!("parameter `{name}`"), value)?;
    }
    spec.validate(params)
        .map_err(|e| Rejection::invalid(e.to_string()))?;
    let severity = state.severity.map_or("SEV?", |s| s.code());
    let context = Context {
        incident_id: &state.id,
        actor: &actor.name,
        severity,
        params,
    };
    let preview = spec
        .render(&context, None)
        .map_err(|e| Rejection::invalid(e.to_string()))?;
    Ok(vec![EventKind::ActionRequested {
        action: spec.id.clone(),
        title: spec.title.clone(),
        params: params.clone(),
        preview,
        roles: spec.roles.clone(),
        two_person: spec.two_person,
        dry_run,
        fingerprint: spec.fingerprint(),
    }])
}

/// Approve (`deny = None`) or deny (`Some(reason)`).
fn approve(
    state: &State,
    actor: &Actor,
    run: u64,
    deny: Option<&String>,
) -> Result<Vec<EventKind>, Rejection> {
    let found = state.run(run).ok_or_else(|| no_run(run))?;
    if found.status != RunStatus::AwaitingApproval {
        return Err(Rejection::unchanged(format!(
            "run #{run} is {}, not awaiting approval",
            found.status.label()
        )));
    }
    if found.requested_by == actor.name {
        return Err(forbidden(format!(
            "{} requested run #{run}; a different responder must approve or deny it",
            actor.name
        )));
    }
    if !may_touch_production(actor, &found.roles) {
        let verb = if deny.is_some() { "deny" } else { "approve" };
        return Err(forbidden(format!(
            "{} may not {verb} {}: that needs one of {} granted by their token (seats in the incident do not count for actions)",
            actor.name,
            found.title,
            role_list(&found.roles)
        )));
    }
    Ok(vec![match deny {
        None => EventKind::ActionApproved { run },
        Some(reason) => EventKind::ActionDenied {
            run,
            reason: reason.chars().take(NOTE_MAX_CHARS).collect(),
        },
    }])
}
