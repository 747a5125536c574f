//! The timeline (the scribe's pane): UTC-stamped entries, newest at the bottom, that
//! follow live unless you scroll up. Entries wrap to the pane's width (`w` switches to
//! one line each); Enter shows an entry in full with its corrections, `c` corrects it
//! (the original stays). Filter by kind or by you, `/` search. The note composer
//! (`composer.rs`, opened from any pane) lives here so it can sit at the pane's foot
//! and keep a closed draft. Your notes the hub has not acknowledged yet sit below the
//! entries, marked pending, until their real entries replace them. Rendering (`render.rs`) lays out only the entries on
//! screen, so 100,000 entries cost the same as 100.

mod render;
#[cfg(test)]
mod tests;

use super::{Detail, Pane, Prompt, Purpose, Reaction, ViewCtx, ellipsize};
use crate::incident::state::TimelineEntry;
use crate::incident::{Command, EntryKind, State};
use crate::tui::composer::{Composer, Outcome};
use crate::tui::keymap::{Action, Context};
use crate::tui::layout::PaneKind;
use crate::tui::theme::Theme;
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
    seen: usize,
    /// One line per entry, cut at the pane's edge, instead of wrapped entries.
    pub one_line: bool,
    /// The first shown entry at the last render: scrolling moves it only as needed.
    top: usize,
    /// Entries on screen at the last render, so paging moves by what the user sees.
    page: usize,
    pub editor: Option<Composer>,
    /// A closed editor's unsent text, restored when it reopens.
    pub draft: Option<(EntryKind, String)>,
    /// Cached indices of shown entries: (timeline length, filter, search) → indices.
    cache: Option<(usize, Filter, String, Vec<usize>)>,
    /// Your notes not yet acknowledged, oldest first (kept by the app).
    pub pending: Vec<PendingNote>,
}

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

    /// Indices of the entries shown, recomputed only when something they depend on
    /// changed. Without a filter the identity is implied and nothing is allocated.
    fn shown<'a>(&'a mut self, state: &State, me: &str) -> Option<&'a [usize]> {
        if !self.filtering() {
            return None;
        }
        let len = state.timeline.len();
        let fresh = matches!(&self.cache, Some((l, f, s, _)) if *l == len && *f == self.filter && *s == self.search);
        if !fresh {
            let needle = self.search.to_lowercase();
            let indices = state
                .timeline
                .iter()
                .enumerate()
                .filter(|(_, e)| match self.filter {
                    Filter::All => true,
                    Filter::Kind(kind) => e.kind == kind,
                    Filter::Mine => e.author == me,
                })
                .filter(|(_, e)| {
                    needle.is_empty()
                        || e.current_text().to_lowercase().contains(&needle)
                        || e.author.to_lowercase().contains(&needle)
                })
                .map(|(i, _)| i)
                .collect();
            self.cache = Some((len, self.filter, self.search.clone(), indices));
        }
        self.cache.as_ref().map(|(_, _, _, v)| v.as_slice())
    }

    fn count(&mut self, state: &State, me: &str) -> usize {
        match self.shown(state, me) {
            Some(v) => v.len(),
            None => state.timeline.len(),
        }
    }

    fn entry_index(&mut self, state: &State, me: &str, position: usize) -> Option<usize> {
        match self.shown(state, me) {
            Some(v) => v.get(position).copied(),
            None => (position < state.timeline.len()).then_some(position),
        }
    }

    fn move_by(&mut self, delta: isize, count: usize) {
        if count == 0 {
            return;
        }
        if self.follow {
            self.selected = count - 1;
            self.seen = count;
        }
        let next = (self.selected as isize + delta).clamp(0, count as isize - 1) as usize;
        self.follow = delta > 0 && next == count - 1;
        self.selected = next;
    }

    /// The entry under the cursor (the newest while following).
    fn current<'a>(&mut self, ctx: &ViewCtx<'a>) -> Option<&'a TimelineEntry> {
        let count = self.count(ctx.state, ctx.me);
        let position = if self.follow {
            count.checked_sub(1)?
        } else {
            self.selected
        };
        let index = self.entry_index(ctx.state, ctx.me, position)?;
        ctx.state.timeline.get(index)
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
        let count = self.count(ctx.state, ctx.me);
        let page = self.page.max(1) as isize;
        match action {
            Action::ComposeNote => self.compose(EntryKind::Note),
            Action::ComposeDecision => self.compose(EntryKind::Decision),
            Action::ComposeAction => self.compose(EntryKind::Action),
            Action::Up => self.move_by(-1, count),
            Action::Down => self.move_by(1, count),
            Action::PageUp => self.move_by(-page, count),
            Action::PageDown => self.move_by(page, count),
            Action::Top => {
                self.follow = false;
                self.seen = ctx.state.timeline.len();
                self.selected = 0;
            }
            Action::Bottom => self.follow = true,
            Action::CycleFilter => {
                self.filter = self.filter.next();
                self.follow = true;
            }
            Action::ToggleWrap => self.one_line = !self.one_line,
            Action::Cancel => {
                self.filter = Filter::All;
                self.search.clear();
                self.follow = true;
            }
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
                    Some(entry) => Reaction::Detail(detail(entry)),
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

    fn on_submit(&mut self, purpose: &Purpose, value: &str, _ctx: &ViewCtx) -> Reaction {
        match purpose {
            Purpose::Search => {
                self.search = value.trim().to_string();
                self.follow = true;
                Reaction::None
            }
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
