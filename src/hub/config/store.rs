//! The hub configuration's `[store]`: where the hub keeps incidents. `kind = "file"`
//! (the default) is the data directory's file store; `kind = "nats"` is a NATS
//! JetStream stream shared by several hubs (`store::backend::nats`), with its servers,
//! stream name, replicas and credentials (a creds file, or a token as a `${NAME}`
//! reference to the hub's environment: the file never holds one).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use super::intake::secret_name;
use crate::catalog::line_column;
use crate::store::backend::nats::valid_stream_name;
use crate::store::{NatsAuth, NatsConfig};

/// The most replicas JetStream keeps of a stream.
const MAX_REPLICAS: usize = 5;

/// `[store]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    #[serde(default)]
    pub kind: StoreKind,
    /// NATS: the servers' URLs (`nats://host:4222`, `tls://…`).
    #[serde(default)]
    pub servers: Vec<String>,
    /// NATS: the stream's name (`warroom` when absent).
    pub stream: Option<String>,
    /// NATS: how many servers keep each message (3 when absent; 1 for one server).
    pub replicas: Option<usize>,
    /// NATS: a creds file (user JWT and nkey seed); relative to the config file.
    pub creds: Option<PathBuf>,
    /// NATS: `${NAME}` of a token in the hub's environment.
    pub token: Option<String>,
    /// NATS: the CA (PEM) the servers' certificates are checked against, for
    /// `tls://` servers signed by a private CA; relative to the config file. Without it
    /// the system's roots.
    pub ca: Option<PathBuf>,
}

/// What keeps the incidents.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// The data directory's `incidents/` (one file per incident).
    #[default]
    File,
    /// A NATS JetStream stream.
    Nats,
}

impl StoreConfig {
    /// For `kind = "nats"`, how to reach the stream, the token read from the hub's
    /// environment now; `None` for the file store. An error says what to set.
    pub fn nats(&self) -> Result<Option<NatsConfig>, String> {
        if self.kind != StoreKind::Nats {
            return Ok(None);
        }
        let mut config = NatsConfig::new(self.servers.clone());
        if let Some(stream) = &self.stream {
            config.stream = stream.clone();
        }
        if let Some(replicas) = self.replicas {
            config.replicas = replicas;
        }
        config.auth = match (&self.creds, &self.token) {
            (Some(creds), _) => NatsAuth::CredsFile(creds.clone()),
            (None, Some(token)) => {
                let name = secret_name(token)?;
                let value = std::env::var(&name).map_err(|_| {
                    format!(
                        "[store] token names ${{{name}}}, which is not set in the hub's environment"
                    )
                })?;
                NatsAuth::Token(value)
            }
            (None, None) => NatsAuth::None,
        };
        config.ca = self.ca.clone();
        config.deadline = Duration::from_secs(10);
        Ok(Some(config))
    }
}

/// Checks `[store]` and anchors its creds file at `base`; the first problem, with where
/// it is.
pub(super) fn check(
    store: &mut StoreConfig,
    text: &str,
    path: &str,
    base: &Path,
) -> Result<(), ConfigError> {
    // Keys are looked for after the table's header, so a `servers` elsewhere is not it.
    let table = text.find("[store]").unwrap_or(0);
    let at = |needle: &str, message: String| {
        let offset = text[table..].find(needle).map_or(table, |i| table + i);
        let (line, column) = line_column(text, offset);
        ConfigError::Invalid {
            path: path.to_string(),
            line,
            column,
            message,
        }
    };
    if store.kind == StoreKind::File {
        let nats_only = [
            ("servers", !store.servers.is_empty()),
            ("stream", store.stream.is_some()),
            ("replicas", store.replicas.is_some()),
            ("creds", store.creds.is_some()),
            ("token", store.token.is_some()),
            ("ca", store.ca.is_some()),
        ];
        if let Some((key, _)) = nats_only.iter().find(|(_, set)| *set) {
            return Err(at(
                key,
                format!(
                    "[store] `{key}` applies only to kind = \"nats\" (the file store keeps incidents in the data directory)"
                ),
            ));
        }
        return Ok(());
    }
    if store.servers.is_empty() {
        return Err(at(
            "kind",
            "[store] kind = \"nats\" needs `servers`, e.g. servers = [\"nats://127.0.0.1:4222\"]"
                .to_string(),
        ));
    }
    for server in &store.servers {
        let scheme_ok = ["nats://", "tls://"].iter().any(|s| server.starts_with(s));
        let host = server.split_once("://").map_or("", |(_, rest)| rest);
        if !scheme_ok || host.is_empty() || host.contains(char::is_whitespace) {
            return Err(at(
                &format!("\"{server}\""),
                format!(
                    "[store] server `{server}` must be a URL like nats://host:4222 or tls://host:4222"
                ),
            ));
        }
    }
    if let Some(stream) = &store.stream
        && !valid_stream_name(stream)
    {
        return Err(at(
            "stream",
            format!(
                "[store] stream `{stream}` must be 1-64 ASCII letters, digits, `-` or `_` (it names the stream, its subjects and its buckets)"
            ),
        ));
    }
    if let Some(replicas) = store.replicas
        && !(1..=MAX_REPLICAS).contains(&replicas)
    {
        return Err(at(
            "replicas",
            format!(
                "[store] replicas must be 1-{MAX_REPLICAS} (3 for a three-server cluster, 1 for a single server), not {replicas}"
            ),
        ));
    }
    if store.creds.is_some() && store.token.is_some() {
        return Err(at(
            "token",
            "[store] takes `creds` or `token`, not both".to_string(),
        ));
    }
    if let Some(token) = &store.token
        && let Err(why) = secret_name(token)
    {
        return Err(at("token", format!("[store] token {why}")));
    }
    if store.ca.is_some() && !store.servers.iter().any(|s| s.starts_with("tls://")) {
        return Err(at(
            "ca",
            "[store] `ca` checks the servers' certificates: give tls:// servers (nats:// ones are plain text)".to_string(),
        ));
    }
    if let Some(creds) = &store.creds {
        store.creds = Some(base.join(creds));
    }
    if let Some(ca) = &store.ca {
        store.ca = Some(base.join(ca));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::config::HubConfig;

    fn parse(text: &str) -> Result<HubConfig, ConfigError> {
        HubConfig::parse(text, "/etc/warroom/warroom.toml")
    }

    #[test]
    fn file_is_the_default_and_nats_takes_its_settings() {
        let config = parse("").unwrap();
        assert_eq!(config.store.kind, StoreKind::File);
        assert_eq!(config.store.nats().unwrap(), None);

        let config = parse(
            "[store]\nkind = \"nats\"\nservers = [\"nats://a:4222\", \"tls://b:4222\"]\n\
             stream = \"wr-prod\"\nreplicas = 1\ncreds = \"hub.creds\"\n",
        )
        .unwrap();
        let nats = config.store.nats().unwrap().unwrap();
        assert_eq!(nats.servers, ["nats://a:4222", "tls://b:4222"]);
        assert_eq!(nats.stream, "wr-prod");
        assert_eq!(nats.replicas, 1);
        assert_eq!(
            nats.auth,
            NatsAuth::CredsFile(PathBuf::from("/etc/warroom/hub.creds")),
            "relative to the config file"
        );
        assert_eq!(nats.ca, None, "the system's roots");
        let with_ca =
            parse("[store]\nkind = \"nats\"\nservers = [\"tls://b:4222\"]\nca = \"nats-ca.pem\"\n")
                .unwrap();
        assert_eq!(
            with_ca.store.nats().unwrap().unwrap().ca,
            Some(PathBuf::from("/etc/warroom/nats-ca.pem")),
            "relative to the config file"
        );

        let defaults = parse("[store]\nkind = \"nats\"\nservers = [\"nats://a:4222\"]\n")
            .unwrap()
            .store
            .nats()
            .unwrap()
            .unwrap();
        assert_eq!(
            (defaults.stream.as_str(), defaults.replicas),
            ("warroom", 3)
        );
        assert_eq!(defaults.auth, NatsAuth::None);
    }

    #[test]
    fn the_token_is_read_from_the_environment_and_never_written_in_the_file() {
        let err =
            parse("[store]\nkind = \"nats\"\nservers = [\"nats://a:4222\"]\ntoken = \"s3cr3t\"\n")
                .unwrap_err()
                .to_string();
        assert!(err.starts_with("/etc/warroom/warroom.toml:4:1:"), "{err}");
        assert!(err.contains("${"), "{err}");
        let config = parse(
            "[store]\nkind = \"nats\"\nservers = [\"nats://a:4222\"]\ntoken = \"${WARROOM_TEST_UNSET_NATS_TOKEN}\"\n",
        )
        .unwrap();
        let err = config.store.nats().unwrap_err();
        assert!(err.contains("WARROOM_TEST_UNSET_NATS_TOKEN"), "{err}");
        let mut nats = NatsConfig::new(vec!["nats://a:4222".into()]);
        nats.auth = NatsAuth::Token("s3cr3t".into());
        assert!(!format!("{nats:?}").contains("s3cr3t"), "never shown");
    }

    #[test]
    fn bad_store_settings_name_file_and_line() {
        for (text, line, wanted) in [
            (
                "listen = \"127.0.0.1:7420\"\n[store]\nservers = [\"nats://a:4222\"]\n",
                3,
                "applies only to kind = \"nats\"",
            ),
            ("[store]\nkind = \"nats\"\n", 2, "needs `servers`"),
            (
                "[store]\nkind = \"nats\"\nservers = [\"http://a:4222\"]\n",
                3,
                "must be a URL like nats://",
            ),
            (
                "[store]\nkind = \"nats\"\nservers = [\"nats://a:4222\"]\nstream = \"a.b\"\n",
                4,
                "stream `a.b`",
            ),
            (
                "[store]\nkind = \"nats\"\nservers = [\"nats://a:4222\"]\nreplicas = 7\n",
                4,
                "replicas must be 1-5",
            ),
            (
                "[store]\nkind = \"nats\"\nservers = [\"nats://a:4222\"]\ncreds = \"x\"\ntoken = \"${T}\"\n",
                5,
                "not both",
            ),
            ("[store]\nkind = \"postgres\"\n", 2, "unknown variant"),
            (
                "[store]\nkind = \"nats\"\nservers = [\"nats://a:4222\"]\nca = \"ca.pem\"\n",
                4,
                "give tls:// servers",
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            let prefix = format!("/etc/warroom/warroom.toml:{line}:");
            assert!(err.starts_with(&prefix), "{text}: {err}");
            assert!(err.contains(wanted), "{text}: {err}");
        }
    }
}
