//! Property: whatever commands people issue, replaying the resulting events from scratch
//! (as a fresh client or a restarted hub does) gives exactly the state that was built up
//! incrementally, and the events survive a JSON round trip unchanged.

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use warroom::catalog;
use warroom::incident::{
    Actor, CellState, Command, EntryKind, Event, Role, Severity, State, Status, decide,
};

fn actor(i: u8) -> Actor {
    match i % 4 {
        0 => Actor::new("alice", [Role::Commander]),
        1 => Actor::new("bob", [Role::Responder]),
        2 => Actor::new("carol", [Role::Comms, Role::Scribe]),
        _ => Actor::new("olive", [Role::Observer]),
    }
}

fn command() -> impl Strategy<Value = Command> {
    let sev = (1u8..=5).prop_map(|r| Severity::from_rank(r).unwrap());
    let status = prop::sample::select(Status::ALL.to_vec());
    let cell = prop::sample::select(CellState::ALL.to_vec());
    let name = prop::sample::select(vec!["acme", "globex", "initech"]);
    let region = prop::sample::select(vec!["eu-west-1", "us-east-1"]);
    let role = prop::sample::select(vec![Role::Commander, Role::Scribe, Role::Comms, Role::Ops]);
    prop_oneof![
        "[a-z ]{0,20}".prop_map(|text| Command::AddNote {
            kind: EntryKind::Note,
            text,
            typed_at: None,
        }),
        (1u64..40, "[a-z]{1,8}").prop_map(|(entry, text)| Command::CorrectNote { entry, text }),
        sev.prop_map(|severity| Command::SetSeverity {
            severity,
            reason: None
        }),
        status.prop_map(|status| Command::SetStatus {
            status,
            reason: None
        }),
        (1u32..40).prop_map(|n| Command::Tick {
            item: n.to_string()
        }),
        (1u32..40).prop_map(|n| Command::Untick {
            item: n.to_string()
        }),
        (name.clone(), region, cell.clone()).prop_map(|(t, r, s)| Command::SetCell {
            tenant: t.into(),
            region: r.into(),
            state: s
        }),
        (name, cell).prop_map(|(s, state)| Command::SetService {
            service: s.into(),
            state
        }),
        (role, prop::sample::select(vec!["alice", "bob", "carol"])).prop_map(|(role, p)| {
            Command::AssignRole {
                role,
                person: p.into(),
            }
        }),
        prop::sample::select(vec!["llm_provider_outage", "cost_runaway", "nope"])
            .prop_map(|p| Command::ApplyPlaybook { playbook: p.into() }),
        any::<bool>().prop_map(|on| Command::SetFlag {
            flag: "personal_data_breach".into(),
            on,
            aware_at: None
        }),
        "[a-z]{1,10}".prop_map(|text| Command::AddItem { text, role: None }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn replay_equals_incremental_state(script in prop::collection::vec((any::<u8>(), command()), 1..60)) {
        let runbooks = catalog::embedded().unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        let mut state = State::default();
        let mut log: Vec<Event> = Vec::new();
        let declare = Command::Declare { id: "INC-P".into(), title: "prop".into(), severity: Severity::Sev2, playbook: None, summary: None };
        for (i, (who, cmd)) in std::iter::once((0u8, declare)).chain(script).enumerate() {
            let now = t0 + Duration::seconds(i as i64 * 7);
            if let Ok(events) = decide(&state, &actor(who), &cmd, now, &runbooks, Some(&format!("c{i}"))) {
                for e in &events {
                    prop_assert_eq!(e.seq, state.seq + 1, "seqs are dense");
                    state.apply(e);
                }
                log.extend(events);
            }
        }
        let json: Vec<String> = log.iter().map(|e| serde_json::to_string(e).unwrap()).collect();
        let decoded: Vec<Event> = json.iter().map(|j| serde_json::from_str(j).unwrap()).collect();
        prop_assert_eq!(&decoded, &log);
        prop_assert_eq!(State::replay(&decoded), state);
    }
}
