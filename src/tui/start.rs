//! How the console starts. `warroom` runs an embedded hub in-process (data in the user's
//! data directory, listening on 127.0.0.1 so teammates on the same host can join) and
//! opens the lobby; `warroom demo` does the same on a throw-away copy of the demo
//! incident; `warroom join URL --token T` opens a console on a remote hub.

use super::app::Msg;
use super::incidents::Destination;
use super::lobby::{Choice, Lobby};
use super::run::{self, Exit, Look};
use super::terminal::TerminalGuard;
use crate::demo;
use crate::engine::DataDir;
use crate::hub::auth::{Authenticator, new_token};
use crate::hub::config::HubConfig;
use crate::hub::{Effects, HubLimits, HubOptions, RunningHub, start_with};
use crate::incident::{Role, Runbooks};
use crate::net::HubClient;
use crate::protocol::Identity;
use crate::store::IncidentStore;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::mpsc;

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

/// Your name on a hub this process starts: `named` (`--as`), else `$WARROOM_USER`,
/// `$USER`, `$LOGNAME`; with none of them set, `local`, the name the CLI uses in local
/// mode, so the console and the CLI agree on who wrote what. Never a pronoun.
pub fn local_user(named: Option<&str>) -> String {
    let env = |name: &str| std::env::var(name).ok();
    let usable = |n: &String| !n.trim().is_empty() && !n.starts_with("system:");
    (named.map(str::to_string).filter(usable))
        .or_else(|| env("WARROOM_USER").filter(usable))
        .or_else(|| env("USER").filter(usable))
        .or_else(|| env("LOGNAME").filter(usable))
        .map_or_else(|| "local".to_string(), |n| n.trim().to_string())
}

/// The token the embedded console connects with: the responder token you gave
/// (`--token`, `$WARROOM_TOKEN`) when this hub's config knows it, so the console
/// names you by that token's name and roles; else a fresh one for `name` with every
/// seat, which the authenticator then also accepts. The flag says it was minted here
/// (only a minted token is saved for a second console: yours stays where you keep it).
fn console_token(
    auth: Authenticator,
    given: Option<&str>,
    name: &str,
) -> Result<(Authenticator, String, bool), String> {
    if let Some(token) = given.filter(|t| auth.authenticate(t).is_some()) {
        return Ok((auth, token.trim().to_string(), false));
    }
    if given.is_some() {
        tracing::warn!("the given token is not one of this hub's responders; using a local one");
    }
    let token = new_token().map_err(|e| format!("no randomness from the OS: {e}"))?;
    let auth = auth.with_token(&token, name, LOCAL_ROLES);
    Ok((auth, token, true))
}

/// Logs go to a file beside the data, never to the console's terminal.
fn log_to_file(dir: &Path) {
    let _ = crate::store::private::create_dir_all(dir);
    let Ok(file) = crate::store::private::file_options()
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
    let mut options = crate::store::private::file_options();
    options.create(true).write(true).truncate(true);
    let mut file = options.open(&path).ok()?;
    crate::store::private::restrict(&file).ok()?;
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
    /// A responder token from this hub's config to connect as (`--token`).
    pub token: Option<String>,
    /// Your name when no token is given (`--as`).
    pub user: Option<String>,
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
    let user = local_user(options.user.as_deref());
    let responders = Authenticator::new(&config.responders);
    let (auth, token, minted) = console_token(responders, options.token.as_deref(), &user)?;
    let runtime = runtime()?;
    runtime.block_on(async {
        let limits = config.limits();
        let hub =
            start_local_hub(options.data.clone(), runbooks, auth, None, effects, limits).await?;
        let token_file = minted
            .then(|| save_token(options.data.root(), &token))
            .flatten();
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
    crate::store::private::create_dir_all(&data.incidents_dir())
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let events = demo::events(runbooks, chrono::Utc::now());
    // The shipped example actions, so the demo's actions pane has real buttons. Their
    // hosts are under example.internal and their secrets are unset, so running one
    // fails before anything is sent, and says why, on the timeline.
    let mut runbooks = runbooks.clone();
    runbooks.actions = example_actions();
    let (log, _json) = data
        .store()
        .create(demo::DEMO_ID, &events)
        .map_err(|e| e.to_string())?;
    drop(log);
    log_to_file(&dir);
    let token = new_token().map_err(|e| e.to_string())?;
    let auth = Authenticator::default().with_token(&token, &local_user(None), LOCAL_ROLES);
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
/// whole session. From a console the responder can go to another incident or back to
/// the lobby (`L`), so this loops until they quit.
async fn session(
    url: &str,
    token: &str,
    runbooks: Arc<Runbooks>,
    look: &Look,
    incident: Option<String>,
    demo_available: bool,
    header: String,
) -> Result<(), String> {
    let me = who_and_where(url, token, incident.as_deref()).await?;
    let (mut guard, mut input) = run::enter()?;
    let visit = Visit {
        url,
        token,
        runbooks,
        look,
        me,
        incident,
        demo_available,
        header,
    };
    visit.run(&mut guard, &mut input).await
}

/// Who `token` is on the hub at `url`, after checking that `incident` (if named) is
/// there: what a console checks before it takes over the terminal.
pub async fn who_and_where(
    url: &str,
    token: &str,
    incident: Option<&str>,
) -> Result<Identity, String> {
    let mut client = HubClient::connect(url, token, None, 0)
        .await
        .map_err(|e| e.to_string())?;
    let me = client.you.clone();
    let items = client.list().await.map_err(|e| e.to_string())?;
    client.close().await;
    if let Some(id) = incident
        && !items.iter().any(|i| i.id == id)
    {
        return Err(format!(
            "no incident `{id}` on {url}: `warroom list --hub {url}` shows them"
        ));
    }
    Ok(me)
}

/// One person's time on a hub: the lobby and the consoles they open from it, on a
/// terminal and an input that the caller set up (this process's own, or an SSH
/// channel's).
pub struct Visit<'a> {
    pub url: &'a str,
    pub token: &'a str,
    pub runbooks: Arc<Runbooks>,
    pub look: &'a Look,
    pub me: Identity,
    /// Straight into this incident instead of the lobby.
    pub incident: Option<String>,
    pub demo_available: bool,
    pub header: String,
}

impl Visit<'_> {
    pub async fn run(
        self,
        guard: &mut TerminalGuard,
        input: &mut mpsc::UnboundedReceiver<Msg>,
    ) -> Result<(), String> {
        let Visit {
            url,
            token,
            runbooks,
            look,
            me,
            incident,
            demo_available,
            header,
        } = self;
        let hub = Hub { url, token };
        let lobby_header = format!("{header} · you: {}", me.name);
        let mut next = incident.map(Choice::Open);
        loop {
            let chosen = match next.take() {
                Some(choice) => choice,
                None => {
                    let theme = look.theme()?;
                    // Watching: the lobby's list follows the hub's news while shown.
                    let mut client = HubClient::connect_watching(url, token, None, 0, true, false)
                        .await
                        .map_err(|e| e.to_string())?;
                    let items = client.list().await.map_err(|e| e.to_string())?;
                    let lobby = Lobby::new(
                        &runbooks,
                        &theme,
                        items,
                        demo_available,
                        lobby_header.clone(),
                    );
                    let chosen = lobby.run(guard, input, &mut client).await?;
                    client.close().await;
                    chosen
                }
            };
            let mut screen = Screen {
                guard,
                input,
                runbooks: &runbooks,
                look,
                me: &me,
            };
            let exit = match chosen {
                Choice::Quit => return Ok(()),
                Choice::Open(id) => screen.consoles(&hub, id).await?,
                Choice::Demo => {
                    let (demo, demo_token, dir) = demo_hub(&runbooks).await?;
                    let demo_url = format!("http://{}", demo.addr);
                    let on_demo = Hub {
                        url: &demo_url,
                        token: &demo_token,
                    };
                    let exit = screen.consoles(&on_demo, demo::DEMO_ID.to_string()).await;
                    let _ = demo.shutdown().await;
                    let _ = std::fs::remove_dir_all(&dir);
                    exit?
                }
            };
            match exit {
                Exit::Switch(Destination::Lobby) => next = None,
                // `consoles` follows switches between incidents itself.
                Exit::Quit | Exit::Switch(Destination::Incident(_)) => return Ok(()),
            }
        }
    }
}

/// A hub and the token for it.
struct Hub<'a> {
    url: &'a str,
    token: &'a str,
}

/// What every console of a session shares.
struct Screen<'a> {
    guard: &'a mut TerminalGuard,
    input: &'a mut mpsc::UnboundedReceiver<Msg>,
    runbooks: &'a Arc<Runbooks>,
    look: &'a Look,
    me: &'a Identity,
}

impl Screen<'_> {
    /// Consoles on `hub`, starting with incident `first` and following the responder
    /// from incident to incident, until they quit or ask for the lobby.
    async fn consoles(&mut self, hub: &Hub<'_>, first: String) -> Result<Exit, String> {
        let mut incident = first;
        loop {
            let target = run::Target {
                hub: hub.url,
                token: hub.token,
                incident: &incident,
                me: self.me.clone(),
            };
            let exit = run::console(
                self.guard,
                self.input,
                self.runbooks.clone(),
                self.look,
                target,
            )
            .await?;
            match exit {
                Exit::Switch(Destination::Incident(next)) => incident = next,
                other => return Ok(other),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::config::ResponderEntry;

    #[test]
    fn a_known_token_names_you_and_an_unknown_one_gets_a_local_token() {
        let token = new_token().unwrap();
        let entry = ResponderEntry {
            name: "dana".into(),
            roles: vec![Role::Scribe],
            token_sha256: crate::hub::auth::token_hash(&token),
            created: None,
            ssh_keys: Vec::new(),
            slack_user: None,
            mattermost_user: None,
        };
        let auth = Authenticator::new(&[entry]);
        let (auth_known, used, minted) =
            console_token(auth.clone(), Some(&token), "local").unwrap();
        assert_eq!(used, token);
        assert!(!minted, "a token you gave is never written to disk");
        assert_eq!(auth_known.authenticate(&used).unwrap().name, "dana");

        let (auth_other, used, minted) = console_token(auth, Some("wrt_nope"), "kim").unwrap();
        assert!(minted);
        assert_ne!(used, "wrt_nope");
        let actor = auth_other.authenticate(&used).unwrap();
        assert_eq!(actor.name, "kim");
        assert!(actor.roles.contains(&Role::Commander));
    }

    #[test]
    fn a_name_given_wins_and_nothing_is_called_you() {
        assert_eq!(local_user(Some(" lee ")), "lee");
        assert_ne!(local_user(None), "you");
        assert_ne!(local_user(Some("system:runner")), "system:runner");
    }
}
