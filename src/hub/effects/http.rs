//! One attempt of an `http` action: the rendered method, URL, headers and body sent
//! exactly as they are, no redirect followed, within the per-attempt time limit. 2xx
//! is success; a 5xx, a refused connection or no answer may be retried (idempotent
//! actions only, decided by the caller); anything else is a failure.

use super::excerpt::{READ_CAP, Secrets, chain, excerpt, seconds};
use super::run::{Attempt, Verdict};
use std::time::Duration;

/// What came back before the time limit.
pub(super) struct Answer {
    pub status: reqwest::StatusCode,
    /// At most [`READ_CAP`] bytes of the body.
    pub body: Vec<u8>,
    pub truncated: bool,
    /// Why the body stopped early, if it did.
    pub cut_off: Option<String>,
}

/// Sends and reads the status and the start of the body.
pub(super) async fn exchange(request: reqwest::RequestBuilder) -> Result<Answer, reqwest::Error> {
    let mut response = request.send().await?;
    let status = response.status();
    let (mut body, mut truncated, mut cut_off) = (Vec::new(), false, None);
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = READ_CAP.saturating_sub(body.len()).min(chunk.len());
                body.extend_from_slice(&chunk[..room]);
                if room < chunk.len() {
                    // Enough to show; the rest is never read.
                    truncated = true;
                    break;
                }
            }
            Ok(None) => break,
            Err(error) => {
                // The status has arrived and decides the outcome; say the body was cut.
                cut_off = Some(chain(&error.without_url()));
                break;
            }
        }
    }
    Ok(Answer {
        status,
        body,
        truncated,
        cut_off,
    })
}

pub(super) async fn attempt(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
    limit: Duration,
    secrets: &Secrets,
) -> Attempt {
    let Ok(method) = reqwest::Method::from_bytes(method.as_bytes()) else {
        return Attempt::failed(format!("`{method}` is not an HTTP method"));
    };
    let mut request = client.request(method, url).timeout(limit);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    let no_answer = || Attempt {
        verdict: Verdict::Retryable { maybe_acted: true },
        status: None,
        note: Some(format!(
            "no answer within {}: the target may have acted",
            seconds(limit)
        )),
        output: String::new(),
    };
    let answer = match tokio::time::timeout(limit, exchange(request)).await {
        Err(_) => return no_answer(),
        Ok(Err(error)) if error.is_timeout() => return no_answer(),
        Ok(Err(error)) => {
            let (verdict, what) = if error.is_builder() {
                (Verdict::Failed, "the request could not be built")
            } else if error.is_connect() {
                (Verdict::Retryable { maybe_acted: false }, "cannot connect")
            } else {
                // Sent, perhaps, but no complete answer: the target may have acted.
                (
                    Verdict::Retryable { maybe_acted: true },
                    "the request failed",
                )
            };
            let error = error.without_url();
            return Attempt {
                verdict,
                status: None,
                note: Some(format!("{what}: {}", chain(&error))),
                output: String::new(),
            };
        }
        Ok(Ok(answer)) => answer,
    };
    let verdict = if answer.status.is_success() {
        Verdict::Succeeded
    } else if answer.status.is_server_error() {
        Verdict::Retryable { maybe_acted: false }
    } else {
        Verdict::Failed
    };
    Attempt {
        verdict,
        status: Some(i64::from(answer.status.as_u16())),
        note: answer
            .cut_off
            .map(|why| format!("the response body was cut off: {why}")),
        output: excerpt(&answer.body, answer.truncated, secrets),
    }
}
