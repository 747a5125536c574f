//! Why a command was refused: [`Rejection`], its stable [`RejectCode`] and the
//! shorthand constructors every `decide` arm uses. Re-exported from `decide`, so
//! `incident::decide::Rejection` and `incident::RejectCode` keep working.

use serde::{Deserialize, Serialize};

/// Why a command was refused. `code` is stable (clients and the protocol use it);
/// `message` says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Rejection {
    pub code: RejectCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    Forbidden,
    NotFound,
    Invalid,
    TooLarge,
    Unchanged,
    NoIncident,
    AlreadyExists,
}

impl RejectCode {
    pub fn id(self) -> &'static str {
        match self {
            RejectCode::Forbidden => "forbidden",
            RejectCode::NotFound => "not_found",
            RejectCode::Invalid => "invalid",
            RejectCode::TooLarge => "too_large",
            RejectCode::Unchanged => "unchanged",
            RejectCode::NoIncident => "no_incident",
            RejectCode::AlreadyExists => "already_exists",
        }
    }
}

impl Rejection {
    pub fn new(code: RejectCode, message: impl Into<String>) -> Rejection {
        Rejection {
            code,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> Rejection {
        Rejection::new(RejectCode::Invalid, message)
    }
    pub fn too_large(message: impl Into<String>) -> Rejection {
        Rejection::new(RejectCode::TooLarge, message)
    }
    pub fn not_found(message: impl Into<String>) -> Rejection {
        Rejection::new(RejectCode::NotFound, message)
    }
    pub fn unchanged(message: impl Into<String>) -> Rejection {
        Rejection::new(RejectCode::Unchanged, message)
    }
}
