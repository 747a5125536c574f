//! Commands sent and not yet settled: what the header counts, what quitting warns of,
//! and the notes the timeline shows at its foot marked pending. A command is settled
//! when the hub refuses it, or when it is acknowledged and its event applied (an
//! acknowledgement may come before the event, and a note must never vanish before its
//! real entry is on the timeline).

use super::app::App;
use super::panes::timeline::PendingNote;
use crate::incident::Command;

/// A command sent and not yet settled.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub command: Command,
    /// The hub acknowledged it at this seq; it stays until that event is applied, so
    /// a note never vanishes before its real entry is on the timeline.
    pub acked_at: Option<u64>,
    /// Sent as the n-th command of this console: pending notes show in sending order.
    pub order: u64,
}

impl App {
    /// Records a command sent under `id` (the event loop calls this after sending). A
    /// note without a typed time is stamped now, as the outbox stamps it.
    pub fn sent(&mut self, id: String, command: &Command) {
        let mut command = command.clone();
        if let Command::AddNote { typed_at, .. } = &mut command {
            typed_at.get_or_insert(self.now);
        }
        self.sent_count += 1;
        self.pending.insert(
            id,
            Pending {
                command,
                acked_at: None,
                order: self.sent_count,
            },
        );
        self.show_pending_notes();
    }

    /// Commands the hub has not acknowledged yet.
    pub fn unacknowledged(&self) -> usize {
        self.pending
            .values()
            .filter(|p| p.acked_at.is_none())
            .count()
    }

    /// Hands the timeline the notes still pending, in the order they were sent.
    fn show_pending_notes(&mut self) {
        // Acknowledged ones too: they stay until their real entry is applied.
        let mut pending: Vec<&Pending> = self.pending.values().collect();
        pending.sort_by_key(|p| p.order);
        let notes = (pending.into_iter())
            .filter_map(|p| match &p.command {
                Command::AddNote {
                    kind,
                    text,
                    typed_at,
                } => Some(PendingNote {
                    kind: *kind,
                    text: text.clone(),
                    typed_at: typed_at.unwrap_or(self.now),
                }),
                _ => None,
            })
            .collect();
        self.panes.timeline.pending = notes;
    }

    /// The hub acknowledged `id` at `seq`: settled now if that event is applied, else
    /// when it is.
    pub(super) fn acknowledged(&mut self, id: &str, seq: u64) {
        if seq <= self.state.seq {
            self.settle(id);
        } else if let Some(pending) = self.pending.get_mut(id) {
            pending.acked_at = Some(seq);
        }
    }

    /// Settles `id` (refused, or acknowledged and applied).
    pub(super) fn settle(&mut self, id: &str) {
        if self.pending.remove(id).is_some() {
            self.show_pending_notes();
        }
    }

    /// An event was applied: settles what was acknowledged up to it.
    pub(super) fn settle_applied(&mut self) {
        let seq = self.state.seq;
        let before = self.pending.len();
        self.pending
            .retain(|_, p| p.acked_at.is_none_or(|acked| acked > seq));
        if self.pending.len() != before {
            self.show_pending_notes();
        }
    }
}
