//! `bench store`'s join rows: `warroom serve` on the bench's data directory and, as a
//! child process each, a headless console joining an incident (`warroom bench
//! join-probe`): the real console `App` fed by the real sync task with a snapshot
//! subscription, timed from spawn until its first frame after `synced` shows the
//! incident's newest entry, with the process's peak memory (what a responder's
//! `warroom join` costs, less the terminal).

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::store::{Peak, Row, drain, listening, warroom};
use crate::incident::Role;
use crate::net::sync::{self, SyncEvent, SyncOptions};
use crate::protocol::Identity;
use crate::tui::app::{App, Msg};
use crate::tui::layout::Layout;
use crate::tui::theme::Theme;
use crate::tui::view;

/// The token the bench's hub accepts (a bench, not a secret).
const TOKEN: &str = "bench-join-token";

/// How long a join may take before the probe gives up.
const JOIN_LIMIT: Duration = Duration::from_secs(120);

/// Starts `warroom serve` on `data` and times a headless console joining each of
/// `incidents` (id, label), through `warroom bench peak`.
pub(super) fn rows(
    root: &Path,
    data: &Path,
    incidents: &[(&str, String)],
) -> Result<Vec<Row>, String> {
    let config = root.join("bench-join.toml");
    std::fs::write(
        &config,
        format!(
            "[[responder]]\nname = \"bench\"\nroles = [\"commander\"]\ntoken_sha256 = \"{}\"\n",
            crate::hub::auth::token_hash(TOKEN)
        ),
    )
    .map_err(|e| format!("{}: {e}", config.display()))?;
    let mut hub = warroom(root, data)?
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("serve: {e}"))?;
    let joined = listening(&mut hub).and_then(|addr| {
        let url = format!("http://{addr}");
        incidents
            .iter()
            .map(|(id, label)| probe_row(root, data, &url, id, label))
            .collect()
    });
    let _ = hub.kill();
    let _ = hub.wait();
    joined
}

fn probe_row(root: &Path, data: &Path, url: &str, id: &str, label: &str) -> Result<Row, String> {
    let operation = format!("`warroom join` {label}: newest entry on screen (headless)");
    let mut child = warroom(root, data)?
        .env("WARROOM_TOKEN", TOKEN)
        .args([
            "bench",
            "peak",
            "--",
            "bench",
            "join-probe",
            "--url",
            url,
            id,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{operation}: {e}"))?;
    let stderr = drain(child.stderr.take());
    let stdout = drain(child.stdout.take());
    let status = child.wait().map_err(|e| format!("{operation}: {e}"))?;
    let said = stdout.recv().unwrap_or_default();
    if !status.success() {
        let why = stderr.recv().unwrap_or_default();
        return Err(format!("{operation} failed: {}", why.trim()));
    }
    let measured = Peak::parse(&said).ok_or_else(|| format!("{operation}: no figures"))?;
    Ok(Row {
        operation,
        elapsed: measured.elapsed,
        peak_kib: measured.peak_kib,
        note: String::new(),
    })
}

/// `warroom bench join-probe --url URL ID` (token in `$WARROOM_TOKEN`): joins like the
/// console, draws a 160x48 frame once synced, and succeeds if the newest timeline entry
/// is on it.
pub fn probe(hub: &str, incident: &str) -> Result<String, String> {
    let token = std::env::var("WARROOM_TOKEN").map_err(|_| "set WARROOM_TOKEN")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let runbooks = Arc::new(crate::catalog::embedded().map_err(|e| e.to_string())?);
        let theme = Theme::built_in("default").ok_or("no default theme")?;
        let layout = Layout::built_in("commander").ok_or("no commander layout")?;
        let me = Identity {
            name: "bench".into(),
            roles: [Role::Commander].into_iter().collect(),
        };
        let mut app = App::new(runbooks, theme, layout, me, chrono::Utc::now());
        app.update(Msg::Resize(160, 48));
        let mut options = SyncOptions::new(hub, &token, incident);
        options.snapshot = true;
        let mut handle = sync::spawn(options);
        let started = Instant::now();
        loop {
            let left = JOIN_LIMIT.saturating_sub(started.elapsed());
            let event = tokio::time::timeout(left, handle.events.recv())
                .await
                .map_err(|_| format!("not synced within {JOIN_LIMIT:?}"))?
                .ok_or("the sync task stopped")?;
            let synced = matches!(event, SyncEvent::Synced(_));
            app.update(Msg::Sync(event));
            if synced {
                break;
            }
        }
        let mut terminal = Terminal::new(TestBackend::new(160, 48)).map_err(|e| e.to_string())?;
        terminal
            .draw(|f| view::render(&mut app, f))
            .map_err(|e| e.to_string())?;
        let newest = app
            .state
            .timeline
            .last()
            .map(|e| e.current_text().chars().take(30).collect::<String>())
            .ok_or("the incident has no timeline")?;
        let screen: String = terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|cell| cell.symbol())
            .collect();
        handle.stop();
        if screen.contains(&newest) {
            Ok(format!("newest entry on screen: {newest}"))
        } else {
            Err(format!(
                "the newest entry ({newest}) is not on the first frame"
            ))
        }
    })
}
