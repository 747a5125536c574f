//! The hub configuration's effect keys: `[[channel]]` entries (checked when the config
//! is parsed) and the containment actions file named by `actions` (loaded and checked
//! by `HubConfig::apply_to`). Errors name the file, the line and the channel or action.

use super::ConfigError;
use crate::catalog::line_column;
use crate::hub::effects::url_allowed;
use crate::incident::action::{ActionError, ActionSpec, Piece, parse as parse_template};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Where a published update can be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// POST `{"text": …}` to a Slack incoming webhook.
    Slack,
    /// POST the update and the incident's headline as JSON.
    Webhook,
    /// Write each update as a file in a directory (for another tool to pick up).
    Outbox,
    /// Send each update as a PagerDuty Events API v2 event (`trigger`, or `resolve`
    /// once the incident is resolved) with the incident id as the `dedup_key`.
    #[serde(rename = "pagerduty")]
    PagerDuty,
}

/// One `[[channel]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    pub name: String,
    pub kind: ChannelKind,
    /// For slack and webhook (required) and pagerduty (optional: PagerDuty's own
    /// Events API v2 URL by default). May hold `${NAME}` secrets, read from the hub's
    /// environment at delivery; a URL that does is never shown or logged.
    pub url: Option<String>,
    /// For pagerduty, and only as one `${NAME}`: the Events API v2 integration key is a
    /// secret (anyone holding it can page the team), so it lives in the hub's
    /// environment, never in the config file.
    pub routing_key: Option<String>,
    /// For pagerduty: page (a `trigger` for the incident) as soon as an automation (an
    /// alert intake) declares an incident, so an alert reaches the on-call; the first
    /// person to touch the incident acknowledges the page, and resolving it resolves
    /// the page.
    #[serde(default)]
    pub page_on_declare: bool,
    /// For outbox; resolved against the config file's directory when loaded.
    pub dir: Option<PathBuf>,
    #[serde(default = "default_channel_timeout")]
    pub timeout_seconds: u64,
}

fn default_channel_timeout() -> u64 {
    10
}

/// What is wrong with one channel, if anything (`duplicate`: its name was used before).
pub(super) fn check_channel(channel: &ChannelConfig, duplicate: bool) -> Option<String> {
    let name_ok = !channel.name.is_empty()
        && channel
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !name_ok {
        return Some("the name must be lowercase letters, digits, `-` and `_`".into());
    }
    if duplicate {
        return Some("the name is used twice".into());
    }
    if channel.timeout_seconds == 0 {
        return Some("timeout_seconds must be greater than 0".into());
    }
    if channel.kind == ChannelKind::PagerDuty {
        return check_pagerduty(channel);
    }
    if channel.page_on_declare {
        return Some("only kind = \"pagerduty\" takes `page_on_declare`".into());
    }
    if channel.routing_key.is_some() {
        return Some("only kind = \"pagerduty\" takes a `routing_key`".into());
    }
    match (channel.kind, &channel.url, &channel.dir) {
        (ChannelKind::Outbox, None, Some(_)) => None,
        (ChannelKind::Outbox, _, _) => Some("kind = \"outbox\" needs `dir` and no `url`".into()),
        (_, Some(url), None) => check_channel_url(url),
        (_, _, _) => Some("kind = \"slack\" or \"webhook\" needs `url` and no `dir`".into()),
    }
}

fn check_pagerduty(channel: &ChannelConfig) -> Option<String> {
    if channel.dir.is_some() {
        return Some("kind = \"pagerduty\" takes no `dir`".into());
    }
    let Some(key) = &channel.routing_key else {
        return Some("kind = \"pagerduty\" needs `routing_key = \"${NAME}\"`".into());
    };
    if !matches!(parse_template(key).as_slice(), [Piece::Secret(_)]) {
        return Some(
            "routing_key must be exactly one ${NAME}, read from the hub's environment: the key is a secret"
                .into(),
        );
    }
    channel.url.as_deref().and_then(check_channel_url)
}

pub(super) fn check_channel_url(url: &str) -> Option<String> {
    let pieces = parse_template(url);
    if pieces.iter().any(|p| matches!(p, Piece::Placeholder(_))) {
        return Some("a channel url takes no {placeholders}, only ${NAME} secrets".into());
    }
    if !pieces.iter().any(|p| matches!(p, Piece::Secret(_))) {
        return url_allowed(url).err();
    }
    // With a secret in it, the whole URL is checked again as sent, at delivery.
    let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| url.starts_with(p));
    if url.starts_with("https://") || url.starts_with("${") || local {
        None
    } else {
        Some("url must be https:// (plain http only to loopback, for testing) or ${NAME}".into())
    }
}

/// Checks `public_url` — `http://` or `https://`, a host, no user, query or fragment,
/// since a path is appended to it — and drops a trailing `/`.
pub(super) fn check_public_url(
    public_url: &mut Option<String>,
    text: &str,
    path: &str,
) -> Result<(), ConfigError> {
    let Some(given) = public_url.as_deref() else {
        return Ok(());
    };
    let problem = match reqwest::Url::parse(given) {
        Err(error) => Some(format!("is not a URL ({error})")),
        Ok(url) if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() => {
            Some("must be an http:// or https:// URL with a host".to_string())
        }
        Ok(url) if !url.username().is_empty() || url.password().is_some() => {
            Some("must not hold a user or password: it is sent to PagerDuty".to_string())
        }
        Ok(url) if url.query().is_some() || url.fragment().is_some() => Some(
            "must not have a ?query or #fragment: the incident's path is appended to it"
                .to_string(),
        ),
        Ok(_) => None,
    };
    if let Some(problem) = problem {
        let (line, column) = text
            .find("public_url")
            .map_or((1, 1), |at| line_column(text, at));
        return Err(ConfigError::Invalid {
            path: path.to_string(),
            line,
            column,
            message: format!("public_url {problem}, e.g. \"https://warroom.example.com\""),
        });
    }
    *public_url = Some(given.trim_end_matches('/').to_string());
    Ok(())
}

/// The actions file: `[[action]]` tables (`docs/ACTIONS.md`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionsFile {
    #[serde(default)]
    action: Vec<ActionSpec>,
}

/// Reads, parses and checks an actions file. Errors name the file, the line of the
/// action's `id` and the action.
pub fn load_actions(path: &Path) -> Result<Vec<ActionSpec>, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
        path: shown.clone(),
        cause,
    })?;
    let file: ActionsFile = toml::from_str(&text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_column(&text, s.start));
        ConfigError::Invalid {
            path: shown.clone(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })?;
    for (index, action) in file.action.iter().enumerate() {
        let occurrence = file.action[..index]
            .iter()
            .filter(|a| a.id == action.id)
            .count();
        let problem = match action.check() {
            Err(ActionError::Invalid(message)) => Some(message),
            Err(other) => Some(format!("action `{}`: {other}", action.id)),
            Ok(()) if occurrence > 0 => Some(format!(
                "action `{}` is defined twice: ids must be unique",
                action.id
            )),
            Ok(()) => None,
        };
        if let Some(message) = problem {
            let (line, column) = id_position(&text, &action.id, occurrence);
            return Err(ConfigError::Invalid {
                path: shown,
                line,
                column,
                message,
            });
        }
    }
    Ok(file.action)
}

/// Line and column of the `occurrence`-th (from 0) `id = "…"` line naming `id`.
fn id_position(text: &str, id: &str, occurrence: usize) -> (usize, usize) {
    let pattern = format!(r#"(?m)^[ \t]*id[ \t]*=[ \t]*["']{}["']"#, regex::escape(id));
    regex::Regex::new(&pattern)
        .ok()
        .and_then(|re| re.find_iter(text).nth(occurrence))
        .map_or((1, 1), |m| line_column(text, m.start()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::config::HubConfig;
    use crate::incident::Runbooks;

    const CHANNELS: &str = r#"
[[channel]]
name = "slack"
kind = "slack"
url = "${SLACK_WEBHOOK_URL}"

[[channel]]
name = "status-hook"
kind = "webhook"
url = "https://status.example.internal/hook"
timeout_seconds = 3

[[channel]]
name = "outbox"
kind = "outbox"
dir = "outbox"
"#;

    #[test]
    fn channels_parse_with_defaults_and_dirs_relative_to_the_file() {
        let config = HubConfig::parse(CHANNELS, "/etc/warroom/warroom.toml").unwrap();
        let kinds: Vec<_> = config.channels.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                ChannelKind::Slack,
                ChannelKind::Webhook,
                ChannelKind::Outbox
            ]
        );
        assert_eq!(config.channels[0].timeout_seconds, 10);
        assert_eq!(config.channels[1].timeout_seconds, 3);
        assert_eq!(
            config.channels[2].dir.as_deref(),
            Some(Path::new("/etc/warroom/outbox"))
        );
    }

    #[test]
    fn channel_mistakes_name_file_line_and_channel() {
        let cases = [
            ("name = \"x\"\nkind = \"pager\"\n", "w.toml:4:", "pager"),
            (
                "name = \"x\"\nkind = \"outbox\"\n",
                "w.toml:3:",
                "needs `dir`",
            ),
            (
                "name = \"x\"\nkind = \"slack\"\nurl = \"http://hooks.example\"\n",
                "w.toml:3:",
                "https://",
            ),
            (
                "name = \"x\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1.evil.example/\"\n",
                "w.toml:3:",
                "loopback",
            ),
            (
                "name = \"x\"\nkind = \"webhook\"\nurl = \"https://a/{tenant}\"\n",
                "w.toml:3:",
                "placeholders",
            ),
            (
                "name = \"x\"\nkind = \"slack\"\nurl = \"${U}\"\nmethod = 1\n",
                "w.toml:6:",
                "method",
            ),
        ];
        for (body, at, says) in cases {
            let text = format!("\n[[channel]]\n{body}");
            let err = HubConfig::parse(&text, "w.toml").unwrap_err().to_string();
            assert!(err.starts_with(at) && err.contains(says), "{body}: {err}");
        }
        let twice =
            format!("{CHANNELS}\n[[channel]]\nname = \"outbox\"\nkind = \"outbox\"\ndir = \"o\"\n");
        let err = HubConfig::parse(&twice, "w.toml").unwrap_err().to_string();
        assert!(
            err.contains("channel `outbox`: the name is used twice"),
            "{err}"
        );
    }

    #[test]
    fn a_pagerduty_channel_takes_its_routing_key_from_the_environment_only() {
        let ok = "[[channel]]\nname = \"oncall\"\nkind = \"pagerduty\"\nrouting_key = \"${PD_ROUTING_KEY}\"\n";
        let config = HubConfig::parse(ok, "w.toml").unwrap();
        assert_eq!(config.channels[0].kind, ChannelKind::PagerDuty);
        assert_eq!(
            config.channels[0].url, None,
            "PagerDuty's own URL by default"
        );
        let cases = [
            ("kind = \"pagerduty\"\n", "needs `routing_key"),
            (
                "kind = \"pagerduty\"\nrouting_key = \"R0123456789abcdef\"\n",
                "exactly one ${NAME}",
            ),
            (
                "kind = \"pagerduty\"\nrouting_key = \"x${PD}\"\n",
                "exactly one ${NAME}",
            ),
            (
                "kind = \"pagerduty\"\nrouting_key = \"${PD}\"\nurl = \"http://pd.example/v2\"\n",
                "https://",
            ),
            (
                "kind = \"pagerduty\"\nrouting_key = \"${PD}\"\ndir = \"o\"\n",
                "no `dir`",
            ),
            (
                "kind = \"webhook\"\nurl = \"https://a/\"\nrouting_key = \"${PD}\"\n",
                "only kind = \"pagerduty\"",
            ),
            (
                "kind = \"webhook\"\nurl = \"https://a/\"\npage_on_declare = true\n",
                "only kind = \"pagerduty\" takes `page_on_declare`",
            ),
        ];
        for (body, says) in cases {
            let text = format!("[[channel]]\nname = \"x\"\n{body}");
            let err = HubConfig::parse(&text, "w.toml").unwrap_err().to_string();
            assert!(err.contains(says), "{body}: {err}");
            assert!(!err.contains("R0123456789abcdef"), "{err}");
        }
    }

    #[test]
    fn public_url_is_an_http_or_https_address_without_query() {
        let config = HubConfig::parse("public_url = \"https://warroom.example.com/\"\n", "w.toml");
        let config = config.unwrap();
        assert_eq!(
            config.public_url.as_deref(),
            Some("https://warroom.example.com")
        );
        let plain = HubConfig::parse("public_url = \"http://10.0.0.5:7420\"\n", "w.toml");
        assert_eq!(
            plain.unwrap().public_url.as_deref(),
            Some("http://10.0.0.5:7420")
        );
        for (given, says) in [
            ("warroom.example.com", "is not a URL"),
            ("ftp://warroom.example.com", "http:// or https://"),
            ("https://bob:pw@warroom.example.com", "user or password"),
            ("https://warroom.example.com/?x=1", "?query"),
            ("https://warroom.example.com/#top", "#fragment"),
        ] {
            let text = format!("\n\npublic_url = \"{given}\"\n");
            let err = HubConfig::parse(&text, "w.toml").unwrap_err().to_string();
            assert!(
                err.starts_with("w.toml:3:") && err.contains(says),
                "{given}: {err}"
            );
        }
        assert_eq!(HubConfig::parse("", "w.toml").unwrap().public_url, None);
    }

    fn action(id: &str, extra: &str) -> String {
        format!(
            "[[action]]\nid = \"{id}\"\ntitle = \"T\"\ndescription = \"D\"\nroles = [\"ops\"]\n\
             confirm = true\ntwo_person = false\nidempotent = true\ntimeout_seconds = 5\n\
             kind = \"exec\"\nargv = [\"/bin/true\"]\n{extra}\n"
        )
    }

    #[test]
    fn actions_load_relative_to_the_config_and_fill_the_runbooks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("actions.toml"), action("freeze", "")).unwrap();
        let path = dir.path().join("warroom.toml");
        let text = format!("actions = \"actions.toml\"\n{CHANNELS}");
        std::fs::write(&path, &text).unwrap();
        let config = HubConfig::load(&path).unwrap();
        let mut runbooks = Runbooks::default();
        let effects = config.apply_to(&mut runbooks).unwrap();
        assert_eq!(runbooks.actions.len(), 1);
        assert_eq!(runbooks.channels, ["slack", "status-hook", "outbox"]);
        assert_eq!(effects.channels.len(), 3);
    }

    #[test]
    fn action_mistakes_name_the_actions_file_the_line_and_the_action() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("actions.toml");
        let config = HubConfig::parse(
            "actions = \"actions.toml\"\n",
            &dir.path().join("w.toml").display().to_string(),
        )
        .unwrap();
        let shown = file.display().to_string();
        let cases = [
            (
                format!("{}{}", action("a", ""), action("b", "cwd = \"{x}\"")),
                format!("{shown}:14:1: action `b`: cwd is fixed text"),
            ),
            (
                format!("{}{}", action("a", ""), action("a", "")),
                format!("{shown}:14:1: action `a` is defined twice"),
            ),
            (
                action("a", "argv = [\"/bin/echo\", \"{tenat}\"]")
                    .replace("argv = [\"/bin/true\"]\n", ""),
                format!("{shown}:2:1: action `a`: unknown placeholder `{{tenat}}`"),
            ),
            (action("a", "two_persn = true"), format!("{shown}:12:1:")),
        ];
        for (text, expected) in cases {
            std::fs::write(&file, &text).unwrap();
            let err = config
                .apply_to(&mut Runbooks::default())
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(&expected), "{err}\nexpected {expected}");
        }
    }
}
