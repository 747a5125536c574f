//! A snapshot of an incident's state: everything [`State`] holds, encoded so that a
//! state read back equals the state it was made from (`decode(encode(s)) == s`), so
//! opening an incident can replay only the events after it. The bytes are opaque to the
//! store, which pins them to the log head they cover; this module only says whether it
//! can read them. A snapshot from another version of warroom is refused (`decode` errs)
//! and its reader replays the log instead: how events apply may have changed.

use super::blast::CellState;
use super::state::{Correction, State};
use serde::{Deserialize, Serialize};

/// Changes whenever the encoding changes; the crate version is checked too.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Encoded {
    format: u32,
    version: String,
    state: State,
    /// What `State`'s own serialisation leaves out (it is also the JSON `status` prints).
    commands: Vec<(u64, String)>,
    milestones: Vec<u64>,
    dropped_corrections: Vec<(u64, Correction, Vec<Correction>)>,
    cells: Vec<(String, String, CellState)>,
    declared_by_command: Option<(String, u64)>,
}

/// Why a snapshot was not used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("it is not a snapshot this version can read: {0}")]
    Undecodable(#[from] serde_json::Error),
    #[error("it was written by warroom {found} (format {format}); this is {ours}")]
    OtherVersion {
        found: String,
        format: u32,
        ours: &'static str,
    },
}

/// The snapshot bytes of `state`.
pub fn encode(state: &State) -> Result<Vec<u8>, serde_json::Error> {
    let encoded = Encoded {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        state: state.clone(),
        commands: state.command_order.iter().cloned().collect(),
        milestones: state
            .timeline
            .iter()
            .filter(|e| e.milestone)
            .map(|e| e.seq)
            .collect(),
        dropped_corrections: state
            .dropped_corrections
            .iter()
            .map(|(seq, (latest, earlier))| (*seq, latest.clone(), earlier.clone()))
            .collect(),
        cells: state
            .blast
            .cells
            .iter()
            .map(|((tenant, region), cell)| (tenant.clone(), region.clone(), *cell))
            .collect(),
        declared_by_command: state.declared_by_command.clone(),
    };
    serde_json::to_vec(&encoded)
}

/// The state a snapshot holds, or why it cannot be used.
pub fn decode(bytes: &[u8]) -> Result<State, SnapshotError> {
    restore(serde_json::from_slice(bytes)?)
}

/// [`decode`] for a snapshot already parsed as JSON (as a `snapshot` frame carries it).
pub fn decode_value(value: serde_json::Value) -> Result<State, SnapshotError> {
    restore(serde_json::from_value(value)?)
}

fn restore(encoded: Encoded) -> Result<State, SnapshotError> {
    let ours = env!("CARGO_PKG_VERSION");
    if encoded.format != FORMAT || encoded.version != ours {
        return Err(SnapshotError::OtherVersion {
            found: encoded.version,
            format: encoded.format,
            ours,
        });
    }
    let mut state = encoded.state;
    state.declared_by_command = encoded.declared_by_command;
    for (seq, id) in encoded.commands {
        state.command_ids.insert(id.clone(), seq);
        state.command_order.push_back((seq, id));
    }
    let milestones: std::collections::BTreeSet<u64> = encoded.milestones.into_iter().collect();
    for entry in &mut state.timeline {
        entry.milestone = milestones.contains(&entry.seq);
    }
    state.dropped_corrections = encoded
        .dropped_corrections
        .into_iter()
        .map(|(seq, latest, earlier)| (seq, (latest, earlier)))
        .collect();
    state.blast.cells = encoded
        .cells
        .into_iter()
        .map(|(tenant, region, cell)| ((tenant, region), cell))
        .collect();
    Ok(state)
}
