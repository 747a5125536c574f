//! Terminal set-up and restore. The guard puts the terminal in raw mode on the
//! alternate screen with bracketed paste on (a paste arrives as text, not as keys) and
//! puts it back when dropped; the panic hook restores it before the panic message
//! prints, so a crash never leaves an SSH session in raw mode.
//!
//! The screen is any writer: this process's stdout, or a terminal far away (the SSH
//! door's channel), whose size is told rather than asked (`remote`, `resize`).

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use ratatui::crossterm::{cursor, execute, terminal};
use ratatui::layout::{Rect, Size};
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::io::{Write, stdout};

/// Where frames go: stdout, or an SSH channel.
pub type Screen = Box<dyn Write + Send>;
pub type Term = Terminal<CrosstermBackend<Screen>>;

pub struct TerminalGuard {
    pub terminal: Term,
    /// The size of a terminal that is not this process's own; `None` for stdout.
    remote: Option<Rect>,
}

/// Puts the terminal back: bracketed paste off, leave the alternate screen, show the
/// cursor, cooked mode. Safe to call more than once.
pub fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableBracketedPaste,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
}

impl TerminalGuard {
    pub fn enter() -> std::io::Result<TerminalGuard> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        let entered = execute!(
            stdout(),
            terminal::EnterAlternateScreen,
            EnableBracketedPaste,
            cursor::Hide
        );
        if let Err(e) = entered {
            restore();
            return Err(e);
        }
        let screen: Screen = Box::new(stdout());
        match Terminal::new(CrosstermBackend::new(screen)) {
            Ok(terminal) => Ok(TerminalGuard {
                terminal,
                remote: None,
            }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    /// A terminal at the other end of `screen` (its client already put it in raw mode,
    /// as `ssh -t` does), `width` × `height` cells until told otherwise.
    pub fn remote(mut screen: Screen, width: u16, height: u16) -> std::io::Result<TerminalGuard> {
        execute!(
            screen,
            terminal::EnterAlternateScreen,
            EnableBracketedPaste,
            cursor::Hide
        )?;
        let area = Rect::new(0, 0, width, height);
        let options = TerminalOptions {
            viewport: Viewport::Fixed(area),
        };
        let terminal = Terminal::with_options(CrosstermBackend::new(screen), options)?;
        Ok(TerminalGuard {
            terminal,
            remote: Some(area),
        })
    }

    /// The screen's size in cells.
    pub fn size(&self) -> std::io::Result<Size> {
        match self.remote {
            Some(area) => Ok(area.as_size()),
            None => self.terminal.size(),
        }
    }

    /// The terminal was resized: a remote one is told (a local one resizes itself at
    /// the next draw).
    pub fn resize(&mut self, width: u16, height: u16) {
        if let Some(area) = &mut self.remote {
            *area = Rect::new(0, 0, width, height);
            let _ = self.terminal.resize(*area);
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if self.remote.is_none() {
            restore();
            return;
        }
        let screen = self.terminal.backend_mut();
        let _ = execute!(
            screen,
            DisableBracketedPaste,
            terminal::LeaveAlternateScreen,
            cursor::Show
        );
    }
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}
