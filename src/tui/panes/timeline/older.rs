//! The timeline entries older than the incident's in-memory window, fetched from the
//! hub a page at a time as the user scrolls up: a bounded run of pages (at most
//! [`MAX_OLDER`] entries) in seq order, the one request in flight, and — when the bound
//! dropped the pages nearest the window — the keys to fetch them again, so the run is
//! never shown joined to the window across a hole.

use crate::incident::state::TimelineEntry;
use std::collections::VecDeque;

/// Entries asked for per page.
pub const PAGE: u32 = 200;
/// The most older entries kept; past it the pages farthest from the view go.
pub const MAX_OLDER: usize = 5_000;

/// Which way a page request extends the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Before the oldest entry held (scrolling up).
    Up,
    /// Back into the hole between the run and the window (scrolling down again).
    Down,
}

/// A page request: its id once the sync task gave it one, and what it asked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Asked {
    id: Option<String>,
    before: u64,
    way: Way,
}

/// Pages of entries before the window, oldest first.
#[derive(Debug, Default)]
pub struct Older {
    /// The entries, in seq order.
    entries: VecDeque<TimelineEntry>,
    /// Each page held, oldest first: (the seq it was asked before, how many entries).
    pages: VecDeque<(u64, usize)>,
    /// The pages dropped between the run and the window, by the seq each was asked
    /// before; the last one is next to the run. Empty: the run joins the window.
    hole: Vec<u64>,
    /// What the last page up said about entries before it (`None`: none asked yet).
    more: Option<bool>,
    asked: Option<Asked>,
}

/// What a page's arrival did to the run, in entries (the pane turns them into shown
/// positions): `added` at the top or bottom, and `removed_top`/`removed_bottom`
/// entries dropped to stay within the bound, by position in the run before the change.
#[derive(Debug, Default)]
pub struct Change {
    pub way: Option<Way>,
    pub added: Vec<TimelineEntry>,
    pub removed_top: Vec<TimelineEntry>,
    pub removed_bottom: Vec<TimelineEntry>,
}

impl Older {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn get(&self, index: usize) -> Option<&TimelineEntry> {
        self.entries.get(index)
    }

    /// The seq of the oldest entry held.
    pub fn oldest(&self) -> Option<u64> {
        self.entries.front().map(|e| e.seq)
    }

    /// Whether the run stops short of the window (pages nearest it were dropped).
    pub fn has_hole(&self) -> bool {
        !self.hole.is_empty()
    }

    /// Whether the hub holds entries before the oldest shown one: `dropped` is the
    /// state's count of entries that left memory (used while nothing is held).
    pub fn more_before(&self, dropped: u64) -> bool {
        self.more.unwrap_or(dropped > 0)
    }

    /// Whether a page is being fetched, and which way.
    pub fn asking(&self) -> Option<Way> {
        self.asked.as_ref().map(|a| a.way)
    }

    /// Whether `seq` is held (for leaving it out of search results already shown).
    pub fn holds(&self, seq: u64) -> bool {
        let at = self.entries.partition_point(|e| e.seq < seq);
        self.entries.get(at).is_some_and(|e| e.seq == seq)
    }

    /// The request for the page before the oldest entry shown (`first_kept` is the
    /// window's first seq), or `None` if one is in flight or there is nothing older.
    pub fn ask_up(&mut self, first_kept: u64, dropped: u64) -> Option<u64> {
        if self.asked.is_some() || !self.more_before(dropped) {
            return None;
        }
        let before = self.entries.front().map_or(first_kept, |e| e.seq);
        self.asked = Some(Asked {
            id: None,
            before,
            way: Way::Up,
        });
        Some(before)
    }

    /// The request for the dropped page next to the run, or `None` if one is in
    /// flight or there is no hole.
    pub fn ask_down(&mut self) -> Option<u64> {
        if self.asked.is_some() {
            return None;
        }
        let before = *self.hole.last()?;
        self.asked = Some(Asked {
            id: None,
            before,
            way: Way::Down,
        });
        Some(before)
    }

    /// The sync task named the request in flight for `before`.
    pub fn named(&mut self, id: &str, before: u64) {
        if let Some(asked) = self
            .asked
            .as_mut()
            .filter(|a| a.id.is_none() && a.before == before)
        {
            asked.id = Some(id.to_string());
        }
    }

    /// Whether `id` is the request in flight.
    pub fn is_asked(&self, id: &str) -> bool {
        self.asked.as_ref().and_then(|a| a.id.as_deref()) == Some(id)
    }

    /// Forgets the request in flight (the link dropped it, or the hub refused it).
    pub fn forget_asked(&mut self) {
        self.asked = None;
    }

    /// Forgets everything (the window moved, so the run no longer joins it).
    pub fn clear(&mut self) {
        *self = Older::default();
    }

    /// A page arrived: `entries` in seq order, `older` whether the hub holds more
    /// before them. Ignored unless it answers the request in flight.
    pub fn arrived(&mut self, id: &str, entries: Vec<TimelineEntry>, older: bool) -> Change {
        let Some(asked) = self.asked.take_if(|a| a.id.as_deref() == Some(id)) else {
            return Change::default();
        };
        // Only entries before the key, in order: a page is trusted no further.
        let mut entries: Vec<TimelineEntry> = entries
            .into_iter()
            .filter(|e| e.seq < asked.before)
            .collect();
        entries.sort_by_key(|e| e.seq);
        entries.dedup_by_key(|e| e.seq);
        let mut change = Change {
            way: Some(asked.way),
            ..Change::default()
        };
        match asked.way {
            Way::Up => {
                if let Some(oldest) = self.entries.front() {
                    entries.retain(|e| e.seq < oldest.seq);
                }
                // An empty page cannot lead further back: stop rather than ask again.
                self.more = Some(older && !entries.is_empty());
                self.pages.push_front((asked.before, entries.len()));
                for entry in entries.iter().rev() {
                    self.entries.push_front(entry.clone());
                }
                change.added = entries;
                while self.entries.len() > MAX_OLDER && self.pages.len() > 1 {
                    let Some((before, count)) = self.pages.pop_back() else {
                        break;
                    };
                    let at = self.entries.len() - count;
                    let mut gone: Vec<TimelineEntry> = self.entries.drain(at..).collect();
                    gone.append(&mut change.removed_bottom);
                    change.removed_bottom = gone;
                    self.hole.push(before);
                }
            }
            Way::Down => {
                self.hole.pop();
                if let Some(newest) = self.entries.back() {
                    entries.retain(|e| e.seq > newest.seq);
                }
                self.pages.push_back((asked.before, entries.len()));
                self.entries.extend(entries.iter().cloned());
                change.added = entries;
                while self.entries.len() > MAX_OLDER && self.pages.len() > 1 {
                    let Some((_, count)) = self.pages.pop_front() else {
                        break;
                    };
                    change.removed_top.extend(self.entries.drain(..count));
                    // What was dropped can be fetched again by paging up.
                    self.more = Some(true);
                }
            }
        }
        change
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
            text: format!("note {seq}"),
            typed_at: None,
            correction: None,
            earlier: Vec::new(),
            milestone: false,
        }
    }

    /// The page of `PAGE` entries before `before` (seqs are consecutive).
    fn page_before(before: u64) -> Vec<TimelineEntry> {
        (before.saturating_sub(u64::from(PAGE)).max(1)..before)
            .map(entry)
            .collect()
    }

    #[test]
    fn one_request_at_a_time_and_only_its_answer_counts() {
        let mut older = Older::default();
        assert_eq!(older.ask_up(10_001, 10_000), Some(10_001));
        assert_eq!(older.ask_up(10_001, 10_000), None, "never twice at once");
        older.named("p1", 10_001);
        let stray = older.arrived("p0", page_before(10_001), true);
        assert!(stray.way.is_none() && older.len() == 0);
        let change = older.arrived("p1", page_before(10_001), true);
        assert_eq!(change.added.len(), PAGE as usize);
        assert_eq!(older.get(0).map(|e| e.seq), Some(9_801));
        assert_eq!(older.ask_up(10_001, 10_000), Some(9_801));
    }

    #[test]
    fn the_bound_drops_the_pages_nearest_the_window_and_fetches_them_back() {
        let mut older = Older::default();
        let mut before = 20_001;
        let mut id = 0;
        while older.len() < MAX_OLDER {
            let key = older.ask_up(before, 20_000).unwrap();
            id += 1;
            older.named(&id.to_string(), key);
            let change = older.arrived(&id.to_string(), page_before(key), true);
            assert!(change.removed_bottom.is_empty());
            before = key;
        }
        assert!(!older.has_hole());
        let key = older.ask_up(before, 20_000).unwrap();
        older.named("up", key);
        let change = older.arrived("up", page_before(key), true);
        assert_eq!(change.removed_bottom.len(), PAGE as usize);
        assert_eq!(change.removed_bottom.last().map(|e| e.seq), Some(20_000));
        assert!(older.has_hole() && older.len() <= MAX_OLDER);
        // Scrolling down again fetches exactly the page that went.
        let key = older.ask_down().unwrap();
        assert_eq!(key, 20_001);
        older.named("down", key);
        let change = older.arrived("down", page_before(key), true);
        assert_eq!(change.added.first().map(|e| e.seq), Some(19_801));
        assert_eq!(change.removed_top.len(), PAGE as usize);
        assert!(!older.has_hole());
        assert!(older.more_before(20_000));
    }

    #[test]
    fn an_empty_page_ends_paging() {
        let mut older = Older::default();
        let key = older.ask_up(5, 4).unwrap();
        older.named("p", key);
        older.arrived("p", Vec::new(), true);
        assert!(!older.more_before(4));
        assert_eq!(older.ask_up(5, 4), None);
    }
}
