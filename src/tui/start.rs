//! How the console starts. `warroom` runs an embedded hub in-process (data in the user's
//! data directory, listening on 127.0.0.1 so teammates on the same host can join) and
//! opens the lobby; `warroom demo` does the same on a throw-away copy of the demo
//! incident; `warroom join URL --token T` opens a console on a remote hub.

use super::lobby::{Choice, Lobby};
use super::run::{self, Look};
use crate::demo;
use crate::engine::DataDir;
use crate::hub::auth::{Authenticator, new_token};
use crate::hub::config::HubConfig;
use crate::hub::{Effects, HubLimits, HubOptions, RunningHub, start_with};
use crate::incident::{Role, Runbooks};
use crate::net::HubClient;
use crate::store::EventLog;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the embedded hub listens first; if taken, any free loopback port.
pub const EMBEDDED_LISTEN: &str = "127.0.0.1:7420";

/// The seats a person running their own console holds on their embedded hub.
const LOCAL_ROLES: [Role; 5] = [
    Role::Commander,
    Role::Scribe,
    Role::Comms,
    Role::Ops,
    Role::Security,
];

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

pub fn local_user() -> String {
    std::env::var("WARROOM_USER")
        .or_else(|_| std::env::var("USER"))
        .ok()
        .filter(|n| !n.trim().is_empty() && !n.starts_with("system:"))
        .unwrap_or_else(|| "you".to_string())
}

/// Logs go to a file beside the data, never to the console's terminal.
fn log_to_file(dir: &Path) {
    let _ = std::fs::create_dir_all(dir);
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("warroom.log"))
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warroom=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

/// Writes the console's token where only this user can read it, so a second console on
/// this host can `warroom join` with it. The token is never shown on screen.
fn save_token(dir: &Path, token: &str) -> Option<PathBuf> {
    let path = dir.join("console.token");
    let mut options = std::fs::OpenOptions::new();
    options.create(true).write(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).ok()?;
    std::io::Write::write_all(&mut file, token.as_bytes()).ok()?;
    Some(path)
}

async fn start_local_hub(
    data: DataDir,
    runbooks: Runbooks,
    auth: Authenticator,
    listen: Option<SocketAddr>,
    effects: Effects,
    limits: HubLimits,
) -> Result<RunningHub, String> {
    let preferred = listen.unwrap_or_else(|| {
        EMBEDDED_LISTEN
            .parse()
            .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)))
    });
    let options = |listen| HubOptions {
        listen,
        data: data.clone(),
        runbooks: runbooks.clone(),
        auth: auth.clone(),
        limits: limits.clone(),
    };
    match start_with(options(preferred), effects.clone()).await {
        Ok(hub) => Ok(hub),
        Err(crate::hub::HubError::Bind { .. }) if listen.is_none() => {
            start_with(options(SocketAddr::from(([127, 0, 0, 1], 0))), effects)
                .await
                .map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    }
}

pub struct EmbeddedOptions {
    pub data: DataDir,
    pub runbooks: Runbooks,
    pub config: Option<PathBuf>,
    pub look: Look,
    pub incident: Option<String>,
}

/// `warroom`: embedded hub + lobby + console.
pub fn embedded(options: EmbeddedOptions) -> Result<(), String> {
    log_to_file(options.data.root());
    let config_path = options
        .config
        .clone()
        .unwrap_or_else(crate::hub::config::default_path);
    let config = HubConfig::load(&config_path).map_err(|e| e.to_string())?;
    let mut runbooks = options.runbooks.clone();
    let effects = config.apply_to(&mut runbooks).map_err(|e| e.to_string())?;
    let token = new_token().map_err(|e| format!("no randomness from the OS: {e}"))?;
    let user = local_user();
    let auth = Authenticator::new(&config.responders).with_token(&token, &user, LOCAL_ROLES);
    let runtime = runtime()?;
    runtime.block_on(async {
        let limits = config.limits();
        let hub =
            start_local_hub(options.data.clone(), runbooks, auth, None, effects, limits).await?;
        let token_file = save_token(options.data.root(), &token);
        let url = format!("http://{}", hub.addr);
        let header = match &token_file {
            Some(path) => format!(
                "{url} · data {} · join from this host with --token $(cat {})",
                options.data.root().display(),
                path.display()
            ),
            None => format!("{url} · data {}", options.data.root().display()),
        };
        let result = session(
            &url,
            &token,
            Arc::new(options.runbooks.clone()),
            &options.look,
            options.incident.clone(),
            true,
            header,
        )
        .await;
        let stopped = hub.shutdown().await.map_err(|e| e.to_string());
        if let Some(path) = token_file {
            let _ = std::fs::remove_file(path);
        }
        result.and(stopped)
    })
}

/// `warroom demo`: a throw-away data directory holding the demo incident.
pub fn demo(runbooks: Runbooks, look: Look) -> Result<(), String> {
    let runtime = runtime()?;
    runtime.block_on(async move {
        let (hub, token, dir) = demo_hub(&runbooks).await?;
        let url = format!("http://{}", hub.addr);
        let header = format!("demo on {url} · throw-away data, deleted on quit");
        let result = session(
            &url,
            &token,
            Arc::new(runbooks),
            &look,
            Some(demo::DEMO_ID.to_string()),
            false,
            header,
        )
        .await;
        let _ = hub.shutdown().await;
        let _ = std::fs::remove_dir_all(&dir);
        result
    })
}

fn example_actions() -> Vec<crate::incident::action::ActionSpec> {
    #[derive(serde::Deserialize)]
    struct File {
        action: Vec<crate::incident::action::ActionSpec>,
    }
    toml::from_str::<File>(include_str!("../../assets/actions.example.toml"))
        .map(|f| f.action)
        .unwrap_or_default()
}

async fn demo_hub(runbooks: &Runbooks) -> Result<(RunningHub, String, PathBuf), String> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let dir = std::env::temp_dir().join(format!("warroom-demo-{name}"));
    let data = DataDir::new(&dir);
    std::fs::create_dir_all(data.incidents_dir())
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let events = demo::events(runbooks, chrono::Utc::now());
    // The shipped example actions, so the demo's actions pane has real buttons. Their
    // hosts are under example.internal and their secrets are unset, so running one
    // fails before anything is sent, and says why, on the timeline.
    let mut runbooks = runbooks.clone();
    runbooks.actions = example_actions();
    let mut log = EventLog::create(data.log_path(demo::DEMO_ID)).map_err(|e| e.to_string())?;
    log.append(&events).map_err(|e| e.to_string())?;
    drop(log);
    log_to_file(&dir);
    let token = new_token().map_err(|e| e.to_string())?;
    let auth = Authenticator::default().with_token(&token, &local_user(), LOCAL_ROLES);
    let hub = start_local_hub(
        data,
        runbooks,
        auth,
        Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        Effects::default(),
        HubLimits::default(),
    )
    .await?;
    Ok((hub, token, dir))
}

/// `warroom join URL --token T`.
pub fn join(
    url: &str,
    token: &str,
    runbooks: Runbooks,
    look: Look,
    incident: Option<String>,
) -> Result<(), String> {
    let runtime = runtime()?;
    runtime.block_on(session(
        url,
        token,
        Arc::new(runbooks),
        &look,
        incident,
        false,
        url.to_string(),
    ))
}

/// Lobby (unless an incident is named), then the console, on a terminal held for the
/// whole session.
async fn session(
    url: &str,
    token: &str,
    runbooks: Arc<Runbooks>,
    look: &Look,
    incident: Option<String>,
    demo_available: bool,
    header: String,
) -> Result<(), String> {
    let mut client = HubClient::connect(url, token, None, 0)
        .await
        .map_err(|e| e.to_string())?;
    let me = client.you.clone();
    let items = client.list().await.map_err(|e| e.to_string())?;
    if let Some(id) = &incident
        && !items.iter().any(|i| &i.id == id)
    {
        return Err(format!(
            "no incident `{id}` on {url}: `warroom list --hub {url}` shows them"
        ));
    }
    let (mut guard, mut input) = run::enter()?;
    let chosen = match incident {
        Some(id) => Choice::Open(id),
        None => {
            let theme = look.theme()?;
            let header = format!("{header} · you: {}", me.name);
            Lobby::new(&runbooks, &theme, items, demo_available, header)
                .run(&mut guard, &mut input, &mut client)
                .await?
        }
    };
    client.close().await;
    match chosen {
        Choice::Quit => Ok(()),
        Choice::Open(id) => {
            let target = run::Target {
                hub: url,
                token,
                incident: &id,
                me,
            };
            run::console(&mut guard, &mut input, runbooks, look, target).await
        }
        Choice::Demo => {
            let (hub, demo_token, dir) = demo_hub(&runbooks).await?;
            let demo_url = format!("http://{}", hub.addr);
            let target = run::Target {
                hub: &demo_url,
                token: &demo_token,
                incident: demo::DEMO_ID,
                me,
            };
            let result = run::console(&mut guard, &mut input, runbooks, look, target).await;
            let _ = hub.shutdown().await;
            let _ = std::fs::remove_dir_all(&dir);
            result
        }
    }
}
