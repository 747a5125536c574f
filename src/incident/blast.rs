//! The blast radius: which tenants, in which regions, and which services are hit.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    #[default]
    Unknown,
    Healthy,
    Suspected,
    Degraded,
    Down,
    Isolated,
    Recovered,
}

impl CellState {
    pub const ALL: [CellState; 7] = [
        CellState::Unknown,
        CellState::Healthy,
        CellState::Suspected,
        CellState::Degraded,
        CellState::Down,
        CellState::Isolated,
        CellState::Recovered,
    ];

    pub fn id(self) -> &'static str {
        match self {
            CellState::Unknown => "unknown",
            CellState::Healthy => "healthy",
            CellState::Suspected => "suspected",
            CellState::Degraded => "degraded",
            CellState::Down => "down",
            CellState::Isolated => "isolated",
            CellState::Recovered => "recovered",
        }
    }

    /// Counts as affected now (the blast pane's "hit" counts): suspected included.
    pub fn is_affected(self) -> bool {
        matches!(
            self,
            CellState::Suspected | CellState::Degraded | CellState::Down | CellState::Isolated
        )
    }

    /// Counts toward the incident's scope ("tenants affected" in comms and the
    /// post-mortem): confirmed harm at some point. Suspected is not confirmed, and
    /// recovered means it was hit, so it stays in scope.
    pub fn is_confirmed_harm(self) -> bool {
        matches!(
            self,
            CellState::Degraded | CellState::Down | CellState::Isolated | CellState::Recovered
        )
    }
}

impl fmt::Display for CellState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a cell state: use unknown, healthy, suspected, degraded, down, isolated or recovered"
)]
pub struct BadCellState(pub String);

impl FromStr for CellState {
    type Err = BadCellState;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase();
        CellState::ALL
            .into_iter()
            .find(|s| s.id() == wanted)
            .ok_or_else(|| BadCellState(text.to_string()))
    }
}

/// Which list of the blast radius a name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlastAxis {
    Tenant,
    Region,
    Service,
}

impl BlastAxis {
    pub const ALL: [BlastAxis; 3] = [BlastAxis::Tenant, BlastAxis::Region, BlastAxis::Service];

    pub fn id(self) -> &'static str {
        match self {
            BlastAxis::Tenant => "tenant",
            BlastAxis::Region => "region",
            BlastAxis::Service => "service",
        }
    }
}

impl fmt::Display for BlastAxis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not part of the blast radius: use tenant, region or service")]
pub struct BadAxis(pub String);

impl FromStr for BlastAxis {
    type Err = BadAxis;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase();
        BlastAxis::ALL
            .into_iter()
            .find(|a| a.id() == wanted || format!("{}s", a.id()) == wanted)
            .ok_or_else(|| BadAxis(text.to_string()))
    }
}

/// Tenants × regions, in the order they were first named, plus affected services.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlastRadius {
    pub tenants: Vec<String>,
    pub regions: Vec<String>,
    /// Keyed by (tenant, region); a missing cell is `Unknown`.
    #[serde(skip)]
    pub cells: BTreeMap<(String, String), CellState>,
    pub services: Vec<(String, CellState)>,
    /// The scope: names that were ever confirmed harmed (see
    /// [`CellState::is_confirmed_harm`]), in the order that first happened. A tenant
    /// that leaked and then recovered stays here; one only ever suspected never enters.
    pub scope_tenants: Vec<String>,
    pub scope_regions: Vec<String>,
    pub scope_services: Vec<String>,
}

fn remember(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_string());
    }
}

impl BlastRadius {
    pub fn cell(&self, tenant: &str, region: &str) -> CellState {
        self.cells
            .get(&(tenant.to_string(), region.to_string()))
            .copied()
            .unwrap_or_default()
    }

    pub fn set_cell(&mut self, tenant: &str, region: &str, state: CellState) {
        if !self.tenants.iter().any(|t| t == tenant) {
            self.tenants.push(tenant.to_string());
        }
        if !self.regions.iter().any(|r| r == region) {
            self.regions.push(region.to_string());
        }
        self.cells
            .insert((tenant.to_string(), region.to_string()), state);
        if state.is_confirmed_harm() {
            remember(&mut self.scope_tenants, tenant);
            remember(&mut self.scope_regions, region);
        }
    }

    pub fn service(&self, service: &str) -> CellState {
        self.services
            .iter()
            .find(|(s, _)| s == service)
            .map_or(CellState::Unknown, |(_, state)| *state)
    }

    pub fn set_service(&mut self, service: &str, state: CellState) {
        match self.services.iter_mut().find(|(s, _)| s == service) {
            Some(entry) => entry.1 = state,
            None => self.services.push((service.to_string(), state)),
        }
        if state.is_confirmed_harm() {
            remember(&mut self.scope_services, service);
        }
    }

    /// The names on `axis`, in first-named order.
    pub fn names(&self, axis: BlastAxis) -> Vec<&str> {
        match axis {
            BlastAxis::Tenant => self.tenants.iter().map(String::as_str).collect(),
            BlastAxis::Region => self.regions.iter().map(String::as_str).collect(),
            BlastAxis::Service => self.services.iter().map(|(s, _)| s.as_str()).collect(),
        }
    }

    pub fn has(&self, axis: BlastAxis, name: &str) -> bool {
        self.names(axis).contains(&name)
    }

    /// Renames `from` to `to` on `axis` everywhere (cells, scope), keeping its place.
    /// Renaming onto an existing name merges the two, the renamed one's cells winning.
    pub fn rename(&mut self, axis: BlastAxis, from: &str, to: &str) {
        let rename_in = |list: &mut Vec<String>| {
            let merged = list.iter().any(|n| n == to);
            if merged {
                list.retain(|n| n != from);
            } else if let Some(slot) = list.iter_mut().find(|n| *n == from) {
                *slot = to.to_string();
            }
        };
        match axis {
            BlastAxis::Tenant | BlastAxis::Region => {
                let tenant_axis = axis == BlastAxis::Tenant;
                if tenant_axis {
                    rename_in(&mut self.tenants);
                    rename_in(&mut self.scope_tenants);
                } else {
                    rename_in(&mut self.regions);
                    rename_in(&mut self.scope_regions);
                }
                let cells = std::mem::take(&mut self.cells);
                let (moved, kept): (Vec<_>, Vec<_>) =
                    cells.into_iter().partition(
                        |((t, r), _)| {
                            if tenant_axis { t == from } else { r == from }
                        },
                    );
                self.cells = kept.into_iter().collect();
                for ((t, r), state) in moved {
                    let key = if tenant_axis {
                        (to.to_string(), r)
                    } else {
                        (t, to.to_string())
                    };
                    self.cells.insert(key, state);
                }
            }
            BlastAxis::Service => {
                rename_in(&mut self.scope_services);
                let moved = self.services.iter().position(|(s, _)| s == from);
                let existing = self.services.iter().position(|(s, _)| s == to);
                match (moved, existing) {
                    (Some(i), Some(_)) => {
                        let (_, state) = self.services.remove(i);
                        self.set_service(to, state);
                    }
                    (Some(i), None) => self.services[i].0 = to.to_string(),
                    _ => {}
                }
            }
        }
    }

    /// Takes `name` off `axis` (its cells and its place in the scope go with it: it
    /// was named by mistake). The log keeps the history.
    pub fn remove(&mut self, axis: BlastAxis, name: &str) {
        match axis {
            BlastAxis::Tenant => {
                self.tenants.retain(|n| n != name);
                self.scope_tenants.retain(|n| n != name);
                self.cells.retain(|(t, _), _| t != name);
            }
            BlastAxis::Region => {
                self.regions.retain(|n| n != name);
                self.scope_regions.retain(|n| n != name);
                self.cells.retain(|(_, r), _| r != name);
            }
            BlastAxis::Service => {
                self.services.retain(|(n, _)| n != name);
                self.scope_services.retain(|n| n != name);
            }
        }
    }

    /// Each tenant with its worst current state, for "now:" lines beside the scope,
    /// e.g. `acme down, globex recovered` (tenants never set are left out).
    pub fn tenants_now(&self) -> Vec<String> {
        self.tenants
            .iter()
            .filter_map(|t| {
                let worst = self
                    .regions
                    .iter()
                    .map(|r| self.cell(t, r))
                    .filter(|s| *s != CellState::Unknown)
                    .max_by_key(|s| severity_rank(*s))?;
                Some(format!("{t} {worst}"))
            })
            .collect()
    }

    /// Each service with its current state, e.g. `export-api down`.
    pub fn services_now(&self) -> Vec<String> {
        self.services
            .iter()
            .filter(|(_, s)| *s != CellState::Unknown)
            .map(|(name, s)| format!("{name} {s}"))
            .collect()
    }

    /// Tenants with at least one affected cell, in first-named order.
    pub fn affected_tenants(&self) -> Vec<&str> {
        self.tenants
            .iter()
            .filter(|t| self.regions.iter().any(|r| self.cell(t, r).is_affected()))
            .map(String::as_str)
            .collect()
    }

    pub fn affected_regions(&self) -> Vec<&str> {
        self.regions
            .iter()
            .filter(|r| self.tenants.iter().any(|t| self.cell(t, r).is_affected()))
            .map(String::as_str)
            .collect()
    }

    pub fn affected_services(&self) -> Vec<&str> {
        self.services
            .iter()
            .filter(|(_, s)| s.is_affected())
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// How many cells are in each state (cells never set count as unknown).
    pub fn counts(&self) -> BTreeMap<CellState, usize> {
        let mut counts = BTreeMap::new();
        for t in &self.tenants {
            for r in &self.regions {
                *counts.entry(self.cell(t, r)).or_insert(0) += 1;
            }
        }
        counts
    }
}

/// How bad a state is for "worst current state": isolation and outage above
/// degradation above suspicion above recovery and health.
fn severity_rank(state: CellState) -> u8 {
    match state {
        CellState::Unknown => 0,
        CellState::Healthy => 1,
        CellState::Recovered => 2,
        CellState::Suspected => 3,
        CellState::Degraded => 4,
        CellState::Down => 5,
        CellState::Isolated => 6,
    }
}
