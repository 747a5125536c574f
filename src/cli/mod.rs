//! The `warroom` command line: argument types and the option groups they are made of,
//! the backend the commands talk to, and the plain-text views they print.

pub mod args;
mod args_groups;
pub mod backend;
mod console;
pub(crate) mod dispatch;
pub mod effects;
mod followup;
#[cfg(test)]
mod help_tests;
pub mod list_filter;
mod local_runner;
mod maintenance;
mod migrate;
pub mod options;
pub mod output;
mod postmortem;
pub(crate) mod remote;
mod report;
pub(crate) mod run;
pub(crate) mod serve;
pub mod show;
mod ssh;
mod times;
mod token;

pub use args::Cli;
pub use backend::{Backend, CliError, LocalBackend};
pub use remote::RemoteBackend;
pub use run::run;
