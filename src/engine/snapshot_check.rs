//! `verify`'s check of an incident's snapshot: that the log holds the head it claims and
//! that it holds exactly the state the log gives at that head (rebuilt by replaying the
//! log's prefix, streaming, without locking the log: a hub may be serving it).

use std::path::Path;

use crate::incident::{Event, State, snapshot};
use crate::store::{FileStore, IncidentStore, Pinned, replay_prefix, verify_head};

/// What became of a snapshot's check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotCheck {
    /// The log holds its head, and it holds the state the log gives there.
    Matches { seq: u64 },
    /// It cannot be used (damaged, another version, or not this log's): opening
    /// ignores it and replays the log. Not damage of the log.
    Unusable { reason: String },
    /// It claims a head the log holds, but not the state the log gives there: opening
    /// would have shown a wrong state. The log is the truth; delete the snapshot.
    Disagrees { seq: u64 },
}

/// Checks the snapshot beside the log at `log_path`; `None` if it has none.
pub fn check_snapshot(log_path: &Path) -> Option<SnapshotCheck> {
    let dir = log_path.parent()?;
    let id = log_path.file_stem()?.to_str()?;
    let pinned: Pinned = match FileStore::new(dir).read_snapshot_of(id) {
        Ok(Some(pinned)) => pinned,
        Ok(None) => return None,
        Err(error) => {
            return Some(SnapshotCheck::Unusable {
                reason: error.to_string(),
            });
        }
    };
    let seq = pinned.head.seq;
    if let Err(error) = verify_head(log_path, &pinned.head) {
        return Some(SnapshotCheck::Unusable {
            reason: format!("it claims head {}: {error}", pinned.head),
        });
    }
    let claimed = match snapshot::decode(&pinned.bytes) {
        Ok(state) => state,
        Err(error) => {
            return Some(SnapshotCheck::Unusable {
                reason: error.to_string(),
            });
        }
    };
    let mut replayed = State::default();
    if let Err(error) = replay_prefix(log_path, seq, |event: Event| replayed.apply(&event)) {
        return Some(SnapshotCheck::Unusable {
            reason: error.to_string(),
        });
    }
    Some(if replayed == claimed {
        SnapshotCheck::Matches { seq }
    } else {
        SnapshotCheck::Disagrees { seq }
    })
}
