//! The timeline (the scribe's pane): UTC-stamped entries, newest at the bottom, that
//! follow live unless you scroll up; a note editor that stays open while you type
//! (Enter sends, Tab switches note/decision/action, Esc closes and keeps the draft);
//! filter by kind or by you, `/` search, and corrections that keep the original.
//! Rendering touches only the visible rows, so 100,000 entries cost the same as 100.

use super::{Pane, Prompt, Purpose, Reaction, ViewCtx, ellipsize, frame};
use crate::incident::{Command, EntryKind, State};
use crate::tui::keymap::{Action, Context};
use crate::tui::layout::PaneKind;
use crate::tui::theme::Meaning;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use ratatui_textarea::TextArea;

/// What the filter key cycles through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    All,
    Kind(EntryKind),
    Mine,
}

impl Filter {
    fn next(self) -> Filter {
        match self {
            Filter::All => Filter::Kind(EntryKind::Note),
            Filter::Kind(EntryKind::Note) => Filter::Kind(EntryKind::Decision),
            Filter::Kind(EntryKind::Decision) => Filter::Kind(EntryKind::Action),
            Filter::Kind(EntryKind::Action) => Filter::Kind(EntryKind::Comms),
            Filter::Kind(EntryKind::Comms) => Filter::Kind(EntryKind::System),
            Filter::Kind(EntryKind::System) => Filter::Mine,
            Filter::Mine => Filter::All,
        }
    }

    fn label(self) -> String {
        match self {
            Filter::All => String::new(),
            Filter::Kind(kind) => format!("only {kind}"),
            Filter::Mine => "only mine".into(),
        }
    }
}

pub struct TimelinePane {
    pub filter: Filter,
    pub search: String,
    /// Pinned to the newest entry.
    pub follow: bool,
    /// Index into the shown entries (when not following).
    pub selected: usize,
    /// Entries in the timeline when you stopped following (to count what is new).
    seen: usize,
    pub editor: Option<(EntryKind, TextArea<'static>)>,
    /// A closed editor's unsent text, restored when it reopens.
    pub draft: Option<(EntryKind, String)>,
    /// Cached indices of shown entries: (timeline length, filter, search) → indices.
    cache: Option<(usize, Filter, String, Vec<usize>)>,
}

impl Default for TimelinePane {
    fn default() -> Self {
        TimelinePane {
            filter: Filter::All,
            search: String::new(),
            follow: true,
            selected: 0,
            seen: 0,
            editor: None,
            draft: None,
            cache: None,
        }
    }
}

fn kind_label(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Note => "note",
        EntryKind::Decision => "DECISION",
        EntryKind::Action => "action",
        EntryKind::Comms => "comms",
        EntryKind::System => "·",
    }
}

impl TimelinePane {
    fn filtering(&self) -> bool {
        self.filter != Filter::All || !self.search.is_empty()
    }

    /// Indices of the entries shown, recomputed only when something they depend on
    /// changed. Without a filter the identity is implied and nothing is allocated.
    fn shown<'a>(&'a mut self, state: &State, me: &str) -> Option<&'a [usize]> {
        if !self.filtering() {
            return None;
        }
        let len = state.timeline.len();
        let fresh = matches!(&self.cache, Some((l, f, s, _)) if *l == len && *f == self.filter && *s == self.search);
        if !fresh {
            let needle = self.search.to_lowercase();
            let indices = state
                .timeline
                .iter()
                .enumerate()
                .filter(|(_, e)| match self.filter {
                    Filter::All => true,
                    Filter::Kind(kind) => e.kind == kind,
                    Filter::Mine => e.author == me,
                })
                .filter(|(_, e)| {
                    needle.is_empty()
                        || e.current_text().to_lowercase().contains(&needle)
                        || e.author.to_lowercase().contains(&needle)
                })
                .map(|(i, _)| i)
                .collect();
            self.cache = Some((len, self.filter, self.search.clone(), indices));
        }
        self.cache.as_ref().map(|(_, _, _, v)| v.as_slice())
    }

    fn count(&mut self, state: &State, me: &str) -> usize {
        match self.shown(state, me) {
            Some(v) => v.len(),
            None => state.timeline.len(),
        }
    }

    fn entry_index(&mut self, state: &State, me: &str, position: usize) -> Option<usize> {
        match self.shown(state, me) {
            Some(v) => v.get(position).copied(),
            None => (position < state.timeline.len()).then_some(position),
        }
    }

    fn open_editor(&mut self, kind: EntryKind) {
        let text = match self.draft.take() {
            Some((_, text)) => text,
            None => String::new(),
        };
        let mut area = TextArea::new(vec![text]);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        self.editor = Some((kind, area));
    }

    fn move_by(&mut self, delta: isize, count: usize) {
        if count == 0 {
            return;
        }
        if self.follow {
            self.selected = count - 1;
            self.seen = count;
        }
        let next = (self.selected as isize + delta).clamp(0, count as isize - 1) as usize;
        self.follow = delta > 0 && next == count - 1;
        self.selected = next;
    }
}

impl Pane for TimelinePane {
    fn kind(&self) -> PaneKind {
        PaneKind::Timeline
    }

    fn context(&self) -> Context {
        Context::Timeline
    }

    fn hint(&self) -> &'static str {
        if self.editor.is_some() {
            "Enter send · Tab note/decision/action · Esc close (keeps draft)"
        } else {
            "n note · d decision · a action · / search · f filter · c correct · G follow"
        }
    }

    fn capturing(&self) -> bool {
        self.editor.is_some()
    }

    fn unsent(&self) -> Option<String> {
        let typed = self
            .editor
            .as_ref()
            .map(|(_, t)| t.lines().join("\n"))
            .or_else(|| self.draft.as_ref().map(|(_, t)| t.clone()))
            .filter(|t| !t.trim().is_empty())?;
        Some(format!("an unsent note: “{}”", ellipsize(&typed, 40)))
    }

    fn on_key(&mut self, key: KeyEvent, _ctx: &ViewCtx) -> Reaction {
        let Some((kind, editor)) = self.editor.as_mut() else {
            return Reaction::None;
        };
        match key.code {
            KeyCode::Esc => {
                let text = editor.lines().join("\n");
                let kind = *kind;
                self.editor = None;
                if !text.trim().is_empty() {
                    self.draft = Some((kind, text));
                }
                Reaction::None
            }
            KeyCode::Enter => {
                let text = editor.lines().join("\n");
                if text.trim().is_empty() {
                    return Reaction::None;
                }
                let kind = *kind;
                *editor = TextArea::default();
                self.follow = true;
                Reaction::Send(Command::AddNote {
                    kind,
                    text: text.trim().to_string(),
                })
            }
            KeyCode::Tab => {
                *kind = match kind {
                    EntryKind::Note => EntryKind::Decision,
                    EntryKind::Decision => EntryKind::Action,
                    _ => EntryKind::Note,
                };
                Reaction::None
            }
            _ => {
                editor.input(key);
                Reaction::None
            }
        }
    }

    fn on_action(&mut self, action: Action, ctx: &ViewCtx) -> Reaction {
        let count = self.count(ctx.state, ctx.me);
        let page = 10;
        match action {
            Action::ComposeNote => self.open_editor(EntryKind::Note),
            Action::ComposeDecision => self.open_editor(EntryKind::Decision),
            Action::ComposeAction => self.open_editor(EntryKind::Action),
            Action::Up => self.move_by(-1, count),
            Action::Down => self.move_by(1, count),
            Action::PageUp => self.move_by(-page, count),
            Action::PageDown => self.move_by(page, count),
            Action::Top => {
                self.follow = false;
                self.seen = ctx.state.timeline.len();
                self.selected = 0;
            }
            Action::Bottom => self.follow = true,
            Action::CycleFilter => {
                self.filter = self.filter.next();
                self.follow = true;
            }
            Action::Cancel => {
                self.filter = Filter::All;
                self.search.clear();
                self.follow = true;
            }
            Action::Search => {
                return Reaction::Prompt(Prompt {
                    owner: Some(PaneKind::Timeline),
                    purpose: Purpose::Search,
                    title: "Search the timeline (text or author; empty clears)".into(),
                    initial: self.search.clone(),
                });
            }
            Action::Correct | Action::Select => {
                let position = if self.follow {
                    count.saturating_sub(1)
                } else {
                    self.selected
                };
                let Some(index) = self.entry_index(ctx.state, ctx.me, position) else {
                    return Reaction::Toast("nothing selected".into());
                };
                let entry = &ctx.state.timeline[index];
                if !entry.kind.is_written_by_people() {
                    return Reaction::Toast("warroom wrote that entry; add a note instead".into());
                }
                return Reaction::Prompt(Prompt {
                    owner: Some(PaneKind::Timeline),
                    purpose: Purpose::Correct(entry.seq),
                    title: format!("Correct #{} (the original stays in the log)", entry.seq),
                    initial: entry.current_text().to_string(),
                });
            }
            _ => {}
        }
        Reaction::None
    }

    fn on_submit(&mut self, purpose: &Purpose, value: &str, _ctx: &ViewCtx) -> Reaction {
        match purpose {
            Purpose::Search => {
                self.search = value.trim().to_string();
                self.follow = true;
                Reaction::None
            }
            Purpose::Correct(seq) if !value.trim().is_empty() => {
                Reaction::Send(Command::CorrectNote {
                    entry: *seq,
                    text: value.trim().to_string(),
                })
            }
            _ => Reaction::None,
        }
    }

    fn render(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer, focused: bool) {
        let theme = ctx.theme;
        let total = ctx.state.timeline.len();
        let count = self.count(ctx.state, ctx.me);
        if self.follow {
            self.selected = count.saturating_sub(1);
            self.seen = total;
        }
        let mut status = Vec::new();
        if self.filtering() {
            let mut parts = vec![self.filter.label()];
            if !self.search.is_empty() {
                parts.push(format!("“{}”", self.search));
            }
            parts.retain(|p| !p.is_empty());
            status.push(format!("{} · {count}/{total}", parts.join(" ")));
        } else {
            status.push(format!("{total}"));
        }
        if !self.follow {
            let new = total.saturating_sub(self.seen);
            status.push(if new > 0 {
                format!("paused, {new} new — G follows")
            } else {
                "paused — G follows".into()
            });
        }
        let meaning = if self.follow {
            Meaning::Muted
        } else {
            Meaning::Warn
        };
        let block = frame(
            theme,
            ctx.number,
            PaneKind::Timeline.title(),
            Some(Span::styled(status.join(" · "), theme.style(meaning))),
            focused,
        );
        let inner = block.inner(area);
        block.render(area, buf);

        let editor_height = if self.editor.is_some() { 3 } else { 0 };
        let [list_area, editor_area] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(editor_height)]).areas(inner);
        let rows = usize::from(list_area.height);
        let first = if count <= rows {
            0
        } else if self.follow {
            count - rows
        } else {
            self.selected.saturating_sub(rows / 2).min(count - rows)
        };
        let width = usize::from(list_area.width);
        let mut lines = Vec::with_capacity(rows);
        for position in first..(first + rows).min(count) {
            let Some(index) = self.entry_index(ctx.state, ctx.me, position) else {
                break;
            };
            let entry = &ctx.state.timeline[index];
            let mut text = entry.current_text().replace('\n', " ⏎ ");
            if entry.correction.is_some() {
                text.push_str(" (corrected)");
            }
            let prefix = format!(
                "{} {:<9} ",
                entry.at.format("%H:%M:%S"),
                ellipsize(&entry.author, 9)
            );
            let kind = format!("{:<8} ", kind_label(entry.kind));
            let room = width.saturating_sub(prefix.chars().count() + kind.chars().count());
            let mut kind_style = theme.style(Meaning::Kind(entry.kind));
            if entry.kind == EntryKind::Decision {
                kind_style = kind_style.add_modifier(Modifier::BOLD);
            }
            // Severity, status, title and seat changes stand out; other system
            // entries (ticks, cells, alerts) stay quiet.
            let text_style = match (entry.kind, entry.milestone) {
                (EntryKind::System, true) => theme.style(Meaning::Info),
                (EntryKind::System, false) => theme.style(Meaning::Muted),
                _ => theme.style(Meaning::Text),
            };
            let mut line = Line::from(vec![
                Span::styled(prefix, theme.style(Meaning::Muted)),
                Span::styled(kind, kind_style),
                Span::styled(ellipsize(&text, room), text_style),
            ]);
            if focused && !self.follow && position == self.selected {
                line = line.style(theme.style(Meaning::Selection));
            }
            lines.push(line);
        }
        if count == 0 {
            let message = if self.filtering() {
                "nothing matches — Esc clears the filter"
            } else {
                "no entries yet — press n to write a note"
            };
            lines.push(Line::from(Span::styled(
                message,
                theme.style(Meaning::Muted),
            )));
        }
        Paragraph::new(lines).render(list_area, buf);

        if let Some((kind, editor)) = self.editor.as_mut() {
            let title = format!(" new {kind} — Enter sends · Tab kind · Esc closes ");
            let block = ratatui::widgets::Block::default()
                .borders(ratatui::widgets::Borders::TOP)
                .border_style(theme.style(Meaning::Focus))
                .title(Span::styled(title, theme.style(Meaning::Focus)));
            editor.set_block(block);
            editor.set_cursor_line_style(ratatui::style::Style::default());
            (&*editor).render(editor_area, buf);
        }
    }
}
