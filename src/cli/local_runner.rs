//! Running actions, deliveries and tracker sends without a separate hub. Side effects
//! only ever run on a hub, so for `act`, `approve`, `publish`, `retry` and `followup
//! send` on a local data directory the CLI starts a short-lived hub in this process
//! (loopback, a one-off token, the local config's actions, channels and trackers),
//! sends the command through it like any client, waits for the outcome, and shuts it down. Same runner, same log, same rules — except the
//! two-person rule, which local mode refuses: its identities are whatever `--as` says,
//! so "a different responder" would mean nothing.

use super::args::CliCommand;
use super::backend::{Backend, CliError};
use super::remote::RemoteBackend;
use crate::engine::DataDir;
use crate::hub::auth::{Authenticator, new_token};
use crate::hub::config::{HubConfig, default_path};
use crate::hub::{HubOptions, start_with};
use crate::incident::state::RunStatus;
use crate::incident::{Actor, Runbooks};
use std::io::Write;
use std::time::{Duration, Instant};

/// Commands whose effect needs the runner.
pub fn needs_runner(command: &CliCommand) -> bool {
    match command {
        CliCommand::Act { dry_run, .. } => !dry_run,
        CliCommand::Approve { .. } | CliCommand::Publish { .. } | CliCommand::Retry { .. } => true,
        CliCommand::Followup {
            action: super::args::FollowupAction::Send { .. },
        } => true,
        _ => false,
    }
}

/// How long to wait for outcomes before leaving them to `warroom runs`.
const WAIT: Duration = Duration::from_secs(120);

pub fn run(
    command: &CliCommand,
    data: DataDir,
    actor: Actor,
    mut runbooks: Runbooks,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let failed = |e: String| CliError::Failed(e);
    // Only two-person runs await approval, so `approve` is always one.
    if matches!(command, CliCommand::Approve { .. }) {
        return Err(failed(TWO_PERSON_NEEDS_A_HUB.to_string()));
    }
    let config_path = match command {
        CliCommand::Act {
            config: Some(path), ..
        } => path.clone(),
        _ => default_path(),
    };
    let config = HubConfig::load(&config_path).map_err(|e| failed(e.to_string()))?;
    let effects = config
        .apply_to(&mut runbooks)
        .map_err(|e| failed(e.to_string()))?;
    if requests_two_person(command, &runbooks) {
        return Err(failed(TWO_PERSON_NEEDS_A_HUB.to_string()));
    }
    let token = new_token().map_err(|e| failed(format!("no randomness from the OS: {e}")))?;
    let auth =
        Authenticator::default().with_token(&token, &actor.name, actor.roles.iter().copied());
    // The hub's tasks live on this runtime's worker threads while the client below
    // uses its own runtime on this thread.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| failed(format!("cannot start the async runtime: {e}")))?;
    let options = HubOptions {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        data,
        runbooks: runbooks.clone(),
        auth,
        limits: config.limits(),
    };
    let hub = runtime
        .block_on(start_with(options, effects))
        .map_err(|e| failed(e.to_string()))?;
    let url = format!("http://{}", hub.addr);
    let mut backend = RemoteBackend::new(url, token, runbooks)?;
    // `dispatch` sends the effect commands to `effects::dispatch` and `followup send`
    // (which waits for its own outcome) to `followup`.
    let result = super::dispatch::dispatch(command, &mut backend, out)
        .and_then(|()| wait(command, &mut backend, out));
    let stopped = runtime
        .block_on(hub.shutdown())
        .map_err(|e| failed(e.to_string()));
    result.and(stopped)
}

/// Why local mode cannot do two-person approval, and what to do instead.
pub const TWO_PERSON_NEEDS_A_HUB: &str = "two-person approval needs authenticated responders, and local mode takes anyone's name from --as: run `warroom serve` and give each responder a token (`warroom token new`), then request and approve with --hub and --token";

/// A real request of a two-person action. Local mode refuses it, like `approve`,
/// before anything starts: with identities from `--as`, one person could request as
/// alice and approve as mallory. (A dry run needs no approval, so it is allowed.)
fn requests_two_person(command: &CliCommand, runbooks: &Runbooks) -> bool {
    match command {
        CliCommand::Act {
            action,
            dry_run: false,
            ..
        } => runbooks.action(action).is_some_and(|spec| spec.two_person),
        _ => false,
    }
}

/// Waits until what the command started has an outcome, and prints it.
fn wait(
    command: &CliCommand,
    backend: &mut RemoteBackend,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let (incident, target) = match command {
        CliCommand::Act { incident, .. } => (incident, Target::LatestRun),
        CliCommand::Approve { incident, run, .. } => (incident, Target::Run(*run)),
        CliCommand::Publish { incident, .. } => (incident, Target::LatestUpdate),
        CliCommand::Retry {
            incident,
            published,
            ..
        } => (incident, Target::Update(*published)),
        _ => return Ok(()),
    };
    let started = Instant::now();
    loop {
        let state = backend.load_state(incident)?;
        let line = match target {
            Target::LatestRun | Target::Run(_) => {
                let run = match target {
                    Target::Run(n) => state.run(n),
                    _ => state.action_runs.last(),
                };
                match run {
                    Some(r)
                        if matches!(
                            r.status,
                            RunStatus::Finished(_)
                                | RunStatus::Denied
                                | RunStatus::AwaitingApproval
                                | RunStatus::DryRun
                        ) =>
                    {
                        let code = r
                            .result_status
                            .map_or(String::new(), |s| format!(", status {s}"));
                        let excerpt = if r.excerpt.is_empty() {
                            String::new()
                        } else {
                            format!("\n    {}", r.excerpt.replace('\n', "\n    "))
                        };
                        Some(format!(
                            "run #{} {}: {}{code}{excerpt}",
                            r.run,
                            r.title,
                            r.status.label()
                        ))
                    }
                    None => Some("no run was recorded".to_string()),
                    _ => None,
                }
            }
            Target::LatestUpdate | Target::Update(_) => {
                let update = match target {
                    Target::Update(n) => state.published_at_seq(n),
                    _ => state.published.last(),
                };
                match update {
                    Some(p) if p.deliveries.values().all(|d| d.ok.is_some()) => {
                        let lines: Vec<String> = p
                            .deliveries
                            .iter()
                            .map(|(channel, d)| {
                                format!(
                                    "{channel}: {} {}",
                                    if d.ok == Some(true) {
                                        "delivered"
                                    } else {
                                        "FAILED"
                                    },
                                    d.detail
                                )
                            })
                            .collect();
                        Some(if lines.is_empty() {
                            "no delivery channels: recorded on the timeline only".to_string()
                        } else {
                            lines.join("\n")
                        })
                    }
                    None => Some("nothing was published".to_string()),
                    _ => None,
                }
            }
        };
        if let Some(line) = line {
            return writeln!(out, "{line}").map_err(|e| CliError::Failed(e.to_string()));
        }
        if started.elapsed() > WAIT {
            return writeln!(
                out,
                "still running after {} s: `warroom runs {incident}` shows the outcome",
                WAIT.as_secs()
            )
            .map_err(|e| CliError::Failed(e.to_string()));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[derive(Clone, Copy)]
enum Target {
    LatestRun,
    Run(u64),
    LatestUpdate,
    Update(u64),
}
