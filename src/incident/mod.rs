//! THE domain, pure: an incident's state, the commands people issue, the events that
//! record what happened, `decide` (command → events, with the permission check) and
//! `apply` (event → state). No I/O, no clock reads, no async: the hub and every client
//! run this same code, so replicas that applied the same events agree.

pub mod action;
mod apply;
mod authority;
pub mod blast;
pub mod chat;
pub mod clocks;
pub mod command;
pub mod decide;
mod decide_checklist;
mod decide_comms;
pub mod decide_effects;
mod decide_steer;
mod decide_timeline;
mod decide_tracker;
pub mod event;
pub mod export;
pub mod followup;
pub mod html;
pub mod limits;
mod line;
pub mod loose_ends;
pub mod markdown;
pub mod postmortem;
mod rejection;
pub mod render;
pub mod role;
pub mod runbook;
pub mod safe_text;
pub mod scorecard;
pub mod severity;
pub mod snapshot;
pub mod state;
pub mod template;
pub mod times;

pub use blast::CellState;
pub use command::{Actor, Command};
pub use decide::{RejectCode, Rejection, decide};
pub use event::{Event, EventKind};
pub use role::Role;
pub use runbook::Runbooks;
pub use severity::Severity;
pub use state::{EntryKind, State, Status};
