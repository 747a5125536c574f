//! The SSH door with the real binary and the real OpenSSH client: `serve --ssh
//! 127.0.0.1:0` prints where it listens and its host key's fingerprint; a responder's
//! key (added by `token new --ssh-key`) runs commands (`declare`, `note`, `export`) and
//! opens the console in tmux, where a typed note reaches a WebSocket subscriber within
//! a second, a window resize resizes it and `q` leaves; an unknown key is refused;
//! `token revoke` + SIGHUP closes a live console with a message; a malformed `ssh_keys`
//! entry stops `serve` with one line naming file:line.

mod tls_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tls_support::{Hub, LIMIT, Room, path_str};
use warroom::net::HubClient;
use warroom::protocol::HubFrame;

/// A fresh ed25519 key pair in the room: the private key's path.
fn keygen(room: &Room, name: &str) -> PathBuf {
    let path = room.path(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&path)
        .stdin(Stdio::null())
        .status()
        .expect("ssh-keygen runs (openssh-client is installed by .ci/run)");
    assert!(status.success());
    path
}

/// The door's port and the fingerprint it printed.
fn door(hub: &Hub) -> (u16, String) {
    let line = hub
        .line_with("SSH door listening on ssh://", LIMIT)
        .expect("the hub says where the SSH door listens");
    let port = line
        .split("ssh://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("a port in: {line}"));
    let fingerprint = line
        .split("fingerprint is ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("a fingerprint in: {line}"))
        .to_string();
    (port, fingerprint)
}

/// The ssh command line for `key` on `port` (no known-hosts file, no prompts).
fn ssh_args(key: &Path, port: u16) -> Vec<String> {
    [
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "BatchMode=yes",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "ConnectTimeout=10",
        "-i",
        path_str(key),
        "-p",
        &port.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// `ssh … WORDS` to completion (bounded by `timeout`).
fn ssh(key: &Path, port: u16, words: &[&str]) -> Out {
    let output = Command::new("timeout")
        .arg("30")
        .arg("ssh")
        .args(ssh_args(key, port))
        .arg("127.0.0.1")
        .args(words)
        .stdin(Stdio::null())
        .output()
        .expect("ssh runs");
    Out {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A tmux server of its own running `ssh -t` in one window; killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(room: &Room, command: &str, width: u16, height: u16) -> Tmux {
        let conf = room.path("tmux.conf");
        std::fs::write(
            &conf,
            format!("set -g status off\nset -g remain-on-exit on\nset -g default-size {width}x{height}\n"),
        )
        .unwrap();
        let socket = format!("warroom-ssh-{}-{}", std::process::id(), width);
        let tmux = Tmux { socket };
        let (w, h) = (width.to_string(), height.to_string());
        // After ssh ends the window says how, so the test can see it left cleanly.
        let shell = format!("{command}; echo SSH-ENDED-$?; sleep 60");
        tmux.run(&[
            "-f",
            path_str(&conf),
            "new-session",
            "-d",
            "-x",
            &w,
            "-y",
            &h,
            "-s",
            "door",
            &shell,
        ]);
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "door"])
    }

    /// Polls the screen until `ok` holds, at most `LIMIT`.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + LIMIT;
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{what} within {LIMIT:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "door"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn text(&self, text: &str) {
        self.run(&["send-keys", "-t", "door", "-l", text]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// A room with alice (commander) whose SSH key is `alice`, and a hub with the door.
fn hub_with_door() -> (Room, PathBuf, String, Hub, u16) {
    let room = Room::new();
    room.write_config("");
    let key = keygen(&room, "alice");
    let public = format!("{}.pub", path_str(&key));
    let config = room.config();
    let token = room.ok(&[
        "token",
        "new",
        "--name",
        "alice",
        "--role",
        "commander",
        "--ssh-key",
        &public,
        "--config",
        path_str(&config),
    ]);
    let hub = room.serve_with("127.0.0.1:0", &["--ssh", "127.0.0.1:0"]);
    let (port, fingerprint) = door(&hub);
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    (room, key, token.trim().to_string(), hub, port)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn commands_over_ssh_run_as_the_responder_and_strangers_are_refused() {
    let (room, key, _token, _hub, port) = hub_with_door();
    let host_key = room.data().join("ssh_host_ed25519_key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&host_key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the host key is owner-only");
    }
    let declared = ssh(
        &key,
        port,
        &[
            "declare",
            "--title",
            "'Checkout down'",
            "--severity",
            "SEV2",
        ],
    );
    assert_eq!(declared.code, Some(0), "{}", declared.stderr);
    let id = declared.stdout.trim().to_string();
    assert!(id.starts_with("INC-"), "{}", declared.stdout);
    // ssh joins its words with spaces: the note's text is the rest of the line.
    let noted = ssh(&key, port, &["note", &id, "rolled back the canary"]);
    assert_eq!(noted.code, Some(0), "{}", noted.stderr);
    let apostrophe = ssh(&key, port, &["note", &id, "it's the canary"]);
    assert_eq!(apostrophe.code, Some(0), "{}", apostrophe.stderr);
    let export = ssh(&key, port, &["export", &id, "--format", "json"]);
    assert_eq!(export.code, Some(0), "{}", export.stderr);
    assert!(
        export.stdout.contains("rolled back the canary"),
        "{}",
        export.stdout
    );
    assert!(
        export.stdout.contains("\"alice\""),
        "recorded as alice: {}",
        export.stdout
    );
    // What runs on the hub's host only is refused, with the exit status of a usage error.
    let refused = ssh(&key, port, &["token", "list"]);
    assert_eq!(refused.code, Some(2), "{}", refused.stdout);
    assert!(refused.stderr.contains("over SSH"), "{}", refused.stderr);
    // A key no responder holds gets nowhere, and no password is asked for.
    let stranger = keygen(&room, "mallory");
    let out = ssh(&stranger, port, &["list"]);
    assert_eq!(out.code, Some(255), "{}", out.stdout);
    assert!(
        out.stderr.contains("Permission denied (publickey)"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn the_console_over_ssh_types_notes_resizes_and_quits() {
    let (room, key, token, hub, port) = hub_with_door();
    let declared = ssh(
        &key,
        port,
        &[
            "declare",
            "--title",
            "'Checkout down'",
            "--severity",
            "SEV2",
        ],
    );
    let id = declared.stdout.trim().to_string();
    assert!(id.starts_with("INC-"), "{}", declared.stderr);
    let command = format!("ssh -t {} 127.0.0.1 {id}", ssh_args(&key, port).join(" "));
    let tmux = Tmux::start(&room, &command, 100, 30);
    tmux.wait_for("the incident's console", |s| {
        s.contains("Checkout down") && s.contains("you: alice")
    });

    // A subscriber on the same hub sees the note typed over SSH within a second.
    let runtime = runtime();
    let mut watcher = runtime.block_on(async {
        tokio::time::timeout(
            LIMIT,
            HubClient::connect(&hub.url(), &token, Some(&id), u64::MAX),
        )
        .await
        .expect("connects in time")
        .expect("connects")
    });
    tmux.keys(&["n"]);
    tmux.text("typed through the door");
    let sent = Instant::now();
    tmux.keys(&["Enter"]);
    let seen = runtime.block_on(async {
        tokio::time::timeout(LIMIT, async {
            loop {
                match watcher.next().await {
                    Ok(HubFrame::Event { event, .. }) => {
                        let json = serde_json::to_string(&event).unwrap();
                        if json.contains("typed through the door") {
                            return sent.elapsed();
                        }
                    }
                    Ok(_) => {}
                    Err(error) => panic!("the subscriber lost the hub: {error}"),
                }
            }
        })
        .await
        .expect("the note reached the subscriber")
    });
    assert!(seen < Duration::from_secs(1), "took {seen:?}");

    // The window shrinks; the console redraws to the new width.
    tmux.run(&["resize-window", "-t", "door", "-x", "72", "-y", "24"]);
    tmux.wait_for("the console at 72 columns", |s| {
        s.lines()
            .any(|l| l.starts_with('┗') && l.chars().count() == 72)
    });

    // Leave the composer, quit: ssh ends with status 0 and the screen is given back.
    tmux.keys(&["Escape"]);
    tmux.wait_for("the composer closed", |s| s.contains("n note"));
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("ssh ended", |s| s.contains("SSH-ENDED-"));
    assert!(screen.contains("SSH-ENDED-0"), "{screen}");
    assert!(
        !screen.contains("Timeline"),
        "left the alternate screen:\n{screen}"
    );
}

#[test]
fn revoking_a_responder_closes_their_live_ssh_console() {
    let (room, key, _token, hub, port) = hub_with_door();
    let command = format!("ssh -t {} 127.0.0.1", ssh_args(&key, port).join(" "));
    let tmux = Tmux::start(&room, &command, 90, 24);
    tmux.wait_for("the lobby", |s| s.contains("you: alice"));
    let config = room.config();
    room.ok(&["token", "revoke", "alice", "--config", path_str(&config)]);
    hub.signal_hangup();
    let revoked = Instant::now();
    let screen = tmux.wait_for("the session closed with a reason", |s| {
        s.contains("SSH-ENDED-")
    });
    assert!(screen.contains("revoked"), "{screen}");
    assert!(
        revoked.elapsed() < Duration::from_secs(2),
        "closed after {:?}",
        revoked.elapsed()
    );
    // And the key no longer opens the door.
    let out = ssh(&key, port, &["list"]);
    assert_eq!(out.code, Some(255), "{}", out.stdout);
}

#[test]
fn a_malformed_ssh_key_stops_serve_with_its_file_and_line() {
    let room = Room::new();
    room.token("alice", "ops");
    let config = room.config();
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("ssh_keys = [\"ssh-ed25519 not-base64!\"]\n");
    std::fs::write(&config, &text).unwrap();
    let line = text.lines().position(|l| l.contains("not-base64")).unwrap() + 1;
    let run = room.run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--ssh",
        "127.0.0.1:0",
        "--config",
        path_str(&config),
    ]);
    assert_ne!(run.code, Some(0));
    let said = tls_support::one_line(&run.stderr);
    assert!(
        said.contains(&format!("{}:{line}:", config.display()))
            && said.contains("ssh_keys of `alice`"),
        "{said}"
    );
}
