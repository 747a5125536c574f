//! The real `warroom` binary for the TLS and token-lifecycle tests: a temporary room
//! with a clean environment, commands run to completion, and `warroom serve` as a child
//! process whose address (and scheme) is read from the line it prints at start.

#![allow(dead_code)] // each test file uses its own part

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_warroom");
pub const LIMIT: Duration = Duration::from_secs(10);

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// The only line of `stderr`, asserting there is exactly one.
pub fn one_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got: {stderr}");
    lines[0]
}

pub struct Room {
    dir: tempfile::TempDir,
}

/// Forwards a child's output, line by line, until it closes.
fn lines(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

impl Room {
    pub fn new() -> Room {
        let room = Room {
            dir: tempfile::tempdir().expect("a temporary directory"),
        };
        std::fs::create_dir_all(room.path("empty-catalog")).expect("a catalog dir");
        room
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.dir.path().to_path_buf()
        } else {
            self.dir.path().join(rel)
        }
    }

    pub fn config(&self) -> PathBuf {
        self.path("warroom.toml")
    }

    pub fn data(&self) -> PathBuf {
        self.path("data")
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config(), text).expect("config written");
    }

    /// `warroom` with a clean environment, `$WARROOM_DATA` here and an empty catalog.
    pub fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("WARROOM_") {
                command.env_remove(key);
            }
        }
        command
            .env("WARROOM_CATALOG", self.path("empty-catalog"))
            .env("WARROOM_DATA", self.data())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[], &[])
    }

    /// Runs to completion (at most 30 s) with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)], more: &[(&str, &str)]) -> Run {
        let mut command = self.command();
        command.args(args);
        for (key, value) in env.iter().chain(more) {
            command.env(key, value);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let collect = |pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || lines(pipe).iter().map(|l| l + "\n").collect::<String>())
        };
        let stdout = collect(Box::new(child.stdout.take().expect("stdout")));
        let stderr = collect(Box::new(child.stderr.take().expect("stderr")));
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("`warroom {}` ran for over 30 s", args.join(" "));
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Run {
            code: status.code(),
            stdout: stdout.join().expect("stdout"),
            stderr: stderr.join().expect("stderr"),
        }
    }

    /// Runs, asserts exit 0, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(
            run.code,
            Some(0),
            "`warroom {}` failed:\n{}",
            args.join(" "),
            run.stderr
        );
        run.stdout
    }

    /// `warroom token new` into this room's config: the token it prints once.
    pub fn token(&self, name: &str, role: &str) -> String {
        let config = self.config();
        let token = self.ok(&[
            "token",
            "new",
            "--name",
            name,
            "--role",
            role,
            "--config",
            config.to_str().expect("a UTF-8 path"),
        ]);
        let token = token.trim().to_string();
        assert!(token.starts_with("wrt_"), "{token}");
        token
    }

    /// `warroom serve --listen 127.0.0.1:0` with this room's config.
    pub fn serve(&self) -> Hub {
        self.serve_on("127.0.0.1:0")
    }

    pub fn serve_on(&self, listen: &str) -> Hub {
        self.serve_with(listen, &[])
    }

    /// `serve` on `listen` with more arguments (`--ssh ADDR`, say).
    pub fn serve_with(&self, listen: &str, more: &[&str]) -> Hub {
        let mut command = self.command();
        command
            .args(["serve", "--listen", listen, "--config"])
            .arg(self.config())
            .args(more)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the hub starts");
        let stderr = lines(child.stderr.take().expect("stderr"));
        let mut banner = Vec::new();
        let deadline = Instant::now() + LIMIT;
        while let Ok(line) = stderr.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            banner.push(line.clone());
            for scheme in ["https", "http"] {
                if let Some(rest) = line.split(&format!("listening on {scheme}://")).nth(1) {
                    let addr = rest.split_whitespace().next().and_then(|a| a.parse().ok());
                    return Hub {
                        child,
                        lines: stderr,
                        addr: addr.expect("an address after `listening on`"),
                        scheme,
                        banner,
                    };
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the hub did not say where it listens within {LIMIT:?}: {banner:?}");
    }
}

/// A running hub, killed when dropped.
pub struct Hub {
    pub child: Child,
    pub lines: mpsc::Receiver<String>,
    pub addr: SocketAddr,
    pub scheme: &'static str,
    /// What it printed up to the `listening on` line.
    pub banner: Vec<String>,
}

impl Hub {
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The next line it prints containing `needle`, within `limit`.
    pub fn line_with(&self, needle: &str, limit: Duration) -> Option<String> {
        let deadline = Instant::now() + limit;
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if line.contains(needle) {
                return Some(line);
            }
        }
        None
    }

    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    pub fn signal_hangup(&self) {
        let status = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}
