//! What is still open in an incident: the loose ends a commander should see before
//! resolving it or lowering its severity. Open checklist items (and how many are
//! overdue), tenants, regions and services still degraded, down or isolated, action
//! runs that failed, wait for approval, are in flight or ended with an unknown
//! outcome, and containment that succeeded and may still be in force (a freeze, an
//! isolation). The console's guarded dialog and the CLI's warning both list these.
//! Pure: the caller gives `now`.

use super::blast::CellState;
use super::state::{RunOutcome, RunStatus, State};
use chrono::{DateTime, Duration, Utc};

/// A cell or service state that still needs someone: harm that has not gone away.
fn still_hit(state: CellState) -> bool {
    matches!(
        state,
        CellState::Degraded | CellState::Down | CellState::Isolated
    )
}

/// One action run worth naming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunNote {
    pub run: u64,
    pub title: String,
    pub status: RunStatus,
}

/// Everything still open, computed from the state at `now`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LooseEnds {
    pub open_items: usize,
    pub overdue_items: usize,
    /// (tenant, region, state) for each cell still degraded, down or isolated.
    pub cells: Vec<(String, String, CellState)>,
    /// (service, state) for each service still degraded, down or isolated.
    pub services: Vec<(String, CellState)>,
    /// Runs that failed, wait for approval, are starting or running, or whose outcome
    /// is unknown.
    pub unsettled_runs: Vec<RunNote>,
    /// Runs that succeeded: their containment may still be in force.
    pub in_force: Vec<RunNote>,
}

impl LooseEnds {
    pub fn of(state: &State, now: DateTime<Utc>) -> LooseEnds {
        let open: Vec<_> = state
            .checklist
            .iter()
            .filter(|i| i.done.is_none())
            .collect();
        let overdue = open
            .iter()
            .filter(|item| {
                let (Some(within), Some(declared)) = (item.within_minutes, state.declared_at)
                else {
                    return false;
                };
                now > declared + Duration::minutes(i64::from(within))
            })
            .count();
        let blast = &state.blast;
        let mut cells = Vec::new();
        for tenant in &blast.tenants {
            for region in &blast.regions {
                let cell = blast.cell(tenant, region);
                if still_hit(cell) {
                    cells.push((tenant.clone(), region.clone(), cell));
                }
            }
        }
        let services = (blast.services.iter())
            .filter(|(_, s)| still_hit(*s))
            .cloned()
            .collect();
        let note = |run: &super::state::ActionRun| RunNote {
            run: run.run,
            title: run.title.clone(),
            status: run.status,
        };
        let unsettled_runs = (state.action_runs.iter())
            .filter(|r| {
                matches!(
                    r.status,
                    RunStatus::AwaitingApproval
                        | RunStatus::Ready
                        | RunStatus::Running
                        | RunStatus::Finished(RunOutcome::Failed | RunOutcome::Unknown)
                )
            })
            .map(note)
            .collect();
        let in_force = (state.action_runs.iter())
            .filter(|r| r.status == RunStatus::Finished(RunOutcome::Succeeded))
            .map(note)
            .collect();
        LooseEnds {
            open_items: open.len(),
            overdue_items: overdue,
            cells,
            services,
            unsettled_runs,
            in_force,
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == LooseEnds::default()
    }

    /// One plain line per loose end (cells grouped per tenant), for a dialog or a
    /// warning; empty when nothing is open.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.open_items > 0 {
            let overdue = match self.overdue_items {
                0 => String::new(),
                n => format!(", {n} overdue"),
            };
            lines.push(format!(
                "{} open checklist item{}{overdue}",
                self.open_items,
                plural(self.open_items)
            ));
        }
        let mut tenants: Vec<(&str, Vec<String>)> = Vec::new();
        for (tenant, region, state) in &self.cells {
            let place = format!("{state} in {region}");
            match tenants.iter_mut().find(|(t, _)| t == tenant) {
                Some((_, places)) => places.push(place),
                None => tenants.push((tenant, vec![place])),
            }
        }
        for (tenant, places) in tenants {
            lines.push(format!("tenant {tenant} still {}", places.join(", ")));
        }
        for (service, state) in &self.services {
            lines.push(format!("service {service} still {state}"));
        }
        for run in &self.unsettled_runs {
            let what = match run.status {
                RunStatus::Finished(RunOutcome::Unknown) => {
                    "OUTCOME UNKNOWN: check by hand whether it acted"
                }
                other => other.label(),
            };
            lines.push(format!("action run #{} {}: {what}", run.run, run.title));
        }
        for run in &self.in_force {
            lines.push(format!(
                "action run #{} {} succeeded: still in force? (meant to stay?)",
                run.run, run.title
            ));
        }
        lines
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::state::{ActionRun, ChecklistItem, Tick};
    use chrono::TimeZone;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 5, minute, 0).unwrap()
    }

    fn item(id: &str, within: Option<u32>, done: bool) -> ChecklistItem {
        ChecklistItem {
            id: id.into(),
            text: id.into(),
            group: "Ad hoc".into(),
            phase: None,
            role: None,
            within_minutes: within,
            done: done.then(|| Tick {
                by: "bob".into(),
                at: at(1),
            }),
        }
    }

    fn run(run: u64, title: &str, status: RunStatus) -> ActionRun {
        ActionRun {
            run,
            action: title.to_lowercase(),
            title: title.into(),
            params: Default::default(),
            preview: crate::incident::action::Request::Exec {
                argv: vec!["true".into()],
                cwd: None,
                env: Vec::new(),
            },
            roles: Vec::new(),
            severity: None,
            two_person: false,
            fingerprint: String::new(),
            requested_by: "alice".into(),
            requested_at: at(2),
            status,
            decided_by: None,
            attempts: 0,
            result_status: None,
            duration_ms: 0,
            excerpt: String::new(),
        }
    }

    #[test]
    fn a_quiet_incident_has_no_loose_ends() {
        let mut state = State {
            declared_at: Some(at(0)),
            ..State::default()
        };
        state.checklist.push(item("done", Some(5), true));
        state.blast.set_cell("acme", "eu", CellState::Recovered);
        state.blast.set_service("api", CellState::Healthy);
        state.action_runs.push(run(3, "Dry", RunStatus::DryRun));
        state.action_runs.push(run(4, "Nope", RunStatus::Denied));
        let ends = LooseEnds::of(&state, at(30));
        assert!(ends.is_empty(), "{ends:?}");
        assert!(ends.lines().is_empty());
    }

    #[test]
    fn open_items_harm_and_runs_are_listed() {
        let mut state = State {
            declared_at: Some(at(0)),
            ..State::default()
        };
        state.checklist.push(item("late", Some(5), false));
        state.checklist.push(item("soon", Some(60), false));
        state.checklist.push(item("whenever", None, false));
        state.checklist.push(item("done", Some(5), true));
        state.blast.set_cell("acme", "eu", CellState::Isolated);
        state.blast.set_cell("acme", "us", CellState::Degraded);
        state.blast.set_cell("globex", "eu", CellState::Suspected);
        state.blast.set_cell("initech", "us", CellState::Down);
        state.blast.set_service("api", CellState::Down);
        state.blast.set_service("cache", CellState::Recovered);
        for (n, status) in [
            (10, RunStatus::Finished(RunOutcome::Failed)),
            (11, RunStatus::AwaitingApproval),
            (12, RunStatus::Finished(RunOutcome::Unknown)),
            (13, RunStatus::Finished(RunOutcome::Succeeded)),
            (14, RunStatus::Running),
        ] {
            state.action_runs.push(run(n, &format!("Run{n}"), status));
        }
        let ends = LooseEnds::of(&state, at(30));
        assert_eq!((ends.open_items, ends.overdue_items), (3, 1));
        assert_eq!(
            ends.lines(),
            [
                "3 open checklist items, 1 overdue",
                "tenant acme still isolated in eu, degraded in us",
                "tenant initech still down in us",
                "service api still down",
                "action run #10 Run10: FAILED",
                "action run #11 Run11: awaiting approval",
                "action run #12 Run12: OUTCOME UNKNOWN: check by hand whether it acted",
                "action run #14 Run14: running",
                "action run #13 Run13 succeeded: still in force? (meant to stay?)",
            ]
        );
    }

    #[test]
    fn overdue_needs_a_declared_time_and_a_deadline_past() {
        let mut state = State::default();
        state.checklist.push(item("late", Some(5), false));
        assert_eq!(LooseEnds::of(&state, at(30)).overdue_items, 0);
        state.declared_at = Some(at(0));
        assert_eq!(
            LooseEnds::of(&state, at(5)).overdue_items,
            0,
            "due, not late"
        );
        assert_eq!(LooseEnds::of(&state, at(6)).overdue_items, 1);
        assert_eq!(
            LooseEnds::of(&state, at(6)).lines(),
            ["1 open checklist item, 1 overdue"]
        );
    }
}
