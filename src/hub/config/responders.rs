//! Editing the `[[responder]]` blocks of `warroom.toml` in place, for `warroom token
//! new`, `revoke` and `rotate`: everything else in the file — comments, order, other
//! blocks — stays byte for byte. Each edit is checked by parsing the result before it
//! replaces the file (written beside it, owner-only, then renamed over it), so a running
//! hub's reload never sees half a file or one that does not parse.

use super::{ConfigError, HubConfig, ResponderEntry};
use crate::incident::Role;
use std::ops::Range;
use std::path::Path;

/// One `[[responder]]` block: its lines (header to last key, without the comments and
/// blank lines that precede the next header) and its name.
pub(super) struct Block {
    pub(super) lines: Range<usize>,
    pub(super) name: String,
}

fn is_responder_header(line: &str) -> bool {
    let code = line.split('#').next().unwrap_or("");
    code.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        == "[[responder]]"
}

fn is_header(line: &str) -> bool {
    line.trim_start().starts_with('[')
}

fn is_filler(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// The responder blocks of `text` (which parses), in order.
pub(super) fn blocks(lines: &[&str]) -> Vec<Block> {
    let mut found = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        if !is_responder_header(lines[at]) {
            at += 1;
            continue;
        }
        let start = at;
        let mut end = at + 1;
        while end < lines.len() && !is_header(lines[end]) {
            end += 1;
        }
        let next = end;
        while end > start + 1 && is_filler(lines[end - 1]) {
            end -= 1;
        }
        let body = lines[start + 1..end].join("\n");
        let name = toml::from_str::<ResponderEntry>(&body)
            .map(|entry| entry.name)
            .unwrap_or_default();
        found.push(Block {
            lines: start..end,
            name,
        });
        at = next;
    }
    found
}

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> ConfigError + '_ {
    move |cause| ConfigError::Write {
        path: path.display().to_string(),
        cause,
    }
}

pub(super) fn read_existing(path: &Path) -> Result<String, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(cause) => Err(ConfigError::Read {
            path: path.display().to_string(),
            cause,
        }),
    }
}

/// Replaces the file with `text` after checking that it parses.
pub(super) fn replace_file(path: &Path, text: &str) -> Result<(), ConfigError> {
    HubConfig::parse(text, &path.display().to_string())?;
    let tmp = path.with_extension("toml.tmp");
    // It holds token hashes: owner-only, like everything warroom writes. The rename
    // replaces the config, so it is 0600 from now on whatever it was.
    let _ = std::fs::remove_file(&tmp);
    crate::store::private::write(&tmp, text.as_bytes()).map_err(write_error(path))?;
    std::fs::rename(&tmp, path).map_err(write_error(path))
}

fn created_line(created: &str) -> String {
    format!("created = \"{created}\"")
}

/// Appends a `[[responder]]` block to the config file (creating it and its directory),
/// keeping everything already there — comments included — untouched.
pub fn append_responder(
    path: &Path,
    name: &str,
    roles: &[Role],
    token_sha256: &str,
    created: &str,
) -> Result<(), ConfigError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::store::private::create_dir_all(dir).map_err(write_error(path))?;
    }
    let existing = read_existing(path)?;
    // Refuse to append to a file that does not parse: the result would not either.
    HubConfig::parse(&existing, &path.display().to_string())?;
    let roles: Vec<String> = roles.iter().map(|r| format!("\"{}\"", r.id())).collect();
    let name_toml = toml::Value::String(name.to_string()).to_string();
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&format!(
        "[[responder]]\nname = {name_toml}\nroles = [{}]\ntoken_sha256 = \"{token_sha256}\"\n{}\n",
        roles.join(", "),
        created_line(created)
    ));
    replace_file(path, &text)
}

/// The file's text as lines, and whether it ended with a newline.
pub(super) fn split(text: &str) -> (Vec<&str>, bool) {
    (text.lines().collect(), text.ends_with('\n'))
}

pub(super) fn join(lines: &[String], trailing_newline: bool) -> String {
    let mut text = lines.join("\n");
    if trailing_newline && !text.is_empty() {
        text.push('\n');
    }
    text
}

pub(super) fn no_such(path: &Path, name: &str) -> ConfigError {
    ConfigError::Semantic {
        path: path.display().to_string(),
        message: format!("no responder named `{name}` (warroom token list shows them)"),
    }
}

/// Removes every `[[responder]]` block named `name`; how many there were.
pub fn remove_responders(path: &Path, name: &str) -> Result<usize, ConfigError> {
    let text = read_existing(path)?;
    HubConfig::parse(&text, &path.display().to_string())?;
    let (lines, trailing) = split(&text);
    let doomed: Vec<Range<usize>> = blocks(&lines)
        .into_iter()
        .filter(|b| b.name == name)
        .map(|b| {
            // The blank line `token new` put before the block goes with it.
            let start = if b.lines.start > 0 && lines[b.lines.start - 1].trim().is_empty() {
                b.lines.start - 1
            } else {
                b.lines.start
            };
            start..b.lines.end
        })
        .collect();
    if doomed.is_empty() {
        return Err(no_such(path, name));
    }
    let kept: Vec<String> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| !doomed.iter().any(|r| r.contains(i)))
        .map(|(_, l)| (*l).to_string())
        .collect();
    replace_file(path, &join(&kept, trailing))?;
    Ok(doomed.len())
}

/// Gives the one responder named `name` a new token hash, and `created` the date.
pub fn rotate_responder(
    path: &Path,
    name: &str,
    token_sha256: &str,
    created: &str,
) -> Result<(), ConfigError> {
    let text = read_existing(path)?;
    HubConfig::parse(&text, &path.display().to_string())?;
    let (lines, trailing) = split(&text);
    let found: Vec<Block> = blocks(&lines)
        .into_iter()
        .filter(|b| b.name == name)
        .collect();
    let block = match found.as_slice() {
        [] => return Err(no_such(path, name)),
        [one] => one,
        _ => {
            return Err(ConfigError::Semantic {
                path: path.display().to_string(),
                message: format!(
                    "`{name}` has {} tokens: revoke them (warroom token revoke {name}) and make one (warroom token new)",
                    found.len()
                ),
            });
        }
    };
    let key_of = |line: &str| {
        line.split_once('=')
            .map(|(key, _)| key.trim().to_string())
            .unwrap_or_default()
    };
    let mut edited: Vec<String> = lines.iter().map(|l| (*l).to_string()).collect();
    let mut hash_at = None;
    let mut created_at = None;
    for i in block.lines.clone() {
        match key_of(lines[i]).as_str() {
            "token_sha256" => hash_at = Some(i),
            "created" => created_at = Some(i),
            _ => {}
        }
    }
    let Some(hash_at) = hash_at else {
        return Err(ConfigError::Semantic {
            path: path.display().to_string(),
            message: format!("the block of `{name}` has no token_sha256 line to replace"),
        });
    };
    edited[hash_at] = format!("token_sha256 = \"{token_sha256}\"");
    match created_at {
        Some(at) => edited[at] = created_line(created),
        None => edited.insert(hash_at + 1, created_line(created)),
    }
    replace_file(path, &join(&edited, trailing))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("warroom.toml");
        std::fs::write(&path, "# my hub\nlisten = \"127.0.0.1:7420\"\n").unwrap();
        append_responder(
            &path,
            "alice",
            &[Role::Commander],
            A,
            "2026-01-01T00:00:00Z",
        )
        .unwrap();
        append_responder(&path, "bob", &[Role::Ops], B, "2026-01-02T00:00:00Z").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            format!("{text}# the comms lead\n[connections]\nmax_connections = 9\n"),
        )
        .unwrap();
        (dir, path)
    }

    #[test]
    fn revoke_removes_only_that_block_and_keeps_the_rest_byte_for_byte() {
        let (_dir, path) = setup();
        assert_eq!(remove_responders(&path, "alice").unwrap(), 1);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("alice") && !text.contains(A), "{text}");
        assert!(
            text.starts_with(
                "# my hub\nlisten = \"127.0.0.1:7420\"\n\n[[responder]]\nname = \"bob\""
            ),
            "{text}"
        );
        assert!(
            text.ends_with("# the comms lead\n[connections]\nmax_connections = 9\n"),
            "{text}"
        );
        let config = HubConfig::parse(&text, "w.toml").unwrap();
        assert_eq!(config.responders.len(), 1);
        assert_eq!(config.connections.max_connections, 9);
        let err = remove_responders(&path, "alice").unwrap_err().to_string();
        assert!(err.contains("no responder named `alice`"), "{err}");
    }

    #[test]
    fn rotate_replaces_the_hash_and_the_date_only() {
        let (_dir, path) = setup();
        rotate_responder(&path, "bob", C, "2026-03-03T00:00:00Z").unwrap();
        let config = HubConfig::load(&path).unwrap();
        let bob = config.responders.iter().find(|r| r.name == "bob").unwrap();
        assert_eq!(bob.token_sha256, C);
        assert_eq!(bob.created.as_deref(), Some("2026-03-03T00:00:00Z"));
        assert_eq!(bob.roles, vec![Role::Ops]);
        let alice = config
            .responders
            .iter()
            .find(|r| r.name == "alice")
            .unwrap();
        assert_eq!(alice.token_sha256, A);
        // A block written by hand, without `created`, gets one.
        std::fs::write(
            &path,
            format!("[[responder]]\nname = \"eve\"\nroles = [\"ops\"]\ntoken_sha256 = \"{A}\"\n"),
        )
        .unwrap();
        rotate_responder(&path, "eve", B, "2026-04-04T00:00:00Z").unwrap();
        let eve = &HubConfig::load(&path).unwrap().responders[0];
        assert_eq!(
            (eve.token_sha256.as_str(), eve.created.as_deref()),
            (B, Some("2026-04-04T00:00:00Z"))
        );
        // Two tokens under one name: which to rotate is ambiguous.
        append_responder(&path, "eve", &[Role::Ops], C, "2026-04-04T00:00:00Z").unwrap();
        let err = rotate_responder(&path, "eve", A, "2026-05-05T00:00:00Z")
            .unwrap_err()
            .to_string();
        assert!(err.contains("has 2 tokens"), "{err}");
        assert_eq!(remove_responders(&path, "eve").unwrap(), 2);
    }
}
