//! `[[tracker]]`: the issue trackers a hub can send follow-ups to (`warroom followup
//! send`). One HTTP request per follow-up: a URL and headers that may hold `${NAME}`
//! secrets from the hub's environment (never the config file), a JSON body template
//! whose `{fields}` are filled JSON-escaped, and a JSON pointer to the created issue's
//! URL in the answer. Checked when the config is parsed; errors name file, line and
//! tracker, never a header's value.

use super::ConfigError;
use super::effects::check_channel_url;
use crate::catalog::line_column;
use crate::incident::action::{Escape, Piece, escape, parse as parse_template};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The `{fields}` a tracker's body may use.
pub const FIELDS: [&str; 9] = [
    "title",
    "text",
    "owner",
    "due",
    "priority",
    "number",
    "incident",
    "incident_title",
    "severity",
];

/// The body when none is given: GitHub's issues API (`title`, `body`).
pub const DEFAULT_BODY: &str = r#"{"title": "{title}", "body": "{text}\n\nOwner: {owner} · due {due} · {priority}\nFollow-up #{number} of incident {incident}: {incident_title} ({severity})"}"#;

/// The longest a tracker may take to answer.
const MAX_TIMEOUT_SECONDS: u64 = 120;

/// One `[[tracker]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerConfig {
    pub name: String,
    /// The create-issue endpoint (required; an `Option` so its absence gets our own
    /// message with the tracker's line). May hold `${NAME}` secrets.
    pub url: Option<String>,
    #[serde(default = "default_method")]
    pub method: String,
    /// Sent as given; values may hold `${NAME}` secrets, and credential headers must.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON template: `{field}` placeholders (see [`FIELDS`]) filled JSON-escaped;
    /// `{{`/`}}` stand for one brace.
    #[serde(default = "default_body")]
    pub body: String,
    /// A JSON pointer to the created issue's URL in the answer.
    #[serde(default = "default_issue_url")]
    pub issue_url: String,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
}

fn default_method() -> String {
    "POST".to_string()
}
fn default_body() -> String {
    DEFAULT_BODY.to_string()
}
fn default_issue_url() -> String {
    "/html_url".to_string()
}
fn default_timeout() -> u64 {
    10
}

impl TrackerConfig {
    /// The body with each `{field}` replaced by `value(field)`, JSON-escaped (an
    /// unknown field, refused at load, stays as written).
    pub fn fill_body(&self, value: impl Fn(&str) -> Option<String>) -> String {
        parse_template(&self.body)
            .into_iter()
            .map(|piece| match piece {
                Piece::Text(text) => text,
                Piece::Placeholder(name) => match value(&name) {
                    Some(v) => escape(&v, Escape::Json),
                    None => format!("{{{name}}}"),
                },
                Piece::Secret(name) => format!("${{{name}}}"),
            })
            .collect()
    }
}

/// A header that carries a credential: its value must come from `${NAME}`.
fn is_credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["authorization", "cookie"].contains(&name.as_str())
        || ["token", "key", "secret", "auth", "password", "signature"]
            .iter()
            .any(|word| name.contains(word))
}

/// What is wrong with one tracker, if anything, and the key it is about (`None`: the
/// `[[tracker]]` line itself).
fn problem(tracker: &TrackerConfig, duplicate: bool) -> Option<(Option<String>, String)> {
    let at = |key: &str, message: String| Some((Some(key.to_string()), message));
    let name_ok = !tracker.name.is_empty()
        && tracker
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !name_ok {
        return at(
            "name",
            "the name must be lowercase letters, digits, `-` and `_`".into(),
        );
    }
    if duplicate {
        return at("name", "the name is used twice".into());
    }
    let Some(url) = &tracker.url else {
        return Some((
            None,
            "needs `url`, the tracker's create-issue endpoint (e.g. \"https://api.github.com/repos/OWNER/REPO/issues\")".into(),
        ));
    };
    if parse_template(url)
        .iter()
        .any(|p| matches!(p, Piece::Placeholder(_)))
    {
        return at(
            "url",
            "the url takes no {fields}, only ${NAME} secrets".into(),
        );
    }
    if let Some(message) = check_channel_url(url) {
        return at("url", message);
    }
    if !["POST", "PUT", "PATCH"].contains(&tracker.method.as_str()) {
        return at("method", "method must be POST, PUT or PATCH".into());
    }
    for (name, value) in &tracker.headers {
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return at(name, format!("`{name}` is not a header name"));
        }
        let pieces = parse_template(value);
        if pieces.iter().any(|p| matches!(p, Piece::Placeholder(_))) {
            return at(
                name,
                format!("header `{name}` takes no {{fields}}, only ${{NAME}} secrets"),
            );
        }
        let has_secret = pieces.iter().any(|p| matches!(p, Piece::Secret(_)));
        if is_credential_header(name) && !has_secret {
            return at(
                name,
                format!(
                    "header `{name}` holds a literal credential: write it as ${{NAME}} (e.g. \"Bearer ${{GITHUB_TOKEN}}\") and set NAME in the hub's environment; a secret never lives in the config file"
                ),
            );
        }
        let sample: String = pieces
            .into_iter()
            .map(|p| match p {
                Piece::Text(text) => text,
                _ => "x".to_string(),
            })
            .collect();
        if reqwest::header::HeaderValue::from_str(&sample).is_err() {
            return at(
                name,
                format!("header `{name}` has characters a header cannot hold"),
            );
        }
    }
    for piece in parse_template(&tracker.body) {
        match piece {
            Piece::Placeholder(name) if !FIELDS.contains(&name.as_str()) => {
                return at(
                    "body",
                    format!(
                        "unknown field `{{{name}}}` in the body: use {}",
                        FIELDS.map(|f| format!("{{{f}}}")).join(" ")
                    ),
                );
            }
            Piece::Secret(name) => {
                return at(
                    "body",
                    format!(
                        "`${{{name}}}` in the body: the body is shown and kept, so secrets go in url or headers only"
                    ),
                );
            }
            _ => {}
        }
    }
    let sample = tracker.fill_body(|_| Some("x \" \\ \n".to_string()));
    if let Err(error) = serde_json::from_str::<serde_json::Value>(&sample) {
        return at(
            "body",
            format!(
                "the body is not JSON once its fields are filled ({error}); `}}}}` stands for one `}}`, so write `}} }}` to close two objects"
            ),
        );
    }
    if !(tracker.issue_url.is_empty() || tracker.issue_url.starts_with('/')) {
        return at(
            "issue_url",
            "issue_url is a JSON pointer into the answer, e.g. \"/html_url\"".into(),
        );
    }
    if tracker.timeout_seconds == 0 || tracker.timeout_seconds > MAX_TIMEOUT_SECONDS {
        return at(
            "timeout_seconds",
            format!("timeout_seconds must be 1 to {MAX_TIMEOUT_SECONDS}"),
        );
    }
    None
}

/// Byte offsets of each `[[tracker]]` header line.
fn blocks(text: &str) -> Vec<usize> {
    regex::Regex::new(r"(?m)^[ \t]*\[\[[ \t]*tracker[ \t]*\]\]")
        .map(|re| re.find_iter(text).map(|m| m.start()).collect())
        .unwrap_or_default()
}

/// Checks every `[[tracker]]`; the first problem names the file, the line (of the key
/// it is about, else of the tracker's `[[tracker]]`) and the tracker.
pub(super) fn check(trackers: &[TrackerConfig], text: &str, path: &str) -> Result<(), ConfigError> {
    let starts = blocks(text);
    let mut seen: Vec<&str> = Vec::new();
    for (index, tracker) in trackers.iter().enumerate() {
        let duplicate = seen.contains(&tracker.name.as_str());
        seen.push(&tracker.name);
        let Some((key, message)) = problem(tracker, duplicate) else {
            continue;
        };
        let start = starts.get(index).copied().unwrap_or(0);
        let end = starts.get(index + 1).copied().unwrap_or(text.len());
        let block = &text[start..end];
        let offset = key
            .and_then(|key| {
                let pattern = format!(r#"(?m)^[ \t]*["']?{}["']?[ \t]*="#, regex::escape(&key));
                let re = regex::Regex::new(&pattern).ok()?;
                // A header in an inline table (`headers = { Authorization = … }`).
                let inline = format!(r#"["']?{}["']?[ \t]*="#, regex::escape(&key));
                let inline = regex::Regex::new(&inline).ok()?;
                re.find(block)
                    .or_else(|| inline.find(block))
                    .map(|m| start + m.start() + (m.as_str().len() - m.as_str().trim_start().len()))
            })
            .unwrap_or(start);
        let (line, column) = line_column(text, offset);
        return Err(ConfigError::Invalid {
            path: path.to_string(),
            line,
            column,
            message: format!("tracker `{}`: {message}", tracker.name),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::hub::config::HubConfig;

    const GITHUB: &str = r#"
[[tracker]]
name = "github"
url = "https://api.github.com/repos/acme/infra/issues"
headers = { Authorization = "Bearer ${GITHUB_TOKEN}", Accept = "application/vnd.github+json" }
"#;

    #[test]
    fn a_github_tracker_parses_with_defaults() {
        let config = HubConfig::parse(GITHUB, "w.toml").unwrap();
        let tracker = &config.trackers[0];
        assert_eq!(tracker.method, "POST");
        assert_eq!(tracker.issue_url, "/html_url");
        assert_eq!(tracker.timeout_seconds, 10);
        let body = tracker.fill_body(|field| Some(format!("<{field} \"q\">")));
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["title"], "<title \"q\">");
        assert!(
            json["body"]
                .as_str()
                .unwrap()
                .contains("Follow-up #<number")
        );
    }

    #[test]
    fn tracker_mistakes_name_the_line_and_never_a_credential() {
        let cases = [
            ("", "w.toml:2:1: tracker `x`: needs `url`"),
            (
                "url = \"https://t.example/issues\"\nheaders = { Authorization = \"Bearer ghp_s3cr3tvalue\" }\n",
                "w.toml:5:13: tracker `x`: header `Authorization` holds a literal credential",
            ),
            (
                "url = \"https://t.example/issues\"\n[tracker.headers]\nPRIVATE-TOKEN = \"ghp_s3cr3tvalue\"\n",
                "w.toml:6:1: tracker `x`: header `PRIVATE-TOKEN`",
            ),
            (
                "url = \"http://t.example/issues\"\n",
                "w.toml:4:1: tracker `x`: the url must be https://",
            ),
            (
                "url = \"https://t.example/{owner}\"\n",
                "w.toml:4:1: tracker `x`: the url takes no {fields}",
            ),
            (
                "url = \"https://t.example/i\"\nbody = '{\"t\": \"{titel}\"}'\n",
                "w.toml:5:1: tracker `x`: unknown field `{titel}`",
            ),
            (
                "url = \"https://t.example/i\"\nbody = '{\"t\": \"${TOKEN}\"}'\n",
                "w.toml:5:1: tracker `x`: `${TOKEN}` in the body",
            ),
            (
                "url = \"https://t.example/i\"\nbody = '{\"t\": {title}}'\n",
                "w.toml:5:1: tracker `x`: the body is not JSON",
            ),
            (
                "url = \"https://t.example/i\"\nmethod = \"GET\"\n",
                "w.toml:5:1: tracker `x`: method must be",
            ),
            (
                "url = \"https://t.example/i\"\nissue_url = \"html_url\"\n",
                "w.toml:5:1: tracker `x`: issue_url is a JSON pointer",
            ),
            (
                "url = \"https://t.example/i\"\ntimeout_seconds = 0\n",
                "w.toml:5:1: tracker `x`: timeout_seconds",
            ),
        ];
        for (body, expected) in cases {
            let text = format!("\n[[tracker]]\nname = \"x\"\n{body}");
            let err = HubConfig::parse(&text, "w.toml").unwrap_err().to_string();
            assert!(err.starts_with(expected), "{body}: {err}");
            assert!(!err.contains("s3cr3t"), "{err}");
        }
        let twice = format!("{GITHUB}{GITHUB}");
        let err = HubConfig::parse(&twice, "w.toml").unwrap_err().to_string();
        assert!(
            err.starts_with("w.toml:8:1: tracker `github`: the name is used twice"),
            "{err}"
        );
    }
}
