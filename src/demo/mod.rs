//! A realistic demo incident: a SEV1 PII leak across tenants, 38 minutes in, with a
//! playbook applied, several tenants and regions hit, a regulatory clock running, some
//! notes, decisions and ticked items. Used by `warroom demo`, by snapshot tests and by
//! benchmarks, always relative to a given `now`.

use crate::incident::{
    Actor, CellState, Command, EntryKind, Event, Role, Runbooks, Severity, State, Status, decide,
};
use chrono::{DateTime, Duration, Utc};

pub const DEMO_ID: &str = "INC-DEMO-1";

fn people() -> [Actor; 4] {
    [
        Actor::new("alice", [Role::Commander]),
        Actor::new("bob", [Role::Scribe]),
        Actor::new("carol", [Role::Comms]),
        Actor::new("dana", [Role::Security]),
    ]
}

/// The demo's events, the last one at `now - 2 min`. Commands that the catalog in use
/// refuses (a user catalog without the playbook, say) are skipped, not fatal.
pub fn events(runbooks: &Runbooks, now: DateTime<Utc>) -> Vec<Event> {
    let [alice, bob, carol, dana] = people();
    let start = now - Duration::minutes(38);
    // Times the notes name, as the script stamps them (`start` + its minute), so the
    // notes agree with the entries around them whatever `now` is.
    let clock = |minute: i64| {
        (start + Duration::minutes(minute))
            .format("%H:%M")
            .to_string()
    };
    let (leak_began, cache_bypassed, flag_set) = (clock(-12), clock(11), clock(12));
    let note = |kind: EntryKind, text: &str| Command::AddNote {
        kind,
        text: text.to_string(),
        typed_at: None,
    };
    let cell = |tenant: &str, region: &str, state: CellState| Command::SetCell {
        tenant: tenant.to_string(),
        region: region.to_string(),
        state,
    };
    let script: Vec<(i64, &Actor, Command)> = vec![
        (0, &alice, Command::Declare {
            id: DEMO_ID.to_string(),
            title: "Tenant data visible across tenants in export API".into(),
            severity: Severity::Sev1,
            playbook: Some("cross_tenant_exposure".into()),
            summary: Some("Customers report seeing other customers' invoices in CSV exports.".into()),
        }),
        (1, &alice, Command::AssignRole { role: Role::Scribe, person: "bob".into() }),
        (1, &alice, Command::AssignRole { role: Role::Comms, person: "carol".into() }),
        (2, &alice, Command::AssignRole { role: Role::Security, person: "dana".into() }),
        (3, &bob, note(EntryKind::Note, "acme support ticket #4411: export contains globex invoice rows")),
        (4, &bob, Command::Tick { item: "acknowledge".into() }),
        (4, &bob, Command::Tick { item: "declare".into() }),
        (5, &dana, cell("acme", "eu-west-1", CellState::Degraded)),
        (5, &dana, cell("globex", "eu-west-1", CellState::Suspected)),
        (6, &dana, cell("initech", "us-east-1", CellState::Healthy)),
        (6, &dana, cell("umbrella", "eu-west-1", CellState::Suspected)),
        (6, &dana, cell("acme", "us-east-1", CellState::Healthy)),
        (7, &dana, cell("hooli", "ap-south-1", CellState::Healthy)),
        (7, &dana, Command::SetService { service: "export-api".into(), state: CellState::Down }),
        (8, &dana, Command::SetService { service: "report-cache".into(), state: CellState::Degraded }),
        (9, &alice, note(EntryKind::Decision, "Disable the shared report cache for all tenants until scoped")),
        (10, &alice, Command::Tick { item: "assign_ic_scribe".into() }),
        (11, &dana, note(EntryKind::Action, "Set report-cache to bypass (flag reports.cache=off)")),
        (12, &dana, Command::SetFlag { flag: "personal_data_breach".into(), on: true, aware_at: None }),
        (13, &bob, note(EntryKind::Note, "Cache key lacks tenant id since release 2026.11.21-3 (PR 8812)")),
        (14, &carol, Command::Publish {
            template: "internal_initial".into(),
            text: "SEV1 declared: some CSV exports contain another tenant's invoice rows. IC alice, comms carol. Export API disabled; next update in 30 min.".into(),
            channels: vec![],
        }),
        (15, &alice, Command::SetStatus { status: Status::Identified, reason: Some("cache key missing tenant id".into()) }),
        (17, &dana, cell("acme", "eu-west-1", CellState::Isolated)),
        (19, &bob, note(EntryKind::Note, "Rollback of 2026.11.21-3 started in eu-west-1")),
        (21, &alice, Command::Tick { item: "freeze_deploys".into() }),
        (24, &dana, note(EntryKind::Note, &format!("Audit query: 212 export rows crossed tenants, 3 tenants, {leak_began}-{cache_bypassed} UTC"))),
        (27, &alice, Command::Tick { item: "blast_radius".into() }),
        (30, &bob, note(EntryKind::Decision, &format!("Notify DPO now; regulatory clock runs from {flag_set} awareness"))),
        (33, &dana, cell("globex", "eu-west-1", CellState::Degraded)),
        (36, &bob, note(EntryKind::Note, "Rollback complete in eu-west-1; verifying with tenant-scoped canary")),
    ];
    let mut state = State::default();
    let mut events = Vec::new();
    for (minute, actor, command) in script {
        let at = start + Duration::minutes(minute);
        if let Ok(new) = decide(&state, actor, &command, at, runbooks, None) {
            for event in &new {
                state.apply(event);
            }
            events.extend(new);
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_is_a_busy_sev1() {
        let runbooks = crate::catalog::embedded().unwrap();
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 22, 5, 0, 0).unwrap();
        let events = events(&runbooks, now);
        let state = State::replay(&events);
        assert_eq!(state.severity, Some(Severity::Sev1));
        assert_eq!(state.status, Status::Identified);
        assert!(state.checklist.iter().filter(|i| i.done.is_some()).count() >= 5);
        assert_eq!(
            state.blast.affected_tenants(),
            ["acme", "globex", "umbrella"]
        );
        assert!(state.flags.contains_key("personal_data_breach"));
        assert!(state.timeline.len() > 25, "{}", state.timeline.len());
        assert!(events.last().unwrap().at <= now);
    }

    /// A note that names a time names one the timeline shows: the awareness time is
    /// when the breach flag was set, and the audit window ends when the cache was
    /// bypassed (the action note), whatever `now` is.
    #[test]
    fn times_named_in_notes_match_the_entries_they_refer_to() {
        let runbooks = crate::catalog::embedded().unwrap();
        for (h, m) in [(5, 0), (13, 47), (0, 10)] {
            let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 22, h, m, 0).unwrap();
            let state = State::replay(&events(&runbooks, now));
            let flag_at = state.flags["personal_data_breach"];
            let entry = |needle: &str| {
                state
                    .timeline
                    .iter()
                    .find(|e| e.text.contains(needle))
                    .unwrap_or_else(|| panic!("no entry with {needle:?}"))
            };
            let dpo = entry("Notify DPO now");
            let awareness = flag_at.format("%H:%M").to_string();
            assert!(
                dpo.text.contains(&format!("from {awareness} awareness")),
                "{} vs flag at {flag_at}",
                dpo.text
            );
            let bypass = entry("Set report-cache to bypass")
                .at
                .format("%H:%M")
                .to_string();
            let audit = entry("Audit query");
            assert!(
                audit.text.contains(&format!("-{bypass} UTC")),
                "{} vs bypass at {bypass}",
                audit.text
            );
            let declared = state.declared_at.unwrap().format("%H:%M").to_string();
            assert!(
                !audit.text.contains(&format!("{declared}-")),
                "the leak began before the declare"
            );
        }
    }
}
