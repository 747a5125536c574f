//! Moving through a timeline longer than the window in memory: the selection reaching
//! the oldest shown entry asks the hub for the page before it (one request at a time),
//! pages that arrive or leave keep the selection on its entry, and a search of the
//! hub starts with `/` and goes further back with `N`. The app hands the hub's answers
//! and the link's troubles to the methods here.

use super::found::HubSearch;
use super::older::{PAGE, Way};
use super::{Entries, Reaction, Read, TimelinePane, ViewCtx};
use crate::incident::State;
use crate::incident::state::TimelineEntry;

impl TimelinePane {
    /// Moves the selection by `delta` shown entries; reaching the oldest asks for the
    /// page before it, and the run of older pages is never crossed where it stops
    /// short of the window.
    pub(super) fn move_by(&mut self, delta: isize, ctx: &ViewCtx) -> Reaction {
        let count = self.count(ctx.state, ctx.me);
        if count == 0 {
            return if delta < 0 {
                self.page_up(ctx.state)
            } else {
                Reaction::None
            };
        }
        if self.follow {
            self.selected = count - 1;
            self.seen = ctx.state.timeline_len();
        }
        let mut next = (self.selected as isize + delta).clamp(0, count as isize - 1) as usize;
        if self.older.has_hole() {
            let boundary = self.older_shown(ctx.state, ctx.me);
            if self.selected < boundary && next >= boundary {
                // Down to the last entry before the hole, which is fetched again.
                self.follow = false;
                self.selected = boundary.saturating_sub(1);
                self.remember(ctx.state, ctx.me);
                return self.page_down();
            }
            if self.selected >= boundary && next < boundary {
                // Up from the window into the hole: page again from the window.
                self.older.clear();
                self.generation += 1;
                next = next.saturating_sub(boundary);
                self.top = self.top.saturating_sub(boundary);
            }
        }
        self.follow = delta > 0 && next == count - 1;
        self.selected = next;
        self.remember(ctx.state, ctx.me);
        if delta < 0 && next == 0 {
            return self.page_up(ctx.state);
        }
        Reaction::None
    }

    /// `g`: to the oldest shown entry, asking for the page before it. Only one page
    /// per press, so the whole history is loaded only by someone who keeps pressing.
    pub(super) fn jump_to_top(&mut self, ctx: &ViewCtx) -> Reaction {
        self.follow = false;
        self.seen = ctx.state.timeline_len();
        self.selected = 0;
        self.remember(ctx.state, ctx.me);
        self.page_up(ctx.state)
    }

    /// How many shown entries are older pages (they come first).
    fn older_shown(&mut self, state: &State, me: &str) -> usize {
        let older = self.older.len();
        match self.shown(state, me) {
            Some(shown) => shown.partition_point(|raw| *raw < older),
            None => older,
        }
    }

    /// The request for the page before the oldest shown entry, if there is one to ask.
    fn page_up(&mut self, state: &State) -> Reaction {
        // While the hub searches, older matches come from the search, not from pages.
        if self.found.is_some() {
            return Reaction::None;
        }
        let first_kept = state.first_kept_seq().unwrap_or(state.seq + 1);
        match self.older.ask_up(first_kept, state.timeline_dropped) {
            Some(before_seq) => Reaction::Read(Read::Page {
                before_seq,
                limit: PAGE,
            }),
            None => Reaction::None,
        }
    }

    fn page_down(&mut self) -> Reaction {
        match self.older.ask_down() {
            Some(before_seq) => Reaction::Read(Read::Page {
                before_seq,
                limit: PAGE,
            }),
            None => Reaction::None,
        }
    }

    /// A search from `/`: filters what is loaded and, when the incident has entries
    /// out of memory, asks the hub for the older matches.
    pub(super) fn start_search(&mut self, query: &str, state: &State) -> Reaction {
        self.search = query.to_string();
        self.follow = true;
        self.found = None;
        self.generation += 1;
        if query.is_empty() || state.timeline_dropped == 0 {
            return Reaction::None;
        }
        // The older pages held (when they join the window) are searched here already.
        let first_kept = state.first_kept_seq().unwrap_or(state.seq + 1);
        let below = match self.older.oldest() {
            Some(oldest) if !self.older.has_hole() => oldest.min(first_kept),
            _ => first_kept,
        };
        let mut found = HubSearch::new(query, below);
        let asked = found.ask();
        self.found = Some(found);
        match asked {
            Some(before_seq) => Reaction::Read(Read::Search {
                query: query.to_string(),
                before_seq,
            }),
            None => Reaction::None,
        }
    }

    /// `N`: the hub searches further back.
    pub(super) fn search_older(&mut self) -> Reaction {
        let Some(found) = self.found.as_mut() else {
            let why = if self.search.is_empty() {
                "no search yet — / searches the whole timeline"
            } else {
                "every entry of this incident is in memory: the search saw them all"
            };
            return Reaction::Toast(why.into());
        };
        if found.asking() {
            return Reaction::Toast("still searching…".into());
        }
        match found.ask() {
            Some(before_seq) => Reaction::Read(Read::Search {
                query: found.query.clone(),
                before_seq,
            }),
            None => Reaction::Toast("the whole timeline was searched".into()),
        }
    }

    /// The sync task gave the read the id its answer will carry.
    pub fn asked(&mut self, id: &str, read: &Read) {
        match read {
            Read::Page { before_seq, .. } => self.older.named(id, *before_seq),
            Read::Search { query, .. } => {
                if let Some(found) = self.found.as_mut() {
                    found.named(id, query);
                }
            }
        }
    }

    /// A page of older entries arrived (ignored unless it answers the request in
    /// flight); the selection stays on its entry.
    pub fn page_arrived(&mut self, id: &str, entries: Vec<TimelineEntry>, older: bool) {
        let change = self.older.arrived(id, entries, older);
        if change.way.is_some() {
            self.generation += 1;
            self.relocate = !self.follow;
        }
    }

    /// Search matches arrived (ignored unless they answer the request in flight).
    pub fn found_arrived(&mut self, id: &str, entries: Vec<TimelineEntry>, searched_to: u64) {
        if let Some(found) = self.found.as_mut()
            && found.is_asked(id)
        {
            found.arrived(id, entries, searched_to);
            self.generation += 1;
        }
    }

    /// The hub refused a read (or anything else: then nothing happens here).
    pub fn refused(&mut self, id: &str) {
        if self.older.is_asked(id) {
            self.older.forget_asked();
        }
        if let Some(found) = self.found.as_mut().filter(|f| f.is_asked(id)) {
            found.forget_asked();
        }
    }

    /// The link dropped: requests in flight are never answered, so they may be asked
    /// again.
    pub fn link_lost(&mut self) {
        self.older.forget_asked();
        if let Some(found) = self.found.as_mut() {
            found.forget_asked();
        }
    }

    /// After events or a snapshot: when the window moved (entries left memory), the
    /// older pages no longer join it and go, and a search of the hub starts again
    /// from the window's new first entry. `replaced`: a whole new state arrived.
    pub fn window_changed(&mut self, state: &State, replaced: bool) -> Option<Read> {
        if !replaced && state.timeline_dropped == self.window_dropped {
            return None;
        }
        self.window_dropped = state.timeline_dropped;
        self.older.clear();
        self.generation += 1;
        self.relocate = !self.follow;
        let query = self.found.take().map(|f| f.query)?;
        let follow = self.follow;
        let read = self.start_search(&query, state);
        self.follow = follow;
        match read {
            Reaction::Read(read) => Some(read),
            _ => None,
        }
    }

    /// Remembers the seqs of the selected entry and of the first one on screen.
    pub(super) fn remember(&mut self, state: &State, me: &str) {
        if self.follow {
            return;
        }
        let selected = self.entry_at(state, me, self.selected).map(|e| e.seq);
        let top = self.entry_at(state, me, self.top).map(|e| e.seq);
        if let (Some(selected), Some(top)) = (selected, top.or(selected)) {
            self.anchor = Some((selected, top));
        }
    }

    /// Puts the selection and the first entry on screen back on their entries after
    /// entries came or went above them.
    pub(super) fn settle(&mut self, state: &State, me: &str) {
        if !std::mem::take(&mut self.relocate) || self.follow {
            return;
        }
        let Some((selected, top)) = self.anchor else {
            return;
        };
        self.selected = self.position_of(state, me, selected);
        self.top = self.position_of(state, me, top).min(self.selected);
    }

    /// The shown position of the entry `seq`, or of the first loaded entry after it
    /// when it is gone.
    fn position_of(&mut self, state: &State, me: &str, seq: u64) -> usize {
        let count = self.count(state, me);
        let shown = self.shown(state, me).map(<[usize]>::to_vec);
        let entries = Entries::new(&self.older, self.found.as_ref(), state);
        let raw_of = |position: usize| {
            shown
                .as_ref()
                .map_or(Some(position), |v| v.get(position).copied())
        };
        let mut after = None;
        for position in 0..count {
            let Some(raw) = raw_of(position) else { break };
            let Some(entry) = entries.get(raw) else { break };
            if entry.seq == seq {
                return position;
            }
            if after.is_none() && !entries.is_found(raw) && entry.seq > seq {
                after = Some(position);
            }
        }
        after.unwrap_or(0).min(count.saturating_sub(1))
    }

    /// What the list shows at its top and foot while the hub works, or where a search
    /// of the hub got to.
    pub(super) fn read_status(&self) -> (Option<String>, Option<String>) {
        let top =
            (self.older.asking() == Some(Way::Up)).then(|| "loading older entries…".to_string());
        let foot = if self.older.asking() == Some(Way::Down) {
            Some("loading newer entries…".to_string())
        } else {
            self.found
                .as_ref()
                .map(|found| match (found.asking(), found.next) {
                    (true, _) => "searching older entries in the log…".to_string(),
                    (false, Some(seq)) if found.answered => {
                        format!("searched back to #{seq} — press N for more")
                    }
                    (false, Some(_)) => {
                        "the search of older entries was cut off — press N to search again"
                            .to_string()
                    }
                    (false, None) => format!(
                        "searched the whole timeline: {} older match(es)",
                        found.entries.len()
                    ),
                })
        };
        (top, foot)
    }
}
