//! `warroom bench store`: builds a large data directory through the real append path
//! (the engine: decide, apply, one write and one fsync per batch of commands, without
//! the hub's per-connection rate limit) and times what reads it — `verify`, `status`
//! and `list` in local mode, `serve` until `/health` answers — each as the real binary
//! in a child process, with its peak resident memory.
//!
//! Peak memory of a command that runs to its end comes from `wait4` in a fresh, small
//! `warroom bench peak` process that only spawns it: Linux counts in a child's peak the
//! memory of the process it was spawned from, so spawning straight from the bench (which
//! just built a large incident) would report the bench's own peak. `serve` is measured
//! while alive, from its `/proc` high-water mark, before it is stopped.

use crate::engine::{DataDir, Incident, Submission};
use crate::incident::{Actor, Command, EntryKind, Role, Runbooks, Severity};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The incident with `--events` events.
pub const BIG_ID: &str = "BENCH-BIG";
/// Commands per engine batch: one write and one fsync each (group commit).
const BATCH: usize = 1_000;
/// How long `serve` may take to answer `/health` before the bench gives up.
const SERVE_LIMIT: Duration = Duration::from_secs(600);

/// What to build and where.
#[derive(Debug, Clone)]
pub struct StoreBench {
    /// Events in the big incident.
    pub events: u64,
    /// Incidents in all, the big one included.
    pub incidents: usize,
    /// Events in each of the other incidents.
    pub each: u64,
    /// Keep the data directory here (and reuse it if it already holds the big
    /// incident); a temporary one, removed afterwards, otherwise.
    pub dir: Option<PathBuf>,
}

/// One operation as measured.
pub(super) struct Row {
    pub(super) operation: String,
    pub(super) elapsed: Duration,
    pub(super) peak_kib: u64,
    pub(super) note: String,
}

/// Builds (or reuses) the data directory, measures, and returns a Markdown report.
pub fn run(options: &StoreBench) -> Result<String, String> {
    let (root, temporary) = match &options.dir {
        Some(dir) => (dir.clone(), false),
        None => (
            std::env::temp_dir().join(format!("warroom-bench-store-{}", std::process::id())),
            true,
        ),
    };
    let result = build_and_measure(options, &root);
    if temporary {
        let _ = std::fs::remove_dir_all(&root);
    }
    result
}

fn build_and_measure(options: &StoreBench, root: &Path) -> Result<String, String> {
    let data = DataDir::new(root.join("data"));
    let mut out = String::new();
    if cfg!(debug_assertions) {
        out.push_str("(debug build: figures are not representative; use --release)\n\n");
    }
    if data.log_path(BIG_ID).exists() {
        out.push_str(&format!(
            "Reusing {} (delete it to rebuild).\n\n",
            data.root().display()
        ));
    } else {
        let built = Instant::now();
        let written = build(&data, options)?;
        let took = built.elapsed();
        out.push_str(&format!(
            "Built {} events in {} incidents through the engine in {:.1} s ({:.0} events/s, fsync per {BATCH}-command batch).\n\n",
            written,
            options.incidents.max(1),
            took.as_secs_f64(),
            written as f64 / took.as_secs_f64().max(f64::EPSILON),
        ));
    }
    let small = small_id(1);
    let big_log = data.log_path(BIG_ID);
    let big_bytes = std::fs::metadata(&big_log).map_or(0, |m| m.len());
    let disk: u64 = data
        .ids()
        .map_err(|e| e.to_string())?
        .iter()
        .filter_map(|id| std::fs::metadata(data.log_path(id)).ok())
        .map(|m| m.len())
        .sum();
    out.push_str(&format!(
        "Data directory: {} incidents, {:.0} MB of logs; {BIG_ID} is {:.0} MB.\n\n",
        data.ids().map_err(|e| e.to_string())?.len(),
        disk as f64 / 1e6,
        big_bytes as f64 / 1e6,
    ));

    let mut rows = Vec::new();
    let big_path = big_log.display().to_string();
    let verify = format!(
        "`warroom verify` {BIG_ID}, {:.0} MB",
        big_bytes as f64 / 1e6
    );
    rows.push(timed(root, &verify, &["verify", &big_path])?);
    let status = format!(
        "`warroom status` {BIG_ID}, {} events (local)",
        options.events
    );
    rows.push(timed(root, &status, &["status", BIG_ID])?);
    if options.incidents > 1 {
        let status = format!("`warroom status` {small}, {} events (local)", options.each);
        rows.push(timed(root, &status, &["status", &small])?);
    }
    rows.push(timed(root, "`warroom list` (local)", &["list"])?);
    rows.push(timed(
        root,
        "`warroom list --json` (local)",
        &["list", "--json"],
    )?);
    rows.push(serve(
        root,
        &root.join("data"),
        "`warroom serve` until /health",
    )?);
    let mut joined = vec![(BIG_ID, format!("{BIG_ID}, {} events", options.events))];
    if options.incidents > 1 {
        joined.push((small.as_str(), format!("{small}, {} events", options.each)));
    }
    rows.extend(super::join::rows(root, &root.join("data"), &joined)?);
    let empty = root.join("empty");
    rows.push(serve(
        root,
        &empty,
        "`warroom serve` until /health, empty dir",
    )?);
    out.push_str(&table(&rows));
    Ok(out)
}

fn small_id(n: usize) -> String {
    format!("BENCH-{n:05}")
}

/// Writes the incidents through the engine; returns how many events were written.
fn build(data: &DataDir, options: &StoreBench) -> Result<u64, String> {
    let runbooks = crate::catalog::embedded().map_err(|e| e.to_string())?;
    let mut written = fill(data, BIG_ID, options.events, &runbooks)?;
    for n in 1..options.incidents {
        written += fill(data, &small_id(n), options.each, &runbooks)?;
    }
    Ok(written)
}

/// Declares `id` and adds notes until it holds at least `events` events; the incident
/// is closed (dropped) before the next, so building holds one incident at a time.
fn fill(data: &DataDir, id: &str, events: u64, runbooks: &Runbooks) -> Result<u64, String> {
    let actor = Actor::new("bench", [Role::Commander]);
    let declare = Submission {
        actor: actor.clone(),
        command: Command::Declare {
            id: id.to_string(),
            title: format!("bench {id}"),
            severity: Severity::Sev2,
            playbook: None,
            summary: None,
        },
        command_id: None,
    };
    let mut incident: Incident = data
        .declare(declare, chrono::Utc::now(), runbooks)
        .map_err(|e| format!("declaring {id}: {e}"))?;
    let mut next = 0u64;
    while incident.state().seq < events {
        let left = events - incident.state().seq;
        let batch: Vec<Submission> = (0..left.min(BATCH as u64))
            .map(|_| {
                next += 1;
                Submission {
                    actor: actor.clone(),
                    command: Command::AddNote {
                        kind: EntryKind::Note,
                        text: note_text(next),
                        typed_at: None,
                    },
                    command_id: Some(format!("bench-{next}")),
                }
            })
            .collect();
        incident
            .execute(&batch, chrono::Utc::now(), runbooks)
            .map_err(|e| format!("writing {id}: {e}"))?;
    }
    Ok(incident.state().seq)
}

/// A note of a realistic length (the log averages about 350 bytes a line).
fn note_text(n: u64) -> String {
    format!(
        "bench note {n}: checked the tenant isolation dashboards again, error rate flat, \
         queue depth back under the alert threshold, waiting on the vendor ticket"
    )
}

/// `warroom` (this very binary) with a clean environment, local mode on `data`.
pub(super) fn warroom(root: &Path, data: &Path) -> Result<Process, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find warroom itself: {e}"))?;
    warroom_at(&exe, root, data)
}

fn warroom_at(exe: &Path, root: &Path, data: &Path) -> Result<Process, String> {
    let mut command = Process::new(exe);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("WARROOM_") {
            command.env_remove(key);
        }
    }
    let catalog = root.join("empty-catalog");
    std::fs::create_dir_all(&catalog).map_err(|e| format!("{}: {e}", catalog.display()))?;
    command
        .env("WARROOM_CATALOG", catalog)
        .env("WARROOM_DATA", data)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    Ok(command)
}

/// Runs `warroom ARGS` to the end under `warroom bench peak`: its wall time and peak
/// memory.
fn timed(root: &Path, operation: &str, args: &[&str]) -> Result<Row, String> {
    let mut command = warroom(root, &root.join("data"))?;
    command
        .args(["bench", "peak", "--"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|e| format!("{operation}: {e}"))?;
    let stderr = drain(child.stderr.take());
    let stdout = drain(child.stdout.take());
    let status = child.wait().map_err(|e| format!("{operation}: {e}"))?;
    let said = stdout.recv().unwrap_or_default();
    if !status.success() {
        let why = stderr.recv().unwrap_or_default();
        return Err(format!("{operation} failed: {}", why.trim()));
    }
    let measured =
        Peak::parse(&said).ok_or_else(|| format!("{operation}: no figures in `{said}`"))?;
    Ok(Row {
        operation: operation.to_string(),
        elapsed: measured.elapsed,
        peak_kib: measured.peak_kib,
        note: String::new(),
    })
}

/// What `warroom bench peak` prints: one line, `peak_kib=N elapsed_us=M`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peak {
    pub peak_kib: u64,
    pub elapsed: Duration,
}

impl Peak {
    pub(super) fn parse(text: &str) -> Option<Peak> {
        let mut peak_kib = None;
        let mut elapsed = None;
        for field in text.split_whitespace() {
            match field.split_once('=') {
                Some(("peak_kib", n)) => peak_kib = n.parse().ok(),
                Some(("elapsed_us", n)) => elapsed = n.parse().ok().map(Duration::from_micros),
                _ => {}
            }
        }
        Some(Peak {
            peak_kib: peak_kib?,
            elapsed: elapsed?,
        })
    }
}

impl std::fmt::Display for Peak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "peak_kib={} elapsed_us={}",
            self.peak_kib,
            self.elapsed.as_micros()
        )
    }
}

/// `warroom bench peak -- ARGS`: runs this binary with ARGS (stdout discarded, stderr
/// passed on), and returns its peak memory and wall time; an error if it failed.
pub fn peak(args: &[String]) -> Result<Peak, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find warroom itself: {e}"))?;
    let started = Instant::now();
    let child = Process::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let (success, peak_kib) = reap(&child).map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    if success {
        Ok(Peak { peak_kib, elapsed })
    } else {
        Err(format!("`warroom {}` failed", args.join(" ")))
    }
}

/// Reads a pipe to its end on a thread; the text arrives when the pipe closes.
pub(super) fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            let _ = tx.send(text);
        });
    }
    rx
}

/// `warroom serve` on a free port, timed until `/health` answers 200; then its
/// resident memory, and its peak once stopped.
fn serve(root: &Path, data: &Path, operation: &str) -> Result<Row, String> {
    let mut command = warroom(root, data)?;
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(root.join("bench-hub.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("{operation}: {e}"))?;
    let answered = listening(&mut child).and_then(|addr| until_healthy(addr, started));
    let elapsed = started.elapsed();
    let memory = proc_status_kib(child.id(), "VmRSS:").zip(proc_status_kib(child.id(), "VmHWM:"));
    let _ = child.kill();
    let _ = child.wait();
    answered.map_err(|e| format!("{operation}: {e}"))?;
    let (resident, peak_kib) = memory.ok_or_else(|| format!("{operation}: no /proc status"))?;
    Ok(Row {
        operation: operation.to_string(),
        elapsed,
        peak_kib,
        note: format!("resident {} then", megabytes(resident)),
    })
}

/// The address `serve` prints once it listens.
pub(super) fn listening(child: &mut Child) -> Result<SocketAddr, String> {
    let stderr = child.stderr.take().ok_or("no stderr from serve")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line); // keep draining, so the hub never blocks on stderr
        }
    });
    let deadline = Instant::now() + SERVE_LIMIT;
    let mut said = String::new();
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if let Some(rest) = line.split("listening on http://").nth(1) {
            return rest
                .split_whitespace()
                .next()
                .and_then(|addr| addr.parse().ok())
                .ok_or_else(|| format!("no address in `{line}`"));
        }
        said.push_str(&line);
        said.push('\n');
    }
    Err(format!("serve did not start: {}", said.trim()))
}

/// Polls `GET /health` (plain HTTP/1.1 on loopback) until it answers 200.
fn until_healthy(addr: SocketAddr, started: Instant) -> Result<(), String> {
    while started.elapsed() < SERVE_LIMIT {
        if health_ok(addr) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Err(format!("/health did not answer within {SERVE_LIMIT:?}"))
}

fn health_ok(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(5)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b" 200")
}

/// A `KEY:` line of a running process's `/proc/PID/status`, in KiB (Linux): `VmRSS:`
/// (resident now) or `VmHWM:` (resident at its peak, since its `exec`).
fn proc_status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Waits for `child` and returns whether it exited 0 and its peak resident memory in
/// KiB, from `wait4`: the kernel's own figure for this one child, which neither
/// polling (it misses the end) nor `getrusage(RUSAGE_CHILDREN)` (the maximum over all
/// children) gives. It includes the spawning process's peak: see the module doc.
#[cfg(unix)]
fn reap(child: &Child) -> std::io::Result<(bool, u64)> {
    let pid = libc::pid_t::try_from(child.id()).map_err(std::io::Error::other)?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain integers, for which all-zero bytes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are to live locals of the right types; wait4 only
        // writes through them. The child is ours and not yet reaped (std's `Child`
        // is never waited on after this, so no pid reuse can be confused).
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    let success = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    // Linux reports ru_maxrss in KiB (macOS in bytes).
    let peak = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    let peak_kib = if cfg!(target_os = "macos") {
        peak / 1024
    } else {
        peak
    };
    Ok((success, peak_kib))
}

#[cfg(not(unix))]
fn reap(_child: &Child) -> std::io::Result<(bool, u64)> {
    Err(std::io::Error::other(
        "bench store measures memory on Unix only",
    ))
}

/// Peak memory in KiB of the warroom binary `exe` running `args` on `data`, measured
/// through `warroom bench peak` as the bench does (for tests, which are not the warroom
/// binary themselves); `scratch` holds an empty catalog.
pub fn peak_kib_of(exe: &Path, args: &[&str], data: &Path, scratch: &Path) -> Result<u64, String> {
    let output = warroom_at(exe, scratch, data)?
        .args(["bench", "peak", "--"])
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    let said = String::from_utf8_lossy(&output.stdout);
    match Peak::parse(&said) {
        Some(peak) if output.status.success() => Ok(peak.peak_kib),
        _ => Err(format!(
            "`warroom {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )),
    }
}

fn megabytes(kib: u64) -> String {
    format!("{:.0} MB", kib as f64 * 1024.0 / 1e6)
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from("| operation | time | peak memory | |\n|---|---|---|---|\n");
    for row in rows {
        out.push_str(&format!(
            "| {} | {:.2} s | {} | {} |\n",
            row.operation,
            row.elapsed.as_secs_f64(),
            megabytes(row.peak_kib),
            row.note
        ));
    }
    out
}
