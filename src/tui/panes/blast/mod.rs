//! The blast radius: a tenants × regions grid, each cell a state word in its colour (so
//! it reads in monochrome too), a legend counting the states, and the affected services
//! below. The pane owns the cursor, which walks off the grid's bottom into the services,
//! and the scroll both ways; marking cells and adding tenants, regions and services
//! become commands for the hub.

mod grid;
#[cfg(test)]
mod tests;
mod view;

use super::{Pane, Picker, Prompt, Purpose, Reaction, ViewCtx, ellipsize, fit_line, frame, refuse};
use crate::incident::blast::{BlastAxis, BlastRadius};
use crate::incident::limits::check_name;
use crate::incident::role::Permission;
use crate::incident::{CellState, Command};
use crate::tui::keymap::{Action, Context};
use crate::tui::layout::PaneKind;
use crate::tui::theme::Meaning;
use grid::{Spot, Target};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState};
use ratatui::widgets::{StatefulWidget, Widget};
use unicode_width::UnicodeWidthStr;
use view::{View, summary};

const EMPTY: &str = "No tenants yet — t adds one, v adds a service";
const MORE_RIGHT: &str = " more →";
const MORE_LEFT: &str = "← more";
/// Fits every state word ("suspected", "recovered").
const MIN_COLUMN: usize = 9;
const MAX_COLUMN: usize = 14;
/// The keys for each state, shown under the grid when there is room (the status line
/// is too short at 80 columns to list them all).
const KEYS: &str = "o ok  s suspected  D degraded  x down  i isolated  r recovered  u unknown";

#[derive(Default)]
pub struct BlastPane {
    spot: Spot,
    /// The cursor's region; kept while in the services list so coming back restores it.
    col: usize,
    /// First region column shown.
    first_col: usize,
    /// First body line shown (below the legend and region header).
    first_line: usize,
    /// Body lines shown at the last render, so paging moves by what the user sees.
    page: usize,
    /// Cleared when the user moves, so a late event never yanks the cursor away.
    want: Option<Target>,
}

fn prompt(purpose: Purpose, title: String, initial: &str) -> Reaction {
    let owner = Some(PaneKind::Blast);
    let initial = initial.to_string();
    Reaction::Prompt(Prompt {
        owner,
        purpose,
        title,
        initial,
    })
}

impl BlastPane {
    fn set(&self, blast: &BlastRadius, state: CellState) -> Reaction {
        match self.spot {
            Spot::Tenant(i) => {
                let (Some(tenant), Some(region)) =
                    (blast.tenants.get(i), blast.regions.get(self.col))
                else {
                    return Reaction::Toast(EMPTY.into());
                };
                if blast.cell(tenant, region) == state {
                    return Reaction::Toast(format!("{tenant} in {region} is already {state}"));
                }
                let (tenant, region) = (tenant.clone(), region.clone());
                Reaction::Send(Command::SetCell {
                    tenant,
                    region,
                    state,
                })
            }
            Spot::Service(i) => {
                let Some((service, now)) = blast.services.get(i) else {
                    return Reaction::Toast(EMPTY.into());
                };
                if *now == state {
                    return Reaction::Toast(format!("{service} is already {state}"));
                }
                let service = service.clone();
                Reaction::Send(Command::SetService { service, state })
            }
        }
    }

    /// Adds (tenant, region) as suspected, unless that cell already says something:
    /// re-adding must never downgrade a cell someone marked down.
    fn add_cell(&mut self, blast: &BlastRadius, tenant: &str, region: &str) -> Reaction {
        self.want = Some(Target::Cell(tenant.into(), region.into()));
        let known =
            blast.tenants.iter().any(|t| t == tenant) && blast.regions.iter().any(|r| r == region);
        match blast.cell(tenant, region) {
            state if known && state != CellState::Unknown => {
                Reaction::Toast(format!("{tenant} in {region} is already {state}"))
            }
            _ => Reaction::Send(Command::SetCell {
                tenant: tenant.into(),
                region: region.into(),
                state: CellState::Suspected,
            }),
        }
    }
}

impl BlastPane {
    /// The names under the cursor (a cell has its tenant and its region; a service row
    /// its service), offered in a picker so the key means the same on every row.
    fn pick_name(&self, blast: &BlastRadius, purpose: Purpose, verb: &str) -> Reaction {
        let mut choices = Vec::new();
        match self.spot {
            Spot::Tenant(i) => {
                if let Some(tenant) = blast.tenants.get(i) {
                    choices.push((BlastAxis::Tenant, tenant.as_str()));
                }
                if let Some(region) = blast.regions.get(self.col) {
                    choices.push((BlastAxis::Region, region.as_str()));
                }
            }
            Spot::Service(i) => {
                if let Some((service, _)) = blast.services.get(i) {
                    choices.push((BlastAxis::Service, service.as_str()));
                }
            }
        }
        if choices.is_empty() {
            return Reaction::Toast(EMPTY.into());
        }
        Reaction::Pick(Picker {
            owner: Some(PaneKind::Blast),
            purpose,
            title: format!("{verb} which?"),
            choices: choices
                .into_iter()
                .map(|(axis, name)| (format!("{axis}:{name}"), format!("{axis} {name}")))
                .collect(),
        })
    }
}

/// `tenant:acme` → (Tenant, "acme").
fn parse_pick(value: &str) -> Option<(BlastAxis, &str)> {
    let (axis, name) = value.split_once(':')?;
    Some((axis.parse().ok()?, name))
}

fn remove_confirm(blast: &BlastRadius, axis: BlastAxis, name: &str) -> Reaction {
    let cells = match axis {
        BlastAxis::Tenant => blast.cells.keys().filter(|(t, _)| t == name).count(),
        BlastAxis::Region => blast.cells.keys().filter(|(_, r)| r == name).count(),
        BlastAxis::Service => 0,
    };
    let scope = match axis {
        BlastAxis::Tenant => blast.scope_tenants.iter().any(|n| n == name),
        BlastAxis::Region => blast.scope_regions.iter().any(|n| n == name),
        BlastAxis::Service => blast.scope_services.iter().any(|n| n == name),
    };
    let mut detail = format!("Take {axis} {name} off the blast radius.");
    if cells > 0 {
        detail.push_str(&format!(" Its {cells} cell(s) go with it."));
    }
    if scope {
        detail.push_str(" It leaves the scope that updates and the post-mortem report.");
    }
    detail.push_str(" The timeline keeps the history.");
    Reaction::Confirm {
        title: format!("Remove {axis} {name}?"),
        detail,
        command: Command::RemoveBlast {
            axis,
            name: name.into(),
        },
    }
}

impl Pane for BlastPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Blast
    }

    fn context(&self) -> Context {
        Context::Blast
    }

    fn hint(&self) -> &'static str {
        "o/s/D/x/i/r/u mark (keys under the grid) · t tenant · e region · v service · E rename · X remove"
    }

    fn on_action(&mut self, action: Action, ctx: &ViewCtx) -> Reaction {
        let blast = &ctx.state.blast;
        self.settle(blast);
        let edits = matches!(
            action,
            Action::SetCell(_)
                | Action::AddTenant
                | Action::AddRegion
                | Action::AddService
                | Action::RenameName
                | Action::RemoveName
        );
        if let Some(refusal) = refuse(ctx, Permission::EditBlastRadius).filter(|_| edits) {
            return refusal;
        }
        let page = self.page.max(1) as isize;
        match action {
            Action::Up => self.move_by(blast, -1),
            Action::Down => self.move_by(blast, 1),
            Action::PageUp => self.move_by(blast, -page),
            Action::PageDown => self.move_by(blast, page),
            Action::Top => self.move_by(blast, isize::MIN),
            Action::Bottom => self.move_by(blast, isize::MAX),
            Action::Left => {
                self.col = self.col.saturating_sub(1);
                self.want = None;
            }
            Action::Right => {
                self.col = (self.col + 1).min(blast.regions.len().saturating_sub(1));
                self.want = None;
            }
            Action::SetCell(state) => return self.set(blast, state),
            Action::AddTenant => {
                let title = "New tenant (a row; next you name the region where it is hit)";
                return prompt(Purpose::AddTenant, title.into(), "");
            }
            Action::AddRegion => {
                let Some(tenant) = self.tenant(blast) else {
                    return Reaction::Toast("add a tenant first: t".into());
                };
                let title = format!("New region (a column): {tenant} is suspected there");
                return prompt(Purpose::AddRegion(tenant.clone()), title, "");
            }
            Action::AddService => {
                let title = "Affected service (starts as degraded)".into();
                return prompt(Purpose::AddService, title, "");
            }
            Action::RenameName => return self.pick_name(blast, Purpose::PickRename, "Rename"),
            Action::RemoveName => return self.pick_name(blast, Purpose::PickRemove, "Remove"),
            _ => {}
        }
        Reaction::None
    }

    fn on_submit(&mut self, purpose: &Purpose, value: &str, ctx: &ViewCtx) -> Reaction {
        let (value, blast) = (value.trim(), &ctx.state.blast);
        match purpose {
            Purpose::PickRename | Purpose::PickRemove => {
                let Some((axis, name)) = parse_pick(value) else {
                    return Reaction::None;
                };
                if *purpose == Purpose::PickRemove {
                    return remove_confirm(blast, axis, name);
                }
                let title = format!("Rename {axis} {name} to (the log keeps the old name)");
                return prompt(Purpose::Rename(axis, name.into()), title, name);
            }
            Purpose::Rename(axis, from) => {
                if value.is_empty() || value == from {
                    return Reaction::None;
                }
                if let Err(refused) = check_name(&format!("the {axis}"), value) {
                    return Reaction::Toast(refused.message);
                }
                self.want = None;
                return Reaction::Send(Command::RenameBlast {
                    axis: *axis,
                    from: from.clone(),
                    to: value.into(),
                });
            }
            _ => {}
        }
        let what = match purpose {
            Purpose::AddTenant => "the tenant",
            Purpose::AddRegion(_) => "the region",
            Purpose::AddService => "the service",
            _ => return Reaction::None,
        };
        if value.is_empty() {
            return Reaction::None;
        }
        if let Err(refused) = check_name(what, value) {
            return Reaction::Toast(refused.message);
        }
        match purpose {
            Purpose::AddTenant => {
                let region = blast.regions.get(self.col).or(blast.regions.first());
                let title = format!("Region where {value} is hit (starts as suspected)");
                let region = region.map_or("", String::as_str);
                prompt(Purpose::AddRegion(value.into()), title, region)
            }
            Purpose::AddRegion(tenant) => self.add_cell(blast, tenant, value),
            _ => {
                self.want = Some(Target::Service(value.into()));
                if let Some((_, state)) = blast.services.iter().find(|(s, _)| s == value) {
                    return Reaction::Toast(format!("{value} is already listed as {state}"));
                }
                let service = value.into();
                Reaction::Send(Command::SetService {
                    service,
                    state: CellState::Degraded,
                })
            }
        }
    }

    fn render(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer, focused: bool) {
        let (theme, blast) = (ctx.theme, &ctx.state.blast);
        let title = PaneKind::Blast.title();
        let block = frame(theme, ctx.number, title, Some(summary(ctx)), focused);
        let inner = block.inner(area);
        block.render(area, buf);
        let muted = theme.style(Meaning::Muted);
        if blast.tenants.is_empty() && blast.services.is_empty() {
            let text = ellipsize(EMPTY, usize::from(inner.width));
            Paragraph::new(Span::styled(text, muted)).render(inner, buf);
            return;
        }
        self.settle(blast);
        let (tenants, services) = (blast.tenants.len(), blast.services.len());
        // Pinned: legend and region header, or one hint line when there is no grid.
        let pinned_h = if tenants == 0 { 1 } else { 2 };
        // Body: tenant rows, a blank, the services heading and the services.
        let services_at = if tenants == 0 { 0 } else { tenants + 1 };
        let body_len = services_at + 1 + services;
        let height = usize::from(inner.height).saturating_sub(pinned_h);
        let scrolls = body_len > height && height > 0;
        // The scrollbar takes the last column.
        let width = usize::from(inner.width).saturating_sub(usize::from(scrolls));
        let view = View {
            ctx,
            focused,
            tenant_w: (blast.tenants.iter().map(|t| t.width()).max().unwrap_or(0))
                .clamp(6, 20)
                .min(width / 3),
            widths: (blast.regions.iter())
                .map(|r| r.width().clamp(MIN_COLUMN, MAX_COLUMN))
                .collect(),
        };
        let shown = self.scroll_columns(&view.widths, width.saturating_sub(view.tenant_w));

        let no_grid = Line::from(Span::styled("No tenants yet — t adds one", muted));
        let mut lines = match tenants {
            0 => vec![no_grid],
            _ => vec![view.legend(), view.header(self, shown.clone())],
        };
        for line in self.scroll_lines(services_at, body_len, height) {
            lines.push(match line {
                row if row < tenants => view.tenant_row(self, row, shown.clone()),
                row if row + 1 == services_at => Line::default(),
                row if row == services_at => view.services_heading(),
                row => view.service_row(self, row - services_at - 1, width),
            });
        }
        if lines.len() + 1 < usize::from(inner.height) {
            let gap = usize::from(inner.height) - lines.len() - 1;
            lines.extend(std::iter::repeat_n(Line::default(), gap));
            lines.push(Line::from(Span::styled(ellipsize(KEYS, width), muted)));
        }
        // Whatever the width, a cut line (the legend, a long service) ends in `…`.
        let lines: Vec<Line> = lines.into_iter().map(|l| fit_line(l, width)).collect();
        Paragraph::new(lines).render(inner, buf);
        if scrolls {
            let pinned_h = pinned_h as u16;
            let body = Rect {
                y: inner.y + pinned_h,
                height: inner.height - pinned_h,
                ..inner
            };
            let mut position = ScrollbarState::new(body_len - height).position(self.first_line);
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .style(muted)
                .render(body, buf, &mut position);
        }
    }
}
