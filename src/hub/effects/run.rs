//! One action run, from job to outcome: the definition must still be the one that was
//! requested; the request is rendered with secrets from the hub's environment (a
//! missing one fails it before anything is sent); each attempt is recorded as started
//! — on disk — before it is sent; only idempotent actions are retried; the outcome,
//! status, duration and a redacted excerpt are recorded last.

use super::excerpt::{EXCERPT_CHARS, clip, redact};
use super::jobs::RunJob;
use super::{Runner, exec, http};
use crate::hub::reply::CommandReply;
use crate::incident::Command;
use crate::incident::action::{ActionSpec, Context, Request};
use crate::incident::state::RunOutcome;
use std::cell::RefCell;
use std::time::{Duration, Instant};

/// Attempts an idempotent action gets at most (others get one).
const MAX_ATTEMPTS: u32 = 3;
/// Secret values shorter than this are not redacted from exec output: an allowlisted
/// `DEBUG=1` would otherwise turn every `1` into `${DEBUG}`. `${NAME}` secrets of http
/// actions are always redacted, whatever their length.
const MIN_ENV_REDACT: usize = 4;
const CHANGED: &str = "the action's definition changed since it was requested; request it again";

/// How one attempt went.
pub(super) enum Verdict {
    Succeeded,
    Failed,
    /// A timeout, a connection error, a 5xx: worth another attempt if the action is
    /// idempotent. `maybe_acted`: the target may have acted on this attempt.
    Retryable {
        maybe_acted: bool,
    },
}

pub(super) struct Attempt {
    pub verdict: Verdict,
    /// HTTP status or exit code.
    pub status: Option<i64>,
    /// What went wrong, in words (no URL).
    pub note: Option<String>,
    /// Response body or stdout+stderr, already redacted and bounded.
    pub output: String,
}

impl Attempt {
    pub fn failed(note: String) -> Attempt {
        Attempt {
            verdict: Verdict::Failed,
            status: None,
            note: Some(note),
            output: String::new(),
        }
    }
}

/// The pause before attempt `next` (2, 3): 200 ms, then 800 ms.
fn pause_before(next: u32) -> Duration {
    Duration::from_millis(200 * 4u64.pow(next.saturating_sub(2)))
}

struct Prepared {
    spec: ActionSpec,
    /// With secrets filled in: never logged or shown.
    request: Request,
    /// The exec environment: the allowlisted variables and their values.
    env: Vec<(String, String)>,
    /// Every value to redact from what is kept.
    secrets: Vec<(String, String)>,
}

fn prepare(runner: &Runner, job: &RunJob) -> Result<Prepared, String> {
    let spec = runner
        .registry
        .runbooks()
        .action(&job.action)
        .filter(|spec| spec.fingerprint() == job.fingerprint)
        .ok_or_else(|| CHANGED.to_string())?
        .clone();
    let context = Context {
        incident_id: &job.incident,
        actor: &job.requested_by,
        severity: &job.severity,
        params: &job.params,
    };
    // What is sent must be exactly what was shown, confirmed and approved.
    if spec.render(&context, None).ok().as_ref() != Some(&job.preview) {
        return Err(CHANGED.to_string());
    }
    let used = RefCell::new(Vec::new());
    let lookup = |name: &str| {
        let value = std::env::var(name).ok()?;
        used.borrow_mut().push((name.to_string(), value.clone()));
        Some(value)
    };
    let request = spec
        .render(&context, Some(&lookup))
        .map_err(|e| e.to_string())?;
    let mut secrets = used.into_inner();
    if let Request::Http { url, .. } = &request {
        super::url_allowed(url)?;
        super::sent_as_shown(url)?;
    }
    let mut env = Vec::new();
    if let Request::Exec { env: names, .. } = &request {
        for name in names {
            let value = std::env::var(name)
                .map_err(|_| format!("the hub has no `{name}` in its environment"))?;
            if value.len() >= MIN_ENV_REDACT {
                secrets.push((name.clone(), value.clone()));
            }
            env.push((name.clone(), value));
        }
    }
    Ok(Prepared {
        spec,
        request,
        env,
        secrets,
    })
}

async fn attempt(runner: &Runner, prepared: &Prepared, limit: Duration) -> Attempt {
    match &prepared.request {
        Request::Http {
            method,
            url,
            headers,
            body,
        } => match &runner.client {
            Ok(client) => {
                let body = body.as_deref();
                http::attempt(client, method, url, headers, body, limit, &prepared.secrets).await
            }
            Err(reason) => Attempt::failed(reason.clone()),
        },
        Request::Exec { argv, cwd, .. } => {
            exec::attempt(
                argv,
                cwd.as_deref(),
                &prepared.env,
                &prepared.secrets,
                limit,
            )
            .await
        }
    }
}

pub(super) async fn run(runner: &Runner, job: RunJob) {
    let began = Instant::now();
    let prepared = match prepare(runner, &job) {
        Ok(prepared) => prepared,
        Err(reason) => {
            return finish(runner, &job, RunOutcome::Failed, None, began, reason).await;
        }
    };
    let idempotent = prepared.spec.idempotent;
    let allowed = if idempotent { MAX_ATTEMPTS } else { 1 };
    let limit = Duration::from_secs(prepared.spec.timeout_seconds);
    let mut number = 1;
    let last = loop {
        let started = Command::RecordActionStarted {
            run: job.run,
            attempt: number,
        };
        let id = format!("runner:{}:started:{number}", job.run);
        match runner.submit(&job.incident, started, id).await {
            CommandReply::Applied { .. } => {}
            other => {
                // Not on disk, so not sent: the run is settled at the next start.
                tracing::error!(incident = %job.incident, action = %job.action, run = job.run, reply = ?other, "could not record the start of an attempt; nothing was sent");
                return;
            }
        }
        let result = attempt(runner, &prepared, limit).await;
        if matches!(result.verdict, Verdict::Retryable { .. }) && number < allowed {
            tokio::time::sleep(pause_before(number + 1)).await;
            number += 1;
            continue;
        }
        break result;
    };
    let outcome = match last.verdict {
        Verdict::Succeeded => RunOutcome::Succeeded,
        Verdict::Failed => RunOutcome::Failed,
        Verdict::Retryable { maybe_acted: true } if !idempotent => RunOutcome::Unknown,
        Verdict::Retryable { .. } => RunOutcome::Failed,
    };
    let mut lines = Vec::new();
    if number > 1 {
        lines.push(format!("after {number} attempts"));
    }
    if let Some(note) = &last.note {
        lines.push(redact(note, &prepared.secrets));
    }
    if outcome == RunOutcome::Unknown {
        lines.push("check the target before running this action again".to_string());
    }
    if !last.output.is_empty() {
        lines.push(last.output);
    }
    let excerpt = clip(&lines.join("\n"), EXCERPT_CHARS);
    finish(runner, &job, outcome, last.status, began, excerpt).await;
}

async fn finish(
    runner: &Runner,
    job: &RunJob,
    outcome: RunOutcome,
    status: Option<i64>,
    began: Instant,
    excerpt: String,
) {
    let duration_ms = u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX);
    let result = Command::RecordActionResult {
        run: job.run,
        outcome,
        status,
        duration_ms,
        excerpt,
    };
    let id = format!("runner:{}:result", job.run);
    match runner.submit(&job.incident, result, id).await {
        CommandReply::Applied { .. } | CommandReply::Duplicate { .. } => {
            tracing::info!(incident = %job.incident, action = %job.action, run = job.run, ?outcome, duration_ms, "action finished");
        }
        other => {
            tracing::error!(incident = %job.incident, action = %job.action, run = job.run, ?outcome, reply = ?other, "could not record an action's outcome");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::effects::excerpt::Secrets;

    #[test]
    fn pauses_grow() {
        assert_eq!(pause_before(2), Duration::from_millis(200));
        assert_eq!(pause_before(3), Duration::from_millis(800));
    }

    #[test]
    fn secrets_in_notes_are_named() {
        let secrets: &Secrets = &[("TOKEN".to_string(), "hunter22".to_string())];
        assert_eq!(redact("bad hunter22", secrets), "bad ${TOKEN}");
    }
}
