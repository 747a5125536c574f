//! Three real `nats-server -js` processes as one JetStream cluster on loopback: each
//! with its own client port, cluster port (all found free), store directory and
//! `--server_name`, routes to all three, one `--cluster_name`. Ready when every server
//! says it is ready and has heard of a JetStream metadata leader (bounded waits).
//! [`NatsCluster::kill`] SIGKILLs one node on demand and [`NatsCluster::restart`] starts it
//! again; all are killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a server may take to be ready and to see a metadata leader.
const READY_WITHIN: Duration = Duration::from_secs(30);

pub struct NatsCluster {
    nodes: Vec<Node>,
    /// One store directory per node, removed with the cluster.
    _stores: tempfile::TempDir,
}

struct Node {
    name: String,
    port: u16,
    /// What it was started with, for starting it again.
    args: Vec<String>,
    child: Option<Child>,
}

/// Starts one node with `args`; its stderr is read by [`listen`].
fn spawn(args: &[String]) -> (Child, mpsc::Receiver<Said>) {
    let mut child = Command::new("nats-server")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nats-server starts");
    let said = listen(child.stderr.take().expect("piped stderr"));
    (child, said)
}

/// What a node's stderr reader reports.
enum Said {
    Ready,
    Leader,
    /// The server's output ended (it exited): its last lines.
    Exited(String),
}

impl NatsCluster {
    /// Starts three nodes `n0`, `n1`, `n2` in cluster `wr`, or `None` (after printing
    /// why) if `nats-server` is not on PATH.
    pub fn start() -> Option<NatsCluster> {
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
        let stores = tempfile::tempdir().expect("a store directory");
        // Six ports the kernel hands out at once (so all differ), then let go of: free
        // unless another process grabs one in between, which the readiness wait shows.
        let ports: Vec<u16> = {
            let listeners: Vec<TcpListener> = (0..6)
                .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port"))
                .collect();
            listeners
                .iter()
                .map(|l| l.local_addr().expect("its address").port())
                .collect()
        };
        let (client_ports, cluster_ports) = ports.split_at(3);
        let routes = cluster_ports
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut nodes = Vec::new();
        let mut heard = Vec::new();
        for (i, (&port, &cluster_port)) in client_ports.iter().zip(cluster_ports).enumerate() {
            let name = format!("n{i}");
            let store = stores.path().join(&name);
            let args: Vec<String> = [
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "--server_name",
                &name,
                "--cluster_name",
                "wr",
                "--cluster",
                &format!("nats://127.0.0.1:{cluster_port}"),
                "--routes",
                &routes,
                "-sd",
                &store.display().to_string(),
            ]
            .iter()
            .map(|a| a.to_string())
            .collect();
            let (child, said) = spawn(&args);
            heard.push(said);
            nodes.push(Node {
                name,
                port,
                args,
                child: Some(child),
            });
        }
        let cluster = NatsCluster {
            nodes,
            _stores: stores,
        };
        let deadline = Instant::now() + READY_WITHIN;
        for (node, heard) in cluster.nodes.iter().zip(heard) {
            let (mut ready, mut leader) = (false, false);
            while !(ready && leader) {
                let left = deadline.saturating_duration_since(Instant::now());
                match heard.recv_timeout(left) {
                    Ok(Said::Ready) => ready = true,
                    Ok(Said::Leader) => leader = true,
                    Ok(Said::Exited(said)) => {
                        panic!(
                            "nats-server {} exited before it was ready:\n{said}",
                            node.name
                        )
                    }
                    Err(_) => panic!(
                        "nats-server {} was not ready with a metadata leader within {READY_WITHIN:?}",
                        node.name
                    ),
                }
            }
        }
        Some(cluster)
    }

    /// Every node's client URL, killed ones included, in node order.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(|n| url(n.port)).collect()
    }

    /// The client URLs of the nodes still running.
    pub fn live_urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|n| n.child.is_some())
            .map(|n| url(n.port))
            .collect()
    }

    /// The node names (`--server_name`), in node order.
    pub fn names(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.name.clone()).collect()
    }

    /// Starts the node named `name` again (killed before) on its port and store, and
    /// waits until it says it is ready.
    pub fn restart(&mut self, name: &str) {
        let node = self.node(name);
        assert!(node.child.is_none(), "{name} is running");
        let (child, said) = spawn(&node.args);
        node.child = Some(child);
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            match said.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Said::Ready) => return,
                Ok(Said::Leader) => {}
                Ok(Said::Exited(said)) => panic!("nats-server {name} exited on restart:\n{said}"),
                Err(_) => panic!("nats-server {name} was not ready within {READY_WITHIN:?}"),
            }
        }
    }

    fn node(&mut self, name: &str) -> &mut Node {
        self.nodes
            .iter_mut()
            .find(|n| n.name == name)
            .unwrap_or_else(|| panic!("no node named {name}"))
    }

    /// SIGKILLs the node named `name` (and reaps it); it stays down.
    pub fn kill(&mut self, name: &str) {
        let node = self.node(name);
        if let Some(mut child) = node.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// The installed `nats-server`'s version (`nats-server: v2.9.10` → `(2, 9, 10)`).
pub fn server_version() -> Option<(u32, u32, u32)> {
    let output = Command::new("nats-server").arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let version = text.trim().rsplit('v').next()?;
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

fn url(port: u16) -> String {
    format!("nats://127.0.0.1:{port}")
}

/// Reads a server's stderr on a thread of its own (to its end, so the pipe never
/// fills), reporting readiness, a metadata leader, and its exit with its last lines.
fn listen(stderr: std::process::ChildStderr) -> mpsc::Receiver<Said> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut said = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("Server is ready") {
                let _ = tx.send(Said::Ready);
            } else if line.contains("metadata leader") {
                // "JetStream cluster new metadata leader: nX/wr" or "Self is new …".
                let _ = tx.send(Said::Leader);
            }
            said.push(line);
            if said.len() > 50 {
                said.remove(0);
            }
        }
        let _ = tx.send(Said::Exited(said.join("\n")));
    });
    rx
}
