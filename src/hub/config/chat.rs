//! The hub configuration's chat keys: `[slack]` (the bot that mirrors each incident
//! into a thread, and the signing secret that lets slash commands and thread replies
//! in) and `[mattermost]` (its slash commands' token). Secrets are `${NAME}` references
//! to the hub's environment; the file never holds one. Which responder a chat user is
//! comes from `[[responder]] slack_user` / `mattermost_user`.

use super::ConfigError;
use super::intake::secret_name;
use crate::catalog::line_column;
use serde::Deserialize;

/// Slack's Web API root unless a `[slack] api_url` says otherwise (tests: a local one).
pub const SLACK_API_URL: &str = "https://slack.com/api";

/// `[slack]`: both directions of the incident channel; either half may be left out.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// Out: `${NAME}` of the bot token (`xoxb-…`) used for `chat.postMessage`.
    #[serde(default)]
    pub bot_token: Option<String>,
    /// Out: the channel id (`C…`) where each incident gets its own thread.
    #[serde(default)]
    pub channel: Option<String>,
    /// Out: the Web API root, `https://slack.com/api` by default.
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// Out: messages the bridge posts per minute across all incidents (Slack allows
    /// about one per second per channel); more are batched into one message.
    #[serde(default = "default_posts_per_minute")]
    pub posts_per_minute: u32,
    /// In: `${NAME}` of the app's signing secret, checked on `/api/v1/chat/slack`.
    #[serde(default)]
    pub signing_secret: Option<String>,
}

/// `[mattermost]`: Mattermost's Slack-compatible slash commands, at
/// `POST /api/v1/chat/mattermost`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MattermostConfig {
    /// `${NAME}` of the slash command's token (Mattermost sends it in each request).
    pub token: String,
}

fn default_api_url() -> String {
    SLACK_API_URL.to_string()
}

fn default_posts_per_minute() -> u32 {
    50
}

/// Checks `[slack]`, `[mattermost]` and the responders' chat user ids (one responder
/// per id: a chat user acting as the wrong person is worse than one refused); the
/// first problem, with where it is.
pub(super) fn check(
    slack: Option<&SlackConfig>,
    mattermost: Option<&MattermostConfig>,
    responders: &[super::ResponderEntry],
    text: &str,
    path: &str,
) -> Result<(), ConfigError> {
    let at = |needle: &str, message: String| {
        let (line, column) = text.find(needle).map_or((1, 1), |i| line_column(text, i));
        ConfigError::Invalid {
            path: path.to_string(),
            line,
            column,
            message,
        }
    };
    if let Some(slack) = slack {
        for (key, value) in [
            ("bot_token", &slack.bot_token),
            ("signing_secret", &slack.signing_secret),
        ] {
            if let Some(value) = value
                && let Err(why) = secret_name(value)
            {
                return Err(at(key, format!("[slack] {key} {why}")));
            }
        }
        if slack.bot_token.is_some() != slack.channel.is_some() {
            return Err(at(
                "[slack]",
                "[slack] needs both `bot_token` and `channel` to mirror incidents (or neither)"
                    .to_string(),
            ));
        }
        if slack.posts_per_minute == 0 {
            return Err(at(
                "posts_per_minute",
                "[slack] posts_per_minute must be at least 1".to_string(),
            ));
        }
    }
    if let Some(mattermost) = mattermost
        && let Err(why) = secret_name(&mattermost.token)
    {
        return Err(at("token", format!("[mattermost] token {why}")));
    }
    for (key, id_of) in [
        (
            "slack_user",
            (|r| r.slack_user.as_deref()) as fn(&super::ResponderEntry) -> Option<&str>,
        ),
        ("mattermost_user", |r| r.mattermost_user.as_deref()),
    ] {
        for (index, responder) in responders.iter().enumerate() {
            let Some(id) = id_of(responder) else {
                continue;
            };
            if let Some(first) = responders[..index].iter().find(|r| id_of(r) == Some(id)) {
                let quoted = format!("\"{id}\"");
                let second = text.match_indices(&quoted).nth(1).map_or(0, |(at, _)| at);
                let (line, column) = line_column(text, second);
                return Err(ConfigError::Invalid {
                    path: path.to_string(),
                    line,
                    column,
                    message: format!(
                        "{key} {quoted} is given to both `{}` and `{}`: a chat user is one responder",
                        first.name, responder.name
                    ),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::hub::config::HubConfig;

    #[test]
    fn a_chat_user_given_to_two_responders_is_refused_at_its_second_line() {
        let hash = "0".repeat(64);
        let text = format!(
            "[[responder]]\nname = \"alice\"\nroles = [\"commander\"]\ntoken_sha256 = \"{hash}\"\nslack_user = \"U1\"\n\n\
             [[responder]]\nname = \"bob\"\nroles = [\"scribe\"]\ntoken_sha256 = \"{hash}\"\nslack_user = \"U1\"\n"
        );
        let err = HubConfig::parse(&text, "w.toml").unwrap_err().to_string();
        assert!(
            err.starts_with("w.toml:11:14: slack_user \"U1\" is given to both `alice` and `bob`"),
            "{err}"
        );
    }
}
