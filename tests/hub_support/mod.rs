//! The real hub for tests: `warroom serve` as a child process on 127.0.0.1 port 0 with
//! a config written by `warroom token new`, nothing from the caller's environment, and
//! one-shot HTTP/1.1 requests to it. The hub is killed when dropped.
#![allow(dead_code)] // each test file uses part of it

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const BIN: &str = env!("CARGO_BIN_EXE_warroom");
/// How long any one step may take before the test fails (it never waits longer).
pub const LIMIT: Duration = Duration::from_secs(15);

/// `warroom` with no `WARROOM_*` from the user, data in DIR/data, the embedded catalog
/// (an empty override directory) and `env` added to its environment.
pub fn warroom(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("WARROOM_") {
            command.env_remove(key);
        }
    }
    let catalog = dir.join("empty-catalog");
    std::fs::create_dir_all(&catalog).expect("an empty catalog dir");
    command
        .env("WARROOM_CATALOG", catalog)
        .env("WARROOM_DATA", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("config-home"))
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// The config file tokens are written to and the hub serves.
pub fn config_path(dir: &Path) -> PathBuf {
    dir.join("warroom.toml")
}

/// `warroom token new`: the token it prints once.
pub fn token(dir: &Path, name: &str, role: &str) -> String {
    let output = warroom(dir, &[])
        .args(["token", "new", "--name", name, "--role", role, "--config"])
        .arg(config_path(dir))
        .output()
        .expect("token new runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .trim()
        .to_string()
}

/// The hub child process, killed when dropped.
pub struct Hub {
    child: Child,
    pub addr: SocketAddr,
    dir: PathBuf,
    env: Vec<(String, String)>,
    /// What the hub wrote on stderr (its log), line by line.
    said: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Hub {
    /// `http://ADDR`, for `--hub`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `warroom ARGS --hub URL --token TOKEN`: exit code, stdout, stderr.
    pub fn run(&self, token: &str, args: &[&str]) -> (Option<i32>, String, String) {
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let out = warroom(&self.dir, &env)
            .args(args)
            .args(["--hub", &self.url(), "--token", token])
            .output()
            .expect("warroom runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// SIGTERM, a clean exit awaited (bounded): what the hub wrote on stderr.
    pub fn stop(mut self) -> Vec<String> {
        let pid = i32::try_from(self.child.id()).expect("a pid");
        // SAFETY: signals our own child, which is not reaped yet.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "the hub stopped with {status}");
                break;
            }
            assert!(Instant::now() < deadline, "the hub did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
        self.said
            .lock()
            .map(|said| said.clone())
            .unwrap_or_default()
    }

    /// [`Hub::run`] that must succeed: its stdout.
    pub fn ok(&self, token: &str, args: &[&str]) -> String {
        let (code, out, err) = self.run(token, args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        out
    }
}

/// Appends `extra` to the config the tokens were written to.
pub fn append_config(dir: &Path, extra: &str) {
    let config = config_path(dir);
    let mut text = std::fs::read_to_string(&config).unwrap_or_default();
    text.push_str(extra);
    std::fs::write(&config, text).expect("config written");
}

/// Appends `extra` to the config the tokens were written to and serves it, with `env`
/// in the hub's environment (secrets).
pub fn serve(dir: &Path, extra: &str, env: &[(&str, &str)]) -> Hub {
    append_config(dir, extra);
    serve_at(dir, "127.0.0.1:0", env)
}

/// A runtime for a test that drives clients from a plain `#[test]`.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// A client of the hub at `addr` with `token`, connected within [`LIMIT`].
pub async fn connect(addr: SocketAddr, token: &str) -> warroom::net::HubClient {
    let url = format!("http://{addr}");
    let connecting = warroom::net::HubClient::connect(&url, token, None, 0);
    within("connect", connecting).await.expect("connects")
}

/// Serves the config as it is, listening on `listen`.
pub fn serve_at(dir: &Path, listen: &str, env: &[(&str, &str)]) -> Hub {
    let config = config_path(dir);
    let mut child = warroom(dir, env)
        .args(["serve", "--listen", listen, "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the hub starts");
    let stderr = child.stderr.take().expect("stderr");
    // Owned (killed on drop) before anything can panic.
    let mut hub = Hub {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        dir: dir.to_path_buf(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        said: Default::default(),
    };
    let (tx, rx) = mpsc::channel();
    let kept = hub.said.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(mut said) = kept.lock() {
                said.push(line.clone());
            }
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + LIMIT;
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let addr = rest.split_whitespace().next().and_then(|a| a.parse().ok());
            hub.addr = addr.expect("an address");
            return hub;
        }
    }
    panic!("the hub did not say where it listens");
}

/// `future`, or a failed test after [`LIMIT`].
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    let result = tokio::time::timeout(LIMIT, future).await;
    result.unwrap_or_else(|_| panic!("timed out after {LIMIT:?}: {what}"))
}

/// One HTTP/1.1 request (`Connection: close`); the status and the body as sent.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    {
        head.push_str("Content-Type: application/json\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let exchange = async {
        let mut socket = tokio::net::TcpStream::connect(addr).await?;
        socket.write_all(head.as_bytes()).await?;
        socket.write_all(body).await?;
        let mut response = Vec::new();
        socket.read_to_end(&mut response).await.map(|_| response)
    };
    let response = within("an HTTP response", exchange).await.expect("HTTP");
    let response = String::from_utf8(response).expect("UTF-8");
    let (head, body) = response.split_once("\r\n\r\n").expect("headers");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
    (status.expect("a status"), body.to_string())
}

/// The hub's `/metrics` text.
pub async fn metrics(addr: SocketAddr) -> String {
    let (status, text) = http(addr, "GET", "/metrics", &[], b"").await;
    assert_eq!(status, 200);
    text
}

/// The value of the series `name` (with its labels) in a `/metrics` text.
pub fn metric(text: &str, name: &str) -> Option<f64> {
    let value = |line: &str| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok();
    text.lines().find_map(value)
}
