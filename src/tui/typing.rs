//! The console's side of typing: `n`, `d` and `a` open the note composer from any pane
//! (focusing the timeline when it is on screen, else the composer opens over the body
//! and focus stays), every key goes to the composer while it is open, and closing it
//! gives focus back to the pane it came from. Pastes land in whatever input is open,
//! as text; with none open, in the composer.

use super::app::{App, Effect};
use super::editing;
use super::layout::PaneKind;
use super::modal::Modal;
use super::panes::Reaction;
use crate::incident::EntryKind;
use crate::incident::role::Permission;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

impl App {
    /// Whether the timeline is drawn at the current size and focus (in a tabbed
    /// layout only the focused pane is).
    pub fn timeline_on_screen(&self) -> bool {
        let (w, h) = self.size;
        // The focused pane first, as the next draw will remember it.
        let mut recent = vec![self.focus];
        recent.extend(self.recent.iter().filter(|p| **p != self.focus));
        (self.current_layout())
            .arrange(Rect::new(0, 0, w, h), &recent)
            .panes
            .iter()
            .any(|(kind, _)| *kind == PaneKind::Timeline)
    }

    /// Opens the note composer for `kind` from whichever pane has focus.
    pub(super) fn compose(&mut self, kind: EntryKind) -> Vec<Effect> {
        let roles = self.roles();
        if let Some(why) = crate::tui::panes::refused(&roles, Permission::Write) {
            self.toast = Some(why);
            return Vec::new();
        }
        if !self.panes.timeline.composing() {
            self.composer_from = Some(self.focus);
        }
        // Where the timeline is on screen the composer sits at its foot; elsewhere
        // (another tab of a tabbed layout) it opens over the body and focus stays.
        if self.timeline_on_screen() {
            self.focus = PaneKind::Timeline;
        }
        self.panes.timeline.compose(kind);
        Vec::new()
    }

    /// A key while the composer is open.
    pub(super) fn composer_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let reaction = self.panes.timeline.composer_key(key);
        if !self.panes.timeline.composing()
            && let Some(from) = self.composer_from.take()
            && self.visible_panes().contains(&from)
        {
            self.focus = from;
        }
        self.react(Some(PaneKind::Timeline), reaction)
    }

    /// Pasted text: into the open prompt, palette or picker filter; else the open
    /// composer or pane editor; else a new note in the composer. Never a command.
    pub(super) fn on_paste(&mut self, text: &str) -> Vec<Effect> {
        match self.modal.as_mut() {
            Some(Modal::Prompt { prompt, input }) => {
                if editing::paste(input, text, prompt.purpose.multiline()) {
                    self.toast = Some(cut_message());
                }
                return Vec::new();
            }
            Some(Modal::Palette(palette)) => {
                editing::paste(&mut palette.input, text, false);
                palette.selected = 0;
                return Vec::new();
            }
            Some(Modal::Picker {
                filter, selected, ..
            }) => {
                filter.push_str(&editing::pasted(text, false).0);
                *selected = 0;
                return Vec::new();
            }
            Some(Modal::Guard(guard)) => {
                if editing::paste(&mut guard.input, text, false) {
                    self.toast = Some(cut_message());
                }
                guard.refused = false;
                return Vec::new();
            }
            Some(Modal::Followup(form)) => {
                if form.paste(text) {
                    self.toast = Some(cut_message());
                }
                return Vec::new();
            }
            // Reading or confirming: a paste is not an answer.
            Some(_) => return Vec::new(),
            None => {}
        }
        if self.panes.timeline.composing() {
            let reaction = self.panes.timeline.paste(text);
            return self.react(Some(PaneKind::Timeline), reaction);
        }
        // The post-mortem view: into its editor when one is open; never a new note
        // under a view that hides the timeline.
        if self.postmortem.is_some() {
            self.postmortem_paste(text);
            return Vec::new();
        }
        let focus = self.focus;
        if self.panes.get(focus).capturing() {
            let reaction = self.panes.get(focus).on_paste(text);
            return self.react(Some(focus), reaction);
        }
        let effects = self.compose(EntryKind::Note);
        if !self.panes.timeline.composing() {
            return effects;
        }
        let reaction = self.panes.timeline.paste(text);
        self.react(Some(PaneKind::Timeline), reaction)
    }
}

fn cut_message() -> String {
    format!(
        "the paste was cut to {} characters",
        editing::PASTE_MAX_CHARS
    )
}

/// Reaction helper for panes that paste into an editor of their own.
pub fn paste_reaction(cut: bool) -> Reaction {
    if cut {
        Reaction::Toast(cut_message())
    } else {
        Reaction::None
    }
}
