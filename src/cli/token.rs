//! `warroom token`: responders' tokens in the hub configuration. `new` and `rotate`
//! print a token once and store only its SHA-256 (and when it was made); `revoke`
//! removes a responder's blocks; `list` shows names, roles, when each token was made
//! and when the hub last saw them — never a token or its hash. A running hub picks
//! every change up by itself (it watches the file; SIGHUP too).

use super::args::TokenAction;
use super::backend::CliError;
use super::output::write_all;
use crate::engine::DataDir;
use crate::hub::auth::{new_token, token_hash};
use crate::hub::config::{HubConfig, append_responder, remove_responders, rotate_responder};
use crate::hub::seen::{self, SEEN_FILE};
use crate::incident::Role;
use chrono::{SecondsFormat, Utc};
use std::io::Write;
use std::path::Path;

fn failed(error: impl std::fmt::Display) -> CliError {
    CliError::Failed(error.to_string())
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn fresh_token() -> Result<String, CliError> {
    new_token().map_err(|e| CliError::Failed(format!("no randomness from the OS: {e}")))
}

pub fn run(action: &TokenAction, out: &mut dyn Write) -> Result<(), CliError> {
    match action {
        TokenAction::New {
            name,
            roles,
            config,
        } => new(name, roles, config),
        TokenAction::List { config, data, json } => list(config, data.as_deref(), *json, out),
        TokenAction::Revoke { name, config } => {
            let removed = remove_responders(config, name).map_err(failed)?;
            eprintln!(
                "warroom: revoked {name} ({removed} token{}) in {}. A running hub reloads it within a second and closes their sessions (close code 4003).",
                if removed == 1 { "" } else { "s" },
                config.display()
            );
            Ok(())
        }
        TokenAction::Rotate { name, config } => {
            let token = fresh_token()?;
            rotate_responder(config, name, &token_hash(&token), &now()).map_err(failed)?;
            println!("{token}");
            eprintln!(
                "warroom: new token for {name} stored as its SHA-256 in {}; the old one no longer works (a running hub reloads within a second and closes its sessions). This is the only time it is shown.",
                config.display()
            );
            Ok(())
        }
    }
}

fn new(name: &str, roles: &[String], path: &Path) -> Result<(), CliError> {
    let roles: Vec<Role> = roles
        .iter()
        .map(|r| {
            r.parse::<Role>()
                .map_err(|e| CliError::Usage(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    if name.trim().is_empty() || name.starts_with("system:") {
        return Err(CliError::Usage(
            "--name must be non-empty and not start with `system:`".into(),
        ));
    }
    let token = fresh_token()?;
    append_responder(path, name.trim(), &roles, &token_hash(&token), &now()).map_err(failed)?;
    println!("{token}");
    eprintln!(
        "warroom: token for {} ({}) stored as its SHA-256 in {}. This is the only time it is shown: give it to {} now (export WARROOM_TOKEN=…). A running hub lets them in within a second.",
        name.trim(),
        roles.iter().map(|r| r.id()).collect::<Vec<_>>().join(", "),
        path.display(),
        name.trim()
    );
    Ok(())
}

fn list(path: &Path, data: Option<&Path>, json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let config = HubConfig::load(path).map_err(failed)?;
    let root = data
        .map(Path::to_path_buf)
        .or(config.data.clone())
        .unwrap_or_else(DataDir::default_root);
    let last_seen = seen::read(&root.join(SEEN_FILE));
    let rows: Vec<serde_json::Value> = config
        .responders
        .iter()
        .map(|r| {
            serde_json::json!({
                "name": r.name,
                "roles": r.roles.iter().map(|role| role.id()).collect::<Vec<_>>(),
                "created": r.created,
                "last_seen": last_seen
                    .get(&r.name)
                    .map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true)),
            })
        })
        .collect();
    if json {
        let text = serde_json::to_string_pretty(&rows).map_err(failed)?;
        return write_all(out, &format!("{text}\n"));
    }
    if rows.is_empty() {
        return write_all(
            out,
            &format!(
                "No responders in {}. Add one: warroom token new --name NAME --role ROLE\n",
                path.display()
            ),
        );
    }
    let field = |row: &serde_json::Value, key: &str, absent: &str| {
        row[key].as_str().unwrap_or(absent).replace('T', " ")
    };
    let mut text = format!(
        "{:<20} {:<28} {:<22} {}\n",
        "NAME", "ROLES", "CREATED", "LAST SEEN"
    );
    for (row, entry) in rows.iter().zip(&config.responders) {
        let roles: Vec<&str> = entry.roles.iter().map(|r| r.id()).collect();
        text.push_str(&format!(
            "{:<20} {:<28} {:<22} {}\n",
            entry.name,
            roles.join(","),
            field(row, "created", "unknown"),
            field(row, "last_seen", "never"),
        ));
    }
    write_all(out, &text)
}
