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
        (
            prop::sample::select(warroom::incident::times::TimeKind::ALL.to_vec()),
            -600i64..60
        )
            .prop_map(|(which, minutes)| Command::SetTime {
                which,
                time: Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
                    + Duration::minutes(minutes),
            }),
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

/// `n` notes written straight as events (no decide: fast), carrying command ids, so a
/// script can start beyond the timeline's kept window and its command-id memory.
fn filler(state: &mut State, log: &mut Vec<Event>, n: u64, at: chrono::DateTime<Utc>) {
    for i in 0..n {
        let event = Event {
            seq: state.seq + 1,
            at,
            actor: "filler".into(),
            command_id: Some(format!("f{i}")),
            kind: warroom::incident::EventKind::NoteAdded {
                kind: EntryKind::Note,
                text: format!("filler note {i}"),
                typed_at: None,
            },
        };
        state.apply(&event);
        log.push(event);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Opening from a snapshot: for any point of any history (including ones longer
    /// than the kept timeline window and command-id memory), the state a snapshot
    /// decodes to is the state it was made from, and applying the rest of the log to it
    /// gives the state of a full replay. Every old entry is worded again from the final
    /// state exactly as it was written, with its corrections.
    #[test]
    fn snapshot_plus_tail_equals_full_replay(
        before in prop::sample::select(vec![0u64, 3000, 8300, 12_500]),
        script in prop::collection::vec((any::<u8>(), command(), 1u64..14_000), 1..40),
        cut in 0.0f64..1.0,
    ) {
        let runbooks = catalog::embedded().unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        let mut state = State::default();
        let mut log: Vec<Event> = Vec::new();
        let declare = Command::Declare { id: "INC-P".into(), title: "prop".into(), severity: Severity::Sev2, playbook: Some("llm_provider_outage".into()), summary: None };
        // Each entry as it was written, by seq, to compare old ones worded again.
        let mut written = std::collections::BTreeMap::new();
        for e in decide(&state, &actor(0), &declare, t0, &runbooks, Some("d")).unwrap() {
            if let Some(entry) = state.entry_of(&e) {
                written.insert(e.seq, entry.text);
            }
            state.apply(&e);
            log.push(e);
        }
        filler(&mut state, &mut log, before, t0);
        for (i, (who, cmd, target)) in script.into_iter().enumerate() {
            let now = t0 + Duration::seconds(i as i64 * 7);
            // Corrections aim anywhere in the history, in the window or not.
            let cmd = match cmd {
                Command::CorrectNote { text, .. } => Command::CorrectNote { entry: target.min(state.seq.max(1)), text },
                other => other,
            };
            if let Ok(events) = decide(&state, &actor(who), &cmd, now, &runbooks, Some(&format!("c{i}"))) {
                for e in &events {
                    if let Some(entry) = state.entry_of(e) {
                        written.insert(e.seq, entry.text);
                    }
                    state.apply(e);
                }
                log.extend(events);
            }
        }
        let k = ((log.len() as f64) * cut) as usize;
        let at_k = State::replay(&log[..k]);
        let bytes = warroom::incident::snapshot::encode(&at_k).unwrap();
        let mut reopened = warroom::incident::snapshot::decode(&bytes).unwrap();
        prop_assert_eq!(&reopened, &at_k, "a snapshot decodes to the state it was made from");
        for e in &log[k..] {
            reopened.apply(e);
        }
        prop_assert_eq!(&reopened, &state, "snapshot + tail == full replay");
        prop_assert!(state.timeline.len() <= 2 * warroom::incident::state::TIMELINE_KEPT);
        prop_assert!(state.command_ids.len() <= warroom::incident::state::COMMAND_IDS_KEPT);
        prop_assert_eq!(state.timeline_len(), state.timeline_dropped + state.timeline.len() as u64);
        for e in &log {
            if let (Some(page), Some(text)) = (state.page_entry(e), written.get(&e.seq)) {
                prop_assert_eq!(&page.text, text, "entry #{} is worded as it was written", e.seq);
            }
        }
    }
}
