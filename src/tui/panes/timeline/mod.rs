//! The timeline (the scribe's pane): UTC-stamped entries, newest at the bottom, that
//! follow live unless you scroll up. Entries wrap to the pane's width (`w` switches to
//! one line each); Enter shows an entry in full with its corrections, `c` corrects it
//! (the original stays). Filter by kind or by you, `/` search. The note composer
//! (`composer.rs`, opened from any pane) lives here so it can sit at the pane's foot
//! and keep a closed draft. Your notes the hub has not acknowledged yet sit below the
//! entries, marked pending, until their real entries replace them. Rendering
//! (`render.rs`) lays out only the entries on screen, so 100,000 entries cost the same
//! as 100.
//!
//! The incident keeps only its newest entries in memory; older ones are the hub's to
//! read. Reaching the oldest shown entry asks for the page before it (`older.rs`,
//! shown above the window), and `/` also asks the hub to search what is out of memory
//! (`found.rs`, shown after the matches in memory; `N` searches further back).

mod entries;
mod found;
mod older;
mod paging;
#[cfg(test)]
mod paging_tests;
mod render;
#[cfg(test)]
mod tests;

use super::{Detail, Pane, Prompt, Purpose, Reaction, Read, ViewCtx, ellipsize};
use crate::incident::state::TimelineEntry;
use crate::incident::{Command, EntryKind, State};
use crate::tui::composer::{Composer, Outcome};
use crate::tui::keymap::{Action, Context};
use crate::tui::layout::PaneKind;
use crate::tui::theme::Theme;
use entries::{Entries, passes};
use found::HubSearch;
use older::Older;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

/// A note you sent that the hub has not acknowledged yet (the link is down, or the
/// answer is on its way): drawn at the timeline's foot, marked pending, until its real
/// entry arrives; it goes with the toast when the hub refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingNote {
    pub kind: EntryKind,
    pub text: String,
    pub typed_at: chrono::DateTime<chrono::Utc>,
}

/// What the filter key cycles through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    All,
    Kind(EntryKind),
    Mine,
}

impl Filter {
    fn next(self) -> Filter {
        match self {
            Filter::All => Filter::Kind(EntryKind::Note),
            Filter::Kind(EntryKind::Note) => Filter::Kind(EntryKind::Decision),
            Filter::Kind(EntryKind::Decision) => Filter::Kind(EntryKind::Action),
            Filter::Kind(EntryKind::Action) => Filter::Kind(EntryKind::Comms),
            Filter::Kind(EntryKind::Comms) => Filter::Kind(EntryKind::System),
            Filter::Kind(EntryKind::System) => Filter::Mine,
            Filter::Mine => Filter::All,
        }
    }

    fn label(self) -> String {
        match self {
            Filter::All => String::new(),
            Filter::Kind(kind) => format!("only {kind}"),
            Filter::Mine => "only mine".into(),
        }
    }
}

pub struct TimelinePane {
    pub filter: Filter,
    pub search: String,
    /// Pinned to the newest entry.
    pub follow: bool,
    /// Index into the shown entries (when not following).
    pub selected: usize,
    /// Entries in the timeline when you stopped following (to count what is new).
    seen: u64,
    /// One line per entry, cut at the pane's edge, instead of wrapped entries.
    pub one_line: bool,
    /// The first shown entry at the last render: scrolling moves it only as needed.
    top: usize,
    /// Entries on screen at the last render, so paging moves by what the user sees.
    page: usize,
    pub editor: Option<Composer>,
    /// A closed editor's unsent text, restored when it reopens.
    pub draft: Option<(EntryKind, String)>,
    /// Cached raw indices of shown entries: (what they were computed from, filter,
    /// search) → indices.
    cache: Option<(CacheKey, Filter, String, Vec<usize>)>,
    /// Your notes not yet acknowledged, oldest first (kept by the app).
    pub pending: Vec<PendingNote>,
    /// Pages of entries older than the window, fetched as you scroll up.
    older: Older,
    /// The hub's search of the entries older than the window, while `/` searches.
    found: Option<HubSearch>,
    /// Bumped whenever `older` or `found` change (part of the cache key).
    generation: u64,
    /// The state's `timeline_dropped` the older pages join.
    window_dropped: u64,
    /// The seqs of the selected entry and of the first one on screen, kept so the
    /// selection stays on its entry when entries come or go above it.
    anchor: Option<(u64, u64)>,
    /// Put the selection back on `anchor` before using positions again.
    relocate: bool,
}

/// What the shown indices depend on besides filter and search: the window's length
/// and start, and the generation of the older pages and search matches.
type CacheKey = (usize, u64, u64);

impl Default for TimelinePane {
    fn default() -> Self {
        TimelinePane {
            filter: Filter::All,
            search: String::new(),
            follow: true,
            selected: 0,
            seen: 0,
            one_line: false,
            top: 0,
            page: 10,
            editor: None,
            draft: None,
            cache: None,
            pending: Vec::new(),
            older: Older::default(),
            found: None,
            generation: 0,
            window_dropped: 0,
            anchor: None,
            relocate: false,
        }
    }
}

/// The detail view of an entry: kind, author, UTC time, the text in full, and every
/// version of it when it was corrected.
fn detail(entry: &TimelineEntry) -> Detail {
    let stamp = |at: &chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M:%S UTC");
    let mut lines = vec![
        format!("Kind:    {}", entry.kind),
        format!("Author:  {}", entry.author),
        format!("Time:    {}", stamp(&entry.at)),
    ];
    if let Some(typed) = &entry.typed_at {
        lines.push(format!("Typed:   {} (queued while offline)", stamp(typed)));
    }
    lines.push(String::new());
    lines.extend(entry.current_text().split('\n').map(str::to_string));
    if let Some(latest) = &entry.correction {
        lines.push(String::new());
        lines.push("Corrections (every version stays in the log):".into());
        lines.push(format!(
            "── original, by {} at {}",
            entry.author,
            stamp(&entry.at)
        ));
        lines.extend(entry.text.split('\n').map(|l| format!("   {l}")));
        for correction in entry.earlier.iter().chain([latest]) {
            lines.push(format!(
                "── #{} by {} at {}",
                correction.seq,
                correction.author,
                stamp(&correction.at)
            ));
            lines.extend(correction.text.split('\n').map(|l| format!("   {l}")));
        }
    }
    Detail {
        title: format!("Entry #{} — {}", entry.seq, entry.kind),
        lines,
    }
}

impl TimelinePane {
    fn filtering(&self) -> bool {
        self.filter != Filter::All || !self.search.is_empty()
    }

    /// Raw indices of the entries shown, recomputed only when something they depend
    /// on changed. Without a filter the identity is implied and nothing is allocated.
    fn shown<'a>(&'a mut self, state: &State, me: &str) -> Option<&'a [usize]> {
        if !self.filtering() {
            return None;
        }
        let key = (
            state.timeline.len(),
            state.timeline_dropped,
            self.generation,
        );
        let fresh = matches!(&self.cache, Some((k, f, s, _)) if *k == key && *f == self.filter && *s == self.search);
        if !fresh {
            let needle = self.search.to_lowercase();
            let entries = Entries::new(&self.older, self.found.as_ref(), state);
            let first_kept = state.first_kept_seq().unwrap_or(u64::MAX);
            let (filter, older) = (self.filter, &self.older);
            let indices = (0..entries.len())
                .filter(|raw| {
                    entries.get(*raw).is_some_and(|e| {
                        passes(filter, &needle, me, e)
                            // The hub's matches that are not shown already.
                            && (!entries.is_found(*raw)
                                || (e.seq < first_kept && !older.holds(e.seq)))
                    })
                })
                .collect();
            self.cache = Some((key, self.filter, self.search.clone(), indices));
        }
        self.cache.as_ref().map(|(_, _, _, v)| v.as_slice())
    }

    fn count(&mut self, state: &State, me: &str) -> usize {
        match self.shown(state, me) {
            Some(v) => v.len(),
            None => self.older.len() + state.timeline.len(),
        }
    }

    /// The raw index of the entry at `position` among those shown.
    fn entry_index(&mut self, state: &State, me: &str, position: usize) -> Option<usize> {
        let unfiltered = self.older.len() + state.timeline.len();
        match self.shown(state, me) {
            Some(v) => v.get(position).copied(),
            None => (position < unfiltered).then_some(position),
        }
    }

    /// The entry at `position` among those shown.
    fn entry_at(&mut self, state: &State, me: &str, position: usize) -> Option<TimelineEntry> {
        let raw = self.entry_index(state, me, position)?;
        Entries::new(&self.older, self.found.as_ref(), state)
            .get(raw)
            .cloned()
    }

    /// The entry under the cursor (the newest while following).
    fn current(&mut self, ctx: &ViewCtx) -> Option<TimelineEntry> {
        self.settle(ctx.state, ctx.me);
        let count = self.count(ctx.state, ctx.me);
        let position = if self.follow {
            count.checked_sub(1)?
        } else {
            self.selected
        };
        self.entry_at(ctx.state, ctx.me, position)
    }

    /// The entry under the cursor (the newest while following): what a follow-up made
    /// here comes from.
    pub fn selected_entry(&mut self, ctx: &ViewCtx) -> Option<TimelineEntry> {
        self.current(ctx)
    }

    /// Whether the note composer is open (it then takes every key).
    pub fn composing(&self) -> bool {
        self.editor.is_some()
    }

    /// Opens the composer for `kind`, with the kept draft's text if there is one; an
    /// open composer switches to `kind`.
    pub fn compose(&mut self, kind: EntryKind) {
        match self.editor.as_mut() {
            Some(editor) => editor.kind = kind,
            None => {
                let text = self.draft.take().map(|(_, text)| text).unwrap_or_default();
                self.editor = Some(Composer::new(kind, &text));
            }
        }
    }

    /// A key for the open composer.
    pub fn composer_key(&mut self, key: KeyEvent) -> Reaction {
        let Some(editor) = self.editor.as_mut() else {
            return Reaction::None;
        };
        match editor.on_key(key) {
            Outcome::Typing => Reaction::None,
            Outcome::Refused(why) => Reaction::Toast(why),
            Outcome::Send(command) => {
                self.follow = true;
                Reaction::Send(command)
            }
            Outcome::Close => {
                let (kind, text) = (editor.kind, editor.text());
                self.editor = None;
                if !text.trim().is_empty() {
                    self.draft = Some((kind, text));
                }
                Reaction::None
            }
        }
    }

    /// A paste: into the composer, opening it (as a note) if it is closed.
    pub fn paste(&mut self, text: &str) -> Reaction {
        if self.editor.is_none() {
            self.compose(EntryKind::Note);
        }
        match self.editor.as_mut().and_then(|e| e.paste(text)) {
            Some(cut) => Reaction::Toast(cut),
            None => Reaction::None,
        }
    }

    /// Draws the open composer in `area` (the console's overlay when the timeline is
    /// not on screen).
    pub fn render_composer(&mut self, theme: &Theme, area: Rect, buf: &mut Buffer) {
        if let Some(editor) = self.editor.as_mut() {
            editor.render(theme, area, buf);
        }
    }
}

impl Pane for TimelinePane {
    fn kind(&self) -> PaneKind {
        PaneKind::Timeline
    }

    fn context(&self) -> Context {
        Context::Timeline
    }

    fn hint(&self) -> &'static str {
        if self.editor.is_some() {
            "Enter send · Ctrl-J new line · Tab note/decision/action · Esc close (keeps draft)"
        } else {
            "n note · d decision · a action · Enter details · / search · f filter · c correct · w wrap · G follow"
        }
    }

    fn capturing(&self) -> bool {
        self.editor.is_some()
    }

    fn on_key(&mut self, key: KeyEvent, _ctx: &ViewCtx) -> Reaction {
        self.composer_key(key)
    }

    fn on_paste(&mut self, text: &str) -> Reaction {
        self.paste(text)
    }

    fn unsent(&self) -> Option<String> {
        let typed = self
            .editor
            .as_ref()
            .map(Composer::text)
            .or_else(|| self.draft.as_ref().map(|(_, t)| t.clone()))
            .filter(|t| !t.trim().is_empty())?;
        Some(format!("an unsent note: “{}”", ellipsize(&typed, 40)))
    }

    fn on_action(&mut self, action: Action, ctx: &ViewCtx) -> Reaction {
        self.settle(ctx.state, ctx.me);
        let page = self.page.max(1) as isize;
        match action {
            Action::ComposeNote => self.compose(EntryKind::Note),
            Action::ComposeDecision => self.compose(EntryKind::Decision),
            Action::ComposeAction => self.compose(EntryKind::Action),
            Action::Up => return self.move_by(-1, ctx),
            Action::Down => return self.move_by(1, ctx),
            Action::PageUp => return self.move_by(-page, ctx),
            Action::PageDown => return self.move_by(page, ctx),
            Action::Top => return self.jump_to_top(ctx),
            Action::Bottom => self.follow = true,
            Action::CycleFilter => {
                self.filter = self.filter.next();
                self.follow = true;
            }
            Action::ToggleWrap => self.one_line = !self.one_line,
            Action::Cancel => {
                self.filter = Filter::All;
                self.search.clear();
                self.found = None;
                self.generation += 1;
                self.follow = true;
            }
            Action::SearchOlder => return self.search_older(),
            Action::Search => {
                return Reaction::Prompt(Prompt {
                    owner: Some(PaneKind::Timeline),
                    purpose: Purpose::Search,
                    title: "Search the timeline (text or author; empty clears)".into(),
                    initial: self.search.clone(),
                });
            }
            Action::Select => {
                return match self.current(ctx) {
                    Some(entry) => Reaction::Detail(detail(&entry)),
                    None => Reaction::Toast("no entries yet — n writes a note".into()),
                };
            }
            Action::Correct => {
                let Some(entry) = self.current(ctx) else {
                    return Reaction::Toast("nothing selected".into());
                };
                if !entry.kind.is_written_by_people() {
                    return Reaction::Toast("warroom wrote that entry; add a note instead".into());
                }
                // The hub corrects only entries in the window it keeps in memory.
                if ctx.state.timeline_dropped > 0
                    && ctx
                        .state
                        .first_kept_seq()
                        .is_some_and(|first| entry.seq < first)
                {
                    return Reaction::Toast(format!(
                        "#{} is older than the entries the hub keeps at hand and cannot be corrected; add a note instead",
                        entry.seq
                    ));
                }
                return Reaction::Prompt(Prompt {
                    owner: Some(PaneKind::Timeline),
                    purpose: Purpose::Correct(entry.seq),
                    title: format!(
                        "Correct #{} (the original stays in the log; Ctrl-J new line)",
                        entry.seq
                    ),
                    initial: entry.current_text().to_string(),
                });
            }
            _ => {}
        }
        Reaction::None
    }

    fn on_submit(&mut self, purpose: &Purpose, value: &str, ctx: &ViewCtx) -> Reaction {
        match purpose {
            Purpose::Search => self.start_search(value.trim(), ctx.state),
            Purpose::Correct(seq) if !value.trim().is_empty() => {
                Reaction::Send(Command::CorrectNote {
                    entry: *seq,
                    text: value.trim().to_string(),
                })
            }
            _ => Reaction::None,
        }
    }

    fn render(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer, focused: bool) {
        render::render(self, ctx, area, buf, focused);
    }
}
