//! One command from a session to its incident: the hub-side checks that `decide`
//! cannot make (an observer is never seated; declares are rate-limited per token),
//! then the registry (declare, or submit to a live or reopened incident), and the
//! answer as the frame the client gets: `ack`, or `reject` with a code that says
//! whether to retry (never `no_incident` for an incident that exists).

use super::HubState;
use super::actor::CommandReply;
use crate::engine::Submission;
use crate::incident::{Actor, Command};
use crate::protocol::{HubFrame, RejectReason};
use std::sync::Arc;

/// A `reject` frame without a retry hint.
pub(super) fn reject(id: &str, code: RejectReason, message: impl Into<String>) -> HubFrame {
    HubFrame::Reject {
        id: id.to_string(),
        code,
        message: message.into(),
        retry_after_ms: None,
    }
}

/// Runs `command` for `actor` and answers it (see the module doc).
pub(super) async fn execute(
    hub: Arc<HubState>,
    actor: Actor,
    id: String,
    incident: Option<String>,
    command: Command,
) -> HubFrame {
    if let Some(refused) = hub.auth.current().refuse(&command) {
        let code = RejectReason::from(refused.code);
        hub.metrics.rejected(code);
        return reject(&id, code, refused.message);
    }
    let submission = Submission {
        actor,
        command,
        command_id: Some(id.clone()),
    };
    let (incident, reply) = match (&submission.command, incident) {
        (Command::Declare { .. }, _) => {
            // A re-sent declare that was applied is answered as a duplicate, whatever
            // the rate; every other declare takes one from the token's bucket.
            if !hub.registry.is_declared(&id)
                && let Err(limited) = hub.limiters.declares.check(&submission.actor.name)
            {
                hub.metrics.rejected(RejectReason::RateLimited);
                return HubFrame::Reject {
                    id,
                    code: RejectReason::RateLimited,
                    message: limited.message.clone(),
                    retry_after_ms: Some(limited.retry_after_ms()),
                };
            }
            match hub.registry.declare(submission).await {
                Ok(result) => result,
                Err(error) => {
                    tracing::error!(%error, "declare failed");
                    hub.metrics.rejected(RejectReason::StorageFailed);
                    return reject(&id, RejectReason::StorageFailed, error.to_string());
                }
            }
        }
        (_, None) => {
            hub.metrics.rejected(RejectReason::Invalid);
            return reject(
                &id,
                RejectReason::Invalid,
                "name the incident this command is for",
            );
        }
        (_, Some(incident)) => {
            let reply = hub.registry.submit(&incident, submission).await;
            (incident, reply)
        }
    };
    match reply {
        CommandReply::Applied { seq } => HubFrame::Ack {
            id,
            incident,
            seq,
            duplicate: false,
        },
        CommandReply::Duplicate { seq } => HubFrame::Ack {
            id,
            incident,
            seq,
            duplicate: true,
        },
        CommandReply::Rejected(rejection) => {
            let code = RejectReason::from(rejection.code);
            hub.metrics.rejected(code);
            reject(&id, code, rejection.message)
        }
        CommandReply::StorageFailed(message) => {
            hub.metrics.rejected(RejectReason::StorageFailed);
            reject(&id, RejectReason::StorageFailed, message)
        }
        // Never `no_incident` for one that exists: shutting down is retryable.
        CommandReply::Unavailable(why) => {
            let code = why.reject_reason();
            hub.metrics.rejected(code);
            reject(&id, code, why.message(&incident))
        }
    }
}
