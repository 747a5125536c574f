//! A search of the timeline older than the window, done by the hub: the `/` query is
//! also sent when the incident has entries out of memory, and the older matches it
//! finds (newest first) are kept here, bounded, with where to go on from. The pane
//! shows them after the matches in memory; `N` asks for the next stretch.

use crate::incident::state::TimelineEntry;

/// The most older matches kept (the hub sends at most 200 per answer).
pub const MAX_FOUND_KEPT: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubSearch {
    pub query: String,
    /// Matches older than the window, newest first.
    pub entries: Vec<TimelineEntry>,
    /// Where to search on from (`Some(seq)`: before `seq`); `None`: searched it all.
    pub next: Option<u64>,
    /// Whether an answer has arrived (before it, `next` is where the first one starts).
    pub answered: bool,
    /// The request in flight: `Some(None)` before the sync task named it.
    asked: Option<Option<String>>,
}

impl HubSearch {
    /// A search for `query` in the entries before seq `before` (the window's first).
    pub fn new(query: &str, before: u64) -> HubSearch {
        HubSearch {
            query: query.to_string(),
            entries: Vec::new(),
            next: Some(before),
            answered: false,
            asked: None,
        }
    }

    pub fn asking(&self) -> bool {
        self.asked.is_some()
    }

    /// Starts the next request: the seq to search before, or `None` when one is in
    /// flight or everything was searched.
    pub fn ask(&mut self) -> Option<u64> {
        if self.asked.is_some() {
            return None;
        }
        let before = self.next?;
        self.asked = Some(None);
        Some(before)
    }

    /// The sync task named the request in flight.
    pub fn named(&mut self, id: &str, query: &str) {
        if query == self.query
            && let Some(asked @ None) = self.asked.as_mut()
        {
            *asked = Some(id.to_string());
        }
    }

    pub fn is_asked(&self, id: &str) -> bool {
        matches!(&self.asked, Some(Some(asked)) if asked == id)
    }

    /// Forgets the request in flight (the link dropped it, or the hub refused it).
    pub fn forget_asked(&mut self) {
        self.asked = None;
    }

    /// An answer: `entries` newest first, `searched_to` where to go on (0: done).
    /// Returns how many matches were added; ignored unless it answers the request in
    /// flight.
    pub fn arrived(&mut self, id: &str, entries: Vec<TimelineEntry>, searched_to: u64) -> usize {
        if !self.is_asked(id) {
            return 0;
        }
        self.asked = None;
        self.answered = true;
        let floor = self.next.unwrap_or(0);
        let before = self.entries.len();
        // Only entries older than what is already held, newest first.
        let mut last = self.entries.last().map_or(floor, |e| e.seq);
        for entry in entries {
            if entry.seq >= last || self.entries.len() == MAX_FOUND_KEPT {
                continue;
            }
            last = entry.seq;
            self.entries.push(entry);
        }
        self.next = if self.entries.len() == MAX_FOUND_KEPT {
            // Full: going on means starting below the oldest kept match.
            Some(last).filter(|seq| *seq > 1)
        } else {
            (searched_to > 0).then_some(searched_to)
        };
        self.entries.len() - before
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::EntryKind;
    use chrono::{TimeZone, Utc};

    fn entry(seq: u64) -> TimelineEntry {
        TimelineEntry {
            seq,
            at: Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap(),
            author: "alice".into(),
            kind: EntryKind::Note,
            text: format!("disk {seq}"),
            typed_at: None,
            correction: None,
            earlier: Vec::new(),
            milestone: false,
        }
    }

    #[test]
    fn answers_go_on_from_where_the_hub_stopped_and_stale_ones_are_ignored() {
        let mut search = HubSearch::new("disk", 9_000);
        assert_eq!(search.ask(), Some(9_000));
        assert_eq!(search.ask(), None, "one request at a time");
        search.named("s1", "disk");
        assert_eq!(search.arrived("s0", vec![entry(10)], 0), 0);
        let added = search.arrived("s1", vec![entry(8_000), entry(5_000)], 4_000);
        assert_eq!(added, 2);
        assert_eq!(search.next, Some(4_000));
        assert_eq!(search.ask(), Some(4_000));
        search.named("s2", "disk");
        // A repeated match is left out; the end of the log ends the search.
        search.arrived("s2", vec![entry(5_000), entry(3)], 0);
        let seqs: Vec<u64> = search.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [8_000, 5_000, 3]);
        assert_eq!(search.next, None);
        assert_eq!(search.ask(), None);
    }
}
