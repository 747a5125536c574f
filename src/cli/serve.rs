//! The long-running commands: `serve` (the hub, reloading its responders on SIGHUP and
//! when its config changes) and `tail` (follow an incident); `tls self-signed`.

use super::args::TlsAction;
use super::backend::CliError;
use crate::engine::DataDir;
use crate::hub::auth::Authenticator;
use crate::hub::config::{HubConfig, default_path};
use crate::hub::seen::SEEN_FILE;
use crate::hub::{HubOptions, ServeOptions, start_serving};
use crate::incident::safe_text::{escape_json, neutralise};
use crate::incident::{Event, State};
use crate::net::{ConnectionState, SyncEvent, SyncOptions};
use std::io::Write;
use std::path::PathBuf;

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

pub fn serve(
    listen: Option<std::net::SocketAddr>,
    ssh: Option<std::net::SocketAddr>,
    config_path: Option<PathBuf>,
    data: Option<PathBuf>,
    catalog: Option<PathBuf>,
) -> Result<(), CliError> {
    // The hub is a server: its log goes to stderr (the console, later, logs to a file).
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warroom=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let config_path = config_path.unwrap_or_else(default_path);
    let config = HubConfig::load(&config_path).map_err(|e| CliError::Failed(e.to_string()))?;
    // TLS and where to listen first: a hub that cannot start says so before anything else.
    let listen = listen.unwrap_or(config.listen);
    let tls = match config.tls_files() {
        Some((cert, key)) => Some(
            crate::tls::server::load(cert, key, chrono::Utc::now())
                .map_err(|e| CliError::Failed(e.to_string()))?,
        ),
        None => None,
    };
    if tls.is_none() && !listen.ip().is_loopback() && !config.allow_plaintext {
        return Err(CliError::Failed(format!(
            "refusing to listen on {listen} without TLS: tokens would cross the network in clear. Set tls_cert and tls_key in {} (`warroom tls self-signed --host NAME --out DIR` makes a pair), or allow_plaintext = true there if a TLS-terminating proxy fronts the hub",
            config_path.display()
        )));
    }
    let catalog_dir = catalog
        .or(config.catalog.clone())
        .or_else(crate::catalog::default_user_dir);
    let mut runbooks = crate::catalog::load(catalog_dir.as_deref()).map_err(|e| {
        CliError::Failed(format!(
            "the runbook catalog has errors (run `warroom check`):\n{e}"
        ))
    })?;
    // The containment actions and delivery channels this hub runs (docs/ACTIONS.md),
    // and the Slack bridge: only the team's hub mirrors incidents into threads.
    let mut effects = config
        .apply_to(&mut runbooks)
        .map_err(|e| CliError::Failed(e.to_string()))?;
    effects.slack = config.slack.clone();
    let (actions, channels) = (runbooks.actions.len(), runbooks.channels.len());
    let data = DataDir::new(
        data.or(config.data.clone())
            .unwrap_or_else(DataDir::default_root),
    );
    // `[store] kind = "nats"`: the incidents live in a JetStream stream. A hub that
    // cannot reach it says which servers it tried and does not start.
    let data = match config.store.nats().map_err(CliError::Failed)? {
        Some(nats) => {
            let store = crate::store::NatsStore::connect(&nats)
                .map_err(|e| CliError::Failed(format!("cannot open the [store]: {e}")))?;
            tracing::info!(stream = %store.stream(), servers = ?nats.servers, "incidents are kept in NATS JetStream");
            if let Some(warning) = store.racy_server(nats.replicas) {
                tracing::warn!("{warning}");
            }
            data.with_nats(store)
        }
        None => data,
    };
    // So that a local command pointed at this directory says where the incidents are.
    if let Err(error) = data.note_store() {
        tracing::warn!(%error, "could not note the store in the data directory");
    }
    let auth = Authenticator::new(&config.responders);
    let ssh = ssh.or(config.ssh_listen);
    let door_runbooks = ssh.map(|_| runbooks.clone());
    if auth.is_empty() {
        eprintln!(
            "warroom: no responders in {} — nobody can connect yet. Add one with:\n  warroom token new --name alice --role commander --config {}",
            config_path.display(),
            config_path.display()
        );
    }
    let runtime = runtime()?;
    runtime.block_on(async {
        let options = HubOptions {
            listen,
            data: data.clone(),
            runbooks,
            auth,
            limits: config.limits(),
        };
        let serve = ServeOptions {
            limits: config.connections.limits(),
            tls: tls.as_ref().map(|t| t.config.clone()),
            last_seen: Some(data.root().join(SEEN_FILE)),
            intake: config.intake_sources(),
        };
        let hub = start_serving(options, effects, serve)
            .await
            .map_err(|e| CliError::Failed(e.to_string()))?;
        // `[[responder]]` edits (token new/revoke/rotate, or by hand) apply without a
        // restart: on SIGHUP and when the file changes.
        let (stop_watching, watching) = tokio::sync::watch::channel(false);
        let watcher = tokio::spawn(crate::hub::reload::watch_config(
            config_path.clone(),
            hub.responders(),
            watching,
            |outcome| match outcome {
                Ok(line) => eprintln!("warroom: {line}"),
                Err(line) => eprintln!("warroom: reload refused: {line}"),
            },
        ));
        if let Some(tls) = &tls {
            eprintln!(
                "warroom: TLS certificate fingerprint {} (valid until {}); clients without a CA pin it with --fingerprint",
                tls.fingerprint,
                tls.not_after.format("%Y-%m-%d")
            );
        }
        let scheme = if tls.is_some() { "https" } else { "http" };
        eprintln!(
            "warroom hub listening on {scheme}://{} (data in {}; {actions} containment actions, {channels} delivery channels; /health, /metrics, /ws). Ctrl-C to stop.",
            hub.addr,
            data.root().display()
        );
        let door = match (ssh, door_runbooks) {
            (Some(listen), Some(runbooks)) => {
                let pinned = tls.as_ref().map(|t| t.fingerprint.as_str());
                let door = super::ssh::open(listen, &hub, pinned, runbooks, &data).await;
                match door {
                    Ok(door) => Some(door),
                    Err(error) => {
                        let _ = stop_watching.send(true);
                        let _ = hub.shutdown().await;
                        return Err(CliError::Failed(error));
                    }
                }
            }
            _ => None,
        };
        stop_signal().await;
        if let Some(door) = &door {
            door.shutdown();
        }
        let _ = stop_watching.send(true);
        let _ = watcher.await;
        eprintln!("warroom: shutting down: finishing writes in flight and closing connections");
        hub.shutdown().await.map_err(|e| CliError::Failed(e.to_string()))
    })
}

pub fn tls(action: &TlsAction, out: &mut dyn Write) -> Result<(), CliError> {
    match action {
        TlsAction::SelfSigned {
            hosts,
            out: dir,
            days,
        } => {
            let written = crate::tls::self_signed::write(hosts, *days, dir, chrono::Utc::now())
                .map_err(|e| CliError::Failed(e.to_string()))?;
            let text = format!(
                "{}\nwrote {} and {} (the key is readable by you only), valid until {}\nin the hub configuration:\n  tls_cert = {}\n  tls_key = {}\nclients pin it: --fingerprint {}\n",
                written.fingerprint,
                written.cert.display(),
                written.key.display(),
                written.not_after.format("%Y-%m-%d"),
                toml::Value::String(written.cert.display().to_string()),
                toml::Value::String(written.key.display().to_string()),
                written.fingerprint
            );
            super::output::write_all(out, &text)
        }
    }
}

/// One human-readable line per event: the timeline sentence it wrote into `state` (to
/// which it has just been applied), or its name for events that write none.
pub fn event_line(event: &Event, state: &State) -> String {
    let sentence = state
        .timeline
        .last()
        .filter(|entry| entry.seq == event.seq)
        .map(|entry| {
            format!(
                "{:<8} {}",
                entry.kind.id(),
                entry.text.replace('\n', "\n         ")
            )
        });
    let text = sentence.unwrap_or_else(|| event.kind.name().replace('_', " "));
    format!(
        "#{:<5} {} {:<12} {text}",
        event.seq,
        event.at.format("%Y-%m-%d %H:%M:%S UTC"),
        event.actor
    )
}

pub fn tail(
    hub: &str,
    token: &str,
    incident: &str,
    since: u64,
    json: bool,
) -> Result<(), CliError> {
    let runtime = runtime()?;
    runtime.block_on(async {
        let stdout = std::io::stdout();
        let print = |line: String| {
            let mut out = stdout.lock();
            // False once stdout is closed (e.g. piped into head).
            writeln!(out, "{line}").and_then(|_| out.flush()).is_ok()
        };
        let warn = |line: String| eprintln!("{line}");
        tokio::select! {
            _ = stop_signal() => Ok(()),
            followed = follow(hub, token, incident, since, json, print, warn) => followed,
        }
    })
}

/// Follows `incident` on `hub` from `since`: one line per event to `print` (which says
/// whether to go on), news of the connection to `warn`. `tail` on a terminal, and over
/// the SSH door.
pub(crate) async fn follow(
    hub: &str,
    token: &str,
    incident: &str,
    since: u64,
    json: bool,
    mut print: impl FnMut(String) -> bool,
    mut warn: impl FnMut(String),
) -> Result<(), CliError> {
    let mut options = SyncOptions::new(hub, token, incident);
    options.since_seq = since;
    let mut handle = crate::net::sync::spawn(options);
    // Events before `since` are not sent; the sentences of later ones only need the
    // state they build (a checklist tick names its item only if the item is known).
    let mut state = State::default();
    while let Some(event) = handle.events.recv().await {
        match event {
            SyncEvent::Event(event) => {
                state.apply(&event);
                // JSON keeps decoding to the verbatim text; the sentence shows escapes.
                // Either way nothing reaches the terminal raw.
                let line = if json {
                    let json = serde_json::to_string(&event).unwrap_or_default();
                    escape_json(&json).into_owned()
                } else {
                    neutralise(&event_line(&event, &state)).into_owned()
                };
                if !print(line) {
                    return Ok(());
                }
            }
            SyncEvent::State(ConnectionState::Offline { reason, .. }) => {
                return Err(CliError::Failed(neutralise(&reason).into_owned()));
            }
            SyncEvent::State(ConnectionState::Reconnecting {
                attempt, reason, ..
            }) => warn(format!(
                "warroom: connection lost ({}); reconnecting (attempt {attempt})",
                neutralise(&reason)
            )),
            _ => {}
        }
    }
    Ok(())
}

pub fn bench(what: &super::args::BenchWhat) -> Result<(), CliError> {
    match what {
        super::args::BenchWhat::Hub {
            clients,
            commands,
            writers,
            per_writer,
            nats,
            nats_replicas,
            hubs,
        } => {
            let nats = (!nats.is_empty()).then(|| {
                let mut config = crate::store::NatsConfig::new(nats.clone());
                config.replicas = *nats_replicas;
                config
            });
            let runtime = runtime()?;
            let reports = runtime
                .block_on(crate::bench::hub::run(
                    clients,
                    *commands,
                    *writers,
                    *per_writer,
                    nats.as_ref(),
                    *hubs,
                ))
                .map_err(CliError::Failed)?;
            print!("{}", crate::bench::hub::format(&reports));
        }
        super::args::BenchWhat::Store {
            events,
            incidents,
            each,
            dir,
        } => {
            let options = crate::bench::store::StoreBench {
                events: *events,
                incidents: *incidents,
                each: *each,
                dir: dir.clone(),
            };
            print!(
                "{}",
                crate::bench::store::run(&options).map_err(CliError::Failed)?
            );
        }
        super::args::BenchWhat::JoinProbe { url, incident } => {
            println!(
                "{}",
                crate::bench::join::probe(url, incident).map_err(CliError::Failed)?
            );
        }
        super::args::BenchWhat::Peak { args } => {
            println!(
                "{}",
                crate::bench::store::peak(args).map_err(CliError::Failed)?
            );
        }
        super::args::BenchWhat::Console {
            entries,
            width,
            height,
        } => {
            print!(
                "{}",
                crate::bench::console::run(*entries, *width, *height).map_err(CliError::Failed)?
            );
        }
    }
    Ok(())
}
