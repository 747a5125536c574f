//! The hub: the only writer. An axum router with `/ws` (the protocol in
//! `docs/PROTOCOL.md`), `/health`, `/metrics`, alert intake and chat slash commands
//! (`chat_in`), served by our own HTTP/1 loop that caps connections (`admission`,
//! `server`); an actor thread per incident in use (released when idle, reopened on
//! demand); per-token limits on declares and alert intake; the runner that carries out
//! containment actions and delivers updates (`effects`); graceful shutdown that
//! finishes appends in flight and closes every socket with a reason.

mod actor;
mod admission;
mod alerts;
mod announce;
pub mod auth;
pub mod chat;
pub mod chat_in;
mod command_rate;
pub mod config;
mod connection;
pub mod effects;
mod entry;
mod execute;
mod fds;
pub mod intake;
pub mod limits;
mod link;
pub mod metrics;
mod pages;
mod registry;
pub mod reload;
mod reply;
pub mod responders;
pub mod seen;
mod server;
mod session;
mod subscribe;
mod upgrade;

pub use actor::event_frame;
pub use admission::ConnectionLimits;
pub use effects::Effects;
pub use limits::HubLimits;
pub use registry::{Registry, RegistryError, Unavailable};

use crate::engine::DataDir;
use crate::incident::Runbooks;
use admission::Admission;
use auth::{Authenticator, FailureThrottle};
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use limits::Limiters;
use metrics::Metrics;
use responders::Responders;
use seen::SeenBook;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;

/// What every request handler shares.
pub struct HubState {
    pub registry: Arc<Registry>,
    /// Who may connect; replaced when the hub reloads its configuration.
    pub auth: Arc<Responders>,
    /// When each responder was last seen (kept in the data directory).
    pub seen: Arc<SeenBook>,
    pub throttle: FailureThrottle,
    pub metrics: Arc<Metrics>,
    pub shutdown: watch::Receiver<bool>,
    /// Declares and alert deliveries per token.
    pub limiters: Limiters,
    /// The connection caps and timeouts in force.
    pub limits: ConnectionLimits,
    /// Alert sources configured beyond Alertmanager (`[pagerduty]`, `[[intake]]`).
    pub intake: intake::IntakeSources,
    /// The config's `public_url`, for the page links to an incident land on (`link`).
    pub public_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("cannot listen on {addr}: {cause}")]
    Bind {
        addr: SocketAddr,
        cause: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

pub struct HubOptions {
    pub listen: SocketAddr,
    pub data: DataDir,
    pub runbooks: Runbooks,
    pub auth: Authenticator,
    /// Rate limits and the idle time after which an incident is released.
    pub limits: HubLimits,
}

/// A hub that is serving. Dropping it does not stop it: call [`RunningHub::shutdown`].
pub struct RunningHub {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<Result<(), std::io::Error>>,
    runner: tokio::task::JoinHandle<()>,
    sweeper: tokio::task::JoinHandle<()>,
    registry: Arc<Registry>,
    pub metrics: Arc<Metrics>,
    responders: Arc<Responders>,
    seen: Arc<SeenBook>,
}

impl RunningHub {
    /// The responders this hub accepts, to replace on a reload
    /// ([`reload::watch_config`]).
    pub fn responders(&self) -> Arc<Responders> {
        self.responders.clone()
    }

    /// Stops accepting, closes every connection with "shutting down", lets runs and
    /// deliveries in flight finish (for a bounded time) and each incident finish the
    /// appends it has queued, and returns when all is on disk.
    pub async fn shutdown(self) -> Result<(), HubError> {
        let _ = self.shutdown.send(true);
        let served = self.server.await;
        // WebSocket sessions outlive the server's graceful stop (they are upgraded
        // connections): let them answer what they already handed to an incident before
        // the incidents stop, so a command in flight gets its real answer.
        let sessions = async {
            while self
                .metrics
                .connections
                .load(std::sync::atomic::Ordering::Relaxed)
                > 0
            {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        };
        if tokio::time::timeout(SESSIONS_DRAIN, sessions)
            .await
            .is_err()
        {
            tracing::warn!(
                "stopping with connections still open; their commands in flight are answered `shutting_down`"
            );
        }
        let _ = self.sweeper.await;
        // The runner records outcomes through the actors, so it stops before they do.
        if let Err(error) = self.runner.await {
            tracing::error!(%error, "the runner ended abnormally");
        }
        let registry = self.registry.clone();
        let _ = tokio::task::spawn_blocking(move || registry.shutdown()).await;
        self.seen.flush();
        match served {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(HubError::Serve(e)),
            Err(e) => Err(HubError::Serve(std::io::Error::other(e.to_string()))),
        }
    }
}

/// How long a stopping hub waits for its WebSocket sessions to answer what is in flight
/// and close (each waits up to 5 s for answers, then says goodbye).
const SESSIONS_DRAIN: std::time::Duration = std::time::Duration::from_secs(8);

/// Loads every incident, binds `options.listen` (port 0 picks a free port) and serves,
/// with no delivery channels (actions still run if `options.runbooks` has them).
pub async fn start(options: HubOptions) -> Result<RunningHub, HubError> {
    start_with(options, Effects::default()).await
}

/// [`start`] with the delivery channels from the hub's configuration
/// ([`config::HubConfig::apply_to`]).
pub async fn start_with(options: HubOptions, effects: Effects) -> Result<RunningHub, HubError> {
    start_with_limits(options, effects, ConnectionLimits::default()).await
}

/// [`start_with`] with the connection caps and timeouts from the hub's configuration
/// (`[connections]`); `max_connections` is lowered to what the open-file limit allows.
pub async fn start_with_limits(
    options: HubOptions,
    effects: Effects,
    limits: ConnectionLimits,
) -> Result<RunningHub, HubError> {
    let serve = ServeOptions {
        limits,
        ..ServeOptions::default()
    };
    start_serving(options, effects, serve).await
}

/// How `warroom serve` runs a hub beyond [`HubOptions`].
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Connection caps and timeouts (`[connections]`).
    pub limits: ConnectionLimits,
    /// Speak TLS (HTTPS and WSS only) with this (`crate::tls::server::load` makes it
    /// from the configured files).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Keep when each responder was last seen in this file ([`seen::SEEN_FILE`] in the
    /// data directory): written at most once a minute per responder.
    pub last_seen: Option<std::path::PathBuf>,
    /// Alert sources beyond Alertmanager and Grafana (`[pagerduty]`, `[[intake]]`).
    pub intake: intake::IntakeSources,
}

/// [`start_with_limits`] with everything `warroom serve` configures.
pub async fn start_serving(
    options: HubOptions,
    effects: Effects,
    serve: ServeOptions,
) -> Result<RunningHub, HubError> {
    let ServeOptions {
        mut limits,
        tls,
        last_seen,
        intake,
    } = serve;
    if let Some(budget) = fds::connection_budget()
        && budget < limits.max_connections
    {
        tracing::warn!(
            configured = limits.max_connections,
            allowed = budget,
            "the open-file limit allows fewer connections than configured: raise it (ulimit -n)"
        );
        limits.max_connections = budget;
    }
    let metrics = Arc::new(Metrics::default());
    let (jobs, job_queue) = effects::channel();
    let data = options.data;
    let runbooks = Arc::new(options.runbooks);
    let idle = options.limits.incident_idle;
    let loading = metrics.clone();
    // Opening every log once is blocking work: keep it off the async workers.
    let registry =
        tokio::task::spawn_blocking(move || Registry::load(data, runbooks, loading, jobs, idle))
            .await
            .map_err(|e| {
                HubError::Registry(RegistryError::Thread(std::io::Error::other(e.to_string())))
            })??;
    let registry = Arc::new(registry);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let public_url = effects.public_url.clone();
    let runner = effects::spawn(registry.clone(), effects, job_queue, shutdown_rx.clone());
    let sweeper = tokio::spawn(registry.clone().sweep_idle(shutdown_rx.clone()));
    if let Some(follower) = registry
        .clone()
        .summaries_follower(shutdown_rx.clone())
        .await
    {
        tokio::spawn(follower);
    }
    let responders = Arc::new(Responders::new(options.auth));
    let seen = Arc::new(match last_seen {
        Some(path) => SeenBook::open(path),
        None => SeenBook::in_memory(),
    });
    tokio::spawn(seen.clone().flush_every(shutdown_rx.clone()));
    let state = Arc::new(HubState {
        registry: registry.clone(),
        auth: responders.clone(),
        seen: seen.clone(),
        throttle: FailureThrottle::default(),
        metrics: metrics.clone(),
        shutdown: shutdown_rx.clone(),
        limiters: Limiters::new(&options.limits),
        limits,
        intake,
        public_url,
    });
    let app = Router::new()
        .route("/ws", get(upgrade::websocket))
        .route("/health", get(health))
        .route("/metrics", get(prometheus))
        .route("/incidents/{id}", get(link::incident))
        .route("/api/v1/alerts/alertmanager", post(alerts::alertmanager))
        .route("/api/v1/alerts/pagerduty", post(intake::pagerduty::receive))
        .route("/api/v1/alerts/grafana", post(intake::grafana::receive))
        .route("/api/v1/intake/{name}", post(intake::generic::receive))
        .route("/api/v1/chat/slack", post(chat_in::slack::receive))
        .route(
            "/api/v1/chat/mattermost",
            post(chat_in::mattermost::receive),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|cause| HubError::Bind {
            addr: options.listen,
            cause,
        })?;
    let addr = listener.local_addr().map_err(|cause| HubError::Bind {
        addr: options.listen,
        cause,
    })?;
    let serving = server::Serving {
        router: app,
        admission: Admission::new(&limits, metrics.clone()),
        metrics: metrics.clone(),
        header_timeout: limits.header_timeout,
        stop: shutdown_rx,
        tls: tls.map(tokio_rustls::TlsAcceptor::from),
    };
    let server = tokio::spawn(server::serve(listener, serving));
    tracing::info!(%addr, incidents = registry.len(), "hub listening");
    Ok(RunningHub {
        addr,
        shutdown: shutdown_tx,
        server,
        runner,
        sweeper,
        registry,
        metrics,
        responders,
        seen,
    })
}

/// Resolves once the hub is stopping (or its stop signal is gone). Returns nothing, so
/// no borrow of the signal is held across what the caller does next.
async fn stopping(signal: &mut watch::Receiver<bool>) {
    let _ = signal.wait_for(|stopping| *stopping).await;
}

async fn health(State(hub): State<Arc<HubState>>) -> impl IntoResponse {
    let quarantined: Vec<serde_json::Value> = hub
        .registry
        .quarantined()
        .into_iter()
        .map(|(id, reason)| serde_json::json!({ "id": id, "reason": reason }))
        .collect();
    let body = serde_json::json!({
        "ok": true,
        "version": env!("CARGO_PKG_VERSION"),
        "incidents": hub.registry.len(),
        "live_incidents": hub.metrics.live_incidents.load(std::sync::atomic::Ordering::Relaxed),
        "quarantined": quarantined,
        "connections": hub.metrics.connections.load(std::sync::atomic::Ordering::Relaxed),
        "store": hub.registry.store_health(),
    });
    axum::Json(body)
}

async fn prometheus(State(hub): State<Arc<HubState>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        hub.metrics
            .render(hub.registry.len(), hub.registry.quarantined().len()),
    )
}
