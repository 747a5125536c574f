//! The hub's configuration file, `warroom.toml`: where to listen, where data lives, who
//! may connect (responder names, roles, and the SHA-256 of their tokens — never the
//! tokens), the containment actions file, the delivery channels, the issue trackers
//! follow-ups are sent to, the per-token rate
//! limits and how long an idle incident stays open. Errors name file, line and column.

mod chat;
mod connections;
mod effects;
mod intake;
mod responders;
mod ssh_keys;
mod store;
mod tracker;

pub use chat::{MattermostConfig, SLACK_API_URL, SlackConfig};
pub use connections::ConnectionsConfig;
pub use effects::{ChannelConfig, ChannelKind, load_actions};
pub use intake::{HmacConfig, IntakeConfig, PagerDutyConfig, secret_name};
pub use responders::{append_responder, remove_responders, rotate_responder};
pub use ssh_keys::{add_ssh_key, parse_ssh_key};
pub use store::{StoreConfig, StoreKind};
pub use tracker::{DEFAULT_BODY as DEFAULT_TRACKER_BODY, FIELDS as TRACKER_FIELDS, TrackerConfig};

use super::effects::Effects;
use super::limits::{self, HubLimits, at_least_one};
use crate::catalog::line_column;
use crate::incident::{Role, Runbooks};
use effects::check_channel;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the hub listens when nothing says otherwise: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7420";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Data directory; when absent the CLI's `--data` / `$WARROOM_DATA` / default applies.
    pub data: Option<PathBuf>,
    /// A catalog override directory for the hub.
    pub catalog: Option<PathBuf>,
    #[serde(default, rename = "responder")]
    pub responders: Vec<ResponderEntry>,
    /// The containment actions file (`docs/ACTIONS.md`); relative to this file's directory.
    pub actions: Option<PathBuf>,
    #[serde(default, rename = "channel")]
    pub channels: Vec<ChannelConfig>,
    /// Issue trackers follow-ups can be sent to (config/tracker.rs).
    #[serde(default, rename = "tracker")]
    pub trackers: Vec<TrackerConfig>,
    /// An incident nobody follows, with nothing in flight, is closed (thread ended, file
    /// closed) after this many seconds, and opened again when someone needs it.
    #[serde(default = "default_idle_seconds")]
    pub incident_idle_seconds: u64,
    /// Declares one token may make per minute, and how many at once.
    #[serde(default = "default_declares_per_minute")]
    pub declares_per_minute: u32,
    #[serde(default = "default_declare_burst")]
    pub declare_burst: u32,
    /// Alertmanager deliveries one token may make per minute, and how many at once.
    #[serde(default = "default_alerts_per_minute")]
    pub alerts_per_minute: u32,
    #[serde(default = "default_alert_burst")]
    pub alert_burst: u32,
    /// The directory of the file this came from: relative paths are resolved against it.
    #[serde(skip)]
    pub base_dir: PathBuf,
    // ---- Connection caps and timeouts (config/connections.rs) ----
    #[serde(default)]
    pub connections: ConnectionsConfig,
    /// The hub's certificate (PEM; its own first, then intermediates) and private key:
    /// with both, the hub speaks HTTPS/WSS only. Relative to this file's directory.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Lets a hub without TLS listen on an address other than loopback (behind a
    /// TLS-terminating proxy, say); otherwise it refuses to start.
    #[serde(default)]
    pub allow_plaintext: bool,
    // ---- Alert intake beyond Alertmanager (config/intake.rs) ----
    /// PagerDuty's V3 webhook: its signing secret.
    pub pagerduty: Option<PagerDutyConfig>,
    /// JSON webhooks mapped by pointers, each at `/api/v1/intake/<name>`.
    #[serde(default, rename = "intake")]
    pub intakes: Vec<IntakeConfig>,
    /// Where the SSH door listens (`warroom serve --ssh ADDR` overrides); off when absent.
    pub ssh_listen: Option<SocketAddr>,
    // ---- The incident channel in chat (config/chat.rs) ----
    /// Slack: the bot mirroring incidents into threads, and slash commands back in.
    pub slack: Option<SlackConfig>,
    /// Mattermost's slash commands.
    pub mattermost: Option<MattermostConfig>,
    // ---- Pages out (config/effects.rs) ----
    /// The URL people reach this hub at (`https://warroom.example.com`), for links to
    /// an incident in what the hub sends out; without it nothing carries a link.
    pub public_url: Option<String>,
    // ---- Where incidents are kept (config/store.rs) ----
    /// `[store]`: the data directory's files (default) or a NATS JetStream stream.
    #[serde(default)]
    pub store: StoreConfig,
}

fn default_listen() -> SocketAddr {
    // invariant: the constant is a valid socket address (checked by a unit test).
    DEFAULT_LISTEN
        .parse()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 7420)))
}

fn default_idle_seconds() -> u64 {
    limits::DEFAULT_IDLE_SECONDS
}
fn default_declares_per_minute() -> u32 {
    limits::DEFAULT_DECLARES_PER_MINUTE
}
fn default_declare_burst() -> u32 {
    limits::DEFAULT_DECLARE_BURST
}
fn default_alerts_per_minute() -> u32 {
    limits::DEFAULT_ALERTS_PER_MINUTE
}
fn default_alert_burst() -> u32 {
    limits::DEFAULT_ALERT_BURST
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            listen: default_listen(),
            data: None,
            catalog: None,
            responders: Vec::new(),
            actions: None,
            channels: Vec::new(),
            trackers: Vec::new(),
            incident_idle_seconds: default_idle_seconds(),
            declares_per_minute: default_declares_per_minute(),
            declare_burst: default_declare_burst(),
            alerts_per_minute: default_alerts_per_minute(),
            alert_burst: default_alert_burst(),
            base_dir: PathBuf::new(),
            connections: ConnectionsConfig::default(),
            tls_cert: None,
            tls_key: None,
            allow_plaintext: false,
            pagerduty: None,
            intakes: Vec::new(),
            ssh_listen: None,
            slack: None,
            mattermost: None,
            public_url: None,
            store: StoreConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponderEntry {
    pub name: String,
    pub roles: Vec<Role>,
    /// Lowercase hex SHA-256 of the token.
    pub token_sha256: String,
    /// When the token was made (`token new`) or last rotated, RFC 3339 UTC; absent in
    /// blocks written before it was recorded, or by hand.
    #[serde(default)]
    pub created: Option<String>,
    /// OpenSSH public keys (`ssh-ed25519 AAAA… alice@laptop`) that open the SSH door
    /// as this responder.
    #[serde(default)]
    pub ssh_keys: Vec<String>,
    /// This responder's Slack user id (`U…`): slash commands and thread replies from
    /// that user act as this responder.
    #[serde(default)]
    pub slack_user: Option<String>,
    /// This responder's Mattermost user id, for Mattermost's slash commands.
    #[serde(default)]
    pub mattermost_user: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {cause}")]
    Read { path: String, cause: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Semantic { path: String, message: String },
    #[error("cannot write {path}: {cause}")]
    Write { path: String, cause: std::io::Error },
}

impl HubConfig {
    /// Reads `path`; a missing file is an empty configuration (no responders).
    pub fn load(path: &Path) -> Result<HubConfig, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HubConfig::default()),
            Err(cause) => {
                return Err(ConfigError::Read {
                    path: path.display().to_string(),
                    cause,
                });
            }
        };
        HubConfig::parse(&text, &path.display().to_string())
    }

    /// Parses the text of the file at `path` (which names it in errors and anchors its
    /// relative paths).
    pub fn parse(text: &str, path: &str) -> Result<HubConfig, ConfigError> {
        let mut config: HubConfig = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_column(text, s.start));
            ConfigError::Invalid {
                path: path.to_string(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        for entry in &config.responders {
            let hex_ok = entry.token_sha256.len() == 64
                && entry
                    .token_sha256
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
            if !hex_ok {
                let (line, column) = text
                    .find(&entry.token_sha256)
                    .map_or((1, 1), |at| line_column(text, at));
                return Err(ConfigError::Invalid {
                    path: path.to_string(),
                    line,
                    column,
                    message: format!(
                        "token_sha256 of `{}` must be 64 lowercase hex digits (the SHA-256 of the token, not the token): create one with `warroom token new`",
                        entry.name
                    ),
                });
            }
            if let Some(created) = &entry.created
                && chrono::DateTime::parse_from_rfc3339(created).is_err()
            {
                let (line, column) = text
                    .find(created.as_str())
                    .map_or((1, 1), |at| line_column(text, at));
                return Err(ConfigError::Invalid {
                    path: path.to_string(),
                    line,
                    column,
                    message: format!(
                        "created of `{}` must be an RFC 3339 date, e.g. \"2026-01-02T03:04:05Z\"",
                        entry.name
                    ),
                });
            }
            ssh_keys::check(entry, text, path)?;
            if entry.name.trim().is_empty() || entry.name.starts_with("system:") {
                return Err(ConfigError::Semantic {
                    path: path.to_string(),
                    message: format!(
                        "responder name `{}` must be non-empty and not start with `system:`",
                        entry.name
                    ),
                });
            }
        }
        for (key, value) in [
            ("declares_per_minute", config.declares_per_minute),
            ("declare_burst", config.declare_burst),
            ("alerts_per_minute", config.alerts_per_minute),
            ("alert_burst", config.alert_burst),
        ] {
            if value == 0 {
                let (line, column) = text.find(key).map_or((1, 1), |at| line_column(text, at));
                return Err(ConfigError::Invalid {
                    path: path.to_string(),
                    line,
                    column,
                    message: format!("`{key}` must be at least 1"),
                });
            }
        }
        if let Some(message) = config.connections.check() {
            let (line, column) = text
                .find("[connections]")
                .map_or((1, 1), |at| line_column(text, at));
            return Err(ConfigError::Invalid {
                path: path.to_string(),
                line,
                column,
                message,
            });
        }
        config.base_dir = Path::new(path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let base = config.base_dir.clone();
        match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => {
                config.tls_cert = Some(base.join(cert));
                config.tls_key = Some(base.join(key));
            }
            (None, None) => {}
            (one, _) => {
                let (given, missing) = if one.is_some() {
                    ("tls_cert", "tls_key")
                } else {
                    ("tls_key", "tls_cert")
                };
                let (line, column) = text.find(given).map_or((1, 1), |at| line_column(text, at));
                return Err(ConfigError::Invalid {
                    path: path.to_string(),
                    line,
                    column,
                    message: format!(
                        "`{given}` needs `{missing}` too (the certificate and its key)"
                    ),
                });
            }
        }
        intake::check(config.pagerduty.as_ref(), &config.intakes, text, path)?;
        chat::check(
            config.slack.as_ref(),
            config.mattermost.as_ref(),
            &config.responders,
            text,
            path,
        )?;
        tracker::check(&config.trackers, text, path)?;
        effects::check_public_url(&mut config.public_url, text, path)?;
        store::check(&mut config.store, text, path, &base)?;
        let mut seen: Vec<String> = Vec::new();
        for channel in &mut config.channels {
            if let Some(message) = check_channel(channel, seen.contains(&channel.name)) {
                let (line, column) = text
                    .find(&format!("\"{}\"", channel.name))
                    .map_or((1, 1), |at| line_column(text, at));
                return Err(ConfigError::Invalid {
                    path: path.to_string(),
                    line,
                    column,
                    message: format!("channel `{}`: {message}", channel.name),
                });
            }
            if let Some(dir) = &channel.dir {
                channel.dir = Some(base.join(dir));
            }
            seen.push(channel.name.clone());
        }
        Ok(config)
    }

    /// Loads the actions file (if any) into `runbooks.actions` and names this hub's
    /// channels and trackers in `runbooks.channels` and `runbooks.trackers`; returns what
    /// the hub's runner needs to deliver and send.
    pub fn apply_to(&self, runbooks: &mut Runbooks) -> Result<Effects, ConfigError> {
        if let Some(actions) = &self.actions {
            runbooks.actions = load_actions(&self.base_dir.join(actions))?;
        }
        runbooks.channels = self.channels.iter().map(|c| c.name.clone()).collect();
        runbooks.trackers = self.trackers.iter().map(|t| t.name.clone()).collect();
        Ok(Effects {
            channels: self.channels.clone(),
            trackers: self.trackers.clone(),
            public_url: self.public_url.clone(),
            // Only `warroom serve` mirrors into Slack (it sets this): a short-lived
            // local hub would leave holes in the thread.
            slack: None,
        })
    }
}

impl HubConfig {
    /// The certificate and key files, when TLS is configured.
    pub fn tls_files(&self) -> Option<(&Path, &Path)> {
        Some((self.tls_cert.as_deref()?, self.tls_key.as_deref()?))
    }

    /// The alert sources configured beyond Alertmanager and Grafana.
    pub fn intake_sources(&self) -> super::intake::IntakeSources {
        super::intake::IntakeSources {
            pagerduty: self.pagerduty.clone(),
            intakes: self.intakes.clone(),
            chat: super::chat_in::ChatSources {
                slack_signing_secret: self.slack.as_ref().and_then(|s| s.signing_secret.clone()),
                mattermost_token: self.mattermost.as_ref().map(|m| m.token.clone()),
            },
        }
    }

    /// The hub's rate limits and idle time, as configured.
    pub fn limits(&self) -> HubLimits {
        HubLimits {
            incident_idle: std::time::Duration::from_secs(self.incident_idle_seconds),
            declares_per_minute: at_least_one(self.declares_per_minute),
            declare_burst: at_least_one(self.declare_burst),
            alerts_per_minute: at_least_one(self.alerts_per_minute),
            alert_burst: at_least_one(self.alert_burst),
        }
    }
}

/// The default config path: `$WARROOM_CONFIG`, else `<config dir>/warroom/warroom.toml`.
pub fn default_path() -> PathBuf {
    std::env::var_os("WARROOM_CONFIG")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|d| d.join("warroom").join("warroom.toml")))
        .unwrap_or_else(|| PathBuf::from("warroom.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::admission::ConnectionLimits;

    #[test]
    fn default_listen_is_loopback() {
        assert!(
            DEFAULT_LISTEN
                .parse::<SocketAddr>()
                .unwrap()
                .ip()
                .is_loopback()
        );
    }

    #[test]
    fn the_shipped_example_parses() {
        let text = include_str!("../../assets/warroom.example.toml");
        let config = HubConfig::parse(text, "warroom.example.toml").unwrap();
        assert!(config.listen.ip().is_loopback());
        // The commented-out actions and channels, switched on, parse too.
        let (_, section) = text.split_once("# ---- Containment actions").unwrap();
        let enabled: String = section
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| {
                l.starts_with('[') || l.split_once(" = ").is_some_and(|(k, _)| !k.contains(' '))
            })
            .collect::<Vec<_>>()
            .join("\n");
        let config = HubConfig::parse(&enabled, "warroom.example.toml").unwrap();
        assert_eq!(config.channels.len(), 3);
        assert_eq!(config.trackers.len(), 1);
        assert!(config.actions.is_some());
        assert!(config.pagerduty.is_some() && config.intakes.len() == 1);
        assert_eq!(config.store.kind, StoreKind::Nats);
        assert_eq!(
            config.store.nats().map(|n| n.map(|n| n.replicas)),
            Ok(Some(3))
        );
        assert_eq!(config.connections, ConnectionsConfig::default());
    }

    #[test]
    fn connection_caps_have_defaults_and_are_checked() {
        let config = HubConfig::parse("", "w.toml").unwrap();
        assert_eq!(config.connections.limits(), ConnectionLimits::default());
        let text = "[connections]\nmax_connections = 50\nheader_timeout_seconds = 3\n";
        let limits = HubConfig::parse(text, "w.toml")
            .unwrap()
            .connections
            .limits();
        assert_eq!(limits.max_connections, 50);
        assert_eq!(limits.header_timeout, std::time::Duration::from_secs(3));
        assert_eq!(limits.max_unauthenticated_per_ip, 64);
        let zero = "listen = \"127.0.0.1:1\"\n[connections]\nhello_timeout_seconds = 0\n";
        let err = HubConfig::parse(zero, "w.toml").unwrap_err().to_string();
        assert!(
            err.starts_with("w.toml:2:1:") && err.contains("at least 1"),
            "{err}"
        );
        let typo = "[connections]\nmax_conections = 5\n";
        let err = HubConfig::parse(typo, "w.toml").unwrap_err().to_string();
        assert!(
            err.contains("w.toml:2:") && err.contains("max_conections"),
            "{err}"
        );
    }

    #[test]
    fn limits_default_and_parse() {
        let config = HubConfig::parse("", "w.toml").unwrap();
        assert_eq!(config.limits(), HubLimits::default());
        let text = "incident_idle_seconds = 5\ndeclares_per_minute = 2\nalert_burst = 3\n";
        let limits = HubConfig::parse(text, "w.toml").unwrap().limits();
        assert_eq!(limits.incident_idle, std::time::Duration::from_secs(5));
        assert_eq!(limits.declares_per_minute.get(), 2);
        assert_eq!(limits.alert_burst.get(), 3);
        let err = HubConfig::parse("listen = \"127.0.0.1:1\"\ndeclare_burst = 0\n", "w.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("w.toml:2:1:") && err.contains("at least 1"),
            "{err}"
        );
    }

    #[test]
    fn tls_files_come_in_pairs_relative_to_the_config() {
        let config = HubConfig::parse("", "/etc/warroom/w.toml").unwrap();
        assert!(config.tls_files().is_none() && !config.allow_plaintext);
        let text =
            "tls_cert = \"tls/cert.pem\"\ntls_key = \"/abs/key.pem\"\nallow_plaintext = true\n";
        let config = HubConfig::parse(text, "/etc/warroom/w.toml").unwrap();
        let (cert, key) = config.tls_files().unwrap();
        assert_eq!(cert, Path::new("/etc/warroom/tls/cert.pem"));
        assert_eq!(key, Path::new("/abs/key.pem"));
        assert!(config.allow_plaintext);
        let err = HubConfig::parse("listen = \"127.0.0.1:1\"\ntls_key = \"k.pem\"\n", "w.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("w.toml:2:1:") && err.contains("`tls_key` needs `tls_cert`"),
            "{err}"
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = HubConfig::parse("listen = \"127.0.0.1:1\"\nroles = 3\n", "w.toml").unwrap_err();
        assert!(err.to_string().starts_with("w.toml:2:1:"), "{err}");
        let bad_hash =
            "[[responder]]\nname = \"a\"\nroles = [\"commander\"]\ntoken_sha256 = \"abc\"\n";
        let err = HubConfig::parse(bad_hash, "w.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("w.toml:4:") && err.contains("64 lowercase hex"),
            "{err}"
        );
        let bad_role = "[[responder]]\nname = \"a\"\nroles = [\"king\"]\ntoken_sha256 = \"\"\n";
        let err = HubConfig::parse(bad_role, "w.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("w.toml:3:") && err.contains("king"), "{err}");
    }
}
