//! The option groups commands are made of, by purpose: where incidents live (`--data`),
//! which runbooks (`--catalog`), who you are locally (`--as`, `--role`), which hub
//! (`--hub`, `--token`, and what its TLS certificate is checked against: `--ca`,
//! `--fingerprint`), who the console connects as (`--as`, `--token`) and how it
//! looks (`--layout`, `--theme`). Each subcommand flattens only the groups it uses, so
//! its `--help` offers nothing it would ignore; what a group's values mean (defaults,
//! checks) lives here with it, so every command reads them alike.

use super::backend::{CliError, parse_value, usage};
use crate::catalog;
use crate::engine::DataDir;
use crate::incident::role::Role;
use crate::incident::{Actor, Runbooks};
use crate::tls::client::Trust;
use clap::Args;
use std::path::PathBuf;

/// Where incidents live.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Data")]
pub struct DataOptions {
    /// The data directory holding incidents/<id>.jsonl.
    #[arg(long, env = "WARROOM_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
}

impl DataOptions {
    /// The directory named, else the user data directory.
    pub fn dir(&self) -> DataDir {
        DataDir::new(self.data.clone().unwrap_or_else(DataDir::default_root))
    }

    /// [`DataOptions::dir`] for a command that reads or writes its files: refused,
    /// saying where they are, if its hub keeps the incidents in a NATS stream.
    pub fn local_dir(&self) -> Result<DataDir, CliError> {
        let data = self.dir();
        match data.kept_elsewhere() {
            Some(why) => Err(CliError::Failed(why)),
            None => Ok(data),
        }
    }
}

/// Which runbooks: the built-in catalog, overridden or extended by a directory.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Data")]
pub struct CatalogOptions {
    /// A catalog directory that overrides or extends the built-in runbooks.
    #[arg(long, env = "WARROOM_CATALOG", value_name = "DIR")]
    pub catalog: Option<PathBuf>,
}

impl CatalogOptions {
    /// The runbooks: built in, plus the named directory or else the default one.
    pub fn load(&self) -> Result<Runbooks, CliError> {
        // A directory someone named must exist; the default one is optional.
        if let Some(named) = self.catalog.as_ref().filter(|d| !d.is_dir()) {
            return Err(usage(format!(
                "catalog directory {} does not exist (from --catalog or $WARROOM_CATALOG)",
                named.display()
            )));
        }
        let user_dir = self.catalog.clone().or_else(catalog::default_user_dir);
        catalog::load(user_dir.as_deref()).map_err(|e| {
            CliError::Failed(format!(
                "the runbook catalog has errors (run `warroom check` for all of them):\n{e}"
            ))
        })
    }
}

/// Who you are in local mode (on a hub, your token says).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Local identity")]
pub struct LocalIdentity {
    /// Your name on the timeline (local mode).
    #[arg(long = "as", env = "WARROOM_USER", value_name = "NAME")]
    pub user: Option<String>,
    /// Your role(s) in local mode; repeat for several.
    #[arg(long = "role", value_name = "ROLE", default_value = "commander")]
    pub roles: Vec<String>,
}

impl LocalIdentity {
    /// The actor local commands are recorded as: `--as`, else `$USER`, `$LOGNAME`, else
    /// `local`, with the roles given.
    pub fn actor(&self) -> Result<Actor, CliError> {
        let roles = self
            .roles
            .iter()
            .map(|r| parse_value::<Role>(r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Actor::new(&local_name(self.user.as_deref())?, roles))
    }
}

/// The name local mode records: `named` (from `--as` or `$WARROOM_USER`), else `$USER`,
/// else `$LOGNAME`, else `local`. `system:` names belong to automations.
pub fn local_name(named: Option<&str>) -> Result<String, CliError> {
    let usable = |n: &String| !n.trim().is_empty();
    let name = named
        .map(str::to_string)
        .filter(usable)
        .or_else(|| std::env::var("USER").ok().filter(usable))
        .or_else(|| std::env::var("LOGNAME").ok().filter(usable))
        .unwrap_or_else(|| "local".to_string());
    if name.starts_with("system:") {
        return Err(usage(
            "names starting with `system:` are reserved for automations",
        ));
    }
    Ok(name.trim().to_string())
}

/// Which hub to send commands to, and the token to send them with.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Hub")]
pub struct HubTarget {
    /// Send commands to this hub instead of a local data directory. Hubs that share a
    /// replicated store may be listed comma-separated: the first that answers is used.
    #[arg(long, env = "WARROOM_HUB", value_name = "URL[,URL…]")]
    pub hub: Option<String>,
    /// Your responder token for --hub (prefer $WARROOM_TOKEN: arguments show in `ps`).
    #[arg(
        long,
        env = "WARROOM_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    #[command(flatten)]
    pub trust: HubTrust,
}

impl HubTarget {
    /// `--hub` and `--token` together, or neither. With a hub, the TLS trust given
    /// (`--ca`, `--fingerprint`) is set for this process's connections.
    pub fn hub_and_token(&self) -> Result<Option<(String, String)>, CliError> {
        match (&self.hub, &self.token) {
            (Some(hub), Some(token)) => {
                self.trust.install()?;
                Ok(Some((hub.clone(), token.clone())))
            }
            (Some(_), None) => Err(usage(
                "--hub needs a token: --token T or $WARROOM_TOKEN (`warroom token new` makes one)",
            )),
            (None, _) => Ok(None),
        }
    }
}

/// What a `https://` / `wss://` hub's certificate is checked against: the system's
/// roots, unless one of these says otherwise.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Hub")]
pub struct HubTrust {
    /// Trust this CA (or the hub's self-signed certificate), PEM, instead of the
    /// system's roots.
    #[arg(long, env = "WARROOM_CA", value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Trust exactly the hub certificate with this SHA-256 (`SHA256:…`, printed by the
    /// hub at start and by `warroom tls self-signed`).
    #[arg(long, env = "WARROOM_FINGERPRINT", value_name = "SHA256:…")]
    pub fingerprint: Option<String>,
}

impl HubTrust {
    /// Sets what this process's TLS connections trust (nothing to do for the default).
    pub fn install(&self) -> Result<(), CliError> {
        let trust = match (&self.ca, &self.fingerprint) {
            (None, None) => return Ok(()),
            (Some(_), Some(_)) => {
                return Err(usage(
                    "give --ca or --fingerprint, not both (also check $WARROOM_CA and $WARROOM_FINGERPRINT)",
                ));
            }
            (Some(ca), None) => Trust::from_ca_file(ca),
            (None, Some(pin)) => Trust::pinned(pin),
        };
        let trust = trust.map_err(|e| usage(e.to_string()))?;
        crate::net::trust::set_trust(&trust).map_err(|e| CliError::Failed(e.to_string()))
    }
}

/// Where an incident command goes, and as whom: a local data directory as `--as` with
/// `--role`, or a hub with a token. Both read the runbooks from `--catalog`.
#[derive(Debug, Clone, Args)]
pub struct ClientOptions {
    #[command(flatten)]
    pub data: DataOptions,
    #[command(flatten)]
    pub catalog: CatalogOptions,
    #[command(flatten)]
    pub identity: LocalIdentity,
    #[command(flatten)]
    pub hub: HubTarget,
}

impl ClientOptions {
    pub fn route(&self) -> Route<'_> {
        Route {
            data: &self.data,
            catalog: &self.catalog,
            hub: &self.hub,
            identity: Some(&self.identity),
        }
    }
}

/// Where a command that only reads incidents goes: as [`ClientOptions`], without a
/// local identity (reading records nothing, so it would be ignored).
#[derive(Debug, Clone, Args)]
pub struct ReaderOptions {
    #[command(flatten)]
    pub data: DataOptions,
    #[command(flatten)]
    pub catalog: CatalogOptions,
    #[command(flatten)]
    pub hub: HubTarget,
}

impl ReaderOptions {
    pub fn route(&self) -> Route<'_> {
        Route {
            data: &self.data,
            catalog: &self.catalog,
            hub: &self.hub,
            identity: None,
        }
    }
}

/// A command's way to its incidents, whichever group it declared.
#[derive(Debug, Clone, Copy)]
pub struct Route<'a> {
    pub data: &'a DataOptions,
    pub catalog: &'a CatalogOptions,
    pub hub: &'a HubTarget,
    /// `None` for readers: they are recorded as nobody, so any actor does.
    pub identity: Option<&'a LocalIdentity>,
}

impl Route<'_> {
    /// The actor local mode works as: the identity given, else [`reader`].
    pub fn actor(&self) -> Result<Actor, CliError> {
        self.identity
            .map_or_else(|| Ok(reader()), LocalIdentity::actor)
    }
}

/// The actor of commands that only read: nobody's name is recorded, and as an observer
/// it could write nothing even if asked to.
pub fn reader() -> Actor {
    Actor::new("local", [Role::Observer])
}

/// Who the console on an embedded hub connects as.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Identity")]
pub struct ConsoleIdentity {
    /// Your name in the console when no --token is given.
    #[arg(long = "as", env = "WARROOM_USER", value_name = "NAME")]
    pub user: Option<String>,
    /// A responder token from this hub's configuration to connect as, with its name and
    /// roles (prefer $WARROOM_TOKEN: arguments show in `ps`).
    #[arg(
        long,
        env = "WARROOM_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

/// How the console looks.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Console")]
pub struct LookOptions {
    /// Console layout: commander, scribe, comms, oncall, compact (default: by your role).
    #[arg(long, value_name = "NAME")]
    pub layout: Option<String>,
    /// Console theme: default, light, high-contrast, monochrome (NO_COLOR forces monochrome).
    #[arg(long, env = "WARROOM_THEME", value_name = "NAME")]
    pub theme: Option<String>,
}

impl LookOptions {
    pub fn look(&self) -> crate::tui::run::Look {
        crate::tui::run::Look {
            theme: self.theme.clone(),
            layout: self.layout.clone(),
        }
    }
}

/// The console on an embedded hub over a local data directory: `warroom console`, and
/// `warroom` alone.
#[derive(Debug, Clone, Default, Args)]
pub struct ConsoleOptions {
    #[command(flatten)]
    pub data: DataOptions,
    #[command(flatten)]
    pub catalog: CatalogOptions,
    #[command(flatten)]
    pub identity: ConsoleIdentity,
    #[command(flatten)]
    pub look: LookOptions,
}
