//! Token lifecycle with the real binary: `token list` shows names, roles and dates but
//! never a token or its hash; `token revoke` with SIGHUP, and separately a config edit
//! with no signal, closes a live WebSocket session with close code 4003 and the
//! revoked token cannot connect again; `token rotate` makes the old token fail and the
//! new one work; a reload of a broken config keeps the responders in force.

mod tls_support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tls_support::{Hub, LIMIT, Room, path_str};
use warroom::net::{HubClient, NetError};
use warroom::protocol::CloseReason;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// A live WebSocket session as `token` on `hub`.
async fn session(hub: &Hub, token: &str) -> HubClient {
    let url = hub.url();
    let connecting = HubClient::connect(&url, token, None, 0);
    tokio::time::timeout(LIMIT, connecting)
        .await
        .expect("connects in time")
        .expect("connects")
}

/// Waits for the hub to close `client`; the close and how long it took.
async fn closed(mut client: HubClient) -> (Option<CloseReason>, String, Duration) {
    let started = Instant::now();
    let ended = tokio::time::timeout(LIMIT, async {
        loop {
            match client.next().await {
                Ok(_) => continue,
                Err(error) => return error,
            }
        }
    })
    .await
    .expect("the hub closed the session in time");
    match ended {
        NetError::Closed { reason, message } => (reason, message, started.elapsed()),
        other => panic!("not a close: {other}"),
    }
}

fn list_as(room: &Room, hub: &Hub, token: &str) -> tls_support::Run {
    room.run_env(
        &["list", "--hub", &hub.url()],
        &[("WARROOM_TOKEN", token)],
        &[],
    )
}

/// The config's line holding `needle` rewritten to `with` in place — same inode, same
/// length, same modification time — so only a signal can make the hub notice.
fn edit_unnoticed(path: &Path, needle: &str, with: &str) {
    assert_eq!(needle.len(), with.len());
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(needle));
    std::fs::write(path, text.replace(needle, with)).unwrap();
    let since = modified.duration_since(std::time::UNIX_EPOCH).unwrap();
    let stamp = format!("@{}.{:09}", since.as_secs(), since.subsec_nanos());
    let status = Command::new("touch")
        .args(["-m", "-d", &stamp])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::metadata(path).unwrap().modified().unwrap(),
        modified
    );
}

#[test]
fn token_list_shows_names_roles_and_dates_never_a_secret() {
    let room = Room::new();
    room.write_config("");
    let alice = room.token("alice", "commander");
    let bob = room.token("bob", "ops");
    let config = std::fs::read_to_string(room.config()).unwrap();
    let hashes: Vec<&str> = config
        .lines()
        .filter_map(|l| l.strip_prefix("token_sha256 = \""))
        .map(|l| l.trim_end_matches('"'))
        .collect();
    assert_eq!(hashes.len(), 2);
    let config_path = room.config();
    let list = || room.ok(&["token", "list", "--config", path_str(&config_path)]);
    let before = list();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    for secret in [alice.as_str(), bob.as_str(), hashes[0], hashes[1], "wrt_"] {
        assert!(!before.contains(secret), "a secret in the list:\n{before}");
    }
    let alice_line = before
        .lines()
        .find(|l| l.starts_with("alice"))
        .expect("alice listed");
    assert!(
        alice_line.contains("commander") && alice_line.contains(&today),
        "{alice_line}"
    );
    assert!(alice_line.ends_with("never"), "{alice_line}");
    // Once the hub has seen alice, the list says when (written at the first sighting).
    let hub = room.serve();
    assert_eq!(list_as(&room, &hub, &alice).code, Some(0));
    let json = room.ok(&[
        "token",
        "list",
        "--json",
        "--config",
        path_str(&config_path),
    ]);
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    let seen = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()["last_seen"]
            .clone()
    };
    assert!(
        seen("alice")
            .as_str()
            .is_some_and(|d| d.starts_with(&today)),
        "{json}"
    );
    assert!(seen("bob").is_null(), "{json}");
    for secret in [alice.as_str(), bob.as_str(), hashes[0], hashes[1]] {
        assert!(!json.contains(secret), "a secret in the JSON:\n{json}");
    }
    assert!(
        room.data().join("responders-seen.json").exists(),
        "kept in the data directory"
    );
}

#[test]
fn revoke_with_sighup_closes_a_live_session_within_a_second_with_4003() {
    let room = Room::new();
    room.write_config("");
    let alice = room.token("alice", "commander");
    let bob = room.token("bob", "ops");
    let hub = room.serve();
    runtime().block_on(async {
        let live = session(&hub, &alice).await;
        let bystander = session(&hub, &bob).await;
        // Revoke alice without the file's stamp changing: only the signal tells the hub.
        let config = std::fs::read_to_string(room.config()).unwrap();
        let hash = config
            .lines()
            .find_map(|l| l.strip_prefix("token_sha256 = \""))
            .map(|l| l.trim_end_matches('"').to_string())
            .unwrap();
        edit_unnoticed(&room.config(), &hash, &"0".repeat(64));
        hub.signal_hangup();
        let (reason, message, took) = closed(live).await;
        assert_eq!(reason, Some(CloseReason::Revoked));
        assert_eq!(CloseReason::Revoked.code(), 4003);
        assert!(message.contains("revoked"), "{message}");
        assert!(took < Duration::from_secs(1), "closed after {took:?}");
        assert!(
            hub.line_with("(SIGHUP)", LIMIT).is_some(),
            "the hub said it reloaded"
        );
        // Bob's session is untouched: still answering.
        let mut bystander = bystander;
        let listed = tokio::time::timeout(LIMIT, bystander.list())
            .await
            .expect("in time");
        assert!(listed.is_ok(), "{listed:?}");
        // The revoked token cannot connect again.
        let again = HubClient::connect(&hub.url(), &alice, None, 0).await;
        assert!(
            matches!(
                again,
                Err(NetError::Closed {
                    reason: Some(CloseReason::Unauthorized),
                    ..
                })
            ),
            "{:?}",
            again.err()
        );
    });
}

#[test]
fn token_revoke_alone_closes_the_session_when_the_file_changes() {
    let room = Room::new();
    room.write_config("");
    let alice = room.token("alice", "commander");
    room.token("bob", "ops");
    let hub = room.serve();
    runtime().block_on(async {
        let live = session(&hub, &alice).await;
        let config = room.config();
        let revoked = room.run(&["token", "revoke", "alice", "--config", path_str(&config)]);
        assert_eq!(revoked.code, Some(0), "{}", revoked.stderr);
        let changed = Instant::now();
        let (reason, message, _) = closed(live).await;
        assert_eq!(reason, Some(CloseReason::Revoked), "{message}");
        // Noticed by the once-a-second look at the file, then closed at once.
        let took = changed.elapsed();
        assert!(took < Duration::from_millis(2500), "closed after {took:?}");
        assert!(hub.line_with("(the file changed)", LIMIT).is_some());
    });
    let refused = list_as(&room, &hub, &alice);
    assert_eq!(refused.code, Some(1));
    assert!(
        refused.stderr.contains("invalid token"),
        "{}",
        refused.stderr
    );
    let listed = room.ok(&["token", "list", "--config", path_str(&room.config())]);
    assert!(
        !listed.contains("alice") && listed.contains("bob"),
        "{listed}"
    );
    let again = room.run(&[
        "token",
        "revoke",
        "alice",
        "--config",
        path_str(&room.config()),
    ]);
    assert_eq!(again.code, Some(1));
    assert!(
        again.stderr.contains("no responder named `alice`"),
        "{}",
        again.stderr
    );
}

#[test]
fn rotate_makes_the_old_token_fail_and_the_new_one_work() {
    let room = Room::new();
    room.write_config("");
    let old = room.token("alice", "commander");
    let hub = room.serve();
    let runtime = runtime();
    let live = runtime.block_on(session(&hub, &old));
    let config = room.config();
    let new = room.ok(&["token", "rotate", "alice", "--config", path_str(&config)]);
    let new = new.trim().to_string();
    assert!(new.starts_with("wrt_") && new != old, "{new}");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(!text.contains(&new), "only the hash is stored");
    runtime.block_on(async {
        let (reason, _, _) = closed(live).await;
        assert_eq!(reason, Some(CloseReason::Revoked));
    });
    let refused = list_as(&room, &hub, &old);
    assert_eq!(refused.code, Some(1), "the old token fails");
    assert!(
        refused.stderr.contains("invalid token"),
        "{}",
        refused.stderr
    );
    let works = list_as(&room, &hub, &new);
    assert_eq!(works.code, Some(0), "the new token works: {}", works.stderr);
}

#[test]
fn a_broken_config_on_reload_keeps_the_responders_in_force() {
    let room = Room::new();
    room.write_config("");
    let alice = room.token("alice", "commander");
    let mut hub = room.serve();
    let text = std::fs::read_to_string(room.config()).unwrap();
    // Replaced whole (written beside, then renamed): a write in place passes through an
    // empty file, which the hub's poll may catch and rightly load as no responders.
    let broken = room.path("broken.toml");
    std::fs::write(
        &broken,
        format!("{text}\n[[responder]]\nname = \"eve\"\nroles = [\"king\"]\n"),
    )
    .unwrap();
    std::fs::rename(&broken, room.config()).unwrap();
    let refused = hub
        .line_with("reload refused", LIMIT)
        .expect("the hub says why");
    let config = room.config().display().to_string();
    assert!(
        refused.contains(&format!("{config}:"))
            && refused.contains("king")
            && refused.contains("kept"),
        "{refused}"
    );
    let works = list_as(&room, &hub, &alice);
    assert_eq!(works.code, Some(0), "{}", works.stderr);
    assert!(hub.alive());
    // A fixed file is picked up again.
    std::fs::write(&broken, &text).unwrap();
    std::fs::rename(&broken, room.config()).unwrap();
    assert!(hub.line_with("reloaded 1 responder", LIMIT).is_some());
}
