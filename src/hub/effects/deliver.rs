//! Delivering one published update to one channel: `slack` gets `{"text": …}` with the
//! log head in Slack's message `metadata`, `webhook` gets the update with the
//! incident's headline and the log head as JSON, `pagerduty` gets an Events API v2
//! event (`pagerduty.rs`), `outbox` gets a file (fsync'd). Each ends in
//! `RecordDelivery`, ok or not, whose detail never holds the URL (it may be, or
//! contain, a secret) nor a routing key. A `pagerduty` channel also sends the
//! `acknowledge` of a person's first acknowledgement, recorded the same way
//! (`RecordAcknowledgement`). Deliveries are not retried automatically:
//! posting a status update twice is worse than a person pressing retry.

use super::excerpt::{Secrets, chain, clip, excerpt, redact, seconds};
use super::http::exchange;
use super::jobs::{AcknowledgeJob, DeliveryJob, PageJob, Update};
use super::pagerduty;
use super::{Runner, url_allowed};
use crate::hub::config::{ChannelConfig, ChannelKind};
use crate::hub::reply::CommandReply;
use crate::incident::Command;
use crate::incident::action::{Piece, parse};
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// How much of a failed delivery's response body goes into the detail.
const DETAIL_BODY_CHARS: usize = 200;

pub(super) async fn deliver(runner: &Runner, job: DeliveryJob) {
    let began = Instant::now();
    let channel = runner
        .effects
        .channels
        .iter()
        .find(|c| c.name == job.channel);
    let (ok, detail) = match channel {
        None => (
            false,
            format!("this hub has no channel `{}` any more", job.channel),
        ),
        Some(channel) => match channel.kind {
            ChannelKind::Slack => post(runner, channel, &slack_body(&job.update), None).await,
            ChannelKind::Webhook => post(runner, channel, &job.update, None).await,
            ChannelKind::PagerDuty => page(runner, channel, &job.update).await,
            ChannelKind::Outbox => write_outbox(channel, &job.update).await,
        },
    };
    let command = Command::RecordDelivery {
        published: job.update.seq,
        channel: job.channel.clone(),
        ok,
        detail,
    };
    let id = format!("runner:delivery:{}:{}", job.trigger, job.channel);
    let duration_ms = u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX);
    match runner.submit(&job.update.incident, command, id).await {
        CommandReply::Applied { .. } | CommandReply::Duplicate { .. } => {
            tracing::info!(incident = %job.update.incident, published = job.update.seq, channel = %job.channel, ok, duration_ms, "delivery");
        }
        other => {
            tracing::error!(incident = %job.update.incident, published = job.update.seq, channel = %job.channel, ok, reply = ?other, "could not record a delivery");
        }
    }
}

/// What Slack receives: the text, and the head as message metadata (which Slack keeps
/// with the message for apps, and does not show), so the channel holds a witness too.
fn slack_body(update: &Update) -> serde_json::Value {
    serde_json::json!({
        "text": update.text,
        "metadata": {
            "event_type": "warroom_update",
            "event_payload": {
                "incident": update.incident,
                "published_seq": update.seq,
                "head_seq": update.head.seq,
                "head_hash": update.head.hash,
            },
        },
    })
}

/// The channel's URL with its `${NAME}` secrets filled in from the hub's environment,
/// and those values (to redact).
pub(super) fn resolve_url(template: &str) -> Result<(String, Vec<(String, String)>), String> {
    let (mut url, mut secrets) = (String::new(), Vec::new());
    for piece in parse(template) {
        match piece {
            Piece::Text(text) => url.push_str(&text),
            // Refused when the config loads; kept literally should one get here.
            Piece::Placeholder(name) => url.push_str(&format!("{{{name}}}")),
            Piece::Secret(name) => {
                let value = std::env::var(&name)
                    .map_err(|_| format!("the hub has no `{name}` in its environment"))?;
                url.push_str(&value);
                secrets.push((name, value));
            }
        }
    }
    url_allowed(&url)?;
    Ok((url, secrets))
}

/// A pagerduty channel's routing key: its `${NAME}` and the value, read from the hub's
/// environment now (so rotating it needs no restart).
fn routing_key(channel: &ChannelConfig) -> Result<(String, String), String> {
    let template = channel.routing_key.as_deref().unwrap_or_default();
    // The config check allows exactly one `${NAME}` here.
    let Some(Piece::Secret(name)) = parse(template).into_iter().next() else {
        return Err("the channel has no routing_key".to_string());
    };
    match std::env::var(&name) {
        Ok(key) => Ok((name, key)),
        Err(_) => Err(format!("the hub has no `{name}` in its environment")),
    }
}

/// A PagerDuty event for `update`, the routing key redacted from whatever comes back.
async fn page(runner: &Runner, channel: &ChannelConfig, update: &Update) -> (bool, String) {
    let (name, key) = match routing_key(channel) {
        Ok(found) => found,
        Err(reason) => return (false, reason),
    };
    let public_url = runner.effects.public_url.as_deref();
    let body = pagerduty::event(update, &key, public_url);
    post(runner, channel, &body, Some((name, key))).await
}

/// Tells a `pagerduty` channel's alert that a person has acknowledged the incident,
/// and records how that went. Other kinds keep no alert: nothing is sent or recorded.
pub(super) async fn acknowledge(runner: &Runner, job: AcknowledgeJob) {
    let channel = runner
        .effects
        .channels
        .iter()
        .find(|c| c.name == job.channel && c.kind == ChannelKind::PagerDuty);
    let Some(channel) = channel else {
        return;
    };
    let (ok, detail) = match routing_key(channel) {
        Ok((name, key)) => {
            let body = pagerduty::acknowledge(&job.incident, &key);
            post(runner, channel, &body, Some((name, key))).await
        }
        Err(reason) => (false, reason),
    };
    let command = Command::RecordAcknowledgement {
        channel: job.channel.clone(),
        ok,
        detail,
    };
    let id = format!("runner:acknowledge:{}:{}", job.trigger, job.channel);
    match runner.submit(&job.incident, command, id).await {
        CommandReply::Applied { .. } | CommandReply::Duplicate { .. } => {
            tracing::info!(incident = %job.incident, channel = %job.channel, ok, "acknowledge");
        }
        other => {
            tracing::error!(incident = %job.incident, channel = %job.channel, ok, reply = ?other, "could not record an acknowledge");
        }
    }
}

/// Pages (or resolves the pages) `job` asks for, one channel at a time, each recorded
/// on the timeline as `system:runner`.
pub(super) async fn page_on_declare(runner: &Runner, job: PageJob) {
    let channels: Vec<&ChannelConfig> = runner
        .effects
        .channels
        .iter()
        .filter(|c| c.kind == ChannelKind::PagerDuty)
        .filter(|c| match &job.resolve {
            None => c.page_on_declare,
            Some(open) => open.contains(&c.name),
        })
        .collect();
    for channel in channels {
        let (ok, detail) = match routing_key(channel) {
            Ok((name, key)) => {
                let body = match job.resolve {
                    None => pagerduty::page(&job, &key, runner.effects.public_url.as_deref()),
                    Some(_) => pagerduty::resolve(&job.incident, &key),
                };
                post(runner, channel, &body, Some((name, key))).await
            }
            Err(reason) => (false, reason),
        };
        let resolve = job.resolve.is_some();
        let command = Command::RecordPage {
            channel: channel.name.clone(),
            resolve,
            ok,
            detail,
        };
        let id = format!("runner:page:{}:{}", job.trigger, channel.name);
        match runner.submit(&job.incident, command, id).await {
            CommandReply::Applied { .. } | CommandReply::Duplicate { .. } => {
                tracing::info!(incident = %job.incident, channel = %channel.name, ok, resolve, "page");
            }
            other => {
                tracing::error!(incident = %job.incident, channel = %channel.name, ok, reply = ?other, "could not record a page");
            }
        }
    }
}

/// POSTs `body` as JSON to the channel's URL (PagerDuty's for a pagerduty channel
/// without one). `secret`: one more value, besides the URL's, that the detail must
/// never show.
async fn post(
    runner: &Runner,
    channel: &ChannelConfig,
    body: &impl Serialize,
    secret: Option<(String, String)>,
) -> (bool, String) {
    let template = match (&channel.url, channel.kind) {
        (Some(url), _) => url.as_str(),
        (None, ChannelKind::PagerDuty) => pagerduty::EVENTS_URL,
        (None, _) => "",
    };
    let (url, mut secrets) = match resolve_url(template) {
        Ok(resolved) => resolved,
        Err(reason) => return (false, reason),
    };
    secrets.extend(secret);
    let client = match &runner.client {
        Ok(client) => client,
        Err(reason) => return (false, reason.clone()),
    };
    let limit = Duration::from_secs(channel.timeout_seconds);
    let request = client.post(url).timeout(limit).json(body);
    let no_answer = || (false, format!("no answer within {}", seconds(limit)));
    match tokio::time::timeout(limit, exchange(request)).await {
        Err(_) => no_answer(),
        Ok(Err(error)) if error.is_timeout() => no_answer(),
        Ok(Err(error)) => (false, redact(&chain(&error.without_url()), &secrets)),
        Ok(Ok(answer)) => {
            let code = format!("HTTP {}", answer.status.as_u16());
            if answer.status.is_success() {
                return (true, code);
            }
            (
                false,
                with_body(code, &answer.body, answer.truncated, &secrets),
            )
        }
    }
}

/// "HTTP 404: no_service": the start of the answer says why (Slack answers in words).
pub(super) fn with_body(code: String, body: &[u8], truncated: bool, secrets: &Secrets) -> String {
    let text = excerpt(body, truncated, secrets);
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    match first {
        Some(line) => format!("{code}: {}", clip(line, DETAIL_BODY_CHARS)),
        None => code,
    }
}

/// Letters, digits, `-` and `_` only: ids are already like that, and a file name
/// must never climb out of the outbox.
fn file_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

async fn write_outbox(channel: &ChannelConfig, update: &Update) -> (bool, String) {
    let Some(dir) = channel.dir.clone() else {
        return (false, "the channel has no dir".to_string());
    };
    let name = format!(
        "{}-{}-{}.txt",
        file_part(&update.incident),
        update.seq,
        file_part(&update.template)
    );
    let text = format!("{}\n", update.text);
    let file = name.clone();
    let written =
        tokio::task::spawn_blocking(move || write_synced(&dir, &file, text.as_bytes())).await;
    match written {
        Ok(Ok(())) => (true, format!("written to {name}")),
        Ok(Err(error)) => (false, format!("cannot write {name}: {error}")),
        Err(error) => (false, format!("cannot write {name}: {error}")),
    }
}

/// Writes `dir/name` whole or not at all (temporary file, fsync, rename, fsync dir), so
/// a tool watching the outbox never reads half an update.
fn write_synced(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    crate::store::private::create_dir_all(dir)?;
    let temporary = dir.join(format!(".{name}.tmp"));
    let mut file = crate::store::private::file_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temporary)?;
    crate::store::private::restrict(&file)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, dir.join(name))?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_stay_in_the_outbox() {
        assert_eq!(file_part("../etc/passwd"), "___etc_passwd");
        assert_eq!(file_part("INC-20260101-1"), "INC-20260101-1");
    }

    #[test]
    fn failure_details_name_the_status_and_redact() {
        let secrets = [("HOOK".to_string(), "abc123token".to_string())];
        let detail = with_body(
            "HTTP 403".into(),
            b"\nbad token abc123token\n",
            false,
            &secrets,
        );
        assert_eq!(detail, "HTTP 403: bad token ${HOOK}");
    }
}
