//! The lobby: what the console shows before an incident is open. It lists the hub's
//! incidents (open ones first) and declares a new one in three steps — title, severity
//! picked from the severity matrix with its descriptions, optional playbook — or, on an
//! embedded hub, opens the demo.

use super::app::Msg;
use super::panes::ellipsize;
use super::terminal::TerminalGuard;
use super::theme::{Meaning, Theme};
use crate::engine::IncidentSummary;
use crate::incident::{Command, Runbooks, Severity, Status};
use crate::net::HubClient;
use crate::protocol::HubFrame;
use ratatui::crossterm::event::{KeyCode, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};
use tokio::sync::mpsc;

/// What the lobby ends with.
pub enum Choice {
    Open(String),
    Demo,
    Quit,
}

enum Step {
    List,
    Title(String),
    Severity {
        title: String,
        selected: usize,
    },
    Playbook {
        title: String,
        severity: Severity,
        selected: usize,
    },
}

pub struct Lobby<'a> {
    runbooks: &'a Runbooks,
    theme: &'a Theme,
    items: Vec<IncidentSummary>,
    selected: usize,
    step: Step,
    message: Option<String>,
    demo_available: bool,
    header: String,
    /// The last 90 days' headline figures, judged when the lobby opens and again when
    /// the hub's news changes the list (never per frame: judging thousands of incidents
    /// per frame would show).
    figures: Option<Vec<String>>,
}

/// Open incidents first, newest first within each group.
fn sort_items(items: &mut [IncidentSummary]) {
    items.sort_by(|a, b| {
        (a.status == Status::Resolved)
            .cmp(&(b.status == Status::Resolved))
            .then(b.declared_at.cmp(&a.declared_at))
    });
}

impl<'a> Lobby<'a> {
    pub fn new(
        runbooks: &'a Runbooks,
        theme: &'a Theme,
        mut items: Vec<IncidentSummary>,
        demo_available: bool,
        header: String,
    ) -> Lobby<'a> {
        // A quarantined incident cannot be opened (`warroom list` names it and why).
        items.retain(|item| item.quarantined.is_none());
        sort_items(&mut items);
        let step = if items.is_empty() {
            Step::Title(String::new())
        } else {
            Step::List
        };
        let figures = super::lobby_figures::headline(&items, runbooks, chrono::Utc::now());
        Lobby {
            runbooks,
            theme,
            items,
            selected: 0,
            step,
            message: None,
            demo_available,
            header,
            figures,
        }
    }

    /// One incident as the hub's news has it now: added, changed in place, or gone
    /// (quarantined); the selection stays on the incident it was on.
    fn news(&mut self, item: IncidentSummary) {
        let selected = self.items.get(self.selected).map(|i| i.id.clone());
        self.items.retain(|known| known.id != item.id);
        if item.quarantined.is_none() {
            self.items.push(item);
        }
        sort_items(&mut self.items);
        self.selected = selected
            .and_then(|id| self.items.iter().position(|i| i.id == id))
            .unwrap_or(0);
        self.figures =
            super::lobby_figures::headline(&self.items, self.runbooks, chrono::Utc::now());
    }

    fn playbook_choices(&self) -> Vec<(Option<String>, String)> {
        let mut out = vec![(
            None,
            "No playbook for now (apply one later with p in the checklist)".to_string(),
        )];
        out.extend(self.runbooks.playbooks.iter().map(|p| {
            (
                Some(p.id.clone()),
                format!("{} — {} default ({})", p.title, p.default_severity, p.id),
            )
        }));
        out
    }

    pub async fn run(
        mut self,
        guard: &mut TerminalGuard,
        input: &mut mpsc::UnboundedReceiver<Msg>,
        client: &mut HubClient,
    ) -> Result<Choice, String> {
        let mut listening = true;
        loop {
            guard
                .terminal
                .draw(|frame| self.render(frame))
                .map_err(|e| e.to_string())?;
            // The hub's news (the client asked for it) keeps the list current while it
            // is shown: incidents declared or changed by anyone, through any hub.
            let next = tokio::select! {
                msg = input.recv() => msg,
                frame = client.next(), if listening => {
                    match frame {
                        Ok(HubFrame::IncidentChanged { item, .. }) => self.news(item),
                        Ok(_) => {}
                        // The list stays as it was; opening an incident reconnects.
                        Err(_) => listening = false,
                    }
                    continue;
                }
            };
            let key = match next {
                Some(Msg::Key(key)) => key,
                // A pasted title lands as text, on one line.
                Some(Msg::Paste(text)) => {
                    if let Step::Title(title) = &mut self.step {
                        let (text, _) = super::editing::pasted(&text, false);
                        let room = crate::incident::limits::TITLE_MAX_CHARS
                            .saturating_sub(title.chars().count());
                        title.extend(text.chars().take(room));
                    }
                    continue;
                }
                Some(Msg::Resize(width, height)) => {
                    guard.resize(width, height);
                    continue;
                }
                // The terminal (or the SSH channel) is gone.
                None => return Ok(Choice::Quit),
                _ => continue,
            };
            let ctrl_c =
                key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
            if ctrl_c {
                return Ok(Choice::Quit);
            }
            self.message = None;
            let step = std::mem::replace(&mut self.step, Step::List);
            self.step = match step {
                Step::List => match key.code {
                    KeyCode::Char('q') | KeyCode::Esc => return Ok(Choice::Quit),
                    KeyCode::Down | KeyCode::Char('j') => {
                        self.selected = (self.selected + 1).min(self.items.len().saturating_sub(1));
                        Step::List
                    }
                    KeyCode::Up | KeyCode::Char('k') => {
                        self.selected = self.selected.saturating_sub(1);
                        Step::List
                    }
                    KeyCode::Enter => match self.items.get(self.selected) {
                        Some(item) => return Ok(Choice::Open(item.id.clone())),
                        None => Step::List,
                    },
                    KeyCode::Char('n') => Step::Title(String::new()),
                    KeyCode::Char('d') if self.demo_available => return Ok(Choice::Demo),
                    _ => Step::List,
                },
                Step::Title(mut title) => match key.code {
                    KeyCode::Esc if self.items.is_empty() => return Ok(Choice::Quit),
                    KeyCode::Esc => Step::List,
                    KeyCode::Char('d')
                        if title.is_empty() && self.demo_available && self.items.is_empty() =>
                    {
                        return Ok(Choice::Demo);
                    }
                    KeyCode::Enter if !title.trim().is_empty() => {
                        Step::Severity { title, selected: 1 }
                    }
                    KeyCode::Enter => {
                        self.message = Some(
                            "type a short title first, e.g. “PII visible across tenants”".into(),
                        );
                        Step::Title(title)
                    }
                    KeyCode::Backspace => {
                        title.pop();
                        Step::Title(title)
                    }
                    KeyCode::Char(c) => {
                        if title.chars().count() < crate::incident::limits::TITLE_MAX_CHARS {
                            title.push(c);
                        }
                        Step::Title(title)
                    }
                    _ => Step::Title(title),
                },
                Step::Severity { title, selected } => match key.code {
                    KeyCode::Esc => Step::Title(title),
                    KeyCode::Down | KeyCode::Char('j') => Step::Severity {
                        title,
                        selected: (selected + 1).min(4),
                    },
                    KeyCode::Up | KeyCode::Char('k') => Step::Severity {
                        title,
                        selected: selected.saturating_sub(1),
                    },
                    KeyCode::Char(c @ '1'..='5') => Step::Severity {
                        title,
                        selected: usize::from(c as u8 - b'1'),
                    },
                    KeyCode::Enter => Step::Playbook {
                        title,
                        severity: Severity::ALL[selected.min(4)],
                        selected: 0,
                    },
                    _ => Step::Severity { title, selected },
                },
                Step::Playbook {
                    title,
                    severity,
                    selected,
                } => {
                    let count = self.playbook_choices().len();
                    match key.code {
                        KeyCode::Esc => Step::Severity {
                            title,
                            selected: usize::from(severity.rank() - 1),
                        },
                        KeyCode::Down | KeyCode::Char('j') => Step::Playbook {
                            title,
                            severity,
                            selected: (selected + 1).min(count - 1),
                        },
                        KeyCode::Up | KeyCode::Char('k') => Step::Playbook {
                            title,
                            severity,
                            selected: selected.saturating_sub(1),
                        },
                        KeyCode::Enter => {
                            let playbook = self
                                .playbook_choices()
                                .into_iter()
                                .nth(selected)
                                .and_then(|(id, _)| id);
                            let command = Command::Declare {
                                id: String::new(),
                                title: title.trim().to_string(),
                                severity,
                                playbook,
                                summary: None,
                            };
                            match client.command(None, command).await {
                                Ok((id, _)) => return Ok(Choice::Open(id)),
                                Err(e) => {
                                    self.message = Some(e.to_string());
                                    Step::Playbook {
                                        title,
                                        severity,
                                        selected,
                                    }
                                }
                            }
                        }
                        _ => Step::Playbook {
                            title,
                            severity,
                            selected,
                        },
                    }
                }
            };
        }
    }

    fn render(&self, frame: &mut ratatui::Frame) {
        let theme = self.theme;
        let area = frame.area();
        let block = Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Rounded)
            .border_style(theme.style(Meaning::Border))
            .title(Span::styled(
                // Cut with `…`, never at the corner (a long data path or token file).
                format!(
                    " {} ",
                    super::panes::ellipsize(
                        &format!("warroom — {}", self.header),
                        usize::from(area.width.saturating_sub(4)),
                    )
                ),
                theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [body, footer] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(2)]).areas(inner);
        let width = usize::from(body.width);
        let mut lines: Vec<Line> = Vec::new();
        let hint;
        match &self.step {
            Step::List => {
                lines.push(Line::from(Span::styled(
                    "Incidents",
                    theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
                )));
                if let Some(figures) = &self.figures {
                    for line in super::lobby_figures::pack(figures, width) {
                        lines.push(Line::from(Span::styled(
                            ellipsize(&line, width),
                            theme.style(Meaning::Muted),
                        )));
                    }
                }
                for (i, item) in self.items.iter().enumerate() {
                    let sev = item.severity.map_or(Meaning::Muted, Meaning::Severity);
                    let row = format!("{:<18} {:<13} {}", item.id, item.status.title(), item.title);
                    let mut spans = vec![
                        Span::styled(
                            format!(" {} ", item.severity.map_or("SEV?", |s| s.code())),
                            theme.style(sev).add_modifier(Modifier::BOLD),
                        ),
                        Span::raw(" "),
                        Span::raw(ellipsize(&row, width.saturating_sub(8))),
                    ];
                    if i == self.selected {
                        spans = spans
                            .into_iter()
                            .map(|s| s.patch_style(theme.style(Meaning::Selection)))
                            .collect();
                    }
                    lines.push(Line::from(spans));
                }
                hint = if self.demo_available {
                    "↑↓ choose · Enter open · n declare new · d demo incident · q quit"
                } else {
                    "↑↓ choose · Enter open · n declare new · q quit"
                };
            }
            Step::Title(title) => {
                lines.push(Line::from(Span::styled(
                    "Declare an incident — 1/3 title",
                    theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
                )));
                if self.items.is_empty() {
                    lines.push(Line::from(Span::styled("No incidents yet. When in doubt, declare: it is cheap to resolve a false alarm.", theme.style(Meaning::Muted))));
                }
                lines.push(Line::from(""));
                lines.push(Line::from(vec![
                    Span::styled("Title: ", theme.style(Meaning::Focus)),
                    Span::raw(title.clone()),
                    Span::styled("▏", theme.style(Meaning::Focus)),
                ]));
                hint = if self.items.is_empty() && self.demo_available {
                    "type a title · Enter next · d (empty title) demo incident · Esc quit"
                } else {
                    "type a title · Enter next · Esc back"
                };
            }
            Step::Severity { title, selected } => {
                lines.push(Line::from(Span::styled(
                    format!("Declare “{title}” — 2/3 severity"),
                    theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
                )));
                if !self.runbooks.severity.rule_of_thumb.is_empty() {
                    lines.push(Line::from(Span::styled(
                        self.runbooks.severity.rule_of_thumb.clone(),
                        theme.style(Meaning::Muted),
                    )));
                }
                for (i, level) in self.runbooks.severity.level.iter().enumerate() {
                    let mut text = format!(
                        " {} {} ({}) — {}",
                        level.code, level.name, level.alias, level.impact
                    );
                    if !level.scope.is_empty() {
                        text.push_str(&format!("; {}", level.scope));
                    }
                    if let Some(minutes) = level.response_minutes {
                        text.push_str(&format!("; respond within {minutes} min"));
                    }
                    let mut style = theme.style(Meaning::Severity(level.code));
                    if i == *selected {
                        style = theme.style(Meaning::Selection).add_modifier(Modifier::BOLD);
                    }
                    lines.push(Line::from(Span::styled(ellipsize(&text, width), style)));
                    if i == *selected && !level.examples.is_empty() {
                        lines.push(Line::from(Span::styled(
                            ellipsize(&format!("     e.g. {}", level.examples.join(", ")), width),
                            theme.style(Meaning::Muted),
                        )));
                    }
                }
                hint = "↑↓ or 1-5 choose · Enter next · Esc back";
            }
            Step::Playbook {
                title,
                severity,
                selected,
            } => {
                lines.push(Line::from(Span::styled(
                    format!("Declare “{title}” as {severity} — 3/3 playbook"),
                    theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
                )));
                let choices = self.playbook_choices();
                let rows = usize::from(body.height).saturating_sub(2);
                let first = selected.saturating_sub(rows.saturating_sub(1));
                for (i, (_, label)) in choices.iter().enumerate().skip(first).take(rows) {
                    let style = if i == *selected {
                        theme.style(Meaning::Selection)
                    } else {
                        theme.style(Meaning::Text)
                    };
                    lines.push(Line::from(Span::styled(
                        ellipsize(&format!(" {label}"), width),
                        style,
                    )));
                }
                hint = "↑↓ choose · Enter declares · Esc back";
            }
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
        let mut foot = vec![Line::from(Span::styled(hint, theme.style(Meaning::Muted)))];
        if let Some(message) = &self.message {
            foot.insert(
                0,
                Line::from(Span::styled(message.clone(), theme.style(Meaning::Danger))),
            );
        }
        frame.render_widget(Paragraph::new(foot), footer);
        super::safe_cells::clean(frame.buffer_mut());
    }
}
