//! Drawing the blast pane's lines: the title's summary, the legend counting cell
//! states, the region header, a tenant's row of cells, and the services list.

use super::grid::Spot;
use super::{BlastPane, MORE_LEFT, MORE_RIGHT};
use crate::incident::CellState;
use crate::tui::panes::{ViewCtx, cell};
use crate::tui::theme::Meaning;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use std::ops::Range;
use unicode_width::UnicodeWidthStr;

/// Legend order: worst first.
const BY_URGENCY: [CellState; 7] = {
    use CellState::*;
    [
        Down, Degraded, Isolated, Suspected, Recovered, Healthy, Unknown,
    ]
};

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

/// The title's summary: how many tenants and services are hit, coloured by the worst.
pub(super) fn summary(ctx: &ViewCtx) -> Span<'static> {
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
pub(super) struct View<'a, 'b> {
    pub(super) ctx: &'a ViewCtx<'b>,
    pub(super) focused: bool,
    pub(super) tenant_w: usize,
    pub(super) widths: Vec<usize>,
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

    pub(super) fn legend(&self) -> Line<'static> {
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

    pub(super) fn header(&self, pane: &BlastPane, shown: Range<usize>) -> Line<'static> {
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

    pub(super) fn tenant_row(
        &self,
        pane: &BlastPane,
        row: usize,
        shown: Range<usize>,
    ) -> Line<'static> {
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

    pub(super) fn services_heading(&self) -> Line<'static> {
        let services = &self.ctx.state.blast.services;
        if services.is_empty() {
            let text = "Services: none listed — v adds one";
            return Line::from(Span::styled(text, self.style(Meaning::Muted)));
        }
        let hit = services.iter().filter(|(_, s)| s.is_affected()).count();
        let text = format!("Services  {hit}/{} affected", services.len());
        Line::from(Span::styled(text, self.strong(Meaning::Title)))
    }

    pub(super) fn service_row(&self, pane: &BlastPane, i: usize, width: usize) -> Line<'static> {
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
