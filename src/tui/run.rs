//! The console's event loop and the ways it starts: on an embedded hub (`warroom`), on
//! a throw-away demo (`warroom demo`), or joined to a remote hub (`warroom join`). One
//! `select!` over terminal input, hub events and a one-second tick; everything queued
//! is handled, then the screen is drawn once, and only if something changed.

use super::app::{App, Effect, Msg};
use super::incidents::Destination;
use super::layout::{self, Layout};
use super::panes::Read;
use super::terminal::{Term, TerminalGuard};
use super::theme::Theme;
use super::view;
use crate::incident::Runbooks;
use crate::net::{self, SyncOptions};
use crate::protocol::Identity;
use chrono::Utc;
use ratatui::crossterm::event::{
    self as term_event, Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How the console looks: chosen by flags, environment and the user's role.
#[derive(Debug, Clone, Default)]
pub struct Look {
    pub theme: Option<String>,
    pub layout: Option<String>,
}

impl Look {
    pub fn theme(&self) -> Result<Theme, String> {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let name = self.theme.clone().unwrap_or_else(|| "default".into());
        let user = dirs::config_dir().map(|d| d.join("warroom").join("themes"));
        Theme::select(&name, user.as_deref(), no_color).map_err(|e| e.to_string())
    }

    pub fn layout(
        &self,
        roles: &std::collections::BTreeSet<crate::incident::Role>,
    ) -> Result<Layout, String> {
        let name = self
            .layout
            .clone()
            .unwrap_or_else(|| layout::for_role(roles).to_string());
        let user = dirs::config_dir().map(|d| d.join("warroom").join("layouts"));
        Layout::select(&name, user.as_deref()).map_err(|e| e.to_string())
    }
}

/// Over a slow link, Esc and the next key arrive together and terminals report them as
/// Alt+key. Nothing in warroom is bound to Alt, so such an event is read back as the two
/// keys the person pressed: Esc, then the key.
pub fn split_alt(key: KeyEvent) -> Vec<Msg> {
    if key.modifiers.contains(KeyModifiers::ALT) && matches!(key.code, KeyCode::Char(_)) {
        let escape = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
        let plain = KeyEvent::new(key.code, key.modifiers - KeyModifiers::ALT);
        return vec![Msg::Key(escape), Msg::Key(plain)];
    }
    vec![Msg::Key(key)]
}

/// Terminal input arrives on a plain thread (crossterm's `read` blocks) and is passed
/// to the async loop through a channel.
fn spawn_input() -> mpsc::UnboundedReceiver<Msg> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        loop {
            let msgs = match term_event::read() {
                Ok(TermEvent::Key(key)) if key.kind != KeyEventKind::Release => split_alt(key),
                Ok(TermEvent::Resize(w, h)) => vec![Msg::Resize(w, h)],
                Ok(TermEvent::Paste(text)) => vec![Msg::Paste(text)],
                Ok(_) => continue,
                Err(_) => break,
            };
            if msgs.into_iter().any(|msg| tx.send(msg).is_err()) {
                break;
            }
        }
    });
    rx
}

/// Which incident on which hub, as whom.
pub struct Target<'a> {
    pub hub: &'a str,
    pub token: &'a str,
    pub incident: &'a str,
    pub me: Identity,
}

/// How a console ended: the user quit, or chose another incident or the lobby.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Quit,
    Switch(Destination),
}

/// Runs the console on the target incident until the user quits or leaves it.
pub async fn console(
    guard: &mut TerminalGuard,
    input: &mut mpsc::UnboundedReceiver<Msg>,
    runbooks: Arc<Runbooks>,
    look: &Look,
    target: Target<'_>,
) -> Result<Exit, String> {
    let Target {
        hub,
        token,
        incident,
        me,
    } = target;
    let theme = look.theme()?;
    let layout = look.layout(&me.roles)?;
    let mut app = App::new(runbooks, theme, layout, me, Utc::now());
    app.hub_label = hub.to_string();
    let size = guard.size().map_err(|e| e.to_string())?;
    app.update(Msg::Resize(size.width, size.height));
    let mut options = SyncOptions::new(hub, token, incident);
    options.watch_incidents = true;
    options.snapshot = true;
    let mut sync = net::sync::spawn(options);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        if app.dirty {
            draw(&mut guard.terminal, &mut app)?;
        }
        let first = tokio::select! {
            // No more input: the terminal (or the SSH channel) is gone.
            msg = input.recv() => match msg {
                Some(msg) => msg,
                None => break,
            },
            Some(event) = sync.events.recv() => Msg::Sync(event),
            Some(news) = sync.news.recv() => Msg::News(news),
            _ = tick.tick() => Msg::Tick(Utc::now()),
            _ = &mut stop => {
                tracing::info!("console stopped by a signal");
                break;
            }
        };
        let mut batch = vec![first];
        while let Ok(msg) = input.try_recv() {
            batch.push(msg);
        }
        while let Ok(event) = sync.events.try_recv() {
            batch.push(Msg::Sync(event));
        }
        while let Ok(news) = sync.news.try_recv() {
            batch.push(Msg::News(news));
        }
        let mut dirty = false;
        for msg in batch {
            if let Msg::Resize(width, height) = msg {
                guard.resize(width, height);
            }
            for effect in app.update(msg) {
                match effect {
                    Effect::Send(command) => {
                        let id = sync.send(command.clone());
                        app.sent(id, &command);
                    }
                    Effect::Read(read) => {
                        let id = match &read {
                            Read::Page { before_seq, limit } => {
                                sync.request_page(*before_seq, *limit)
                            }
                            Read::Search { query, before_seq } => sync.search(query, *before_seq),
                        };
                        app.asked(&id, &read);
                    }
                    Effect::Quit => {
                        tracing::info!("console quit by the user");
                        sync.stop();
                        return Ok(Exit::Quit);
                    }
                    Effect::Switch(to) => {
                        tracing::info!(?to, "console left the incident");
                        sync.stop();
                        return Ok(Exit::Switch(to));
                    }
                }
            }
            dirty |= app.dirty;
        }
        app.dirty = dirty;
    }
    sync.stop();
    Ok(Exit::Quit)
}

fn draw(terminal: &mut Term, app: &mut App) -> Result<(), String> {
    terminal
        .draw(|frame| view::render(app, frame))
        .map_err(|e| e.to_string())?;
    app.dirty = false;
    Ok(())
}

/// Ctrl-C arrives as a key in raw mode; SIGTERM (and SIGHUP when the SSH session
/// drops) end the console cleanly through the guard.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
    }
    #[cfg(not(unix))]
    std::future::pending::<()>().await
}

/// Enters the terminal and starts reading input: what every start mode does first.
pub fn enter() -> Result<(TerminalGuard, mpsc::UnboundedReceiver<Msg>), String> {
    let guard = TerminalGuard::enter().map_err(|e| format!("cannot set up the terminal: {e}"))?;
    Ok((guard, spawn_input()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alt_letters_are_read_as_escape_then_the_letter() {
        let alt_q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::ALT);
        let msgs = split_alt(alt_q);
        assert!(
            matches!(&msgs[..], [Msg::Key(a), Msg::Key(b)] if a.code == KeyCode::Esc && b.code == KeyCode::Char('q') && b.modifiers.is_empty())
        );
        assert_eq!(
            split_alt(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)).len(),
            1
        );
    }
}
