//! Every entry the timeline can show, by raw index — the older pages, the window in
//! memory, then the hub's older search matches — and the test an entry passes to be
//! shown under the filter and search.

use super::Filter;
use super::found::HubSearch;
use super::older::Older;
use crate::incident::State;
use crate::incident::state::TimelineEntry;

/// Whether `entry` passes the filter and the search (`needle` lowercased).
pub(super) fn passes(filter: Filter, needle: &str, me: &str, entry: &TimelineEntry) -> bool {
    let kept = match filter {
        Filter::All => true,
        Filter::Kind(kind) => entry.kind == kind,
        Filter::Mine => entry.author == me,
    };
    kept && (needle.is_empty()
        || entry.current_text().to_lowercase().contains(needle)
        || entry.author.to_lowercase().contains(needle))
}

/// Every entry the pane can show, by raw index: the older pages, the window in
/// memory, then the hub's older search matches.
pub(super) struct Entries<'a> {
    older: &'a Older,
    timeline: &'a [TimelineEntry],
    found: &'a [TimelineEntry],
}

impl<'a> Entries<'a> {
    pub(super) fn new(
        older: &'a Older,
        found: Option<&'a HubSearch>,
        state: &'a State,
    ) -> Entries<'a> {
        Entries {
            older,
            timeline: &state.timeline,
            found: found.map_or(&[], |f| f.entries.as_slice()),
        }
    }

    /// The older pages and the window: the entries in seq order.
    pub(super) fn local_len(&self) -> usize {
        self.older.len() + self.timeline.len()
    }

    pub(super) fn len(&self) -> usize {
        self.local_len() + self.found.len()
    }

    pub(super) fn get(&self, raw: usize) -> Option<&'a TimelineEntry> {
        let older = self.older.len();
        if raw < older {
            self.older.get(raw)
        } else if raw < self.local_len() {
            self.timeline.get(raw - older)
        } else {
            self.found.get(raw - self.local_len())
        }
    }

    /// Whether `raw` is one of the hub's search matches (drawn with seq and date).
    pub(super) fn is_found(&self, raw: usize) -> bool {
        raw >= self.local_len()
    }
}
