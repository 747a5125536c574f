//! The client side of the protocol: a single connection (`client`) for one-shot CLI
//! commands, and a reconnecting subscription with an outbox (`sync`) for consoles and
//! `tail`. What `wss://` connections trust is `trust`.

pub mod client;
pub mod sync;
pub mod trust;

pub use client::{HubClient, NetError, new_command_id, ws_url};
pub use sync::{ConnectionState, IncidentNews, SyncEvent, SyncHandle, SyncOptions};
