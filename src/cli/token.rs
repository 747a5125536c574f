//! `warroom token`: responders' tokens in the hub configuration. `new` and `rotate`
//! print a token once and store only its SHA-256 (and when it was made); `revoke`
//! removes a responder's blocks; `list` shows names, roles, when each token was made
//! and when the hub last saw them — never a token or its hash. A running hub picks
//! every change up by itself (it watches the file; SIGHUP too).

use super::args::{ResponderAction, TokenAction};
use super::backend::CliError;
use super::output::write_all;
use crate::engine::DataDir;
use crate::hub::auth::{new_token, token_hash};
use crate::hub::config::{
    HubConfig, add_ssh_key, append_responder, remove_responders, rotate_responder,
};
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
            ssh_key,
            config,
        } => {
            // The key is read before anything is written: a bad file changes nothing.
            let key = ssh_key.as_deref().map(read_key).transpose()?;
            new(name, roles, config)?;
            match key {
                Some(key) => add_key(name.trim(), &key, config),
                None => Ok(()),
            }
        }
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

/// `warroom responder add-key NAME FILE.pub`.
pub fn responder(action: &ResponderAction) -> Result<(), CliError> {
    match action {
        ResponderAction::AddKey { name, key, config } => add_key(name, &read_key(key)?, config),
    }
}

/// The one public key line in `path`, checked.
fn read_key(path: &Path) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Failed(format!("cannot read {}: {e}", path.display())))?;
    let line = text.trim();
    crate::hub::config::parse_ssh_key(line)
        .map_err(|problem| CliError::Usage(format!("{}: {problem}", path.display())))?;
    Ok(line.to_string())
}

fn add_key(name: &str, key: &str, config: &Path) -> Result<(), CliError> {
    let added = add_ssh_key(config, name, key).map_err(failed)?;
    if added {
        eprintln!(
            "warroom: {name} can now open the SSH door with this key (in {}); a running hub lets them in within a second: ssh -t -p PORT HOST",
            config.display()
        );
    } else {
        eprintln!(
            "warroom: {name} already has this key in {}",
            config.display()
        );
    }
    Ok(())
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
