//! The incident channel, inbound: slash commands from Slack (`POST
//! /api/v1/chat/slack`, `slack`) and Mattermost (`POST /api/v1/chat/mattermost`,
//! `mattermost`). Each file checks its chat's authentication; what follows is shared
//! here: the admission every intake has (`hub::intake`: body size limit, a rate limit
//! per source, refusals as one-line JSON errors counted on `/metrics`), the person
//! mapped to a responder by their chat user id (`[[responder]] slack_user` /
//! `mattermost_user`, reloaded with the config), the subcommand read (`command`), and
//! the work: a note or an acknowledgement goes through the same hub path and `decide`
//! as any command (`hub::execute`), with a command id made from the chat's delivery id
//! (`trigger_id`) so a retried delivery writes once; a status is read on the
//! incident's thread (`status`). The person is answered within
//! [`ANSWER_WITHIN`](crate::hub::intake::ANSWER_WITHIN) — the chats give up after
//! 3 s — with an ephemeral message (`{"response_type":"ephemeral","text":…}`, which
//! Mattermost reads too); work not done by then finishes after the answer.
//!
//! What is refused before a person is known (size, signature, token, rate) is an HTTP
//! error; what a known person asked wrongly is a `200` ephemeral answer, because the
//! chats show people only the bodies of `200` answers.

pub mod command;
pub mod mattermost;
pub mod slack;
pub mod status;

use super::HubState;
use super::execute::execute;
use super::intake::{ANSWER_WITHIN, Refusal, delivery_hash, in_time, rate_limit};
use crate::incident::state::EntryKind;
use crate::incident::{Actor, Command};
use crate::protocol::HubFrame;
use axum::Json;
use axum::response::{IntoResponse, Response};
use command::Subcommand;
use serde::Deserialize;
use status::Markup;
use std::sync::Arc;

/// The chats' settings a hub starts with: `${NAME}` references to its environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatSources {
    /// `[slack] signing_secret`: Slack slash commands are served when set.
    pub slack_signing_secret: Option<String>,
    /// `[mattermost] token`: Mattermost slash commands are served when set.
    pub mattermost_token: Option<String>,
}

/// The form fields of a slash command that are read (Slack and Mattermost send the
/// same names; the rest are ignored). No `Debug`: `token` is a secret.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SlashForm {
    /// The command as typed, `/warroom`.
    pub command: String,
    /// What follows it.
    pub text: String,
    pub user_id: String,
    pub user_name: String,
    /// Unique per invocation, and the same when the chat retries it.
    pub trigger_id: String,
    /// Mattermost: the slash command's token. Slack: a deprecated verification token,
    /// not read (the signature is).
    pub token: String,
    /// Slack checks the hub's certificate now and then with `ssl_check=1`.
    pub ssl_check: String,
}

/// Reads an `application/x-www-form-urlencoded` body.
pub fn parse_form(body: &[u8]) -> Result<SlashForm, Refusal> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| Refusal::malformed(format!("not a slash command's form: {e}")))
}

/// One chat, as the shared work needs it.
#[derive(Debug, Clone, Copy)]
pub struct Chat {
    /// The `/metrics` label and what command ids start with.
    pub source: &'static str,
    pub markup: Markup,
    /// The `[[responder]]` key naming a person's user id on this chat.
    pub user_key: &'static str,
    /// Who the chat's user id names.
    pub responder: fn(&super::auth::Authenticator, &str) -> Option<Actor>,
}

/// Counts a refusal for `chat` and answers it as an HTTP error.
pub fn refuse(hub: &HubState, chat: &Chat, refusal: Refusal) -> Response {
    hub.metrics.chat.refused(chat.source, refusal.reason);
    refusal.answer()
}

/// `200 {"response_type":"ephemeral","text":…}`: only the person who typed sees it.
pub fn ephemeral(text: impl Into<String>) -> Response {
    let body = serde_json::json!({ "response_type": "ephemeral", "text": text.into() });
    Json(body).into_response()
}

/// Carries out an authenticated slash command: rate limit, who it is, what they ask.
/// `body` is the raw form, whose hash is the delivery id when no `trigger_id` came.
pub async fn carry_out(hub: Arc<HubState>, chat: Chat, form: SlashForm, body: &[u8]) -> Response {
    if let Err(refusal) = rate_limit(&hub.limiters.intake, chat.source) {
        return refuse(&hub, &chat, refusal);
    }
    let Some(actor) = (chat.responder)(&hub.auth.current(), &form.user_id) else {
        hub.metrics.chat.refused(chat.source, "unmapped");
        tracing::info!(
            source = chat.source,
            "a slash command from a user who is no responder here"
        );
        return ephemeral(unmapped(&chat, &form));
    };
    let help = chat.markup.escape(&command::help(&form.command));
    let subcommand = match Subcommand::parse(&form.text) {
        Ok(subcommand) => subcommand,
        Err(bad) => {
            hub.metrics.chat.refused(chat.source, bad.reason);
            return ephemeral(format!("{}\n{help}", chat.markup.escape(&bad.message)));
        }
    };
    let delivery = if form.trigger_id.trim().is_empty() {
        delivery_hash(body)
    } else {
        delivery_hash(form.trigger_id.trim().as_bytes())
    };
    let name = subcommand.name();
    match subcommand {
        Subcommand::Help => {
            hub.metrics.chat.answered(chat.source, name);
            ephemeral(help)
        }
        Subcommand::Status { incident } => status(hub, chat, &incident).await,
        Subcommand::Note { incident, text } => {
            let command = Command::AddNote {
                kind: EntryKind::Note,
                text,
                typed_at: None,
            };
            write(hub, chat, actor, &incident, command, name, &delivery).await
        }
        Subcommand::Ack { incident } => {
            let command = Command::Acknowledge;
            write(hub, chat, actor, &incident, command, name, &delivery).await
        }
    }
}

/// The polite refusal for someone no responder's `user_key` names: what to ask the
/// hub's admin, with their user id to paste.
fn unmapped(chat: &Chat, form: &SlashForm) -> String {
    let who = if form.user_name.trim().is_empty() {
        String::new()
    } else {
        format!(" ({})", status::clip(form.user_name.trim(), 40))
    };
    let text = format!(
        "Sorry, your {} user{who} is not a responder on this warroom hub, so nothing was written. Ask the hub's admin to add `{} = \"{}\"` to your [[responder]] block in warroom.toml.",
        chat_name(chat),
        chat.user_key,
        status::clip(form.user_id.trim(), 40)
    );
    chat.markup.escape(&text)
}

fn chat_name(chat: &Chat) -> &'static str {
    match chat.markup {
        Markup::Slack => "Slack",
        Markup::Mattermost => "Mattermost",
    }
}

/// The incident `typed` names: as typed, or in upper case (`inc-…`) if only that is
/// one.
fn incident_named(hub: &HubState, typed: &str) -> String {
    if hub.registry.summary(typed).is_none() {
        let upper = typed.to_ascii_uppercase();
        if hub.registry.summary(&upper).is_some() {
            return upper;
        }
    }
    typed.to_string()
}

/// `/warroom status INC`: the summary, read on the incident's thread.
async fn status(hub: Arc<HubState>, chat: Chat, typed: &str) -> Response {
    let incident = incident_named(&hub, typed);
    let markup = chat.markup;
    let read = hub
        .registry
        .read(&incident, move |open| status::summary(open.state(), markup));
    match tokio::time::timeout(ANSWER_WITHIN, read).await {
        Ok(Ok(summary)) => {
            hub.metrics.chat.answered(chat.source, "status");
            ephemeral(summary)
        }
        Ok(Err(why)) => {
            hub.metrics
                .chat
                .refused(chat.source, why.reject_reason().id());
            ephemeral(markup.escape(&why.message(&incident)))
        }
        Err(_) => {
            hub.metrics.chat.refused(chat.source, "timeout");
            ephemeral(format!(
                "{} is slow to open right now: ask again in a moment.",
                markup.escape(&incident)
            ))
        }
    }
}

/// A note or an acknowledgement as `actor`, through the hub's command path, answered
/// with its outcome or, if it takes longer than the chat waits, "working on it".
async fn write(
    hub: Arc<HubState>,
    chat: Chat,
    actor: Actor,
    typed: &str,
    command: Command,
    name: &'static str,
    delivery: &str,
) -> Response {
    let incident = incident_named(&hub, typed);
    let command_id = format!("{}-{name}:{delivery}", chat.source);
    let who = actor.name.clone();
    let work = tokio::spawn(execute(
        hub.clone(),
        actor,
        command_id,
        Some(incident.clone()),
        command,
    ));
    let late = hub.clone();
    let counted = move |frame: HubFrame| {
        let _ = outcome(&late, &chat, name, "", "", &frame);
    };
    let e = |text: &str| chat.markup.escape(text);
    match in_time(work, ANSWER_WITHIN, counted).await {
        Some(Ok(frame)) => ephemeral(outcome(&hub, &chat, name, &e(&incident), &e(&who), &frame)),
        Some(Err(joined)) => {
            tracing::error!(%joined, "a slash command's task failed");
            hub.metrics.chat.refused(chat.source, "failed");
            ephemeral("That failed inside the hub; it was logged for its admin.")
        }
        None => ephemeral(format!(
            "Working on it: {} is slow to answer; the {name} will be on its timeline in a moment.",
            e(&incident)
        )),
    }
}

/// Counts the hub's answer to a written command and says it in a sentence
/// (`incident` and `who` already escaped for the chat).
fn outcome(
    hub: &HubState,
    chat: &Chat,
    name: &'static str,
    incident: &str,
    who: &str,
    frame: &HubFrame,
) -> String {
    match frame {
        HubFrame::Ack { duplicate, .. } => {
            if !duplicate {
                hub.metrics.chat.answered(chat.source, name);
            }
            let done = match name {
                "ack" => format!("Acknowledged {incident} as {who}."),
                _ => format!("Noted on {incident}'s timeline as {who}."),
            };
            if *duplicate {
                format!("{done} (This delivery was already carried out; nothing more was written.)")
            } else {
                done
            }
        }
        HubFrame::Reject { code, message, .. } => {
            hub.metrics.chat.refused(chat.source, code.id());
            tracing::info!(
                source = chat.source,
                code = code.id(),
                "a slash command was refused"
            );
            format!(
                "Nothing was written to {incident}: {}",
                chat.markup.escape(message)
            )
        }
        _ => "The hub answered something unexpected; nothing is known to be written.".into(),
    }
}
