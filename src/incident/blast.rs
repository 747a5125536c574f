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

    /// Counts as affected in comms ("affected tenants: …").
    pub fn is_affected(self) -> bool {
        matches!(
            self,
            CellState::Suspected | CellState::Degraded | CellState::Down | CellState::Isolated
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

/// Tenants × regions, in the order they were first named, plus affected services.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BlastRadius {
    pub tenants: Vec<String>,
    pub regions: Vec<String>,
    /// Keyed by (tenant, region); a missing cell is `Unknown`.
    #[serde(skip)]
    pub cells: BTreeMap<(String, String), CellState>,
    pub services: Vec<(String, CellState)>,
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
