//! The checklist (the IC's pane): every live item grouped under its source ("First 15
//! minutes", "Playbook: …", "Ad hoc"), numbered as `warroom tick INC n` numbers them,
//! with owner, who ticked it and when, and deadlines that turn warn, then overdue. The
//! pane owns only the selection and scroll; ticking, adding, assigning and applying a
//! playbook become commands for the hub.

mod rows;
#[cfg(test)]
mod tests;

use super::{Pane, Picker, Prompt, Purpose, Reaction, ViewCtx, ellipsize, frame, refuse};
use crate::incident::limits::{NOTE_MAX_CHARS, check_text};
use crate::incident::role::Permission;
use crate::incident::{Command, Role, State};
use crate::tui::keymap::{Action, Context};
use crate::tui::layout::PaneKind;
use crate::tui::theme::Meaning;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState};
use ratatui::widgets::{StatefulWidget, Widget};
use rows::{Row, detail, item_line, rows, seconds_left};

#[derive(Default)]
pub struct ChecklistPane {
    /// The selected item's id, not its position: positions shift when a group grows.
    selected: Option<String>,
    /// The first display row shown.
    offset: usize,
    /// Rows shown at the last render, so paging moves by what the user sees.
    page: usize,
}

impl ChecklistPane {
    /// The selected item's index; the first item when nothing is selected yet.
    fn current(&self, state: &State) -> Option<usize> {
        let found = self.selected.as_deref().and_then(|id| state.item_index(id));
        found.or((!state.checklist.is_empty()).then_some(0))
    }

    /// The item under the cursor (the first while nothing is selected yet): what a
    /// follow-up made here comes from.
    pub fn selected_item<'a>(
        &self,
        state: &'a State,
    ) -> Option<&'a crate::incident::state::ChecklistItem> {
        self.current(state).and_then(|i| state.checklist.get(i))
    }

    fn move_by(&mut self, state: &State, delta: isize) {
        let order: Vec<usize> = rows(state)
            .iter()
            .filter_map(|r| match r {
                Row::Item { index, .. } => Some(*index),
                Row::Header(..) => None,
            })
            .collect();
        let at = self
            .current(state)
            .and_then(|c| order.iter().position(|i| *i == c));
        let Some(at) = at else { return };
        let next = at.saturating_add_signed(delta).min(order.len() - 1);
        self.selected = Some(state.checklist[order[next]].id.clone());
    }

    fn toggle(&self, state: &State) -> Reaction {
        let Some(item) = self.current(state).map(|i| &state.checklist[i]) else {
            return Reaction::Toast("no items yet — o adds one, p applies a playbook".into());
        };
        let id = item.id.clone();
        match item.done {
            Some(_) => Reaction::Send(Command::Untick { item: id }),
            None => Reaction::Send(Command::Tick { item: id }),
        }
    }

    fn assign(&self, ctx: &ViewCtx) -> Reaction {
        let Some(index) = self.current(ctx.state) else {
            return Reaction::Toast("no items to assign — o adds one".into());
        };
        let item = &ctx.state.checklist[index];
        let now = |role: Option<Role>| if item.role == role { " (now)" } else { "" };
        let mut choices: Vec<(String, String)> = (Role::ALL.into_iter())
            .filter(|r| *r != Role::Observer)
            .map(|r| {
                (
                    r.id().into(),
                    format!("{r} — {}{}", r.title(), now(Some(r))),
                )
            })
            .collect();
        choices.push(("nobody".into(), format!("nobody{}", now(None))));
        Reaction::Pick(Picker {
            owner: Some(PaneKind::Checklist),
            purpose: Purpose::AssignItem(item.id.clone()),
            title: format!("Who owns item {}? {}", index + 1, ellipsize(&item.text, 40)),
            choices,
        })
    }

    fn playbooks(&self, ctx: &ViewCtx) -> Reaction {
        let choices: Vec<(String, String)> = (ctx.runbooks.playbooks.iter())
            .filter(|p| !ctx.state.playbooks.contains(&p.id))
            .map(|p| {
                let label = format!("{} ({}) — {} default", p.title, p.id, p.default_severity);
                (p.id.clone(), label)
            })
            .collect();
        if choices.is_empty() {
            return Reaction::Toast("every playbook is already applied".into());
        }
        Reaction::Pick(Picker {
            owner: Some(PaneKind::Checklist),
            purpose: Purpose::ApplyPlaybook,
            title: "Apply a playbook (its steps join the checklist)".into(),
            choices,
        })
    }
}

impl Pane for ChecklistPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Checklist
    }

    fn context(&self) -> Context {
        Context::Checklist
    }

    fn hint(&self) -> &'static str {
        "Space/x tick · Enter details · o add · r assign · p playbook · ↑↓ PgUp/PgDn g/G move"
    }

    fn on_action(&mut self, action: Action, ctx: &ViewCtx) -> Reaction {
        let (state, page) = (ctx.state, self.page.max(1) as isize);
        let edits = matches!(
            action,
            Action::AddItem | Action::AssignItem | Action::ApplyPlaybook
        );
        if let Some(refusal) = refuse(ctx, Permission::EditChecklist).filter(|_| edits) {
            return refusal;
        }
        match action {
            Action::Up => self.move_by(state, -1),
            Action::Down => self.move_by(state, 1),
            Action::PageUp => self.move_by(state, -page),
            Action::PageDown => self.move_by(state, page),
            Action::Top => self.move_by(state, isize::MIN),
            Action::Bottom => self.move_by(state, isize::MAX),
            Action::ToggleItem => return self.toggle(state),
            Action::Select => {
                return match self.current(state) {
                    Some(index) => Reaction::Detail(detail(ctx, index)),
                    None => {
                        Reaction::Toast("no items yet — o adds one, p applies a playbook".into())
                    }
                };
            }
            Action::AssignItem => return self.assign(ctx),
            Action::ApplyPlaybook => return self.playbooks(ctx),
            Action::AddItem => {
                return Reaction::Prompt(Prompt {
                    owner: Some(PaneKind::Checklist),
                    purpose: Purpose::AddItem,
                    title: "New checklist item (goes under Ad hoc)".into(),
                    initial: String::new(),
                });
            }
            _ => {}
        }
        Reaction::None
    }

    fn on_submit(&mut self, purpose: &Purpose, value: &str, _ctx: &ViewCtx) -> Reaction {
        let value = value.trim();
        match purpose {
            Purpose::AddItem if value.is_empty() => Reaction::None,
            Purpose::AddItem => match check_text("the item", value, NOTE_MAX_CHARS) {
                Err(refused) => Reaction::Toast(refused.message),
                Ok(()) => Reaction::Send(Command::AddItem {
                    text: value.to_string(),
                    role: None,
                }),
            },
            Purpose::AssignItem(item) => {
                let role = match value {
                    "nobody" | "" => None,
                    other => match other.parse::<Role>() {
                        Ok(role) => Some(role),
                        Err(e) => return Reaction::Toast(e.to_string()),
                    },
                };
                let item = item.clone();
                Reaction::Send(Command::AssignItem { item, role })
            }
            Purpose::ApplyPlaybook if !value.is_empty() => Reaction::Send(Command::ApplyPlaybook {
                playbook: value.into(),
            }),
            _ => Reaction::None,
        }
    }

    fn render(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer, focused: bool) {
        let (theme, state) = (ctx.theme, ctx.state);
        let total = state.checklist.len();
        let done = state.checklist.iter().filter(|i| i.done.is_some()).count();
        let overdue = (state.checklist.iter())
            .filter(|i| seconds_left(i, state, ctx.now).is_some_and(|s| s < 0))
            .count();
        let extra = match overdue {
            0 => Span::styled(format!("{done}/{total} done"), theme.style(Meaning::Muted)),
            n => Span::styled(
                format!("{done}/{total} done · {n} overdue"),
                theme.style(Meaning::Danger).add_modifier(Modifier::BOLD),
            ),
        };
        let title = PaneKind::Checklist.title();
        let block = frame(theme, ctx.number, title, Some(extra), focused);
        let inner = block.inner(area);
        block.render(area, buf);
        if total == 0 {
            let text = "No items yet — o adds one, p applies a playbook (the first-15-minutes \
                        checklist arrives when the incident is declared)";
            let text = ellipsize(text, usize::from(inner.width));
            Paragraph::new(Span::styled(text, theme.style(Meaning::Muted))).render(inner, buf);
            return;
        }

        let rows = rows(state);
        let height = usize::from(inner.height);
        self.page = height.saturating_sub(1).max(1);
        let current = self.current(state);
        let selected_row = (rows.iter())
            .position(|r| matches!(r, Row::Item { index, .. } if Some(*index) == current))
            .unwrap_or(0);
        // Keep the selection visible; scrolling up to a group's first item shows its header.
        if selected_row < self.offset {
            self.offset = selected_row.saturating_sub(1);
        } else if selected_row >= self.offset + height {
            self.offset = selected_row + 1 - height;
        }
        self.offset = self.offset.min(rows.len().saturating_sub(height));
        let scrolls = rows.len() > height;
        // The scrollbar takes the last column.
        let width = usize::from(inner.width).saturating_sub(usize::from(scrolls));
        let shown = rows.iter().enumerate().skip(self.offset).take(height);
        let lines: Vec<Line> = shown
            .map(|(at, row)| match row {
                Row::Header(group, done, total) => Line::from(vec![
                    Span::styled(
                        ellipsize(group, width.saturating_sub(10)),
                        theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(format!("  {done}/{total}"), theme.style(Meaning::Muted)),
                ]),
                Row::Item { index, phase_width } => {
                    let line = item_line(ctx, *index, *phase_width, width);
                    let selected = focused && at == selected_row;
                    if selected {
                        line.style(theme.style(Meaning::Selection))
                    } else {
                        line
                    }
                }
            })
            .collect();
        Paragraph::new(lines).render(inner, buf);
        if scrolls {
            let scrollable = rows.len() - height;
            let mut position = ScrollbarState::new(scrollable).position(self.offset);
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .style(theme.style(Meaning::Muted))
                .render(inner, buf, &mut position);
        }
    }
}
