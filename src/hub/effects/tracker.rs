//! Sending one follow-up to one issue tracker (`[[tracker]]`): the configured method
//! and URL, the headers with their `${NAME}` secrets filled from the hub's environment
//! now, the body template filled JSON-escaped, no redirect followed, one attempt. It
//! ends in `RecordFollowupSend`: linked (the issue's URL, read at the configured JSON
//! pointer of a 2xx answer), failed (refused, or nothing could be sent: the follow-up
//! stays open and may be sent again) or unknown (the request may have created an issue
//! — no answer in time, a broken answer, a 2xx without the URL — so a person checks the
//! tracker first). Never retried automatically: two issues for one follow-up is worse
//! than a person pressing retry. Details never hold the URL nor a secret's value.

use super::deliver::{resolve_url, with_body};
use super::excerpt::{chain, redact, seconds};
use super::jobs::TrackerJob;
use super::{Runner, sent_as_shown};
use crate::hub::config::TrackerConfig;
use crate::hub::reply::CommandReply;
use crate::incident::Command;
use crate::incident::action::{Piece, parse};
use crate::incident::followup::{ISSUE_URL_MAX_CHARS, SendOutcome};
use std::time::{Duration, Instant};

/// At most this much of a tracker's answer is read (GitHub's issue JSON is a few KiB,
/// and the URL must come out of it whole).
const ANSWER_CAP: usize = 1024 * 1024;

/// How a send ended, as recorded.
struct Sent {
    outcome: SendOutcome,
    url: Option<String>,
    status: Option<i64>,
    detail: String,
}

impl Sent {
    fn failed(detail: String) -> Sent {
        Sent {
            outcome: SendOutcome::Failed,
            url: None,
            status: None,
            detail,
        }
    }

    fn unknown(detail: String) -> Sent {
        Sent {
            outcome: SendOutcome::Unknown,
            url: None,
            status: None,
            detail,
        }
    }
}

pub(super) async fn send(runner: &Runner, job: TrackerJob) {
    let began = Instant::now();
    let tracker = runner
        .effects
        .trackers
        .iter()
        .find(|t| t.name == job.tracker);
    let sent = match tracker {
        None => Sent::failed(format!(
            "this hub has no tracker `{}` any more",
            job.tracker
        )),
        Some(tracker) => attempt(runner, tracker, &job).await,
    };
    let outcome = sent.outcome;
    let command = Command::RecordFollowupSend {
        number: job.number,
        requested: job.requested,
        outcome,
        url: sent.url,
        status: sent.status,
        detail: sent.detail,
    };
    let id = format!("runner:tracker:{}", job.requested);
    let duration_ms = u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX);
    match runner.submit(&job.incident, command, id).await {
        CommandReply::Applied { .. } | CommandReply::Duplicate { .. } => {
            tracing::info!(incident = %job.incident, followup = job.number, tracker = %job.tracker, ?outcome, duration_ms, "follow-up sent to a tracker");
        }
        other => {
            tracing::error!(incident = %job.incident, followup = job.number, tracker = %job.tracker, ?outcome, reply = ?other, "could not record how sending a follow-up went");
        }
    }
}

/// A header's value with its `${NAME}` secrets filled in, each added to `secrets`.
fn fill_header(template: &str, secrets: &mut Vec<(String, String)>) -> Result<String, String> {
    let mut value = String::new();
    for piece in parse(template) {
        match piece {
            Piece::Text(text) => value.push_str(&text),
            // Refused when the config loads; kept literally should one get here.
            Piece::Placeholder(name) => value.push_str(&format!("{{{name}}}")),
            Piece::Secret(name) => {
                let secret = std::env::var(&name)
                    .map_err(|_| format!("the hub has no `{name}` in its environment"))?;
                value.push_str(&secret);
                secrets.push((name, secret));
            }
        }
    }
    Ok(value)
}

async fn attempt(runner: &Runner, tracker: &TrackerConfig, job: &TrackerJob) -> Sent {
    let (url, mut secrets) = match resolve_url(tracker.url.as_deref().unwrap_or_default()) {
        Ok(resolved) => resolved,
        Err(reason) => return Sent::failed(reason),
    };
    if let Err(reason) = sent_as_shown(&url) {
        return Sent::failed(reason);
    }
    let mut headers = Vec::new();
    for (name, template) in &tracker.headers {
        match fill_header(template, &mut secrets) {
            Ok(value) => headers.push((name.clone(), value)),
            Err(reason) => return Sent::failed(reason),
        }
    }
    let client = match &runner.client {
        Ok(client) => client,
        Err(reason) => return Sent::failed(reason.clone()),
    };
    let Ok(method) = reqwest::Method::from_bytes(tracker.method.as_bytes()) else {
        return Sent::failed(format!("`{}` is not an HTTP method", tracker.method));
    };
    let limit = Duration::from_secs(tracker.timeout_seconds);
    let given = |header: &str| headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(header));
    let mut request = client.request(method, url).timeout(limit);
    if !given("content-type") {
        request = request.header("Content-Type", "application/json");
    }
    // GitHub refuses requests without one.
    if !given("user-agent") {
        let agent = concat!("warroom/", env!("CARGO_PKG_VERSION"));
        request = request.header("User-Agent", agent);
    }
    for (name, value) in &headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let body = tracker.fill_body(|field| job.fields.get(field).cloned());
    let request = request.body(body);
    let answer = match tokio::time::timeout(limit, read(request)).await {
        Ok(Ok(answer)) => answer,
        Err(_) => return Sent::unknown(no_answer(limit)),
        Ok(Err(error)) if error.is_timeout() => return Sent::unknown(no_answer(limit)),
        Ok(Err(error)) => {
            let (builder, connect) = (error.is_builder(), error.is_connect());
            let why = redact(&chain(&error.without_url()), &secrets);
            return if builder {
                Sent::failed(format!("the request could not be built: {why}"))
            } else if connect {
                Sent::failed(format!("cannot connect: {why}"))
            } else {
                Sent::unknown(format!(
                    "the request failed ({why}): the issue may have been created; check the tracker before sending again"
                ))
            };
        }
    };
    let (status, body, truncated) = answer;
    let code = status.as_u16();
    if !status.is_success() {
        return Sent {
            outcome: SendOutcome::Failed,
            url: None,
            status: Some(i64::from(code)),
            detail: with_body(format!("HTTP {code}"), &body, truncated, &secrets),
        };
    }
    match issue_url(&body, &tracker.issue_url) {
        Some(url) => Sent {
            outcome: SendOutcome::Linked,
            url: Some(redact(&url, &secrets)),
            status: Some(i64::from(code)),
            detail: format!("HTTP {code}"),
        },
        None => Sent {
            outcome: SendOutcome::Unknown,
            url: None,
            status: Some(i64::from(code)),
            detail: format!(
                "HTTP {code}, but the answer has no issue URL at `{}`: the issue was probably created; check the tracker before sending again",
                tracker.issue_url
            ),
        },
    }
}

fn no_answer(limit: Duration) -> String {
    format!(
        "no answer within {}: the issue may have been created; check the tracker before sending again",
        seconds(limit)
    )
}

/// Sends and reads the status and at most [`ANSWER_CAP`] bytes of the body (`true`:
/// cut there).
async fn read(
    request: reqwest::RequestBuilder,
) -> Result<(reqwest::StatusCode, Vec<u8>, bool), reqwest::Error> {
    let mut response = request.send().await?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = ANSWER_CAP.saturating_sub(body.len()).min(chunk.len());
        body.extend_from_slice(&chunk[..room]);
        if room < chunk.len() {
            return Ok((status, body, true));
        }
    }
    Ok((status, body, false))
}

/// The string at `pointer` in a JSON answer, when it is an http(s) URL on one line.
fn issue_url(body: &[u8], pointer: &str) -> Option<String> {
    let answer: serde_json::Value = serde_json::from_slice(body).ok()?;
    let url = answer.pointer(pointer)?.as_str()?.trim();
    let web = url.starts_with("https://") || url.starts_with("http://");
    let one_line = !url.chars().any(char::is_control);
    (web && one_line && url.chars().count() <= ISSUE_URL_MAX_CHARS).then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_url_comes_from_the_pointer_and_must_be_a_web_url() {
        let answer = br#"{"number": 7, "html_url": "https://github.com/a/b/issues/7", "x": {"u": "ftp://h/1"}}"#;
        assert_eq!(
            issue_url(answer, "/html_url").as_deref(),
            Some("https://github.com/a/b/issues/7")
        );
        assert_eq!(issue_url(answer, "/x/u"), None, "not a web URL");
        assert_eq!(issue_url(answer, "/number"), None, "not a string");
        assert_eq!(issue_url(answer, "/missing"), None);
        assert_eq!(issue_url(b"<html>", "/html_url"), None, "not JSON");
    }

    #[test]
    fn header_secrets_come_from_the_environment_and_are_kept_to_redact() {
        let mut secrets = Vec::new();
        let filled = fill_header("Bearer ${PATH}", &mut secrets).unwrap();
        let path = std::env::var("PATH").unwrap();
        assert_eq!(filled, format!("Bearer {path}"));
        assert_eq!(secrets, [("PATH".to_string(), path)]);
        let missing = fill_header("${WR_UNIT_NO_SUCH_SECRET}", &mut secrets).unwrap_err();
        assert_eq!(
            missing,
            "the hub has no `WR_UNIT_NO_SUCH_SECRET` in its environment"
        );
    }
}
