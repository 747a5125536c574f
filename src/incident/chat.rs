//! The incident's chat threads, as its log records them: which thread a chat bridge
//! (the hub's `slack` bridge) mirrors the incident into, how far it has got, and the
//! failure it last recorded. The bridge is an automation (`system:runner`): it writes
//! these three events and never mirrors them. Which events are mirrored at all is
//! decided here ([`mirrored`]), so the README's list and the bridge cannot drift apart.

use super::command::{Actor, Command};
use super::event::{Event, EventKind};
use super::rejection::Rejection;
use super::state::{EntryKind, State};
use serde::{Deserialize, Serialize};

/// The longest channel id, thread id or failure reason an event keeps.
pub const CHAT_FIELD_MAX_CHARS: usize = 200;

/// One bridge's record in an incident: `State::chat` by bridge name (`slack`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatBridge {
    /// The thread's channel and root message id (`ts` for Slack), once started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<ChatThread>,
    /// The seq of the last event mirrored into the thread (0: none yet).
    #[serde(default)]
    pub mirrored_through: u64,
    /// Why the bridge last gave up, until it posts again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatThread {
    pub channel: String,
    pub ts: String,
}

/// Whether `event` is mirrored into the incident's chat thread: the declare, title,
/// severity and status changes, decisions, published updates, and action runs
/// starting and finishing. Nothing the bridge writes itself.
pub fn mirrored(event: &EventKind) -> bool {
    match event {
        EventKind::NoteAdded { kind, .. } => *kind == EntryKind::Decision,
        EventKind::Declared { .. }
        | EventKind::TitleChanged { .. }
        | EventKind::SeverityChanged { .. }
        | EventKind::StatusChanged { .. }
        | EventKind::CommsPublished { .. }
        | EventKind::ActionStarted { .. }
        | EventKind::ActionFinished { .. } => true,
        _ => false,
    }
}

/// What the thread shows for `event`, worded as the timeline words it (verbatim: the
/// bridge neutralises it for the chat), or `None` when it is not mirrored.
pub fn mirrored_text(state: &State, event: &Event) -> Option<String> {
    if !mirrored(&event.kind) {
        return None;
    }
    state.entry_of(event).map(|entry| entry.text)
}

/// The name people know a bridge by.
pub fn chat_title(chat: &str) -> &str {
    match chat {
        "slack" => "Slack",
        "mattermost" => "Mattermost",
        other => other,
    }
}

fn bounded(what: &str, text: &str) -> Result<String, Rejection> {
    if text.trim().is_empty() {
        return Err(Rejection::invalid(format!("the {what} is empty")));
    }
    Ok(text.chars().take(CHAT_FIELD_MAX_CHARS).collect())
}

/// `None` when `command` is not a chat bridge's; otherwise the decision. Only the hub's
/// runner records these.
pub fn decide(
    state: &State,
    actor: &Actor,
    command: &Command,
) -> Option<Result<Vec<EventKind>, Rejection>> {
    let result = match command {
        Command::RecordChatThread { chat, channel, ts } => runner_only(actor).and_then(|()| {
            let chat = bounded("chat", chat)?;
            if state.chat.get(&chat).is_some_and(|b| b.thread.is_some()) {
                return Err(Rejection::unchanged(format!(
                    "this incident already has a {} thread",
                    chat_title(&chat)
                )));
            }
            Ok(vec![EventKind::ChatThreadStarted {
                channel: bounded("channel", channel)?,
                ts: bounded("thread id", ts)?,
                chat,
            }])
        }),
        Command::RecordChatMirrored { chat, through } => runner_only(actor).and_then(|()| {
            let done = state.chat.get(chat).map_or(0, |b| b.mirrored_through);
            if *through <= done {
                return Err(Rejection::unchanged(format!(
                    "already mirrored through #{done}"
                )));
            }
            if *through > state.seq {
                return Err(Rejection::invalid(format!(
                    "#{through} is not in this incident yet"
                )));
            }
            Ok(vec![EventKind::ChatMirrored {
                chat: bounded("chat", chat)?,
                through: *through,
            }])
        }),
        Command::RecordChatFailure { chat, error } => runner_only(actor).and_then(|()| {
            let error = bounded("failure", error)?;
            if state
                .chat
                .get(chat)
                .is_some_and(|b| b.failed.as_ref() == Some(&error))
            {
                // Recorded once: the timeline is not a retry log.
                return Err(Rejection::unchanged("this failure is already recorded"));
            }
            Ok(vec![EventKind::ChatFailed {
                chat: bounded("chat", chat)?,
                error,
            }])
        }),
        _ => return None,
    };
    Some(result)
}

fn runner_only(actor: &Actor) -> Result<(), Rejection> {
    super::authority::runner_only(actor, "only the hub's chat bridge records its threads")
}

impl State {
    /// Applies the chat bridge's events (called by `apply`).
    pub(super) fn apply_chat(&mut self, kind: &EventKind) {
        match kind {
            EventKind::ChatThreadStarted { chat, channel, ts } => {
                let bridge = self.chat.entry(chat.clone()).or_default();
                bridge.thread = Some(ChatThread {
                    channel: channel.clone(),
                    ts: ts.clone(),
                });
                bridge.failed = None;
            }
            EventKind::ChatMirrored { chat, through } => {
                let bridge = self.chat.entry(chat.clone()).or_default();
                bridge.mirrored_through = bridge.mirrored_through.max(*through);
                bridge.failed = None;
            }
            EventKind::ChatFailed { chat, error } => {
                self.chat.entry(chat.clone()).or_default().failed = Some(error.clone());
            }
            _ => {}
        }
    }
}

/// The timeline line of a chat bridge's event (`None`: the progress marker is quiet).
pub(super) fn line(kind: &EventKind) -> Option<(EntryKind, String)> {
    match kind {
        EventKind::ChatThreadStarted { chat, channel, .. } => Some((
            EntryKind::Comms,
            format!("{} thread started in {channel}", chat_title(chat)),
        )),
        EventKind::ChatFailed { chat, error } => Some((
            EntryKind::Comms,
            format!(
                "{} thread: cannot post ({error}); the bridge tries again with the next entry",
                chat_title(chat)
            ),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::Role;
    use crate::incident::decide_effects::RUNNER;

    fn runner() -> Actor {
        Actor::new(RUNNER, [Role::Responder])
    }

    fn applied(state: &mut State, kinds: Vec<EventKind>) {
        for kind in kinds {
            let event = Event {
                seq: state.seq + 1,
                at: chrono::Utc::now(),
                actor: RUNNER.to_string(),
                command_id: None,
                kind,
            };
            state.apply(&event);
        }
    }

    #[test]
    fn only_the_runner_records_and_a_failure_is_recorded_once() {
        let mut state = State {
            seq: 5,
            ..State::default()
        };
        let thread = Command::RecordChatThread {
            chat: "slack".into(),
            channel: "C1".into(),
            ts: "1.2".into(),
        };
        let alice = Actor::new("alice", [Role::Commander]);
        assert!(decide(&state, &alice, &thread).is_some_and(|r| r.is_err()));
        let events = decide(&state, &runner(), &thread).unwrap().unwrap();
        applied(&mut state, events);
        assert_eq!(state.timeline.len(), 1, "a thread start is on the timeline");
        assert!(decide(&state, &runner(), &thread).unwrap().is_err(), "once");

        let failure = Command::RecordChatFailure {
            chat: "slack".into(),
            error: "invalid_auth".into(),
        };
        let events = decide(&state, &runner(), &failure).unwrap().unwrap();
        applied(&mut state, events);
        assert!(decide(&state, &runner(), &failure).unwrap().is_err());

        let marker = |through| Command::RecordChatMirrored {
            chat: "slack".into(),
            through,
        };
        let events = decide(&state, &runner(), &marker(3)).unwrap().unwrap();
        let entries = state.timeline.len();
        applied(&mut state, events);
        assert_eq!(state.timeline.len(), entries, "the marker is quiet");
        assert_eq!(state.chat["slack"].mirrored_through, 3);
        assert_eq!(
            state.chat["slack"].failed, None,
            "a post clears the failure"
        );
        assert!(decide(&state, &runner(), &marker(3)).unwrap().is_err());
        assert!(decide(&state, &runner(), &marker(99)).unwrap().is_err());
        assert!(
            decide(&state, &runner(), &failure).unwrap().is_ok(),
            "again"
        );
    }

    #[test]
    fn the_bridge_never_mirrors_its_own_bookkeeping() {
        for kind in [
            EventKind::ChatThreadStarted {
                chat: "slack".into(),
                channel: "C".into(),
                ts: "1".into(),
            },
            EventKind::ChatMirrored {
                chat: "slack".into(),
                through: 1,
            },
            EventKind::ChatFailed {
                chat: "slack".into(),
                error: "x".into(),
            },
        ] {
            assert!(!mirrored(&kind), "{kind:?}");
        }
    }
}
