//! The `ssh_keys` of a `[[responder]]` block: each entry must be one OpenSSH public key
//! line (`ssh-ed25519 AAAA… comment`), checked when the file is read so a malformed one
//! stops `warroom serve` with file:line; and `warroom responder add-key` /
//! `token new --ssh-key`, which add a key to a block in place (the rest of the file
//! stays byte for byte, as for `token` edits).

use super::responders::{Block, blocks, join, no_such, read_existing, replace_file, split};
use super::{ConfigError, HubConfig, ResponderEntry};
use crate::catalog::line_column;
use russh::keys::PublicKey;
use std::path::Path;

/// Parses one OpenSSH public key line; the error says what is wrong in words.
pub fn parse_ssh_key(line: &str) -> Result<PublicKey, String> {
    let line = line.trim();
    if line.is_empty() {
        return Err("an empty key".into());
    }
    if line.contains("PRIVATE KEY") {
        return Err("this is a private key: give the public one (the .pub file)".into());
    }
    PublicKey::from_openssh(line).map_err(|e| {
        format!("not an OpenSSH public key line like `ssh-ed25519 AAAA… alice@laptop` ({e})")
    })
}

/// The first few characters of a key, enough to find it without echoing all of it.
fn shown(key: &str) -> String {
    let short: String = key.chars().take(24).collect();
    if short.len() < key.len() {
        format!("{short}…")
    } else {
        short
    }
}

/// Every `ssh_keys` entry of `entry` parses; else an error at its line in `text`.
pub(super) fn check(entry: &ResponderEntry, text: &str, path: &str) -> Result<(), ConfigError> {
    for key in &entry.ssh_keys {
        if let Err(problem) = parse_ssh_key(key) {
            let (line, column) = (!key.is_empty())
                .then(|| text.find(key.as_str()))
                .flatten()
                .or_else(|| text.find("ssh_keys"))
                .map_or((1, 1), |at| line_column(text, at));
            return Err(ConfigError::Invalid {
                path: path.to_string(),
                line,
                column,
                message: format!(
                    "ssh_keys of `{}`: `{}` is {problem}",
                    entry.name,
                    shown(key)
                ),
            });
        }
    }
    Ok(())
}

/// Adds the public key `key_line` to the one responder named `name`. A key already
/// there is not added twice; `Ok(false)` says so.
pub fn add_ssh_key(path: &Path, name: &str, key_line: &str) -> Result<bool, ConfigError> {
    let semantic = |message: String| ConfigError::Semantic {
        path: path.display().to_string(),
        message,
    };
    let key = parse_ssh_key(key_line).map_err(|p| semantic(format!("the key is {p}")))?;
    let key_line = key_line.trim().to_string();
    let text = read_existing(path)?;
    let config = HubConfig::parse(&text, &path.display().to_string())?;
    let (lines, trailing) = split(&text);
    let found: Vec<Block> = blocks(&lines)
        .into_iter()
        .filter(|b| b.name == name)
        .collect();
    let block = match found.as_slice() {
        [] => return Err(no_such(path, name)),
        [one] => one,
        _ => {
            return Err(semantic(format!(
                "`{name}` has {} blocks: add the key by hand to the one it belongs to",
                found.len()
            )));
        }
    };
    let entry = config.responders.iter().find(|r| r.name == name);
    let mut keys: Vec<String> = entry.map(|e| e.ssh_keys.clone()).unwrap_or_default();
    let same = |k: &String| parse_ssh_key(k).is_ok_and(|have| have.key_data() == key.key_data());
    if keys.iter().any(same) {
        return Ok(false);
    }
    keys.push(key_line);
    let array = toml::Value::Array(keys.into_iter().map(toml::Value::String).collect());
    let new_line = format!("ssh_keys = {array}");
    let key_of = |line: &str| {
        line.split_once('=')
            .map(|(key, _)| key.trim().to_string())
            .unwrap_or_default()
    };
    let mut edited: Vec<String> = lines.iter().map(|l| (*l).to_string()).collect();
    match block
        .lines
        .clone()
        .find(|&i| key_of(lines[i]) == "ssh_keys")
    {
        // Only a one-line array is rewritten: anything else was written by hand.
        Some(at) if lines[at].trim_end().ends_with(']') => edited[at] = new_line,
        Some(_) => {
            return Err(semantic(format!(
                "the ssh_keys of `{name}` span several lines: add the key there by hand"
            )));
        }
        None => edited.insert(block.lines.end, new_line),
    }
    replace_file(path, &join(&edited, trailing))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::config::append_responder;
    use crate::incident::Role;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLnuK8a0kCvCaJXJNXkuFlbNeHZISEMfLeiseN7t6R8 alice@laptop";
    const HASH: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    #[test]
    fn a_key_is_added_once_in_place_and_a_bad_one_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("warroom.toml");
        std::fs::write(&path, "# hub\n").unwrap();
        append_responder(&path, "alice", &[Role::Ops], HASH, "2026-01-01T00:00:00Z").unwrap();
        append_responder(&path, "bob", &[Role::Ops], HASH, "2026-01-01T00:00:00Z").unwrap();
        assert!(add_ssh_key(&path, "alice", KEY).unwrap());
        assert!(!add_ssh_key(&path, "alice", KEY).unwrap(), "already there");
        let config = HubConfig::load(&path).unwrap();
        assert_eq!(config.responders[0].ssh_keys, vec![KEY.to_string()]);
        assert!(config.responders[1].ssh_keys.is_empty());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# hub\n"), "{text}");
        let err = add_ssh_key(&path, "carol", KEY).unwrap_err().to_string();
        assert!(err.contains("no responder named `carol`"), "{err}");
        let err = add_ssh_key(&path, "bob", "ssh-ed25519 nope").unwrap_err();
        assert!(
            err.to_string().contains("not an OpenSSH public key"),
            "{err}"
        );

        let broken = text.replace("AAAAC3Nza", "AAAA!3Nza");
        let err = HubConfig::parse(&broken, "w.toml").unwrap_err().to_string();
        let line = broken.lines().position(|l| l.contains("AAAA!")).unwrap() + 1;
        assert!(err.starts_with(&format!("w.toml:{line}:")), "{err}");
        assert!(err.contains("ssh_keys of `alice`"), "{err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
}
