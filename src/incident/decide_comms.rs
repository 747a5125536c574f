//! Deciding the comms commands: a template's draft saved, and an update published to
//! the hub's channels (under the public title for a public audience, every field filled).

use super::authority::require;
use super::command::{Actor, Command};
use super::event::EventKind;
use super::limits::{COMMS_MAX_CHARS, check_text};
use super::rejection::Rejection;
use super::role::Permission;
use super::runbook::Runbooks;
use super::state::State;
use super::template::Audience;
use chrono::{DateTime, Utc};

/// `None` when `command` is not one of these.
pub(super) fn decide(
    state: &State,
    actor: &Actor,
    command: &Command,
    now: DateTime<Utc>,
    runbooks: &Runbooks,
) -> Option<Result<Vec<EventKind>, Rejection>> {
    if !matches!(command, Command::SaveDraft { .. } | Command::Publish { .. }) {
        return None;
    }
    Some(decide_handled(state, actor, command, now, runbooks))
}

fn decide_handled(
    state: &State,
    actor: &Actor,
    command: &Command,
    now: DateTime<Utc>,
    runbooks: &Runbooks,
) -> Result<Vec<EventKind>, Rejection> {
    let one = |kind: EventKind| Ok(vec![kind]);
    match command {
        Command::SaveDraft {
            template,
            fields,
            text,
        } => {
            require(state, actor, Permission::DraftComms)?;
            runbooks
                .template(template)
                .ok_or_else(|| unknown_template(template))?;
            if text.chars().count() > COMMS_MAX_CHARS {
                return Err(Rejection::too_large(format!(
                    "the draft is over {COMMS_MAX_CHARS} characters"
                )));
            }
            one(EventKind::DraftSaved {
                template: template.clone(),
                fields: fields.clone(),
                text: text.clone(),
            })
        }
        Command::Publish {
            template,
            text,
            channels,
        } => {
            require(state, actor, Permission::PublishComms)?;
            let found = runbooks
                .template(template)
                .ok_or_else(|| unknown_template(template))?;
            check_text("the update", text, COMMS_MAX_CHARS)?;
            // Public text goes out under the public title; without one the receiver
            // would get the internal title, which may name customers.
            if found.audience == Audience::Public && state.public_title.is_none() {
                return Err(Rejection::invalid(
                    "give the incident a public title first: public updates never carry the internal title (console: asked at publish; CLI: `warroom publish … --public-title TEXT`)",
                ));
            }
            if let Some(field) = unfilled_field(text) {
                return Err(Rejection::invalid(format!(
                    "fill in ⟨{field}⟩ before publishing"
                )));
            }
            // Only channels this hub has: a template's defaults are kept where they
            // exist; a channel asked for by name must exist. With none configured the
            // text is recorded for people to paste by hand.
            if let Some(unknown) = channels.iter().find(|c| !runbooks.channels.contains(c)) {
                let known = if runbooks.channels.is_empty() {
                    "none are configured".to_string()
                } else {
                    runbooks.channels.join(", ")
                };
                return Err(Rejection::not_found(format!(
                    "no delivery channel `{unknown}` on this hub ({known})"
                )));
            }
            let channels: Vec<String> = if channels.is_empty() {
                found
                    .channels
                    .iter()
                    .filter(|c| runbooks.channels.contains(c))
                    .cloned()
                    .collect()
            } else {
                channels.clone()
            };
            let text = super::render::stamp_publish_times(text, state, runbooks, now);
            one(EventKind::CommsPublished {
                template: template.clone(),
                title: found.title.clone(),
                audience: found.audience,
                channels,
                text: text.trim_end().to_string(),
            })
        }
        _ => Err(Rejection::invalid("not a command this module decides")),
    }
}

fn unknown_template(id: &str) -> Rejection {
    Rejection::not_found(format!(
        "unknown template `{id}`: `warroom templates` lists them"
    ))
}

/// The first `⟨name⟩` marker a render left for an unfilled field.
fn unfilled_field(text: &str) -> Option<&str> {
    let start = text.find('⟨')? + '⟨'.len_utf8();
    let len = text.get(start..)?.find('⟩')?;
    text.get(start..start + len)
}
