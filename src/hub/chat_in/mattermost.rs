//! Mattermost slash commands (`POST /api/v1/chat/mattermost`): the same form and
//! commands as Slack's, authenticated by the slash command's token in the form
//! (`token`), compared in constant time with `[mattermost] token = "${NAME}"` from the
//! hub's environment. The person is the responder whose `mattermost_user` is the
//! form's `user_id`; Mattermost reads the Slack-style ephemeral answer.

use super::status::Markup;
use super::{Chat, SlashForm, carry_out, parse_form, refuse};
use crate::hub::HubState;
use crate::hub::intake::{Refusal, read_body, sign};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::Arc;
use subtle::ConstantTimeEq;

pub const SOURCE: &str = "mattermost";

pub const CHAT: Chat = Chat {
    source: SOURCE,
    markup: Markup::Mattermost,
    user_key: "mattermost_user",
    responder: |auth, user| auth.by_mattermost_user(user),
};

pub async fn receive(
    State(hub): State<Arc<HubState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match accept(&hub, &headers, peer, body).await {
        Ok((form, body)) => carry_out(hub, CHAT, form, &body).await,
        Err(refusal) => refuse(&hub, &CHAT, refusal),
    }
}

/// Reads a request and checks its token: `404` when this hub has no Mattermost token,
/// `413` over the size limit, `400` not a form, `401` without the right token.
async fn accept(
    hub: &HubState,
    headers: &HeaderMap,
    peer: SocketAddr,
    body: Body,
) -> Result<(SlashForm, axum::body::Bytes), Refusal> {
    let Some(reference) = hub.intake.chat.mattermost_token.as_deref() else {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "unconfigured",
            "Mattermost commands are not configured on this hub: add `[mattermost]` with token = \"${MATTERMOST_TOKEN}\" to its config",
        ));
    };
    let body = read_body(headers, body).await?;
    let form = parse_form(&body)?;
    let expected = sign::secret(reference)?;
    if let Err(refusal) = check_token(&form.token, &expected) {
        hub.metrics
            .auth_failures
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::time::sleep(hub.throttle.fail(peer.ip())).await;
        return Err(refusal);
    }
    Ok((form, body))
}

/// Whether `given` is the token, compared in constant time (as SHA-256 digests, so
/// the time taken does not even say the token's length).
pub fn check_token(given: &str, expected: &[u8]) -> Result<(), Refusal> {
    if given.is_empty() {
        return Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            "unsigned",
            "the request has no `token`: send the slash command's token",
        ));
    }
    let given = Sha256::digest(given.as_bytes());
    let expected = Sha256::digest(expected);
    if bool::from(given.as_slice().ct_eq(expected.as_slice())) {
        return Ok(());
    }
    Err(Refusal::new(
        StatusCode::UNAUTHORIZED,
        "bad_token",
        "the `token` is not this hub's: check the slash command's token the hub has",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_token_passes() {
        assert_eq!(check_token("xbx7m3", b"xbx7m3"), Ok(()));
        assert_eq!(
            check_token("xbx7m", b"xbx7m3").unwrap_err().reason,
            "bad_token"
        );
        assert_eq!(check_token("", b"xbx7m3").unwrap_err().reason, "unsigned");
    }
}
