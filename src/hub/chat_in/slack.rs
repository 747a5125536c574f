//! Slack slash commands (`POST /api/v1/chat/slack`), verified with the app's signing
//! secret (`[slack] signing_secret = "${NAME}"`, from the hub's environment): `X-Slack-
//! Signature: v0=<hex HMAC-SHA256(secret, "v0:" + X-Slack-Request-Timestamp + ":" +
//! raw body)>`, compared in constant time, and a timestamp more than five minutes from
//! the hub's clock (either way) refused, so a captured request cannot be replayed.
//! The person is the responder whose `slack_user` is the form's `user_id`.

use super::status::Markup;
use super::{Chat, carry_out, ephemeral, parse_form, refuse};
use crate::hub::HubState;
use crate::hub::intake::{Refusal, read_body, sign};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::net::SocketAddr;
use std::sync::Arc;

pub const SOURCE: &str = "slack";
pub const TIMESTAMP_HEADER: &str = "X-Slack-Request-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Slack-Signature";
/// How far a request's timestamp may be from the hub's clock, either way.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

pub const CHAT: Chat = Chat {
    source: SOURCE,
    markup: Markup::Slack,
    user_key: "slack_user",
    responder: |auth, user| auth.by_slack_user(user),
};

pub async fn receive(
    State(hub): State<Arc<HubState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (form, body) = match accept(&hub, &headers, peer, body).await {
        Ok(accepted) => accepted,
        Err(refusal) => return refuse(&hub, &CHAT, refusal),
    };
    if form.ssl_check.trim() == "1" {
        return ephemeral("");
    }
    let form = super::SlashForm {
        text: unescape(&form.text),
        ..form
    };
    carry_out(hub, CHAT, form, &body).await
}

/// Slack sends the `&`, `<` and `>` a person typed as `&amp;`, `&lt;` and `&gt;` (its
/// own markup — mentions, links — is what stays in `<…>`): decoded once, left to
/// right, so the log holds what was typed (`&amp;lt;` is `&lt;`, as typed).
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let decoded = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>')]
            .into_iter()
            .find(|(entity, _)| tail.starts_with(entity));
        match decoded {
            Some((entity, c)) => {
                out.push(c);
                rest = &tail[entity.len()..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Reads and verifies a request: `404` when this hub has no signing secret, `413` over
/// the size limit, `401` unsigned, stale or with a signature that does not match.
async fn accept(
    hub: &HubState,
    headers: &HeaderMap,
    peer: SocketAddr,
    body: Body,
) -> Result<(super::SlashForm, axum::body::Bytes), Refusal> {
    let Some(reference) = hub.intake.chat.slack_signing_secret.as_deref() else {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "unconfigured",
            "Slack commands are not configured on this hub: add `[slack]` with signing_secret = \"${SLACK_SIGNING_SECRET}\" to its config",
        ));
    };
    let body = read_body(headers, body).await?;
    let key = sign::secret(reference)?;
    if let Err(refusal) = verify(headers, &key, &body, chrono::Utc::now().timestamp()) {
        hub.metrics
            .auth_failures
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::time::sleep(hub.throttle.fail(peer.ip())).await;
        return Err(refusal);
    }
    let form = parse_form(&body)?;
    Ok((form, body))
}

/// Checks Slack's signature on `body` at `now` (Unix seconds).
pub fn verify(headers: &HeaderMap, key: &[u8], body: &[u8], now: i64) -> Result<(), Refusal> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let unauthorized =
        |reason, message: String| Refusal::new(StatusCode::UNAUTHORIZED, reason, message);
    let (Some(timestamp), Some(signature)) = (header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER))
    else {
        return Err(unauthorized(
            "unsigned",
            format!(
                "the request has no `{TIMESTAMP_HEADER}` or no `{SIGNATURE_HEADER}` header: it must be signed"
            ),
        ));
    };
    let Ok(at) = timestamp.trim().parse::<i64>() else {
        return Err(unauthorized(
            "stale",
            format!("`{TIMESTAMP_HEADER}` is not a Unix time in seconds"),
        ));
    };
    let skew = now.saturating_sub(at);
    if skew.unsigned_abs() > MAX_SKEW_SECS.unsigned_abs() {
        return Err(unauthorized(
            "stale",
            format!(
                "the request's timestamp is {} s from the hub's clock (at most {MAX_SKEW_SECS} s either way): a replay, or a clock to set right",
                skew.unsigned_abs()
            ),
        ));
    }
    // Signed as sent: the timestamp's own bytes, then the raw body.
    let mut base = Vec::with_capacity(body.len() + timestamp.len() + 4);
    base.extend_from_slice(b"v0:");
    base.extend_from_slice(timestamp.as_bytes());
    base.push(b':');
    base.extend_from_slice(body);
    if sign::any_matches(key, &base, signature, "v0=") {
        return Ok(());
    }
    Err(unauthorized(
        "bad_signature",
        format!(
            "`{SIGNATURE_HEADER}` does not match the request: check the signing secret the hub has"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slack's documented example (api.slack.com, "Verifying requests from Slack").
    const SECRET: &[u8] = b"8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: &str = "1531420618";
    const BODY: &[u8] = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn headers(timestamp: &str, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(TIMESTAMP_HEADER, timestamp.parse().unwrap());
        headers.insert(SIGNATURE_HEADER, signature.parse().unwrap());
        headers
    }

    #[test]
    fn the_three_entities_slack_escapes_are_decoded_once() {
        assert_eq!(
            unescape("a &amp; b &lt;x&gt; <@U1|bob>"),
            "a & b <x> <@U1|bob>"
        );
        assert_eq!(
            unescape("&amp;lt; &amp;amp; & &nbsp; &"),
            "&lt; &amp; & &nbsp; &"
        );
        assert_eq!(unescape("naïve &gt;€"), "naïve >€");
    }

    #[test]
    fn slacks_documented_example_verifies() {
        let at: i64 = TIMESTAMP.parse().unwrap();
        assert_eq!(
            verify(&headers(TIMESTAMP, SIGNATURE), SECRET, BODY, at + 10),
            Ok(())
        );
        let reason =
            |h: &HeaderMap, body: &[u8], now: i64| verify(h, SECRET, body, now).unwrap_err().reason;
        assert_eq!(
            reason(&headers(TIMESTAMP, SIGNATURE), b"text=x", at),
            "bad_signature"
        );
        assert_eq!(
            reason(&headers("1531420619", SIGNATURE), BODY, at),
            "bad_signature"
        );
        assert_eq!(
            reason(&headers(TIMESTAMP, SIGNATURE), BODY, at + 301),
            "stale"
        );
        assert_eq!(
            reason(&headers(TIMESTAMP, SIGNATURE), BODY, at - 301),
            "stale"
        );
        assert_eq!(
            verify(&headers(TIMESTAMP, SIGNATURE), SECRET, BODY, at - 300),
            Ok(())
        );
        assert_eq!(reason(&headers("soon", SIGNATURE), BODY, at), "stale");
        assert_eq!(reason(&HeaderMap::new(), BODY, at), "unsigned");
    }
}
