//! `warroom bench console`: what the console costs with a very long incident — frame
//! render time with 100,000 timeline entries (plain, and with a search filter), bytes
//! written to the terminal for one new entry and for an idle clock tick, memory held by
//! the replica, and time to the first frame.

use crate::incident::{Actor, Command, EntryKind, Role, State, decide};
use crate::protocol::Identity;
use crate::tui::app::{App, Msg};
use crate::tui::layout::Layout;
use crate::tui::theme::Theme;
use crate::tui::view;
use chrono::{Duration as Span, Utc};
use ratatui::Terminal;
use ratatui::backend::{CrosstermBackend, TestBackend};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A writer that counts what the terminal backend writes.
#[derive(Clone, Default)]
struct Counter(Arc<Mutex<usize>>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut n) = self.0.lock() {
            *n += buf.len();
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Counter {
    fn take(&self) -> usize {
        self.0
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or(0)
    }
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len().max(1) as f64 - 1.0) * p).round() as usize;
    sorted.get(rank).copied().unwrap_or_default()
}

pub fn run(entries: usize, width: u16, height: u16) -> Result<String, String> {
    let runbooks = Arc::new(crate::catalog::embedded().map_err(|e| e.to_string())?);
    let now = Utc::now();
    let rss_before = rss_kib();
    let built = Instant::now();
    let mut events = crate::demo::events(&runbooks, now - Span::hours(30));
    let mut state = State::replay(&events);
    let people = [
        Actor::new("alice", [Role::Commander]),
        Actor::new("bob", [Role::Scribe]),
    ];
    for i in 0..entries {
        let text = format!(
            "Entry {i}: checked shard {} of the export cache, {} rows scanned",
            i % 97,
            i * 13 % 10_007
        );
        let command = Command::AddNote {
            kind: EntryKind::Note,
            text,
            typed_at: None,
        };
        let at = now - Span::hours(29) + Span::milliseconds(i as i64 * 900);
        let new =
            decide(&state, &people[i % 2], &command, at, &runbooks, None).map_err(|e| e.message)?;
        for event in &new {
            state.apply(event);
        }
        events.extend(new);
    }
    let build_time = built.elapsed();
    let me = Identity {
        name: "alice".into(),
        roles: [Role::Commander].into_iter().collect(),
    };
    let theme = Theme::built_in("default").ok_or("no default theme")?;
    let layout = Layout::built_in("commander").ok_or("no commander layout")?;

    // Time to first frame for a console handed the whole history (what a client does
    // after `synced`): replay + layout + one draw.
    let first = Instant::now();
    let mut app = App::new(
        runbooks.clone(),
        theme.clone(),
        layout.clone(),
        me.clone(),
        now,
    )
    .with_events(&events);
    drop(events);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).map_err(|e| e.to_string())?;
    app.update(Msg::Resize(width, height));
    terminal
        .draw(|f| view::render(&mut app, f))
        .map_err(|e| e.to_string())?;
    let first_frame = first.elapsed();
    let rss_after = rss_kib();

    let mut frame_times = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        terminal
            .draw(|f| view::render(&mut app, f))
            .map_err(|e| e.to_string())?;
        frame_times.push(started.elapsed());
    }
    frame_times.sort();

    // A search filter over all entries: the first frame builds the index, later ones reuse it.
    app.panes.timeline.search = "shard 42 ".into();
    let started = Instant::now();
    terminal
        .draw(|f| view::render(&mut app, f))
        .map_err(|e| e.to_string())?;
    let filter_first = started.elapsed();
    let mut filter_times = Vec::new();
    for _ in 0..100 {
        let started = Instant::now();
        terminal
            .draw(|f| view::render(&mut app, f))
            .map_err(|e| e.to_string())?;
        filter_times.push(started.elapsed());
    }
    filter_times.sort();
    app.panes.timeline.search.clear();

    // Bytes to a real terminal backend: a full first draw, one new entry, an idle tick.
    let counter = Counter::default();
    let mut real =
        Terminal::new(CrosstermBackend::new(counter.clone())).map_err(|e| e.to_string())?;
    real.resize(ratatui::layout::Rect::new(0, 0, width, height))
        .map_err(|e| e.to_string())?;
    real.draw(|f| view::render(&mut app, f))
        .map_err(|e| e.to_string())?;
    let full = counter.take();
    let bob = Actor::new("bob", [Role::Scribe]);
    let command = Command::AddNote {
        kind: EntryKind::Note,
        text: "Canary clean for 10 minutes in eu-west-1".into(),
        typed_at: None,
    };
    let mut per_entry = Vec::new();
    for _ in 0..20 {
        let new =
            decide(&app.state, &bob, &command, app.now, &runbooks, None).map_err(|e| e.message)?;
        for event in new {
            app.update(Msg::Sync(crate::net::SyncEvent::Event(event)));
        }
        real.draw(|f| view::render(&mut app, f))
            .map_err(|e| e.to_string())?;
        per_entry.push(counter.take());
    }
    per_entry.sort_unstable();
    let tick_at = app.now + Span::seconds(1);
    app.update(Msg::Tick(tick_at));
    real.draw(|f| view::render(&mut app, f))
        .map_err(|e| e.to_string())?;
    let tick_bytes = counter.take();
    let minute_at = app.now + Span::seconds(60);
    app.update(Msg::Tick(minute_at));
    real.draw(|f| view::render(&mut app, f))
        .map_err(|e| e.to_string())?;
    let minute_bytes = counter.take();

    let ms = |d: Duration| format!("{:.3}", d.as_secs_f64() * 1000.0);
    let mut out = String::new();
    out.push_str(&format!(
        "console at {width}x{height}, {} timeline entries ({} events built in {:.1} s)\n",
        app.state.timeline.len(),
        app.state.seq,
        build_time.as_secs_f64()
    ));
    out.push_str("| measure | value |\n|---|---|\n");
    out.push_str(&format!(
        "| frame, p50 / p99 / max | {} / {} / {} ms |\n",
        ms(percentile(&frame_times, 0.5)),
        ms(percentile(&frame_times, 0.99)),
        ms(*frame_times.last().unwrap_or(&Duration::ZERO))
    ));
    out.push_str(&format!(
        "| frame with a search filter: first (builds index) / p50 after | {} / {} ms |\n",
        ms(filter_first),
        ms(percentile(&filter_times, 0.5))
    ));
    out.push_str(&format!(
        "| first frame (replay {} events + layout + draw) | {} ms |\n",
        app.state.seq,
        ms(first_frame)
    ));
    out.push_str(&format!(
        "| bytes to the terminal: first full frame | {full} |\n"
    ));
    out.push_str(&format!(
        "| bytes for one new timeline entry, p50 / max of 20 | {} / {} |\n",
        per_entry.get(per_entry.len() / 2).copied().unwrap_or(0),
        per_entry.last().copied().unwrap_or(0)
    ));
    out.push_str(&format!(
        "| bytes for an idle tick (the second changes) | {tick_bytes} |\n"
    ));
    out.push_str(&format!(
        "| bytes for an idle tick when the minute changes | {minute_bytes} |\n"
    ));
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        out.push_str(&format!(
            "| resident memory: before / with the incident and a console | {:.1} / {:.1} MiB |\n",
            before as f64 / 1024.0,
            after as f64 / 1024.0
        ));
    }
    let _ = std::io::stdout().flush();
    Ok(out)
}
