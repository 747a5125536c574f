//! Who is connecting: bearer tokens checked against the SHA-256 hashes in the config, in
//! constant time; new tokens made from the OS's random source; and a per-address
//! throttle that slows down and counts repeated failures.

use super::config::ResponderEntry;
use crate::incident::{Actor, Command, RejectCode, Rejection, Role};
use russh::keys::ssh_key::public::KeyData;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// Tokens look like `wrt_` + 64 hex digits (256 random bits).
pub const TOKEN_PREFIX: &str = "wrt_";

/// Hex SHA-256 of a token.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new random token.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{TOKEN_PREFIX}{hex}"))
}

/// The responders a hub accepts.
#[derive(Debug, Clone, Default)]
pub struct Authenticator {
    entries: Vec<(Vec<u8>, Actor)>,
    /// The SSH public keys of the responders (`ssh_keys`), each with its actor.
    keys: Vec<(KeyData, Actor)>,
    /// Credentials the SSH door mints for its sessions' loopback connections. Shared
    /// across reloads (see [`Authenticator::keeping_sessions_of`]): each names the key
    /// that opened its SSH session, and it is honoured only while that key still names
    /// a responder, with that responder's roles now.
    ssh_sessions: SshSessions,
    /// Chat user ids (`slack_user`, `mattermost_user`), each with its actor: a slash
    /// command from that user acts as that responder (`hub::chat_in`).
    slack_users: Vec<(String, Actor)>,
    mattermost_users: Vec<(String, Actor)>,
}

/// The SSH door's session credentials: token hash → the key that logged in.
#[derive(Debug, Clone, Default)]
pub struct SshSessions(Arc<Mutex<HashMap<String, KeyData>>>);

impl SshSessions {
    /// A fresh credential for a session opened with `key`; it lasts until `forget`.
    pub fn mint(&self, key: &KeyData) -> Result<String, getrandom::Error> {
        let token = new_token()?;
        if let Ok(mut map) = self.0.lock() {
            map.insert(token_hash(&token), key.clone());
        }
        Ok(token)
    }

    pub fn forget(&self, token: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(&token_hash(token));
        }
    }

    fn key_of(&self, token: &str) -> Option<KeyData> {
        let map = self.0.lock().ok()?;
        map.get(&token_hash(token.trim())).cloned()
    }
}

impl Authenticator {
    pub fn new(responders: &[ResponderEntry]) -> Authenticator {
        let actor = |r: &ResponderEntry| Actor::new(r.name.clone(), r.roles.iter().copied());
        Authenticator {
            entries: responders
                .iter()
                .map(|r| (r.token_sha256.as_bytes().to_vec(), actor(r)))
                .collect(),
            // The config was checked when read: a key that does not parse is not there.
            keys: responders
                .iter()
                .flat_map(|r| {
                    r.ssh_keys.iter().filter_map(move |k| {
                        let key = super::config::parse_ssh_key(k).ok()?;
                        Some((key.key_data().clone(), actor(r)))
                    })
                })
                .collect(),
            ssh_sessions: SshSessions::default(),
            slack_users: chat_users(responders, |r| r.slack_user.as_deref()),
            mattermost_users: chat_users(responders, |r| r.mattermost_user.as_deref()),
        }
    }

    /// The responder whose `slack_user` is `user`, with that responder's roles.
    pub fn by_slack_user(&self, user: &str) -> Option<Actor> {
        find_chat_user(&self.slack_users, user)
    }

    /// The responder whose `mattermost_user` is `user`, with that responder's roles.
    pub fn by_mattermost_user(&self, user: &str) -> Option<Actor> {
        find_chat_user(&self.mattermost_users, user)
    }

    /// The same responders, honouring the SSH session credentials of `previous` (a
    /// reload keeps open SSH sessions that are still allowed).
    pub fn keeping_sessions_of(mut self, previous: &Authenticator) -> Authenticator {
        self.ssh_sessions = previous.ssh_sessions.clone();
        self
    }

    /// The SSH door's credentials table.
    pub fn ssh_sessions(&self) -> &SshSessions {
        &self.ssh_sessions
    }

    /// The responder whose `ssh_keys` holds `key`, with that responder's roles.
    pub fn by_key(&self, key: &KeyData) -> Option<Actor> {
        self.keys
            .iter()
            .find(|(known, _)| known == key)
            .map(|(_, actor)| actor.clone())
    }

    /// Adds a responder by token (the embedded hub uses this for its local user).
    pub fn with_token(
        mut self,
        token: &str,
        name: &str,
        roles: impl IntoIterator<Item = Role>,
    ) -> Authenticator {
        self.entries
            .push((token_hash(token).into_bytes(), Actor::new(name, roles)));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when `name` is a responder of this hub whose every token grants only
    /// observer. Such a person may never be seated: `decide` only sees the assignee's
    /// name, so the hub, which knows the tokens, refuses it before `decide` runs.
    pub fn is_observer_only(&self, name: &str) -> bool {
        let mut tokens = self
            .entries
            .iter()
            .filter(|(_, actor)| actor.name == name)
            .peekable();
        tokens.peek().is_some()
            && tokens.all(|(_, actor)| actor.roles.iter().all(|r| *r == Role::Observer))
    }

    /// Why this hub refuses `command` before deciding it, if it does: seating an
    /// observer (see [`Authenticator::is_observer_only`]).
    pub fn refuse(&self, command: &Command) -> Option<Rejection> {
        let Command::AssignRole { role, person } = command else {
            return None;
        };
        let person = person.trim();
        self.is_observer_only(person).then(|| {
            Rejection::new(
                RejectCode::Forbidden,
                format!(
                    "{person} is an observer on this hub and can never hold a seat: an observer may not be made {}",
                    role.title().to_lowercase()
                ),
            )
        })
    }

    /// The actor a token belongs to. Compares against every entry in constant time per
    /// entry, and does not stop at the first match, so timing says nothing about which.
    pub fn authenticate(&self, token: &str) -> Option<Actor> {
        let presented = token_hash(token.trim());
        let mut found = None;
        for (hash, actor) in &self.entries {
            if bool::from(hash.as_slice().ct_eq(presented.as_bytes())) && found.is_none() {
                found = Some(actor.clone());
            }
        }
        found.or_else(|| {
            let key = self.ssh_sessions.key_of(token)?;
            self.by_key(&key)
        })
    }
}

/// The chat user ids `id_of` names, each with its responder. An id two responders
/// claim names neither: acting as the wrong person is worse than not acting.
fn chat_users(
    responders: &[ResponderEntry],
    id_of: impl Fn(&ResponderEntry) -> Option<&str>,
) -> Vec<(String, Actor)> {
    let claimed: Vec<(String, Actor)> = responders
        .iter()
        .filter_map(|r| {
            let id = id_of(r)?.trim();
            (!id.is_empty()).then(|| {
                (
                    id.to_string(),
                    Actor::new(r.name.clone(), r.roles.iter().copied()),
                )
            })
        })
        .collect();
    let once = |id: &str| claimed.iter().filter(|(other, _)| other == id).count() == 1;
    claimed.iter().filter(|(id, _)| once(id)).cloned().collect()
}

fn find_chat_user(users: &[(String, Actor)], user: &str) -> Option<Actor> {
    let user = user.trim();
    if user.is_empty() {
        return None;
    }
    users
        .iter()
        .find(|(id, _)| id == user)
        .map(|(_, actor)| actor.clone())
}

/// Slows down addresses that keep presenting bad tokens: each recent failure adds a
/// second of delay before the refusal, up to five.
#[derive(Debug, Default)]
pub struct FailureThrottle {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

/// Failures older than this are forgotten.
const FAILURE_WINDOW: Duration = Duration::from_secs(300);
const MAX_DELAY_SECS: u32 = 5;

impl FailureThrottle {
    /// Records a failure from `ip` and returns how long to wait before answering.
    pub fn fail(&self, ip: IpAddr) -> Duration {
        let now = Instant::now();
        let Ok(mut map) = self.failures.lock() else {
            return Duration::from_secs(1);
        };
        map.retain(|_, (_, at)| now.duration_since(*at) < FAILURE_WINDOW);
        let entry = map.entry(ip).or_insert((0, now));
        entry.0 = entry.0.saturating_add(1);
        entry.1 = now;
        Duration::from_secs(u64::from(entry.0.min(MAX_DELAY_SECS)))
    }

    pub fn succeed(&self, ip: IpAddr) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_match() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        let entry = ResponderEntry {
            name: "alice".into(),
            roles: vec![Role::Commander],
            token_sha256: token_hash(&a),
            created: None,
            ssh_keys: Vec::new(),
            slack_user: None,
            mattermost_user: None,
        };
        let auth = Authenticator::new(&[entry]);
        assert_eq!(
            auth.authenticate(&a).map(|x| x.name),
            Some("alice".to_string())
        );
        assert!(auth.authenticate(&b).is_none());
        assert!(auth.authenticate("").is_none());
    }

    #[test]
    fn only_a_responder_with_nothing_but_observer_tokens_is_refused_a_seat() {
        let auth = Authenticator::default()
            .with_token("a", "olga", [Role::Observer])
            .with_token("b", "sam", [Role::Observer])
            .with_token("c", "sam", [Role::Ops])
            .with_token("d", "rita", [Role::Responder]);
        let seat = |person: &str| Command::AssignRole {
            role: Role::Security,
            person: person.into(),
        };
        let refused = auth.refuse(&seat(" olga ")).expect("refused");
        assert_eq!(refused.code, RejectCode::Forbidden);
        // Another token of the same name grants more; unknown names are not tokens'.
        for person in ["sam", "rita", "someone-without-a-token"] {
            assert!(auth.refuse(&seat(person)).is_none(), "{person}");
        }
        assert!(auth.refuse(&Command::Acknowledge).is_none());
    }

    #[test]
    fn chat_user_ids_name_their_responders_with_their_roles() {
        let entry = |name: &str, slack: Option<&str>, mattermost: Option<&str>| ResponderEntry {
            name: name.into(),
            roles: vec![Role::Ops],
            token_sha256: token_hash(name),
            created: None,
            ssh_keys: Vec::new(),
            slack_user: slack.map(str::to_string),
            mattermost_user: mattermost.map(str::to_string),
        };
        let auth = Authenticator::new(&[
            entry("alice", Some("U0ALICE"), None),
            entry("bob", None, Some("mm-bob")),
            entry("carol", Some(" "), None),
            entry("dan", Some("U0TWICE"), None),
            entry("erin", Some("U0TWICE"), None),
        ]);
        assert!(
            auth.by_slack_user("U0TWICE").is_none(),
            "claimed twice: neither"
        );
        let alice = auth.by_slack_user("U0ALICE").expect("alice");
        assert_eq!((alice.name.as_str(), alice.roles.len()), ("alice", 1));
        assert_eq!(
            auth.by_mattermost_user("mm-bob").map(|a| a.name),
            Some("bob".into())
        );
        assert!(
            auth.by_slack_user("mm-bob").is_none(),
            "one chat's ids are not the other's"
        );
        assert!(auth.by_mattermost_user("U0ALICE").is_none());
        assert!(auth.by_slack_user("").is_none() && auth.by_slack_user(" ").is_none());
    }

    #[test]
    fn repeated_failures_slow_down() {
        let throttle = FailureThrottle::default();
        let ip: IpAddr = [127, 0, 0, 9].into();
        assert_eq!(throttle.fail(ip), Duration::from_secs(1));
        assert_eq!(throttle.fail(ip), Duration::from_secs(2));
        for _ in 0..10 {
            throttle.fail(ip);
        }
        assert_eq!(throttle.fail(ip), Duration::from_secs(5));
        throttle.succeed(ip);
        assert_eq!(throttle.fail(ip), Duration::from_secs(1));
    }
}
