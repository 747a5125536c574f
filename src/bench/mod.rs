//! `warroom bench`: repeatable measurements behind docs/PERFORMANCE.md, one file per
//! bench: [`hub`] (fan-out latency and durable throughput on loopback), [`console`]
//! (frame time, terminal bytes and memory with a very long timeline) and [`store`] (what
//! a large data directory costs the commands that read it).

pub mod console;
pub mod hub;
pub mod join;
pub mod store;
