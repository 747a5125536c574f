//! The wire protocol between clients and the hub: JSON text frames over WebSocket,
//! documented for other implementers in `docs/PROTOCOL.md`. Types only; the hub and the
//! client (`net`) both speak it.

use crate::engine::IncidentSummary;
use crate::incident::action::ActionSpec;
use crate::incident::{Command, RejectCode, Role, Severity, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Bumped on any incompatible change to a message below.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest text frame the hub accepts, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Sustained commands per second per connection, and the burst allowed above it.
pub const COMMANDS_PER_SECOND: u32 = 50;
pub const COMMAND_BURST: u32 = 200;
/// Longest client-made command id.
pub const MAX_COMMAND_ID_CHARS: usize = 128;

/// The most entries one `page` answers with.
pub const MAX_PAGE: u32 = 500;

/// The most entries one `found` answers with.
pub const MAX_FOUND: usize = 200;

/// The most events one `search` request reads before answering (the incident waits
/// while it reads, so it is bounded; the answer says where to go on from).
pub const SEARCH_EVENTS_PER_REQUEST: u64 = 200_000;

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// First frame on every connection.
    Hello {
        protocol: u32,
        token: String,
        /// Subscribe to this incident at once (optional).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        incident: Option<String>,
        /// Send events after this seq (0: all of them).
        #[serde(default)]
        since_seq: u64,
        /// With `since_seq` 0: start from a `snapshot` frame of the state now instead
        /// of every event (see [`HubFrame::Snapshot`]). Hubs that predate it ignore it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        snapshot: bool,
        /// Also hear about every incident on the hub: an `incident_changed` frame
        /// whenever one is declared or its title, severity or status changes. Hubs
        /// that predate the field ignore it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        watch_incidents: bool,
    },
    /// Switch this connection's subscription to another incident.
    Subscribe {
        incident: String,
        #[serde(default)]
        since_seq: u64,
        /// As in `hello`.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        snapshot: bool,
    },
    /// Ask for a page of older timeline: up to `limit` (at most [`MAX_PAGE`]) entries
    /// written before entry `before_seq`, newest last. Answered by a `page` frame.
    Page {
        id: String,
        incident: String,
        before_seq: u64,
        limit: u32,
    },
    /// Search the whole timeline (text and author, case-insensitive) backwards from
    /// `before_seq` (0: from the newest). Answered by a `found` frame.
    Search {
        id: String,
        incident: String,
        query: String,
        #[serde(default)]
        before_seq: u64,
    },
    /// Ask for the list of incidents.
    List,
    /// A command; `incident` is omitted only for `declare`.
    Command {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        incident: Option<String>,
        command: Command,
    },
}

/// Who the hub says you are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub name: String,
    pub roles: BTreeSet<Role>,
}

/// What the hub can do on a responder's behalf: its containment actions (secrets appear
/// as `${NAME}`, never as values) and the names of its delivery channels. Sent as a
/// `catalog` frame right after `welcome` when the hub has any; none means neither.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    #[serde(default)]
    pub actions: Vec<ActionSpec>,
    #[serde(default)]
    pub channels: Vec<String>,
    /// The names of its issue trackers (follow-ups can be sent there).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trackers: Vec<String>,
}

/// What the hub sends. `event` frames are built from the stored event bytes and are
/// therefore not constructed through this enum on the hub (see `hub::event_frame`), but
/// they parse as [`HubFrame::Event`].
// Events are nearly every message; boxing them to shrink the rare ones would cost an
// allocation per event for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HubFrame {
    Welcome {
        protocol: u32,
        you: Identity,
        hub_version: String,
    },
    /// Right after `welcome`, before any other frame, when the hub has containment
    /// actions, delivery channels or issue trackers (no `catalog` frame: it has none).
    Catalog {
        #[serde(default)]
        actions: Vec<ActionSpec>,
        #[serde(default)]
        channels: Vec<String>,
        /// Issue trackers follow-ups can be sent to (absent when none).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        trackers: Vec<String>,
    },
    /// The subscription is live: events `from_seq..=to_seq` follow as `event` frames,
    /// then a `synced`, then live events.
    Subscribed {
        incident: String,
        from_seq: u64,
        to_seq: u64,
    },
    /// Every event up to `seq` has been sent; what follows is live. `head` is the chain
    /// hash of event `seq`'s log line (the log's head then), so a client can state the
    /// head what it shows was read at, e.g. in an export. Absent from older hubs.
    Synced {
        incident: String,
        seq: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        head: Option<String>,
    },
    Event {
        incident: String,
        event: crate::incident::Event,
    },
    /// After `subscribed`, for a subscription that asked for one: the incident's state
    /// at `seq`, in the hub version's snapshot encoding (a client of another version
    /// that cannot read it subscribes again without `snapshot`). Then `synced`, then
    /// live events from `seq + 1`.
    Snapshot {
        incident: String,
        seq: u64,
        state: serde_json::Value,
    },
    /// The answer to `page`: `entries` in seq order; `older` is whether there are
    /// entries before the first one.
    Page {
        id: String,
        incident: String,
        entries: Vec<crate::incident::state::TimelineEntry>,
        older: bool,
    },
    /// The answer to `search`: matching entries, newest first (at most [`MAX_FOUND`]);
    /// `searched_to` is the oldest seq looked at: send `search` again with it as
    /// `before_seq` for more (0: the whole timeline was searched).
    Found {
        id: String,
        incident: String,
        query: String,
        entries: Vec<crate::incident::state::TimelineEntry>,
        searched_to: u64,
    },
    /// The command `id` was applied (or had been: `duplicate`); its last event is `seq`.
    Ack {
        id: String,
        incident: String,
        seq: u64,
        #[serde(default)]
        duplicate: bool,
    },
    Reject {
        id: String,
        code: RejectReason,
        message: String,
        /// For `rate_limited` from a per-token limit: how long to wait before re-sending,
        /// in milliseconds. Absent otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    Incidents {
        items: Vec<IncidentSummary>,
    },
    /// Who is connected to the incident now (sent whenever that changes).
    Presence {
        incident: String,
        here: Vec<String>,
    },
    /// Only to connections that said `watch_incidents` in their hello: an incident was
    /// declared (`previous` is null) or its title, severity or status changed
    /// (`previous` holds them as they were).
    IncidentChanged {
        item: IncidentSummary,
        previous: Option<PreviousSummary>,
    },
    /// Sent just before the hub closes the connection, with the same reason.
    Error {
        code: CloseReason,
        message: String,
    },
}

/// What an `incident_changed` frame says an incident was before the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousSummary {
    pub title: String,
    pub severity: Option<Severity>,
    pub status: Status,
}

impl HubFrame {
    /// Parses a hub frame; `Ok(None)` for a well-formed frame of a type this client
    /// does not know (a newer hub's additive frame), which clients skip.
    pub fn parse(text: &str) -> Result<Option<HubFrame>, serde_json::Error> {
        match serde_json::from_str::<HubFrame>(text) {
            Ok(frame) => Ok(Some(frame)),
            Err(error) => {
                #[derive(Deserialize)]
                struct Tagged {
                    #[serde(rename = "type")]
                    kind: String,
                }
                match serde_json::from_str::<Tagged>(text) {
                    Ok(tagged) if !KNOWN_HUB_FRAMES.contains(&tagged.kind.as_str()) => Ok(None),
                    _ => Err(error),
                }
            }
        }
    }
}

/// The `type` of every hub frame this version knows.
const KNOWN_HUB_FRAMES: &[&str] = &[
    "welcome",
    "catalog",
    "subscribed",
    "synced",
    "event",
    "ack",
    "reject",
    "incidents",
    "presence",
    "incident_changed",
    "error",
];

/// Why a command or frame was refused. The domain's codes plus the protocol's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    Forbidden,
    NotFound,
    Invalid,
    TooLarge,
    Unchanged,
    NoIncident,
    AlreadyExists,
    /// The frame was not JSON or not a known message.
    Malformed,
    /// Over the per-connection command rate.
    RateLimited,
    /// The hub could not write the event log; nothing was applied.
    StorageFailed,
    /// The hub is shutting down; re-send after reconnecting.
    ShuttingDown,
}

impl From<RejectCode> for RejectReason {
    fn from(code: RejectCode) -> Self {
        match code {
            RejectCode::Forbidden => RejectReason::Forbidden,
            RejectCode::NotFound => RejectReason::NotFound,
            RejectCode::Invalid => RejectReason::Invalid,
            RejectCode::TooLarge => RejectReason::TooLarge,
            RejectCode::Unchanged => RejectReason::Unchanged,
            RejectCode::NoIncident => RejectReason::NoIncident,
            RejectCode::AlreadyExists => RejectReason::AlreadyExists,
        }
    }
}

impl RejectReason {
    pub fn id(self) -> &'static str {
        match self {
            RejectReason::Forbidden => "forbidden",
            RejectReason::NotFound => "not_found",
            RejectReason::Invalid => "invalid",
            RejectReason::TooLarge => "too_large",
            RejectReason::Unchanged => "unchanged",
            RejectReason::NoIncident => "no_incident",
            RejectReason::AlreadyExists => "already_exists",
            RejectReason::Malformed => "malformed",
            RejectReason::RateLimited => "rate_limited",
            RejectReason::StorageFailed => "storage_failed",
            RejectReason::ShuttingDown => "shutting_down",
        }
    }
}

/// Why the hub closed a connection; each maps to a WebSocket close code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// 4000: the first frame was not a `hello`, or none came in time.
    HelloExpected,
    /// 4001: the token is not valid.
    Unauthorized,
    /// 4002: the client speaks another protocol version.
    ProtocolMismatch,
    /// 4003: the connection's token was revoked (or its name or roles changed) while
    /// it was connected: the hub reloaded its responders.
    Revoked,
    /// 4004: subscribed to an incident that does not exist.
    UnknownIncident,
    /// 4008: the connection fell behind the event stream; reconnect with `since_seq`.
    TooSlow,
    /// 4009: far over the command rate.
    Flooding,
    /// 4010: too many malformed frames.
    Malformed,
    /// 1009: a frame over the size limit.
    TooBig,
    /// 1001: the hub is shutting down.
    ShuttingDown,
    /// 1013: the hub is at its connection cap and closed this connection, which had not
    /// authenticated yet, to make room; try again shortly.
    Busy,
}

impl CloseReason {
    pub fn code(self) -> u16 {
        match self {
            CloseReason::HelloExpected => 4000,
            CloseReason::Unauthorized => 4001,
            CloseReason::ProtocolMismatch => 4002,
            CloseReason::Revoked => 4003,
            CloseReason::UnknownIncident => 4004,
            CloseReason::TooSlow => 4008,
            CloseReason::Flooding => 4009,
            CloseReason::Malformed => 4010,
            CloseReason::TooBig => 1009,
            CloseReason::ShuttingDown => 1001,
            CloseReason::Busy => 1013,
        }
    }

    pub fn from_code(code: u16) -> Option<CloseReason> {
        [
            CloseReason::HelloExpected,
            CloseReason::Unauthorized,
            CloseReason::ProtocolMismatch,
            CloseReason::Revoked,
            CloseReason::UnknownIncident,
            CloseReason::TooSlow,
            CloseReason::Flooding,
            CloseReason::Malformed,
            CloseReason::TooBig,
            CloseReason::ShuttingDown,
            CloseReason::Busy,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }

    /// True when reconnecting may help (as opposed to a bad token or version).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            CloseReason::TooSlow
                | CloseReason::ShuttingDown
                | CloseReason::Flooding
                | CloseReason::Busy
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_the_documented_shape() {
        let hello: ClientFrame = serde_json::from_str(
            r#"{"type":"hello","protocol":1,"token":"t","incident":"INC-1","since_seq":4}"#,
        )
        .unwrap();
        assert_eq!(
            hello,
            ClientFrame::Hello {
                protocol: 1,
                token: "t".into(),
                incident: Some("INC-1".into()),
                since_seq: 4,
                snapshot: false,
                watch_incidents: false,
            }
        );
        let cmd: ClientFrame = serde_json::from_str(
            r#"{"type":"command","id":"c1","incident":"INC-1","command":{"type":"add_note","kind":"decision","text":"x"}}"#,
        )
        .unwrap();
        assert!(matches!(cmd, ClientFrame::Command { .. }));
        let ack = serde_json::to_string(&HubFrame::Ack {
            id: "c1".into(),
            incident: "INC-1".into(),
            seq: 9,
            duplicate: false,
        })
        .unwrap();
        assert_eq!(
            ack,
            r#"{"type":"ack","id":"c1","incident":"INC-1","seq":9,"duplicate":false}"#
        );
    }

    #[test]
    fn the_catalog_frame_carries_actions_and_channels() {
        let frame: HubFrame = serde_json::from_str(
            r#"{"type":"catalog","actions":[{"id":"freeze","title":"Freeze","description":"d","roles":["ops"],"confirm":true,"two_person":false,"idempotent":true,"timeout_seconds":5,"kind":"http","method":"POST","url":"https://x.example/${TOKEN}"}],"channels":["status_page"]}"#,
        )
        .unwrap();
        let HubFrame::Catalog {
            actions, channels, ..
        } = &frame
        else {
            panic!("{frame:?}");
        };
        assert_eq!(
            actions[0].url.as_deref(),
            Some("https://x.example/${TOKEN}")
        );
        assert_eq!(channels, &["status_page"]);
        let again: HubFrame =
            serde_json::from_str(&serde_json::to_string(&frame).unwrap()).unwrap();
        assert_eq!(again, frame);
    }

    #[test]
    fn incident_changed_has_the_documented_shape_and_unknown_frames_are_skipped() {
        let text = r#"{"type":"incident_changed","item":{"id":"INC-2","title":"Checkout 500s","severity":"SEV1","status":"investigating","declared_at":"2026-03-14T09:40:11Z","commander":null,"events":3},"previous":{"title":"Checkout 500s","severity":"SEV3","status":"investigating"}}"#;
        let Some(HubFrame::IncidentChanged { item, previous }) = HubFrame::parse(text).unwrap()
        else {
            panic!("not an incident_changed frame");
        };
        assert_eq!(
            (item.id.as_str(), item.severity),
            ("INC-2", Some(Severity::Sev1))
        );
        assert_eq!(previous.map(|p| p.severity), Some(Some(Severity::Sev3)));
        // A newer hub's frame is skipped, a broken known one is still an error.
        assert_eq!(
            HubFrame::parse(r#"{"type":"weather","sunny":true}"#).unwrap(),
            None
        );
        assert!(HubFrame::parse(r#"{"type":"ack","id":1}"#).is_err());
        assert!(HubFrame::parse("not json").is_err());
        // watch_incidents is left out unless set, so older hubs see the same hello.
        let hello = ClientFrame::Hello {
            protocol: 1,
            token: "t".into(),
            incident: None,
            since_seq: 0,
            snapshot: false,
            watch_incidents: false,
        };
        assert!(!serde_json::to_string(&hello).unwrap().contains("watch"));
    }

    #[test]
    fn close_codes_round_trip() {
        for reason in [
            CloseReason::Unauthorized,
            CloseReason::Revoked,
            CloseReason::TooSlow,
            CloseReason::TooBig,
            CloseReason::Busy,
        ] {
            assert_eq!(CloseReason::from_code(reason.code()), Some(reason));
        }
    }
}
