//! Containment actions as data: the spec a hub loads from its actions file, the
//! placeholders in its URL, headers, body and argv, parameter validation against
//! declared patterns, and rendering of the exact request. Pure: secrets stay as
//! `${NAME}` unless the caller (the hub's runner) supplies their values.

pub mod pagerduty;
mod param;

pub use param::{is_dot_segment, url_path};

use super::role::Role;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Placeholders every action may use besides its own parameters.
pub const BUILT_IN: [&str; 3] = ["incident_id", "actor", "severity"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Http,
    Exec,
    /// Pages an escalation policy: a PagerDuty Events API v2 `trigger` (`pagerduty.rs`).
    #[serde(rename = "pagerduty")]
    PagerDuty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyFormat {
    Json,
    Form,
    #[default]
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    pub name: String,
    pub description: String,
    pub pattern: String,
    /// `true`: the pattern's classes (`\d`, `\w`, `\s`, `(?i)`) are Unicode-aware.
    /// Default `false`: ASCII only, so `\d` means `[0-9]`. Left out of the fingerprint
    /// when false, so definitions written before it existed keep theirs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unicode: bool,
}

/// One action as written in the hub's actions file (`docs/ACTIONS.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    pub id: String,
    pub title: String,
    pub description: String,
    pub roles: Vec<Role>,
    pub confirm: bool,
    pub two_person: bool,
    pub idempotent: bool,
    pub timeout_seconds: u64,
    pub kind: ActionKind,
    pub method: Option<String>,
    pub url: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub body_format: Option<BodyFormat>,
    pub body: Option<String>,
    pub argv: Option<Vec<String>>,
    pub cwd: Option<String>,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default, rename = "param")]
    pub params: Vec<ParamSpec>,
    /// `pagerduty` only: one `${NAME}`, and the `payload.summary` template. Left out of
    /// the fingerprint when absent, so other actions keep theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// What an action will do, exactly: shown for confirmation, stored in the log, and
/// (with secrets filled in) executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Request {
    Http {
        method: String,
        url: String,
        headers: Vec<(String, String)>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
    },
    Exec {
        argv: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<String>,
        /// Names of the hub environment variables passed through.
        env: Vec<String>,
    },
}

impl Request {
    /// One or two lines a person can read in a confirmation dialog or the timeline.
    pub fn describe(&self) -> String {
        match self {
            Request::Http {
                method,
                url,
                headers,
                body,
            } => {
                let mut out = format!("{method} {url}");
                for (name, value) in headers {
                    out.push_str(&format!("\n{name}: {value}"));
                }
                if let Some(body) = body {
                    out.push_str(&format!("\n\n{body}"));
                }
                out
            }
            Request::Exec { argv, cwd, env } => {
                let mut out = format!("{argv:?}");
                if let Some(cwd) = cwd {
                    out.push_str(&format!("\nin {cwd}"));
                }
                if !env.is_empty() {
                    out.push_str(&format!("\nwith environment: {}", env.join(", ")));
                }
                out
            }
        }
    }
}

/// A piece of an action template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Placeholder(String),
    Secret(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error(
        "unknown placeholder `{{{0}}}`: use incident_id, actor, severity or a declared [[action.param]]"
    )]
    UnknownPlaceholder(String),
    #[error(
        "`${{{0}}}` secrets are only allowed in url and headers (never in body or argv: those are shown and logged)"
    )]
    SecretNotAllowed(String),
    #[error("parameter `{name}` ({description}): `{value}` does not match {pattern}")]
    BadParam {
        name: String,
        description: String,
        value: String,
        pattern: String,
    },
    #[error("parameter `{name}` ({description}): the value {problem}")]
    BadValue {
        name: String,
        description: String,
        problem: String,
    },
    #[error("parameter `{0}` is missing")]
    MissingParam(String),
    #[error("`{0}` is not a parameter of this action")]
    UnknownParam(String),
    #[error("pattern of `{name}` is not a valid regular expression: {error}")]
    BadPattern { name: String, error: String },
    #[error("the hub has no `{0}` in its environment")]
    MissingSecret(String),
    #[error("{0}")]
    Invalid(String),
}

fn is_placeholder_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_secret_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Splits an action template: `{name}` placeholders, `${NAME}` secrets, `{{`/`}}`
/// literal braces; any other brace is literal text (JSON's own braces need no escaping).
pub fn parse(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("{{") || rest.starts_with("}}") {
            literal.push(c);
            rest = &rest[2..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("${")
            && let Some(end) = after.find('}')
            && is_secret_name(&after[..end])
        {
            push_text(&mut pieces, &mut literal);
            pieces.push(Piece::Secret(after[..end].to_string()));
            rest = &after[end + 1..];
            continue;
        }
        if let Some(after) = rest.strip_prefix('{')
            && let Some(end) = after.find('}')
            && is_placeholder_name(&after[..end])
        {
            push_text(&mut pieces, &mut literal);
            pieces.push(Piece::Placeholder(after[..end].to_string()));
            rest = &after[end + 1..];
            continue;
        }
        literal.push(c);
        rest = &rest[c.len_utf8()..];
    }
    push_text(&mut pieces, &mut literal);
    pieces
}

fn push_text(pieces: &mut Vec<Piece>, literal: &mut String) {
    if !literal.is_empty() {
        pieces.push(Piece::Text(std::mem::take(literal)));
    }
}

/// Gives a secret's value by name (the hub's environment, on the hub only).
pub type SecretLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// `http://` to 127.0.0.1, localhost or [::1] exactly: the host must end there (a port,
/// path or the end may follow), so `http://127.0.0.1.evil.example/` is not loopback.
pub fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host = match authority.rsplit_once(':') {
        // A trailing `:digits` is a port, unless it is part of a bracketed IPv6 host.
        Some((host, port))
            if !port.is_empty()
                && port.chars().all(|c| c.is_ascii_digit())
                && !port.contains(']') =>
        {
            host
        }
        _ => authority,
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// How a substituted value is escaped where it lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    Url,
    Json,
    Form,
    Raw,
}

pub fn escape(value: &str, how: Escape) -> String {
    match how {
        Escape::Raw => value.to_string(),
        Escape::Json => {
            let quoted = serde_json::Value::String(value.to_string()).to_string();
            quoted[1..quoted.len() - 1].to_string()
        }
        Escape::Url | Escape::Form => value
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                b' ' if how == Escape::Form => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect(),
    }
}

/// Values for `{incident_id}`, `{actor}`, `{severity}` and the validated parameters.
pub struct Context<'a> {
    pub incident_id: &'a str,
    pub actor: &'a str,
    pub severity: &'a str,
    pub params: &'a BTreeMap<String, String>,
}

impl Context<'_> {
    fn value(&self, name: &str) -> Option<&str> {
        match name {
            "incident_id" => Some(self.incident_id),
            "actor" => Some(self.actor),
            "severity" => Some(self.severity),
            other => self.params.get(other).map(String::as_str),
        }
    }
}

/// Fills a template. `secrets` gives a secret's value (the runner), or `None` to keep
/// `${NAME}` as written (previews, the log).
fn fill(
    template: &str,
    how: Escape,
    context: &Context,
    secrets: Option<SecretLookup>,
) -> Result<String, ActionError> {
    let mut out = String::with_capacity(template.len());
    for piece in parse(template) {
        match piece {
            Piece::Text(text) => out.push_str(&text),
            Piece::Placeholder(name) => {
                let value = context
                    .value(&name)
                    .ok_or(ActionError::UnknownPlaceholder(name))?;
                out.push_str(&escape(value, how));
            }
            Piece::Secret(name) => match secrets {
                None => out.push_str(&format!("${{{name}}}")),
                Some(lookup) => {
                    out.push_str(&lookup(&name).ok_or(ActionError::MissingSecret(name))?)
                }
            },
        }
    }
    Ok(out)
}

impl ActionSpec {
    /// A fingerprint of the definition: a run approved under one definition refuses to
    /// run under another.
    pub fn fingerprint(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        Sha256::digest(json.as_bytes())
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Every declared parameter present, nothing extra, each value free of control and
    /// invisible characters and of surrounding whitespace, and matching its whole
    /// pattern (ASCII unless the parameter sets `unicode`). Nothing is substituted
    /// before this passes.
    pub fn validate(&self, params: &BTreeMap<String, String>) -> Result<(), ActionError> {
        if let Some(extra) = params.keys().find(|k| self.param(k).is_none()) {
            return Err(ActionError::UnknownParam(extra.clone()));
        }
        for param in &self.params {
            let value = params
                .get(&param.name)
                .ok_or_else(|| ActionError::MissingParam(param.name.clone()))?;
            param::check_characters(param, value)?;
            if !param::compile(param)?.is_match(value.as_bytes()) {
                return Err(ActionError::BadParam {
                    name: param.name.clone(),
                    description: param.description.clone(),
                    value: value.clone(),
                    pattern: param.pattern.clone(),
                });
            }
        }
        Ok(())
    }

    /// The exact request for validated `context.params`. With `secrets = None` secrets
    /// stay as `${NAME}`.
    pub fn render(
        &self,
        context: &Context,
        secrets: Option<SecretLookup>,
    ) -> Result<Request, ActionError> {
        match self.kind {
            ActionKind::Http => {
                let method = self.method.clone().unwrap_or_else(|| "POST".into());
                let template = self.url.as_deref().unwrap_or_default();
                let url = fill(template, Escape::Url, context, secrets)?;
                param::check_url_path(&url, template, &self.params, context.params)?;
                let format = self.body_format.unwrap_or_default();
                let mut headers = Vec::new();
                for (name, value) in &self.headers {
                    headers.push((name.clone(), fill(value, Escape::Raw, context, secrets)?));
                }
                let content_type = match format {
                    BodyFormat::Json => Some("application/json"),
                    BodyFormat::Form => Some("application/x-www-form-urlencoded"),
                    BodyFormat::None => None,
                };
                if let Some(ct) = content_type
                    && !headers
                        .iter()
                        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                {
                    headers.push(("Content-Type".into(), ct.into()));
                }
                let how = if format == BodyFormat::Form {
                    Escape::Form
                } else {
                    Escape::Json
                };
                let body = match (&self.body, format) {
                    (Some(body), BodyFormat::Json | BodyFormat::Form) => {
                        Some(fill(body, how, context, None)?)
                    }
                    _ => None,
                };
                Ok(Request::Http {
                    method,
                    url,
                    headers,
                    body,
                })
            }
            ActionKind::PagerDuty => pagerduty::render(self, context, secrets),
            ActionKind::Exec => {
                let argv = self
                    .argv
                    .iter()
                    .flatten()
                    .map(|arg| fill(arg, Escape::Raw, context, None))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Request::Exec {
                    argv,
                    cwd: self.cwd.clone(),
                    env: self.env.clone(),
                })
            }
        }
    }

    /// Load-time checks beyond the TOML shape (see `docs/ACTIONS.md`).
    pub fn check(&self) -> Result<(), ActionError> {
        let invalid = |m: String| Err(ActionError::Invalid(format!("action `{}`: {m}", self.id)));
        if !is_placeholder_name(&self.id) {
            return invalid("id must be lowercase letters, digits and `_`".into());
        }
        if self.roles.is_empty() || self.roles.contains(&Role::Observer) {
            return invalid("roles must name who may request it, and never observer".into());
        }
        if self.timeout_seconds == 0 {
            return invalid("timeout_seconds must be greater than 0".into());
        }
        pagerduty::check(self)?;
        let (http, exec) = (
            self.url.is_some() || self.method.is_some(),
            self.argv.is_some(),
        );
        match self.kind {
            ActionKind::Http if exec || self.cwd.is_some() || !self.env.is_empty() => {
                return invalid("argv, cwd and env belong to kind = \"exec\"".into());
            }
            ActionKind::Exec if http || !self.headers.is_empty() || self.body.is_some() => {
                return invalid("method, url, headers and body belong to kind = \"http\"".into());
            }
            ActionKind::Http if self.url.is_none() => {
                return invalid("kind = \"http\" needs a url".into());
            }
            ActionKind::Exec if self.argv.as_ref().is_none_or(Vec::is_empty) => {
                return invalid("kind = \"exec\" needs argv".into());
            }
            _ => {}
        }
        if let Some(method) = &self.method
            && !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str())
        {
            return invalid(format!(
                "method `{method}` is not GET, POST, PUT, PATCH or DELETE"
            ));
        }
        if let Some(url) = &self.url {
            // A literal `.` or `..` segment would be resolved away before sending.
            let sample: String = parse(url)
                .into_iter()
                .map(|piece| match piece {
                    Piece::Text(text) => text,
                    Piece::Placeholder(_) | Piece::Secret(_) => "x".to_string(),
                })
                .collect();
            if url_path(&sample).split(['/', '\\']).any(is_dot_segment) {
                return invalid(
                    "url has a `.` or `..` path segment, which would be resolved before sending: write the path it means".into(),
                );
            }
            let local = is_loopback_http(url);
            if !url.starts_with("https://") && !url.starts_with("${") && !local {
                return invalid(
                    "url must be https:// (plain http only to loopback, for testing)".into(),
                );
            }
        }
        match (self.body_format.unwrap_or_default(), &self.body) {
            (BodyFormat::None, Some(_)) => {
                return invalid("a body needs body_format = \"json\" or \"form\"".into());
            }
            (BodyFormat::Json | BodyFormat::Form, None) => {
                return invalid("body_format json/form needs a body".into());
            }
            _ => {}
        }
        let mut used = Vec::new();
        let mut scan = |text: &str, secrets_ok: bool| -> Result<(), ActionError> {
            for piece in parse(text) {
                match piece {
                    Piece::Placeholder(name) if BUILT_IN.contains(&name.as_str()) => {}
                    Piece::Placeholder(name) if self.param(&name).is_some() => used.push(name),
                    Piece::Placeholder(name) => return Err(ActionError::UnknownPlaceholder(name)),
                    Piece::Secret(name) if !secrets_ok => {
                        return Err(ActionError::SecretNotAllowed(name));
                    }
                    _ => {}
                }
            }
            Ok(())
        };
        if let Some(url) = &self.url {
            scan(url, true)?;
        }
        for value in self.headers.values() {
            scan(value, true)?;
        }
        if let Some(body) = &self.body {
            scan(body, false)?;
        }
        for text in self.argv.iter().flatten().chain(&self.summary) {
            scan(text, false)?;
        }
        if let Some(cwd) = &self.cwd
            && parse(cwd).iter().any(|p| !matches!(p, Piece::Text(_)))
        {
            return invalid("cwd is fixed text: no placeholders or secrets".into());
        }
        for param in &self.params {
            if !is_placeholder_name(&param.name) || BUILT_IN.contains(&param.name.as_str()) {
                return invalid(format!(
                    "parameter name `{}` must be [a-z0-9_]+ and not incident_id, actor or severity",
                    param.name
                ));
            }
            if !used.contains(&param.name) {
                return invalid(format!(
                    "parameter `{}` is declared but never used",
                    param.name
                ));
            }
            param::compile(param)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
