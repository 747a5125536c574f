//! A real `nats-server -js` for tests: on a free loopback port with its own store
//! directory, ready when it says so (a bounded wait), killed when dropped. Tests that
//! need one call [`NatsServer::start`] and skip, saying so, when `nats-server` is not
//! installed (`.ci/run` installs it). [`cluster::NatsCluster`] starts three of them as a
//! JetStream cluster.

#![allow(dead_code)]

pub mod cluster;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct NatsServer {
    child: Child,
    pub port: u16,
    /// The JetStream store directory, removed with the server.
    store: tempfile::TempDir,
    /// More arguments it was started with (TLS).
    extra: Vec<String>,
}

impl NatsServer {
    /// Starts a server, or `None` (after printing why) if `nats-server` is not on PATH.
    pub fn start() -> Option<NatsServer> {
        NatsServer::start_with(&[])
    }

    /// [`NatsServer::start`] speaking TLS only, with this certificate and key (PEM).
    pub fn start_tls(cert: &std::path::Path, key: &std::path::Path) -> Option<NatsServer> {
        let (cert, key) = (cert.display().to_string(), key.display().to_string());
        NatsServer::start_with(&["--tls", "--tlscert", &cert, "--tlskey", &key])
    }

    fn start_with(extra: &[&str]) -> Option<NatsServer> {
        if Command::new("nats-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            eprintln!("skipped: nats-server not installed (`apt-get install nats-server`)");
            return None;
        }
        let store = tempfile::tempdir().expect("a store directory");
        // A port the kernel just handed out and we let go of: free unless another
        // process grabs it in between, which the readiness wait below would show.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let extra: Vec<String> = extra.iter().map(|a| a.to_string()).collect();
        let child = spawn_ready(port, store.path(), &extra);
        Some(NatsServer {
            child,
            port,
            store,
            extra,
        })
    }

    /// Kills the server (SIGKILL) and starts it again on the same port with the same
    /// store directory: what it acknowledged is still there.
    pub fn restart(&mut self) {
        self.stop();
        self.child = spawn_ready(self.port, self.store.path(), &self.extra);
    }

    /// Kills the server (SIGKILL); [`NatsServer::restart`] brings it back.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The URL that asks for TLS.
    pub fn tls_url(&self) -> String {
        format!("tls://127.0.0.1:{}", self.port)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `nats-server -js` on `port` over `store` and waits (at most 20 s) until it
/// says it is ready.
fn spawn_ready(port: u16, store: &std::path::Path, extra: &[String]) -> Child {
    let mut child = Command::new("nats-server")
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(store)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nats-server starts");
    let stderr = child.stderr.take().expect("piped stderr");
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut said = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("Server is ready") {
                let _ = ready_tx.send(Ok(()));
            } else {
                said.push(line);
                if said.len() > 50 {
                    said.remove(0);
                }
            }
        }
        let _ = ready_tx.send(Err(said.join("\n")));
    });
    match ready_rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Ok(())) => child,
        Ok(Err(said)) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nats-server exited before it was ready:\n{said}");
        }
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nats-server was not ready within 20 s");
        }
    }
}
