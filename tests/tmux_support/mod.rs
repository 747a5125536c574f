//! The real `warroom` binary in a real terminal, for console tests that need one: a
//! tmux server per test on a socket of its own (no status line, a fixed window size),
//! keys sent with `send-keys`, the screen read with `capture-pane -p` and polled every
//! 50 ms up to a bounded deadline (never a sleep to synchronise); a sandbox directory
//! for `USER`, `XDG_CONFIG_HOME`, `WARROOM_DATA` and `TMPDIR`; the CLI and `warroom
//! serve` as child processes on loopback. The same shape as `tests/console_tmux.rs`
//! (where it started), trimmed to what the post-mortem test uses.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
/// A console (or the hub) starting on a slow, busy machine.
pub const START: Duration = Duration::from_secs(10);
/// Any other step: a key's effect, a note reaching the screen, the process exiting.
pub const STEP: Duration = Duration::from_secs(10);
/// How often the screen is captured while waiting.
pub const POLL: Duration = Duration::from_millis(50);

/// Environment variables of the user's that must not reach the binary or tmux.
const SCRUB: &[&str] = &["NO_COLOR", "TMUX", "TMUX_PANE"];

/// A name unique to this process and call (socket names, notes, titles).
pub fn unique(what: &str) -> String {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    format!("{what}-{}-{n}-{nanos:x}", std::process::id())
}

pub fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

pub struct Sandbox {
    dir: tempfile::TempDir,
    pub user: String,
}

impl Sandbox {
    pub fn new(user: &str) -> Sandbox {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for sub in ["config", "data", "tmp"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("sandbox directories");
        }
        Sandbox {
            dir,
            user: user.to_string(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn data(&self) -> PathBuf {
        self.path("data")
    }

    /// `TMPDIR` for everything started here (the demo's throw-away data goes there).
    pub fn tmp(&self) -> PathBuf {
        self.path("tmp")
    }

    /// The variables set for everything started here; `USER` only when the sandbox
    /// has a user (an empty one stands for a session without `$USER`).
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        let path = |p: PathBuf| p.display().to_string();
        let user = Some(("USER", self.user.clone())).filter(|_| !self.user.is_empty());
        user.into_iter()
            .chain([
                ("XDG_CONFIG_HOME", path(self.path("config"))),
                ("WARROOM_DATA", path(self.data())),
                ("TMPDIR", path(self.tmp())),
                ("LANG", "C.UTF-8".into()),
                ("LC_ALL", "C.UTF-8".into()),
            ])
            .collect()
    }

    /// Applies the sandbox's environment to `command`: every `WARROOM_*` of the
    /// user's removed (`WARROOM_HUB`, `WARROOM_TOKEN`, `WARROOM_CATALOG`, …) and
    /// `NO_COLOR`, then ours set.
    pub fn apply(&self, command: &mut Command) {
        for (key, _) in std::env::vars_os() {
            let name = key.to_string_lossy();
            let unnamed = self.user.is_empty() && (name == "USER" || name == "LOGNAME");
            if name.starts_with("WARROOM_") || SCRUB.contains(&name.as_ref()) || unnamed {
                command.env_remove(&key);
            }
        }
        for (key, value) in self.vars() {
            command.env(key, value);
        }
    }

    /// `warroom token new --name NAME --role ROLE --config CONFIG`: the token it prints.
    pub fn token(&self, config: &Path, name: &str, role: &str) -> String {
        let config = config.display().to_string();
        let args = [
            "token", "new", "--name", name, "--role", role, "--config", &config,
        ];
        let token = ok(self, &args).stdout.trim().to_string();
        assert!(token.starts_with("wrt_"), "a token for {name}: {token:?}");
        token
    }

    /// The binary with the sandbox's environment, not attached to a terminal.
    pub fn warroom(&self) -> Command {
        let mut command = Command::new(BIN);
        self.apply(&mut command);
        command.stdin(Stdio::null());
        command
    }

    /// A shell script that runs `warroom ARGS` in a terminal, records its exit code
    /// and the terminal's modes after it, prints a marker and keeps the pane open.
    pub fn console_script(&self, name: &str, args: &[&str]) -> Console {
        let exit = self.path(&format!("{name}.exit"));
        let stty = self.path(&format!("{name}.stty"));
        let script = self.path(&format!("{name}.sh"));
        let mut text = String::from("# written by tests/tmux_support\n");
        for (key, value) in self.vars() {
            text.push_str(&format!("export {key}={}\n", sh_quote(&value)));
        }
        text.push_str("unset WARROOM_HUB WARROOM_TOKEN WARROOM_CATALOG WARROOM_USER ");
        text.push_str("WARROOM_CONFIG WARROOM_THEME WARROOM_LOG NO_COLOR\n");
        if self.user.is_empty() {
            text.push_str("unset USER LOGNAME\n");
        }
        text.push_str(&format!(
            "cd {}\n",
            sh_quote(&self.tmp().display().to_string())
        ));
        let mut line = sh_quote(BIN);
        for arg in args {
            line.push(' ');
            line.push_str(&sh_quote(arg));
        }
        text.push_str(&line);
        text.push_str("\ncode=$?\n");
        text.push_str(&format!(
            "stty -a > {} 2>&1\n",
            sh_quote(&stty.display().to_string())
        ));
        let part = format!("{}.part", exit.display());
        text.push_str(&format!(
            "echo \"EXIT=$code\" > {part} && mv {part} {exit}\n",
            part = sh_quote(&part),
            exit = sh_quote(&exit.display().to_string())
        ));
        text.push_str("printf '\\n[warroom exited %s]\\n' \"$code\"\n");
        text.push_str("exec sleep 600\n");
        std::fs::write(&script, text).expect("the console script");
        Console {
            window: name.to_string(),
            script,
            exit,
            stty,
        }
    }
}

/// One console's window and the files its script leaves.
pub struct Console {
    pub window: String,
    script: PathBuf,
    pub exit: PathBuf,
    pub stty: PathBuf,
}

impl Console {
    pub fn command(&self) -> String {
        format!("sh {}", sh_quote(&self.script.display().to_string()))
    }
}

const SESSION: &str = "wr";

pub struct Tmux<'a> {
    sandbox: &'a Sandbox,
    socket: String,
    conf: PathBuf,
    socket_path: Option<PathBuf>,
}

impl<'a> Tmux<'a> {
    /// Starts a server on a socket of its own with `first` in a `width`x`height`
    /// window (no status line, so the pane is the whole window).
    pub fn start(sandbox: &'a Sandbox, width: u16, height: u16, first: &Console) -> Tmux<'a> {
        let conf = sandbox.path("tmux.conf");
        let settings = format!(
            "set -g status off\n\
             set -g remain-on-exit on\n\
             set -g default-size {width}x{height}\n\
             set -g automatic-rename off\n\
             set -g allow-rename off\n\
             set -g history-limit 2000\n"
        );
        std::fs::write(&conf, settings).expect("a tmux config");
        let mut tmux = Tmux {
            sandbox,
            socket: unique("warroom-test"),
            conf,
            socket_path: None,
        };
        // From here on the guard exists, so a server that half-started is killed too.
        let (w, h) = (width.to_string(), height.to_string());
        let command = first.command();
        let started = tmux.run(&[
            "new-session",
            "-d",
            "-x",
            &w,
            "-y",
            &h,
            "-s",
            SESSION,
            "-n",
            &first.window,
            &command,
        ]);
        if let Err(e) = started {
            panic!("tmux new-session failed: {e}");
        }
        tmux.socket_path = tmux
            .run(&["display-message", "-p", "#{socket_path}"])
            .ok()
            .map(|p| PathBuf::from(p.trim()))
            .filter(|p| !p.as_os_str().is_empty());
        let size = tmux.format(&first.window, "#{window_width}x#{window_height}");
        assert_eq!(size, format!("{width}x{height}"), "the window's size");
        tmux
    }

    pub fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        self.sandbox.apply(&mut command);
        command
            .arg("-u")
            .arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg(&self.conf)
            .stdin(Stdio::null());
        command
    }

    /// Runs a tmux command; its stdout, or what went wrong.
    pub fn run(&self, args: &[&str]) -> Result<String, String> {
        let output = self
            .command()
            .args(args)
            .output()
            .map_err(|e| format!("cannot run tmux: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(format!(
                "tmux {args:?}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }

    pub fn target(window: &str) -> String {
        format!("{SESSION}:{window}")
    }

    /// A second console in a window of its own (the same size).
    pub fn open(&self, console: &Console) {
        let command = console.command();
        let target = format!("{SESSION}:");
        let opened = self.run(&[
            "new-window",
            "-d",
            "-t",
            &target,
            "-n",
            &console.window,
            &command,
        ]);
        if let Err(e) = opened {
            panic!("tmux new-window failed: {e}");
        }
    }

    /// A tmux format for a window's pane (`#{alternate_on}`, …).
    pub fn format(&self, window: &str, format: &str) -> String {
        let target = Self::target(window);
        match self.run(&["display-message", "-p", "-t", &target, format]) {
            Ok(out) => out.trim().to_string(),
            Err(e) => e,
        }
    }

    /// The visible screen of a window's pane (or why it could not be read).
    pub fn screen(&self, window: &str) -> String {
        let target = Self::target(window);
        match self.run(&["capture-pane", "-p", "-t", &target]) {
            Ok(screen) => screen,
            Err(e) => format!("<no screen: {e}>"),
        }
    }

    /// Named keys (`Enter`, `Escape`, `q`, `?`, `3`).
    pub fn keys(&self, window: &str, keys: &[&str]) {
        let target = Self::target(window);
        let mut args = vec!["send-keys", "-t", &target];
        args.extend_from_slice(keys);
        if let Err(e) = self.run(&args) {
            panic!("send-keys {keys:?}: {e}");
        }
    }

    /// Literal text, typed as is.
    pub fn type_text(&self, window: &str, text: &str) {
        let target = Self::target(window);
        if let Err(e) = self.run(&["send-keys", "-t", &target, "-l", text]) {
            panic!("send-keys -l {text:?}: {e}");
        }
    }

    /// A bracketed paste of `text` (tmux adds the paste brackets because the console
    /// asked for them; without them this would arrive as typed keys).
    pub fn paste(&self, window: &str, text: &str) {
        if let Err(e) = self.run(&["set-buffer", "-b", "wr-test", "--", text]) {
            panic!("set-buffer: {e}");
        }
        let target = Self::target(window);
        let pasted = self.run(&["paste-buffer", "-p", "-d", "-b", "wr-test", "-t", &target]);
        if let Err(e) = pasted {
            panic!("paste-buffer: {e}");
        }
    }

    /// Polls the screen every 50 ms until `ready` holds (the screen) or `timeout`
    /// passes (the last screen seen).
    pub fn wait_for(
        &self,
        window: &str,
        ready: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen(window);
            if ready(&screen) {
                return Ok(screen);
            }
            if Instant::now() >= deadline {
                return Err(screen);
            }
            std::thread::sleep(POLL);
        }
    }

    /// [`Tmux::wait_for`] that fails the test with the last screen.
    pub fn expect(
        &self,
        window: &str,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&str) -> bool,
    ) -> String {
        self.wait_for(window, ready, timeout)
            .unwrap_or_else(|screen| {
                panic!(
                    "{window}: no {what} within {timeout:?}; the screen was:\n{}",
                    framed(&screen)
                )
            })
    }

    /// Waits for the console's script to record the exit code; returns `EXIT=<n>`.
    pub fn wait_exit(&self, console: &Console) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            if let Ok(text) = std::fs::read_to_string(&console.exit) {
                return text.trim().to_string();
            }
            if Instant::now() >= deadline {
                panic!(
                    "{}: the console did not exit within {STEP:?}; the screen was:\n{}",
                    console.window,
                    framed(&self.screen(&console.window))
                );
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Tmux<'_> {
    fn drop(&mut self) {
        let _ = self
            .command()
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        // tmux 3.3 leaves its socket file behind after kill-server.
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A screen for a failure message, with its edges visible.
pub fn framed(screen: &str) -> String {
    let lines: Vec<String> = screen.lines().map(|l| format!("│{l}")).collect();
    format!("┌──\n{}\n└──", lines.join("\n"))
}

/// The header's first line (severity … `● live`).
pub fn header_line(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

pub struct Finished {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// When the process was seen to have exited (polled every millisecond).
    pub at: Instant,
}

/// Runs the binary to completion (bounded).
pub fn run(sandbox: &Sandbox, args: &[&str]) -> Finished {
    let mut child = sandbox
        .warroom()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Readers on threads, so a chatty child never blocks on a full pipe.
    let read = |pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = BufReader::new(pipe).read_to_string(&mut text);
            text
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("stdout")));
    let stderr = read(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + Duration::from_secs(30);
    let (status, at) = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break (status, Instant::now());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`warroom {args:?}` ran for over 30 s");
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    Finished {
        code: status.code(),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        at,
    }
}

/// Runs, asserts exit 0, returns the result.
pub fn ok(sandbox: &Sandbox, args: &[&str]) -> Finished {
    let finished = run(sandbox, args);
    assert_eq!(
        finished.code,
        Some(0),
        "`warroom {args:?}` failed:\n{}{}",
        finished.stdout,
        finished.stderr
    );
    finished
}

/// `warroom serve`, killed and reaped when dropped.
pub struct Hub {
    child: Child,
    pub url: String,
}

impl Hub {
    /// `warroom declare --title TITLE --severity SEVERITY` through this hub with
    /// `token`: the id it prints.
    pub fn declare(&self, sandbox: &Sandbox, token: &str, title: &str, severity: &str) -> String {
        let args = [
            "declare",
            "--title",
            title,
            "--severity",
            severity,
            "--hub",
            &self.url,
            "--token",
            token,
        ];
        let id = ok(sandbox, &args).stdout.trim().to_string();
        assert!(id.starts_with("INC-"), "declare prints the id: {id:?}");
        id
    }

    pub fn start(sandbox: &Sandbox, config: &Path) -> Hub {
        let config = config.display().to_string();
        let data = sandbox.data().display().to_string();
        let spawned = sandbox
            .warroom()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--config",
                &config,
                "--data",
                &data,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = spawned.expect("the hub starts");
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line); // keep draining even when nobody listens
            }
        });
        let mut hub = Hub {
            child,
            url: String::new(),
        };
        let deadline = Instant::now() + START;
        let mut seen = Vec::new();
        while let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or("");
                let addr: std::net::SocketAddr = addr
                    .parse()
                    .unwrap_or_else(|_| panic!("no address in the hub's line: {line}"));
                hub.url = format!("http://{addr}");
                return hub;
            }
            seen.push(line);
        }
        panic!(
            "the hub did not say where it listens within {START:?}; it said:\n{}",
            seen.join("\n")
        );
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
