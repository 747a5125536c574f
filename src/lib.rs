//! warroom: a terminal war-room console for incident response on multi-tenant AI/agent
//! platforms.
//!
//! Dependencies flow one way (see `docs/ARCHITECTURE.md`): `incident` is the pure domain
//! and depends on nothing of ours; `catalog` loads runbook data into `incident` types;
//! `store` is the hash-chained event log; `engine` joins them into an incident that
//! decides, persists and applies; `cli` drives an engine from the command line.

pub mod bench;
pub mod catalog;
pub mod cli;
pub mod demo;
pub mod engine;
pub mod hub;
pub mod incident;
pub mod net;
pub mod protocol;
pub mod store;
pub mod tls;
pub mod tui;
