//! The guard on resolving and on lowering severity: instead of sending at once, a
//! dialog lists what is still open (`incident::loose_ends`, the same list the CLI
//! warns with), scrolls it with the answer keys pinned, and asks for a one-line
//! summary or reason. Enter with nothing typed sends nothing and says so; with text
//! the command goes out carrying it as its `reason`, which the timeline shows.

use super::app::{App, Effect};
use super::dialog::Dialog;
use super::modal::{self, Modal};
use super::theme::{Meaning, Theme};
use crate::incident::Command;
use crate::incident::Status;
use crate::incident::loose_ends::LooseEnds;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use ratatui_textarea::TextArea;

/// The open guard dialog.
pub struct Guard {
    pub title: String,
    /// What is still open, one line each (empty: nothing).
    pub open: Vec<String>,
    /// The command to send, its `reason` filled from the input.
    pub command: Command,
    /// "Summary" for resolving, "Reason" for lowering severity.
    pub asks: &'static str,
    /// What Enter does, for the answer keys ("resolve", "lower severity").
    pub verb: &'static str,
    pub input: TextArea<'static>,
    pub scroll: u16,
    /// Enter was pressed with nothing typed.
    pub refused: bool,
}

impl Guard {
    /// The guard `command` needs in `app`'s incident: resolving, or a severity lower
    /// (a larger SEV number) than the current one. `None`: send it as it is.
    pub fn for_command(app: &App, command: &Command) -> Option<Guard> {
        let state = &app.state;
        let (title, asks, verb) = match command {
            Command::SetStatus {
                status: Status::Resolved,
                ..
            } => (format!("Resolve {}?", state.id), "Summary", "resolve"),
            Command::SetSeverity { severity, .. }
                if state
                    .severity
                    .is_some_and(|now| severity.rank() > now.rank()) =>
            {
                let from = state.severity.map_or(String::new(), |s| s.to_string());
                (
                    format!("Lower severity {from} → {severity}?"),
                    "Reason",
                    "lower severity",
                )
            }
            _ => return None,
        };
        Some(Guard {
            title,
            open: LooseEnds::of(state, app.now).lines(),
            command: command.clone(),
            asks,
            verb,
            input: modal::single_line(""),
            scroll: 0,
            refused: false,
        })
    }

    /// The dialog's text: what is still open, then what the answer becomes.
    fn lines(&self, theme: &Theme) -> Vec<(String, ratatui::style::Style)> {
        let text = theme.style(Meaning::Text);
        let mut lines = Vec::new();
        if self.open.is_empty() {
            lines.push(("Nothing is still open.".to_string(), text));
        } else {
            lines.push((
                "Still open:".to_string(),
                theme.style(Meaning::Warn).add_modifier(Modifier::BOLD),
            ));
            lines.extend(self.open.iter().map(|l| (format!("  • {l}"), text)));
        }
        lines.push((String::new(), text));
        lines.push((
            format!(
                "Type a one-line {} (required): it is recorded as the reason on the timeline.",
                self.asks.to_lowercase()
            ),
            theme.style(Meaning::Muted),
        ));
        lines
    }

    /// Draws the dialog over `area`: the scrolling list, then the input.
    pub fn render(&mut self, theme: &Theme, area: Rect, buf: &mut Buffer) {
        let keys = format!("Enter: {} · Esc: cancel", self.verb);
        let lines = self.lines(theme);
        let foot = Dialog {
            title: &self.title,
            lines,
            keys: &keys,
            border: Meaning::Warn,
            width: 78,
        }
        .render_reserving(area, buf, theme, &mut self.scroll, 2);
        let [label, input] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(foot);
        let label_line = if self.refused {
            Line::from(Span::styled(
                format!(
                    "A {} is required: type one line, then Enter.",
                    self.asks.to_lowercase()
                ),
                theme.style(Meaning::Danger).add_modifier(Modifier::BOLD),
            ))
        } else {
            Line::from(Span::styled(
                format!("{}:", self.asks),
                theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
            ))
        };
        Paragraph::new(super::panes::fit_line(label_line, usize::from(label.width)))
            .render(label, buf);
        let [mark, field] =
            Layout::horizontal([Constraint::Length(2), Constraint::Min(1)]).areas(input);
        Paragraph::new(Span::styled("› ", theme.style(Meaning::Focus))).render(mark, buf);
        self.input
            .set_cursor_line_style(ratatui::style::Style::default());
        self.input
            .set_selection_style(theme.style(Meaning::Selection));
        (&self.input).render(field, buf);
    }
}

/// `command` with `reason` as its reason (the guarded commands carry one).
fn with_reason(command: Command, reason: String) -> Command {
    match command {
        Command::SetStatus { status, .. } => Command::SetStatus {
            status,
            reason: Some(reason),
        },
        Command::SetSeverity { severity, .. } => Command::SetSeverity {
            severity,
            reason: Some(reason),
        },
        other => other,
    }
}

impl App {
    /// Sends `command`, or opens its guard when it resolves or lowers severity.
    pub(super) fn send_guarded(&mut self, command: Command) -> Vec<Effect> {
        match Guard::for_command(self, &command) {
            Some(guard) => {
                self.modal = Some(Modal::Guard(Box::new(guard)));
                Vec::new()
            }
            None => vec![Effect::Send(command)],
        }
    }

    /// Keys while the guard is open: Esc cancels, Enter sends with the typed line (or
    /// refuses an empty one), ↑↓ PgUp PgDn scroll the list, the rest edits the line.
    pub(super) fn on_guard_key(
        &mut self,
        mut guard: Box<Guard>,
        key: KeyEvent,
        escape: bool,
    ) -> Vec<Effect> {
        if escape {
            self.toast = Some("cancelled".into());
            return Vec::new();
        }
        match key.code {
            KeyCode::Enter => {
                let typed = super::editing::text(&guard.input, false);
                let reason = typed.trim();
                if !reason.is_empty() {
                    return vec![Effect::Send(with_reason(guard.command, reason.to_string()))];
                }
                guard.refused = true;
            }
            KeyCode::Up | KeyCode::Down | KeyCode::PageUp | KeyCode::PageDown => {
                guard.scroll = modal::scrolled(guard.scroll, key.code);
            }
            _ => {
                if super::editing::edit(&mut guard.input, key, false) {
                    guard.refused = false;
                }
            }
        }
        self.modal = Some(Modal::Guard(guard));
        Vec::new()
    }
}
