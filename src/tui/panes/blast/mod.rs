//! The blast radius: a tenants × regions grid, each cell a state word in its colour (so
//! it reads in monochrome too), a legend counting the states, and the affected services
//! below. The pane owns the cursor, which walks off the grid's bottom into the services,
//! and the scroll both ways; marking cells and adding tenants, regions and services
//! become commands for the hub.

// Shared with the checklist; they belong in `panes/mod.rs` next to `ellipsize`.
use super::checklist::{cell, refuse};
use super::{Pane, Prompt, Purpose, Reaction, ViewCtx, ellipsize, frame};
use crate::incident::blast::BlastRadius;
use crate::incident::limits::check_name;
use crate::incident::role::Permission;
use crate::incident::{CellState, Command};
use crate::tui::keymap::{Action, Context};
use crate::tui::layout::PaneKind;
use crate::tui::theme::Meaning;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState};
use ratatui::widgets::{StatefulWidget, Widget};
use std::ops::Range;
use unicode_width::UnicodeWidthStr;

const EMPTY: &str = "No tenants yet — t adds one, v adds a service";
const MORE_RIGHT: &str = " more →";
const MORE_LEFT: &str = "← more";
/// Fits every state word ("suspected", "recovered").
const MIN_COLUMN: usize = 9;
const MAX_COLUMN: usize = 14;
/// Legend order: worst first.
const BY_URGENCY: [CellState; 7] = {
    use CellState::*;
    [
        Down, Degraded, Isolated, Suspected, Recovered, Healthy, Unknown,
    ]
};
/// The keys for each state, shown under the grid when there is room (the status line
/// is too short at 80 columns to list them all).
const KEYS: &str = "o ok  s suspected  d degraded  x down  i isolated  r recovered  u unknown";

/// Where the cursor is: on a tenant's row (the column is `BlastPane::col`) or a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spot {
    Tenant(usize),
    Service(usize),
}

impl Default for Spot {
    fn default() -> Self {
        Spot::Tenant(0)
    }
}

/// Something we asked the hub to add, for the cursor to land on once it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Cell(String, String),
    Service(String),
}

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

/// What a cell shows; unknown is a dot so real findings stand out.
fn label(state: CellState) -> &'static str {
    match state {
        CellState::Unknown => "·",
        CellState::Down => "DOWN",
        other => other.id(),
    }
}

/// The state in lists and the legend, where a lone dot would say nothing.
fn word(state: CellState) -> &'static str {
    match state {
        CellState::Unknown => "unknown",
        other => label(other),
    }
}

/// How many columns from `first` fit in `room`, leaving space for the "more →" marker
/// when some stay hidden; always at least one, cut if need be.
fn fit(widths: &[usize], first: usize, room: usize) -> usize {
    let count = |room: usize| {
        let mut used = 0;
        let rest = widths.iter().skip(first);
        rest.take_while(|w| {
            used += *w + 1;
            used <= room
        })
        .count()
    };
    let all = count(room);
    let shown = if first + all >= widths.len() {
        all
    } else {
        count(room.saturating_sub(MORE_RIGHT.width()))
    };
    shown.max(1)
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
    /// Lands on a wanted target, then pulls the cursor back inside what exists.
    fn settle(&mut self, blast: &BlastRadius) {
        let (tenants, services) = (blast.tenants.len(), blast.services.len());
        let find = |list: &[String], name: &str| list.iter().position(|n| n == name);
        match &self.want {
            Some(Target::Cell(tenant, region)) => {
                if let (Some(row), Some(col)) =
                    (find(&blast.tenants, tenant), find(&blast.regions, region))
                {
                    (self.spot, self.col, self.want) = (Spot::Tenant(row), col, None);
                }
            }
            Some(Target::Service(name)) => {
                if let Some(i) = blast.services.iter().position(|(s, _)| s == name) {
                    (self.spot, self.want) = (Spot::Service(i), None);
                }
            }
            None => {}
        }
        self.col = self.col.min(blast.regions.len().saturating_sub(1));
        self.spot = match self.spot {
            _ if tenants + services == 0 => Spot::Tenant(0),
            Spot::Tenant(_) if tenants == 0 => Spot::Service(0),
            Spot::Service(_) if services == 0 => Spot::Tenant(tenants - 1),
            Spot::Tenant(i) => Spot::Tenant(i.min(tenants - 1)),
            Spot::Service(i) => Spot::Service(i.min(services - 1)),
        };
    }

    /// Up and down walk one list: the tenants' rows, then the services.
    fn move_by(&mut self, blast: &BlastRadius, delta: isize) {
        let tenants = blast.tenants.len();
        let Some(last) = (tenants + blast.services.len()).checked_sub(1) else {
            return;
        };
        let at = match self.spot {
            Spot::Tenant(i) => i,
            Spot::Service(i) => tenants + i,
        };
        let next = at.saturating_add_signed(delta).min(last);
        self.spot = match next.checked_sub(tenants) {
            Some(service) => Spot::Service(service),
            None => Spot::Tenant(next),
        };
        self.want = None;
    }

    /// The tenant a new region is for: the cursor's row, else the first tenant.
    fn tenant<'a>(&self, blast: &'a BlastRadius) -> Option<&'a String> {
        match self.spot {
            Spot::Tenant(i) => blast.tenants.get(i),
            Spot::Service(_) => blast.tenants.first(),
        }
    }

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

impl Pane for BlastPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Blast
    }

    fn context(&self) -> Context {
        Context::Blast
    }

    fn hint(&self) -> &'static str {
        "o/s/d/x/i/r/u mark (keys under the grid) · t tenant · e region · v service · ←→↑↓ move"
    }

    fn on_action(&mut self, action: Action, ctx: &ViewCtx) -> Reaction {
        let blast = &ctx.state.blast;
        self.settle(blast);
        let edits = matches!(
            action,
            Action::SetCell(_) | Action::AddTenant | Action::AddRegion | Action::AddService
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
            _ => {}
        }
        Reaction::None
    }

    fn on_submit(&mut self, purpose: &Purpose, value: &str, ctx: &ViewCtx) -> Reaction {
        let (value, blast) = (value.trim(), &ctx.state.blast);
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
        // Keep the cursor's line in view; the services heading comes with the first service.
        let cursor = match self.spot {
            Spot::Tenant(i) => i,
            Spot::Service(i) => services_at + 1 + i,
        };
        if cursor < self.first_line {
            let first_service = self.spot == Spot::Service(0);
            self.first_line = if first_service { services_at } else { cursor };
        } else if cursor >= self.first_line + height {
            self.first_line = cursor + 1 - height;
        }
        self.first_line = self.first_line.min(body_len.saturating_sub(height));
        self.page = height.max(1);
        for line in self.first_line..(self.first_line + height).min(body_len) {
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

impl BlastPane {
    /// Scrolls the region columns so the cursor's stays in view, and pulls back when
    /// the pane grew wide enough to show more. Returns the columns to draw.
    fn scroll_columns(&mut self, widths: &[usize], room: usize) -> Range<usize> {
        self.first_col = self.first_col.min(self.col);
        while self.col >= self.first_col + fit(widths, self.first_col, room) {
            self.first_col += 1;
        }
        while self.first_col > 0
            && self.first_col - 1 + fit(widths, self.first_col - 1, room) >= widths.len()
        {
            self.first_col -= 1;
        }
        let end = self.first_col + fit(widths, self.first_col, room);
        self.first_col..end.min(widths.len())
    }
}

/// The title's summary: how many tenants and services are hit, coloured by the worst.
fn summary(ctx: &ViewCtx) -> Span<'static> {
    let blast = &ctx.state.blast;
    let tenants = blast.affected_tenants().len();
    let services = blast.affected_services().len();
    let down = blast.counts().contains_key(&CellState::Down)
        || blast.services.iter().any(|(_, s)| *s == CellState::Down);
    let meaning = match (down, tenants + services) {
        (true, _) => Meaning::Danger,
        (false, 0) => Meaning::Muted,
        _ => Meaning::Warn,
    };
    let text = format!(
        "{tenants}/{} tenants · {services}/{} services affected",
        blast.tenants.len(),
        blast.services.len()
    );
    Span::styled(text, ctx.theme.style(meaning))
}

/// What one render needs to draw lines: widths and styles.
struct View<'a, 'b> {
    ctx: &'a ViewCtx<'b>,
    focused: bool,
    tenant_w: usize,
    widths: Vec<usize>,
}

impl View<'_, '_> {
    fn style(&self, meaning: Meaning) -> Style {
        self.ctx.theme.style(meaning)
    }

    fn strong(&self, meaning: Meaning) -> Style {
        self.style(meaning).add_modifier(Modifier::BOLD)
    }

    /// Keeps the cell's colour and adds the selection's background and emphasis.
    fn selected(&self, style: Style) -> Style {
        if !self.focused {
            return style;
        }
        style.patch(Style {
            fg: None,
            ..self.style(Meaning::Selection)
        })
    }

    fn legend(&self) -> Line<'static> {
        let counts = self.ctx.state.blast.counts();
        let mut spans = vec![Span::styled("cells ", self.style(Meaning::Muted))];
        for state in BY_URGENCY.into_iter().filter(|s| counts.contains_key(s)) {
            if spans.len() > 1 {
                spans.push(Span::styled(" · ", self.style(Meaning::Muted)));
            }
            let text = format!("{} {}", word(state), counts[&state]);
            spans.push(Span::styled(text, self.style(Meaning::Cell(state))));
        }
        Line::from(spans)
    }

    fn header(&self, pane: &BlastPane, shown: Range<usize>) -> Line<'static> {
        let regions = &self.ctx.state.blast.regions;
        let heading = if shown.start > 0 { MORE_LEFT } else { "tenant" };
        let mut spans = vec![Span::styled(
            cell(heading, self.tenant_w),
            self.style(Meaning::Muted),
        )];
        for col in shown.clone() {
            let here = self.focused && matches!(pane.spot, Spot::Tenant(_)) && col == pane.col;
            let style = self.strong(if here { Meaning::Focus } else { Meaning::Title });
            spans.push(Span::raw(" "));
            spans.push(Span::styled(cell(&regions[col], self.widths[col]), style));
        }
        if shown.end < regions.len() {
            spans.push(Span::styled(MORE_RIGHT, self.style(Meaning::Muted)));
        }
        Line::from(spans)
    }

    fn tenant_row(&self, pane: &BlastPane, row: usize, shown: Range<usize>) -> Line<'static> {
        let blast = &self.ctx.state.blast;
        let tenant = &blast.tenants[row];
        let here = pane.spot == Spot::Tenant(row);
        let name = if self.focused && here {
            self.strong(Meaning::Focus)
        } else {
            self.style(Meaning::Text)
        };
        let mut spans = vec![Span::styled(cell(tenant, self.tenant_w), name)];
        for col in shown {
            let state = blast.cell(tenant, &blast.regions[col]);
            let style = self.style(Meaning::Cell(state));
            // The cursor is a marker as well as a highlight, so it shows without colour.
            if self.focused && here && col == pane.col {
                spans.push(Span::styled("›", self.strong(Meaning::Focus)));
                spans.push(Span::styled(
                    cell(label(state), self.widths[col]),
                    self.selected(style),
                ));
            } else {
                spans.push(Span::raw(" "));
                spans.push(Span::styled(cell(label(state), self.widths[col]), style));
            }
        }
        Line::from(spans)
    }

    fn services_heading(&self) -> Line<'static> {
        let services = &self.ctx.state.blast.services;
        if services.is_empty() {
            let text = "Services: none listed — v adds one";
            return Line::from(Span::styled(text, self.style(Meaning::Muted)));
        }
        let hit = services.iter().filter(|(_, s)| s.is_affected()).count();
        let text = format!("Services  {hit}/{} affected", services.len());
        Line::from(Span::styled(text, self.strong(Meaning::Title)))
    }

    fn service_row(&self, pane: &BlastPane, i: usize, width: usize) -> Line<'static> {
        let services = &self.ctx.state.blast.services;
        let Some((service, state)) = services.get(i) else {
            return Line::default();
        };
        let longest = services.iter().map(|(s, _)| s.width()).max().unwrap_or(0);
        let name_w = longest.max(self.tenant_w).min(width / 2);
        let line = Line::from(vec![
            Span::styled(cell(service, name_w), self.style(Meaning::Text)),
            Span::raw(" "),
            Span::styled(word(*state), self.style(Meaning::Cell(*state))),
        ]);
        if pane.spot == Spot::Service(i) {
            line.style(self.selected(Style::default()))
        } else {
            line
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{Actor, Role, Runbooks, Severity, State, decide};
    use crate::tui::panes::checklist::tests::{screen, t};
    use crate::tui::theme::Theme;
    use std::collections::BTreeSet;

    fn set(tenant: &str, region: &str, state: CellState) -> Command {
        let (tenant, region) = (tenant.into(), region.into());
        Command::SetCell {
            tenant,
            region,
            state,
        }
    }

    /// acme degraded and globex suspected in eu-west-1, initech healthy in us-east-1,
    /// export-api down; plus `extra` commands.
    fn incident(runbooks: &Runbooks, extra: Vec<Command>) -> State {
        let alice = Actor::new("alice", [Role::Commander]);
        let declare = Command::Declare {
            id: "INC-1".into(),
            title: "Tenant data visible across tenants".into(),
            severity: Severity::Sev1,
            playbook: None,
            summary: None,
        };
        let service = Command::SetService {
            service: "export-api".into(),
            state: CellState::Down,
        };
        let mut script = vec![
            declare,
            set("acme", "eu-west-1", CellState::Degraded),
            set("globex", "eu-west-1", CellState::Suspected),
            set("initech", "us-east-1", CellState::Healthy),
            service,
        ];
        script.extend(extra);
        let mut state = State::default();
        for (minute, command) in script.iter().enumerate() {
            let at = t(minute as i64);
            for event in decide(&state, &alice, command, at, runbooks, None).unwrap() {
                state.apply(&event);
            }
        }
        state
    }

    struct Fixture {
        runbooks: Runbooks,
        theme: Theme,
        roles: BTreeSet<Role>,
        state: State,
    }

    impl Fixture {
        fn new(extra: Vec<Command>) -> Fixture {
            let runbooks = crate::catalog::embedded().unwrap();
            let state = incident(&runbooks, extra);
            let theme = Theme::built_in("default").unwrap();
            let roles = BTreeSet::from([Role::Commander]);
            Fixture {
                runbooks,
                theme,
                roles,
                state,
            }
        }

        fn ctx(&self) -> ViewCtx<'_> {
            let (state, runbooks, theme) = (&self.state, &self.runbooks, &self.theme);
            let roles = &self.roles;
            ViewCtx {
                state,
                runbooks,
                theme,
                now: t(30),
                me: "alice",
                roles,
                number: 3,
            }
        }
    }

    #[test]
    fn grid_legend_and_services_read_without_colour() {
        let mut fx = Fixture::new(vec![]);
        fx.theme = Theme::built_in("monochrome").unwrap();
        let (text, buf) = screen(&mut BlastPane::default(), &fx.ctx(), 78, 17);
        let line = |start: &str| {
            text.lines()
                .find(|l| l.contains(start))
                .unwrap()
                .to_string()
        };
        assert!(line("┃cells").contains("degraded 1 · suspected 1 · healthy 1 · unknown 3"));
        assert!(line("┃tenant").contains("eu-west-1 us-east-1"), "{text}");
        assert!(line("┃acme").contains("degraded  ·"), "{text}");
        assert!(line("┃globex").contains("suspected ·"), "{text}");
        assert!(line("┃initech").contains("·         healthy"), "{text}");
        assert!(line("┃export-api").contains("DOWN"), "{text}");
        assert!(text.contains("Services  1/1 affected"), "{text}");
        assert!(
            text.contains("2/3 tenants · 1/1 services affected"),
            "{text}"
        );
        // The cursor starts on acme × eu-west-1, shown reversed in monochrome.
        let y = text.lines().position(|l| l.starts_with("┃acme")).unwrap() as u16;
        assert!(buf[(9, y)].modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn keys_mark_cells_then_walk_into_the_services() {
        let fx = Fixture::new(vec![]);
        let (ctx, mut pane) = (fx.ctx(), BlastPane::default());
        let down = pane.on_action(Action::SetCell(CellState::Down), &ctx);
        assert_eq!(
            down,
            Reaction::Send(set("acme", "eu-west-1", CellState::Down))
        );
        pane.on_action(Action::Right, &ctx);
        pane.on_action(Action::Down, &ctx);
        let ok = pane.on_action(Action::SetCell(CellState::Healthy), &ctx);
        assert_eq!(
            ok,
            Reaction::Send(set("globex", "us-east-1", CellState::Healthy))
        );
        // CellState::Down past the last tenant lands on the first service.
        pane.on_action(Action::Down, &ctx);
        pane.on_action(Action::Down, &ctx);
        let recovered = pane.on_action(Action::SetCell(CellState::Recovered), &ctx);
        let service = "export-api".into();
        let wanted = Command::SetService {
            service,
            state: CellState::Recovered,
        };
        assert_eq!(recovered, Reaction::Send(wanted));
        let same = pane.on_action(Action::SetCell(CellState::Down), &ctx);
        assert!(matches!(same, Reaction::Toast(t) if t.contains("already down")));
        // And back up to the grid, where the column was kept.
        pane.on_action(Action::Up, &ctx);
        let cell = pane.on_action(Action::SetCell(CellState::Isolated), &ctx);
        assert_eq!(
            cell,
            Reaction::Send(set("initech", "us-east-1", CellState::Isolated))
        );
    }

    #[test]
    fn adding_tenants_regions_and_services_prompts_then_sends() {
        let fx = Fixture::new(vec![]);
        let (ctx, mut pane) = (fx.ctx(), BlastPane::default());
        let Reaction::Prompt(p) = pane.on_action(Action::AddTenant, &ctx) else {
            panic!()
        };
        assert_eq!(p.purpose, Purpose::AddTenant);
        let Reaction::Prompt(p) = pane.on_submit(&Purpose::AddTenant, " umbrella ", &ctx) else {
            panic!()
        };
        assert_eq!(
            (p.purpose.clone(), p.initial.as_str()),
            (Purpose::AddRegion("umbrella".into()), "eu-west-1")
        );
        let sent = pane.on_submit(&p.purpose, "ap-south-1", &ctx);
        assert_eq!(
            sent,
            Reaction::Send(set("umbrella", "ap-south-1", CellState::Suspected))
        );
        // Re-adding a cell that already says something never downgrades it.
        let again = pane.on_submit(&Purpose::AddRegion("acme".into()), "eu-west-1", &ctx);
        assert!(matches!(again, Reaction::Toast(t) if t.contains("already degraded")));

        let Reaction::Prompt(p) = pane.on_action(Action::AddRegion, &ctx) else {
            panic!()
        };
        assert_eq!(p.purpose, Purpose::AddRegion("acme".into()));

        let Reaction::Prompt(p) = pane.on_action(Action::AddService, &ctx) else {
            panic!()
        };
        let sent = pane.on_submit(&p.purpose, "billing", &ctx);
        let service = "billing".into();
        assert_eq!(
            sent,
            Reaction::Send(Command::SetService {
                service,
                state: CellState::Degraded
            })
        );
        assert_eq!(
            pane.on_submit(&Purpose::AddService, "  ", &ctx),
            Reaction::None
        );
    }

    #[test]
    fn the_cursor_lands_on_what_was_added_once_it_exists() {
        let mut fx = Fixture::new(vec![]);
        let mut pane = BlastPane::default();
        pane.on_submit(
            &Purpose::AddRegion("umbrella".into()),
            "ap-south-1",
            &fx.ctx(),
        );
        fx.state = incident(
            &fx.runbooks,
            vec![set("umbrella", "ap-south-1", CellState::Suspected)],
        );
        screen(&mut pane, &fx.ctx(), 78, 17);
        assert_eq!((pane.spot, pane.col), (Spot::Tenant(3), 2));
    }

    #[test]
    fn wide_grids_scroll_sideways_with_markers() {
        let regions = [
            "eu-west-1",
            "eu-west-2",
            "eu-central-1",
            "us-east-1",
            "us-east-2",
            "us-west-2",
            "ap-south-1",
            "ap-southeast-2",
        ];
        let extra = regions
            .iter()
            .map(|r| set("acme", r, CellState::Suspected))
            .collect();
        let fx = Fixture::new(extra);
        let (ctx, mut pane) = (fx.ctx(), BlastPane::default());
        let (text, _) = screen(&mut pane, &ctx, 78, 17);
        assert!(
            text.contains(MORE_RIGHT) && !text.contains(MORE_LEFT),
            "{text}"
        );
        (0..10).for_each(|_| drop(pane.on_action(Action::Right, &ctx)));
        let (text, _) = screen(&mut pane, &ctx, 78, 17);
        assert!(
            text.contains(MORE_LEFT) && !text.contains(MORE_RIGHT),
            "{text}"
        );
        assert!(text.contains("ap-southeast-2"), "{text}");
        let set = pane.on_action(Action::SetCell(CellState::Down), &ctx);
        assert_eq!(
            set,
            Reaction::Send(super::tests::set("acme", "ap-southeast-2", CellState::Down))
        );
    }

    #[test]
    fn empty_blast_radius_says_what_to_do() {
        let mut fx = Fixture::new(vec![]);
        fx.state = State::default();
        let mut pane = BlastPane::default();
        let (text, _) = screen(&mut pane, &fx.ctx(), 78, 17);
        assert!(text.contains(EMPTY), "{text}");
        let reaction = pane.on_action(Action::SetCell(CellState::Down), &fx.ctx());
        assert_eq!(reaction, Reaction::Toast(EMPTY.into()));
    }

    #[test]
    fn snapshots() {
        let extra = ["us-west-2", "ap-south-1", "ap-southeast-2", "sa-east-1"]
            .iter()
            .map(|r| set("umbrella-corporation-holdings", r, CellState::Isolated))
            .chain([Command::SetService {
                service: "billing".into(),
                state: CellState::Recovered,
            }])
            .collect();
        let fx = Fixture::new(extra);
        let (ctx, mut pane) = (fx.ctx(), BlastPane::default());
        pane.on_action(Action::Down, &ctx);
        pane.on_action(Action::Right, &ctx);
        insta::assert_snapshot!("blast_78x17", screen(&mut pane, &ctx, 78, 17).0);
        insta::assert_snapshot!("blast_100x30", screen(&mut pane, &ctx, 100, 30).0);
    }
}
