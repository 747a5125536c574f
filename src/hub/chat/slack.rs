//! One `chat.postMessage` call to Slack's Web API and what its answer means. The bot
//! token is read from the hub's environment for each call (rotating it needs no
//! restart), sent only in the `Authorization` header, and redacted from anything kept:
//! no detail ever holds it. Slack answers most failures with HTTP 200 and
//! `{"ok": false, "error": "…"}`, so the body decides, not only the status.

use crate::hub::effects::url_allowed;
use crate::incident::action::{Piece, parse};
use std::time::Duration;

/// How long one call may take.
const CALL_LIMIT: Duration = Duration::from_secs(10);
/// The most of an answer read (Slack's are small).
const READ_CAP: usize = 64 * 1024;
/// A `Retry-After` longer than this is waited for only this long.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(60);

/// Where and as whom the bridge posts.
#[derive(Debug, Clone)]
pub struct SlackApi {
    /// `…/chat.postMessage`.
    pub url: String,
    /// `${NAME}` of the bot token in the hub's environment.
    pub token: String,
}

/// How a call went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// The message's `ts`.
    Ok(String),
    /// HTTP 429 (or `ratelimited`): send the same message again after this long.
    RateLimited(Duration),
    /// Worth another try soon: no answer, a 5xx, Slack's own transient errors.
    Transient { label: &'static str, detail: String },
    /// No retry will help until someone fixes the token, the channel or the config.
    Fatal { label: &'static str, detail: String },
}

/// Slack errors that no retry fixes, as the metrics label them (a bounded set).
const FATAL: [&str; 16] = [
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
    "missing_scope",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "restricted_action",
    "thread_not_found",
    "msg_too_long",
    "no_text",
    "invalid_arguments",
    "org_login_required",
];
/// Slack errors worth retrying.
const TRANSIENT: [&str; 4] = [
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

/// The bot token's variable name, if the config's `bot_token` is one `${NAME}`.
fn token_name(template: &str) -> Option<String> {
    match parse(template).as_slice() {
        [Piece::Secret(name)] => Some(name.clone()),
        _ => None,
    }
}

/// Posts `text` to `channel`, into the thread `thread_ts` when given.
pub async fn post(
    client: &reqwest::Client,
    api: &SlackApi,
    channel: &str,
    thread_ts: Option<&str>,
    text: &str,
) -> Posted {
    let fatal = |label: &'static str, detail: String| Posted::Fatal { label, detail };
    let Some(name) = token_name(&api.token) else {
        return fatal("no_token", "the bot_token is not one ${NAME}".to_string());
    };
    let Ok(token) = std::env::var(&name) else {
        return fatal(
            "no_token",
            format!("the hub has no `{name}` in its environment"),
        );
    };
    if let Err(reason) = url_allowed(&api.url) {
        return fatal("bad_url", format!("[slack] api_url: {reason}"));
    }
    let mut body = serde_json::json!({ "channel": channel, "text": text });
    if let Some(ts) = thread_ts {
        body["thread_ts"] = serde_json::Value::from(ts);
    }
    let request = client
        .post(&api.url)
        .bearer_auth(&token)
        .timeout(CALL_LIMIT)
        .json(&body);
    let redact = |text: &str| text.replace(&token, &format!("${{{name}}}"));
    let answer = tokio::time::timeout(CALL_LIMIT, exchange(request)).await;
    match answer {
        Err(_) => Posted::Transient {
            label: "no_answer",
            detail: format!("no answer within {} s", CALL_LIMIT.as_secs()),
        },
        Ok(Err(error)) => {
            let label = if error.is_timeout() {
                "no_answer"
            } else if error.is_connect() {
                "connect"
            } else {
                "request"
            };
            let why = crate::hub::effects::error_chain(&error.without_url());
            Posted::Transient {
                label,
                detail: redact(&why),
            }
        }
        Ok(Ok((status, retry_after, body))) => understand(status, retry_after, &body, &redact),
    }
}

/// The status, `Retry-After` in seconds, and the start of the body.
async fn exchange(
    request: reqwest::RequestBuilder,
) -> Result<(u16, Option<u64>, Vec<u8>), reqwest::Error> {
    let mut response = request.send().await?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = READ_CAP.saturating_sub(body.len()).min(chunk.len());
        body.extend_from_slice(&chunk[..room]);
        if room < chunk.len() {
            break;
        }
    }
    Ok((status, retry_after, body))
}

/// What an answer means (`redact` takes the token out of anything quoted).
fn understand(
    status: u16,
    retry_after: Option<u64>,
    body: &[u8],
    redact: &dyn Fn(&str) -> String,
) -> Posted {
    let wait = || Duration::from_secs(retry_after.unwrap_or(1).max(1)).min(RETRY_AFTER_MAX);
    if status == 429 {
        return Posted::RateLimited(wait());
    }
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let error = json
        .as_ref()
        .and_then(|j| j.get("error"))
        .and_then(|e| e.as_str());
    let quoted = |code: &str| {
        let clipped: String = code.chars().take(80).collect();
        crate::incident::safe_text::neutralise(&redact(&clipped)).into_owned()
    };
    if (200..300).contains(&status) {
        let ok = json
            .as_ref()
            .and_then(|j| j.get("ok"))
            .and_then(|o| o.as_bool());
        let ts = json
            .as_ref()
            .and_then(|j| j.get("ts"))
            .and_then(|t| t.as_str());
        return match (ok, ts, error) {
            (Some(true), Some(ts), _) if !ts.is_empty() => Posted::Ok(ts.to_string()),
            (Some(false), _, Some("ratelimited")) => Posted::RateLimited(wait()),
            (Some(false), _, Some(code)) => match FATAL.iter().find(|f| **f == code) {
                Some(label) => Posted::Fatal {
                    label,
                    detail: quoted(code),
                },
                None => Posted::Transient {
                    label: TRANSIENT
                        .iter()
                        .find(|t| **t == code)
                        .copied()
                        .unwrap_or("other"),
                    detail: quoted(code),
                },
            },
            _ => Posted::Transient {
                label: "bad_answer",
                detail: format!("HTTP {status} without Slack's ok and ts"),
            },
        };
    }
    let detail = match error {
        Some(code) => format!("HTTP {status}: {}", quoted(code)),
        None => format!("HTTP {status}"),
    };
    if status >= 500 {
        Posted::Transient {
            label: "http_5xx",
            detail,
        }
    } else {
        Posted::Fatal {
            label: "http_4xx",
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(status: u16, retry_after: Option<u64>, body: &str) -> Posted {
        understand(status, retry_after, body.as_bytes(), &|t: &str| {
            t.replace("xoxb-secret", "${SLACK_BOT_TOKEN}")
        })
    }

    #[test]
    fn slack_answers_are_read_by_their_body() {
        assert_eq!(
            read(200, None, r#"{"ok":true,"ts":"1700.0001","channel":"C1"}"#),
            Posted::Ok("1700.0001".into())
        );
        assert_eq!(
            read(429, Some(1), ""),
            Posted::RateLimited(Duration::from_secs(1))
        );
        assert_eq!(
            read(429, Some(3600), ""),
            Posted::RateLimited(RETRY_AFTER_MAX)
        );
        assert_eq!(
            read(200, None, r#"{"ok":false,"error":"invalid_auth"}"#),
            Posted::Fatal {
                label: "invalid_auth",
                detail: "invalid_auth".into()
            }
        );
        assert!(matches!(
            read(200, None, r#"{"ok":false,"error":"internal_error"}"#),
            Posted::Transient {
                label: "internal_error",
                ..
            }
        ));
        assert!(matches!(
            read(200, None, r#"{"ok":false,"error":"something new xoxb-secret"}"#),
            Posted::Transient { label: "other", detail } if detail == "something new ${SLACK_BOT_TOKEN}"
        ));
        assert!(matches!(
            read(503, None, "down"),
            Posted::Transient {
                label: "http_5xx",
                ..
            }
        ));
        assert!(matches!(
            read(404, None, "nope"),
            Posted::Fatal {
                label: "http_4xx",
                ..
            }
        ));
        assert!(matches!(
            read(200, None, "not json"),
            Posted::Transient {
                label: "bad_answer",
                ..
            }
        ));
    }

    #[test]
    fn the_token_is_a_reference_never_a_value() {
        assert_eq!(
            token_name("${SLACK_BOT_TOKEN}").as_deref(),
            Some("SLACK_BOT_TOKEN")
        );
        assert_eq!(token_name("xoxb-literal"), None);
    }
}
