//! The blast pane's geometry: where the cursor is (a tenant's row and a region column,
//! or a service), how it moves and where it lands after an add, and which region columns
//! and body lines are scrolled into view.

use super::{BlastPane, MORE_RIGHT};
use crate::incident::blast::BlastRadius;
use std::ops::Range;
use unicode_width::UnicodeWidthStr;

/// Where the cursor is: on a tenant's row (the column is `BlastPane::col`) or a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Spot {
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
pub(super) enum Target {
    Cell(String, String),
    Service(String),
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

impl BlastPane {
    /// Lands on a wanted target, then pulls the cursor back inside what exists.
    pub(super) fn settle(&mut self, blast: &BlastRadius) {
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
    pub(super) fn move_by(&mut self, blast: &BlastRadius, delta: isize) {
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
    pub(super) fn tenant<'a>(&self, blast: &'a BlastRadius) -> Option<&'a String> {
        match self.spot {
            Spot::Tenant(i) => blast.tenants.get(i),
            Spot::Service(_) => blast.tenants.first(),
        }
    }

    /// Scrolls the region columns so the cursor's stays in view, and pulls back when
    /// the pane grew wide enough to show more. Returns the columns to draw.
    pub(super) fn scroll_columns(&mut self, widths: &[usize], room: usize) -> Range<usize> {
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

    /// Scrolls the body so the cursor's line stays in view; the services heading comes
    /// with the first service. Returns the body lines to draw.
    pub(super) fn scroll_lines(
        &mut self,
        services_at: usize,
        body_len: usize,
        height: usize,
    ) -> Range<usize> {
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
        self.first_line..(self.first_line + height).min(body_len)
    }
}
