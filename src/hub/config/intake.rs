//! The hub configuration's alert intake keys: `[pagerduty]` (the V3 webhook's signing
//! secret) and `[[intake]]` (any JSON webhook mapped by JSON pointers, authenticated by
//! a responder token or an HMAC header). Secrets are `${NAME}` references to the hub's
//! environment, read when a delivery is checked; the file never holds one. Errors name
//! the file, the line and what to write instead.

use super::ConfigError;
use crate::catalog::line_column;
use crate::incident::action::{Piece, parse as parse_template};
use serde::Deserialize;

/// `[pagerduty]`: PagerDuty's V3 webhook at `POST /api/v1/alerts/pagerduty`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PagerDutyConfig {
    /// `${NAME}`: the subscription's signing secret, from the hub's environment.
    pub signing_secret: String,
}

/// How a `[[intake]]` source proves who it is: a signature over the raw body.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HmacConfig {
    /// The request header carrying the signature, e.g. `X-Signature`.
    pub header: String,
    /// Only `sha256` (HMAC-SHA256, hex digits in either case).
    #[serde(default = "default_algorithm")]
    pub algorithm: String,
    /// What comes before the hex digits in the header, e.g. `sha256=`.
    #[serde(default)]
    pub prefix: String,
    /// `${NAME}`: the shared secret, from the hub's environment.
    pub secret: String,
}

fn default_algorithm() -> String {
    "sha256".to_string()
}

/// One `[[intake]]`: a JSON webhook served at `POST /api/v1/intake/<name>`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct IntakeConfig {
    pub name: String,
    /// JSON pointers (RFC 6901) into the delivered body.
    pub title: String,
    pub group_key: String,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    /// Firing unless this value is `false` or one of `resolved_values`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default = "default_resolved_values")]
    pub resolved_values: Vec<String>,
    /// The sender's delivery id, for retries; without it the body's hash is used.
    #[serde(default)]
    pub delivery_id: Option<String>,
    /// Without it, senders authenticate with `Authorization: Bearer <responder token>`.
    #[serde(default)]
    pub hmac: Option<HmacConfig>,
}

fn default_resolved_values() -> Vec<String> {
    ["resolved", "ok", "recovered", "inactive"]
        .map(String::from)
        .to_vec()
}

/// The name of the one `${NAME}` a secret setting must be, or why it is not one.
pub fn secret_name(value: &str) -> Result<String, String> {
    match parse_template(value).as_slice() {
        [Piece::Secret(name)] => Ok(name.clone()),
        _ => Err("must be a reference to the hub's environment such as \"${PD_SIGNING_SECRET}\" (upper case, digits, `_`), never the secret itself: set that variable where the hub runs".to_string()),
    }
}

/// Checks `[pagerduty]` and every `[[intake]]`; the first problem, with where it is.
pub(super) fn check(
    pagerduty: Option<&PagerDutyConfig>,
    intakes: &[IntakeConfig],
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
    if let Some(pd) = pagerduty
        && let Err(why) = secret_name(&pd.signing_secret)
    {
        return Err(at(
            "signing_secret",
            format!("[pagerduty] signing_secret {why}"),
        ));
    }
    for (index, intake) in intakes.iter().enumerate() {
        let twice = intakes[..index].iter().any(|i| i.name == intake.name);
        if let Some(message) = problem(intake, twice) {
            let (line, column) = name_position(text, &intake.name);
            return Err(ConfigError::Invalid {
                path: path.to_string(),
                line,
                column,
                message: format!("[[intake]] `{}`: {message}", intake.name),
            });
        }
    }
    Ok(())
}

/// What is wrong with one `[[intake]]`, if anything.
fn problem(intake: &IntakeConfig, twice: bool) -> Option<String> {
    let name_ok = (1..=32).contains(&intake.name.len())
        && intake
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !name_ok {
        return Some(
            "the name must be 1-32 lowercase letters, digits, `-` and `_` (it is the URL path /api/v1/intake/<name>)".into(),
        );
    }
    if twice {
        return Some("the name is used twice: each [[intake]] needs its own".into());
    }
    let pointers = [
        ("title", Some(&intake.title)),
        ("group_key", Some(&intake.group_key)),
        ("severity", intake.severity.as_ref()),
        ("summary", intake.summary.as_ref()),
        ("status", intake.status.as_ref()),
        ("delivery_id", intake.delivery_id.as_ref()),
    ];
    for (key, pointer) in pointers {
        if let Some(pointer) = pointer
            && !pointer.starts_with('/')
        {
            return Some(format!(
                "{key} = \"{pointer}\" is not a JSON pointer: write it from the body's root, e.g. \"/alert/title\" (`~1` for `/` and `~0` for `~` inside a key)"
            ));
        }
    }
    let hmac = intake.hmac.as_ref()?;
    if hmac.algorithm != "sha256" {
        return Some(format!(
            "hmac algorithm \"{}\" is not supported: use \"sha256\" (HMAC-SHA256)",
            hmac.algorithm
        ));
    }
    if axum::http::HeaderName::from_bytes(hmac.header.as_bytes()).is_err() {
        return Some(format!(
            "hmac header \"{}\" is not a valid HTTP header name, e.g. \"X-Signature\"",
            hmac.header
        ));
    }
    secret_name(&hmac.secret)
        .err()
        .map(|why| format!("hmac secret {why}"))
}

/// Line and column of the `name = "…"` line naming `name` (else the first `[[intake]]`).
fn name_position(text: &str, name: &str) -> (usize, usize) {
    let pattern = format!(
        r#"(?m)^[ \t]*name[ \t]*=[ \t]*["']{}["']"#,
        regex::escape(name)
    );
    let found = regex::Regex::new(&pattern)
        .ok()
        .and_then(|re| re.find(text).map(|m| m.start()))
        .or_else(|| text.find("[[intake]]"));
    found.map_or((1, 1), |at| line_column(text, at))
}

#[cfg(test)]
mod tests {
    use crate::hub::config::HubConfig;

    fn error(text: &str) -> String {
        HubConfig::parse(text, "w.toml").unwrap_err().to_string()
    }

    #[test]
    fn pagerduty_and_intakes_parse() {
        let text = "[pagerduty]\nsigning_secret = \"${PD_SECRET}\"\n\n[[intake]]\nname = \"datadog\"\n\
                    title = \"/title\"\ngroup_key = \"/aggregate\"\n\
                    hmac = { header = \"X-Signature\", prefix = \"sha256=\", secret = \"${DD}\" }\n";
        let config = HubConfig::parse(text, "w.toml").unwrap();
        assert_eq!(config.pagerduty.unwrap().signing_secret, "${PD_SECRET}");
        let intake = &config.intakes[0];
        assert_eq!(intake.hmac.as_ref().unwrap().algorithm, "sha256");
        assert_eq!(
            intake.resolved_values,
            ["resolved", "ok", "recovered", "inactive"]
        );
    }

    #[test]
    fn mistakes_name_the_line_and_the_fix() {
        let literal = "listen = \"127.0.0.1:1\"\n[pagerduty]\nsigning_secret = \"abc123\"\n";
        let err = error(literal);
        assert!(err.starts_with("w.toml:3:1:"), "{err}");
        assert!(
            err.contains("${PD_SIGNING_SECRET}") && !err.contains("abc123"),
            "{err}"
        );

        let pointer = "[[intake]]\nname = \"a\"\ntitle = \"/t\"\ngroup_key = \"/k\"\n\n\
                       [[intake]]\nname = \"sentry\"\ntitle = \"title\"\ngroup_key = \"/k\"\n";
        let err = error(pointer);
        assert!(err.starts_with("w.toml:7:1: [[intake]] `sentry`"), "{err}");
        assert!(err.contains("\"/alert/title\""), "{err}");

        let twice = "[[intake]]\nname = \"a\"\ntitle = \"/t\"\ngroup_key = \"/k\"\n\
                     [[intake]]\nname = \"a\"\ntitle = \"/t\"\ngroup_key = \"/k\"\n";
        assert!(error(twice).contains("used twice"));
        let algorithm = "[[intake]]\nname = \"a\"\ntitle = \"/t\"\ngroup_key = \"/k\"\n\
                         hmac = { header = \"X-S\", algorithm = \"md5\", secret = \"${S}\" }\n";
        assert!(error(algorithm).contains("use \"sha256\""));
        let missing = "[[intake]]\nname = \"a\"\ntitle = \"/t\"\n";
        let err = error(missing);
        assert!(err.contains("group_key"), "{err}");
        let upper = "[[intake]]\nname = \"Datadog\"\ntitle = \"/t\"\ngroup_key = \"/k\"\n";
        assert!(error(upper).starts_with("w.toml:2:1:"));
    }
}
