//! What becomes of a command handed to an incident, as the hub's callers see it:
//! applied (with its seq), a duplicate of one applied before, rejected, not stored, or
//! never handed over because the incident is unavailable. A leaf module, so the runner
//! (`effects`), the registry and the actors all speak it without importing each other.

use crate::incident::Rejection;
use crate::protocol::RejectReason;

/// The answer to one submitted command.
#[derive(Debug)]
pub enum CommandReply {
    Applied {
        seq: u64,
    },
    Duplicate {
        seq: u64,
    },
    Rejected(Rejection),
    StorageFailed(String),
    /// Not decided: the incident cannot take commands now (or does not exist).
    Unavailable(Unavailable),
}

/// Why a request for an incident was not handed to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// No incident has that id.
    NoIncident,
    /// Its log cannot be served; the reason.
    Quarantined(String),
    /// The hub is stopping: re-send after reconnecting.
    ShuttingDown,
    /// Opening it failed for a reason that may pass (out of file descriptors, the log
    /// locked by another process): re-send later.
    OpenFailed(String),
}

impl Unavailable {
    pub fn message(&self, id: &str) -> String {
        match self {
            Unavailable::NoIncident => format!("no incident `{id}` on this hub"),
            Unavailable::Quarantined(reason) => {
                format!("incident `{id}` is quarantined: {reason}")
            }
            Unavailable::ShuttingDown => {
                "the hub is shutting down; re-send after reconnecting".to_string()
            }
            Unavailable::OpenFailed(cause) => {
                format!("incident `{id}` could not be opened ({cause}); re-send later")
            }
        }
    }

    /// The reject code a command gets: only a missing or quarantined incident is final.
    pub fn reject_reason(&self) -> RejectReason {
        match self {
            Unavailable::NoIncident | Unavailable::Quarantined(_) => RejectReason::NoIncident,
            Unavailable::ShuttingDown => RejectReason::ShuttingDown,
            Unavailable::OpenFailed(_) => RejectReason::StorageFailed,
        }
    }
}
