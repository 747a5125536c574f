//! The runbook data the domain works from: severity matrix, roles, checklists,
//! playbooks, comms templates and clocks. Plain data, deserialized from the catalog's
//! TOML (see `docs/CATALOG.md`); `catalog` loads and validates it, the domain reads it.

use super::role::Role;
use super::severity::Severity;
use super::template::Template;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything the domain needs from the catalog, validated.
#[derive(Debug, Clone, Default)]
pub struct Runbooks {
    pub severity: SeverityMatrix,
    pub roles: Vec<RoleInfo>,
    pub clocks: ClockRules,
    /// Sorted by id.
    pub checklists: Vec<Checklist>,
    /// Sorted by id.
    pub playbooks: Vec<Playbook>,
    /// Sorted by id.
    pub templates: Vec<Template>,
    /// Containment actions this hub can run (from its actions file; empty when none).
    pub actions: Vec<super::action::ActionSpec>,
    /// Delivery channels this hub has (names from its config; empty when none).
    pub channels: Vec<String>,
    /// Issue trackers this hub can send follow-ups to (names from its config's
    /// `[[tracker]]`; empty when none).
    pub trackers: Vec<String>,
}

impl Runbooks {
    pub fn playbook(&self, id: &str) -> Option<&Playbook> {
        self.playbooks.iter().find(|p| p.id == id)
    }

    pub fn action(&self, id: &str) -> Option<&super::action::ActionSpec> {
        self.actions.iter().find(|a| a.id == id)
    }

    pub fn template(&self, id: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.id == id)
    }

    pub fn checklist_on_declare(&self) -> Option<&Checklist> {
        self.checklists.iter().find(|c| c.apply_on_declare)
    }

    pub fn level(&self, severity: Severity) -> Option<&SeverityLevel> {
        self.severity.level.iter().find(|l| l.code == severity)
    }

    /// True when some regulation is switched on by `flag`.
    pub fn is_known_flag(&self, flag: &str) -> bool {
        self.clocks.regulation.iter().any(|r| r.flag == flag)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityMatrix {
    pub default: Option<Severity>,
    #[serde(default)]
    pub rule_of_thumb: String,
    pub level: Vec<SeverityLevel>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityLevel {
    pub code: Severity,
    pub alias: String,
    pub name: String,
    #[serde(default)]
    pub impact: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub slo_breach: String,
    #[serde(default)]
    pub examples: Vec<String>,
    pub response_minutes: Option<u32>,
    pub update_every_minutes: Option<u32>,
    pub retrospective_hours: Option<u32>,
    pub postmortem_business_days: Option<u32>,
    #[serde(default)]
    pub paging: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleInfo {
    pub id: Role,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub duties: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockRules {
    #[serde(default)]
    pub operational: OperationalClocks,
    #[serde(default)]
    pub regulation: Vec<Regulation>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationalClocks {
    #[serde(default = "default_unfreeze_minutes")]
    pub unfreeze_after_stable_minutes: u32,
}

fn default_unfreeze_minutes() -> u32 {
    60
}

impl Default for OperationalClocks {
    fn default() -> Self {
        OperationalClocks {
            unfreeze_after_stable_minutes: default_unfreeze_minutes(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regulation {
    pub id: String,
    pub flag: String,
    pub title: String,
    #[serde(default)]
    pub authority: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub note: String,
    pub deadline: Vec<Deadline>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    pub label: String,
    pub minutes: Option<u32>,
    pub hours: Option<u32>,
    pub days: Option<u32>,
    pub business_days: Option<u32>,
    #[serde(default)]
    pub note: String,
}

/// How far after its start a deadline falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Minutes(u32),
    BusinessDays(u32),
}

impl Deadline {
    /// The span, when exactly one unit is given (the catalog checks that).
    pub fn span(&self) -> Option<Span> {
        match (self.minutes, self.hours, self.days, self.business_days) {
            (Some(m), None, None, None) => Some(Span::Minutes(m)),
            (None, Some(h), None, None) => Some(Span::Minutes(h.saturating_mul(60))),
            (None, None, Some(d), None) => Some(Span::Minutes(d.saturating_mul(24 * 60))),
            (None, None, None, Some(b)) => Some(Span::BusinessDays(b)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub apply_on_declare: bool,
    pub item: Vec<ChecklistEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistEntry {
    pub id: String,
    pub text: String,
    pub role: Option<Role>,
    pub within_minutes: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Triage,
    Containment,
    Mitigation,
    Recovery,
    Comms,
    PostIncident,
    Verification,
}

impl Phase {
    pub fn title(self) -> &'static str {
        match self {
            Phase::Triage => "Triage",
            Phase::Containment => "Containment",
            Phase::Mitigation => "Mitigation",
            Phase::Recovery => "Recovery",
            Phase::Comms => "Comms",
            Phase::PostIncident => "Post-incident",
            Phase::Verification => "Verification",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    pub default_severity: Severity,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub triggers: Vec<String>,
    #[serde(default)]
    pub match_labels: Vec<String>,
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub actions: Vec<String>,
    pub step: Vec<PlaybookStep>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookStep {
    pub phase: Phase,
    pub text: String,
    pub role: Option<Role>,
}

/// Values a person typed for a template's declared fields.
pub type FieldValues = BTreeMap<String, String>;
