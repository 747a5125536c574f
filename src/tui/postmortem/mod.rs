//! The post-mortem view: opened with `M` (or the palette), it covers the panes with
//! the nine sections people write — written or not, by whom and when, a draft ready
//! where the incident already knows something — the selected section's text, and the
//! follow-ups (the remediations) with their state, owner and due date. Enter edits a
//! section in a multi-line editor (`editor`), Ctrl-S saves it as a `write_postmortem`
//! (shared live, audited), Esc leaves, asking before throwing changes away. Without
//! the permission the view is read-only and says why. `render` draws it.

mod editor;
mod render;

pub use editor::{Outcome, SectionEditor};

use super::app::{App, Effect};
use super::keymap::{self, Action, Context};
use super::panes::{Detail, Reaction};
use crate::incident::Command;
use crate::incident::followup::{Followup, FollowupState};
use crate::incident::limits::check_text;
use crate::incident::postmortem::{SECTION_MAX_CHARS, SECTIONS, draft};
use crate::incident::role::{Permission, permits};
use crate::incident::{Role, State};
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use std::collections::BTreeSet;

/// One selectable row of the view's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// A section, by its index in `SECTIONS`.
    Section(usize),
    /// A follow-up, by its number.
    Followup(u32),
}

/// The open view.
#[derive(Default)]
pub struct PostmortemView {
    /// Index into [`rows`].
    pub selected: usize,
    /// First row of the selected section's text shown.
    pub scroll: u16,
    pub editor: Option<SectionEditor>,
    /// Esc with changes: "throw them away?" is on screen.
    pub asking_discard: bool,
}

/// The sections, then the follow-ups.
pub fn rows(state: &State) -> Vec<Row> {
    (0..SECTIONS.len())
        .map(Row::Section)
        .chain(state.followups.iter().map(|f| Row::Followup(f.number)))
        .collect()
}

/// Whether `roles` may write sections (before the hub's welcome the roles are
/// unknown and the hub stays the judge).
pub fn may_write(roles: &BTreeSet<Role>) -> bool {
    roles.is_empty() || permits(roles, Permission::WritePostmortem)
}

fn read_only_message() -> String {
    format!(
        "read-only: your roles may not {} (the commander, scribe or comms lead can)",
        Permission::WritePostmortem.describe()
    )
}

impl PostmortemView {
    pub fn row(&self, state: &State) -> Option<Row> {
        rows(state).get(self.selected).copied()
    }

    fn followup<'a>(&self, state: &'a State) -> Option<&'a Followup> {
        match self.row(state)? {
            Row::Followup(n) => state.followups.iter().find(|f| f.number == n),
            Row::Section(_) => None,
        }
    }

    /// The status line's hint.
    pub fn hint(&self) -> &'static str {
        match (&self.editor, self.asking_discard) {
            (_, true) => "throw away your changes? y: yes · n / Esc: keep editing",
            (Some(_), _) => "editing · Ctrl-S saves · Esc leaves · Enter new line",
            (None, _) => "Enter edit · x done · W won't do · O reopen · F follow-up · Esc close",
        }
    }
}

impl App {
    /// `M`: opens the view (or closes it when nothing is being edited).
    pub(super) fn toggle_postmortem(&mut self) -> Vec<Effect> {
        match &self.postmortem {
            None => self.postmortem = Some(PostmortemView::default()),
            Some(view) if view.editor.is_none() => self.postmortem = None,
            Some(_) => {
                self.toast = Some("you are editing a section: Ctrl-S saves, Esc leaves".into())
            }
        }
        Vec::new()
    }

    /// A key while the view is open (no overlay, no composer above it).
    pub(super) fn postmortem_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(view) = self.postmortem.as_mut() else {
            return Vec::new();
        };
        if view.asking_discard {
            match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    view.asking_discard = false;
                    view.editor = None;
                    self.toast = Some("changes thrown away".into());
                }
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                    view.asking_discard = false;
                }
                _ => {}
            }
            return Vec::new();
        }
        if let Some(editor) = view.editor.as_mut() {
            return match editor.on_key(key) {
                Outcome::Typing => Vec::new(),
                Outcome::Leave => {
                    if editor.changed() {
                        view.asking_discard = true;
                    } else {
                        view.editor = None;
                    }
                    Vec::new()
                }
                Outcome::Save(text) => self.save_section(text),
            };
        }
        match keymap::resolve(Context::Postmortem, &key) {
            Some(action) => self.postmortem_action(action),
            None => Vec::new(),
        }
    }

    /// An action while the view is open and nothing is being edited.
    pub(super) fn postmortem_action(&mut self, action: Action) -> Vec<Effect> {
        let roles = self.roles();
        let state = &self.state;
        let Some(view) = self.postmortem.as_mut() else {
            return self.on_action(action);
        };
        let last = rows(state).len().saturating_sub(1);
        let moved = |view: &mut PostmortemView, to: usize| {
            view.selected = to.min(last);
            view.scroll = 0;
        };
        match action {
            Action::Up => moved(view, view.selected.saturating_sub(1)),
            Action::Down => moved(view, view.selected + 1),
            Action::Top => moved(view, 0),
            Action::Bottom => moved(view, last),
            Action::PageUp => view.scroll = view.scroll.saturating_sub(10),
            // Clamped to the text when drawn.
            Action::PageDown => view.scroll = view.scroll.saturating_add(10),
            Action::Left | Action::Right => {}
            Action::Cancel => self.postmortem = None,
            Action::Select => return self.postmortem_select(),
            Action::SaveSection => {
                self.toast = Some("Enter edits the selected section; Ctrl-S saves it".into());
            }
            Action::FollowupDone => return self.set_followup(FollowupState::Done, &roles),
            Action::FollowupWontDo => return self.set_followup(FollowupState::WontDo, &roles),
            Action::FollowupReopen => return self.set_followup(FollowupState::Open, &roles),
            // Going to a pane leaves the view.
            Action::Focus(_) | Action::FocusNext | Action::FocusPrev => {
                self.postmortem = None;
                return self.on_action(action);
            }
            other => return self.on_action(other),
        }
        Vec::new()
    }

    /// Enter: edit the selected section, or show the selected follow-up in full.
    fn postmortem_select(&mut self) -> Vec<Effect> {
        let roles = self.roles();
        let Some(view) = self.postmortem.as_mut() else {
            return Vec::new();
        };
        match view.row(&self.state) {
            Some(Row::Section(index)) => {
                if !may_write(&roles) {
                    self.toast = Some(read_only_message());
                    return Vec::new();
                }
                let (id, title) = SECTIONS[index];
                let base = self.state.postmortem.get(id).cloned();
                let proposed = match base {
                    Some(_) => None,
                    None => draft(&self.state, &self.runbooks, self.now, id),
                };
                view.editor = Some(SectionEditor::new(id, title, base, proposed));
                Vec::new()
            }
            Some(Row::Followup(_)) => {
                let Some(f) = view.followup(&self.state) else {
                    return Vec::new();
                };
                let detail = followup_detail(f, self.now.date_naive());
                self.react(None, Reaction::Detail(detail))
            }
            None => Vec::new(),
        }
    }

    /// Ctrl-S in the editor: the text goes out as `write_postmortem`, unless the domain
    /// would refuse it (too long, empty, unchanged), which is said here at once.
    fn save_section(&mut self, text: String) -> Vec<Effect> {
        let roles = self.roles();
        let Some(editor) = self.postmortem.as_mut().and_then(|v| v.editor.as_mut()) else {
            return Vec::new();
        };
        if !may_write(&roles) {
            self.toast = Some(format!("not saved: {}", read_only_message()));
            return Vec::new();
        }
        let text = text.trim_end().to_string();
        if let Err(refused) = check_text("the section", &text, SECTION_MAX_CHARS) {
            self.toast = Some(format!("not saved: {}", refused.message));
            return Vec::new();
        }
        if editor.base.as_ref().is_some_and(|b| b.text == text) {
            self.toast = Some("nothing to save: the section already says that".into());
            return Vec::new();
        }
        editor.sent = Some(text.clone());
        vec![Effect::Send(Command::WritePostmortem {
            section: editor.section.to_string(),
            text,
        })]
    }

    fn set_followup(&mut self, wanted: FollowupState, roles: &BTreeSet<Role>) -> Vec<Effect> {
        let Some(view) = self.postmortem.as_ref() else {
            return Vec::new();
        };
        let Some(f) = view.followup(&self.state) else {
            self.toast =
                Some("select a follow-up first (they are listed under the sections)".into());
            return Vec::new();
        };
        if let Some(why) = crate::tui::panes::refused(roles, Permission::Write) {
            self.toast = Some(why);
            return Vec::new();
        }
        if f.state == wanted {
            self.toast = Some(format!(
                "follow-up #{} is already {}",
                f.number,
                wanted.label()
            ));
            return Vec::new();
        }
        vec![Effect::Send(Command::SetFollowupState {
            number: f.number,
            state: wanted,
        })]
    }

    /// After the log moved: a section you saved is seen back (the editor closes when
    /// it holds just that), or someone else saved the one you edit (you are told; your
    /// text stays).
    pub(super) fn settle_postmortem(&mut self) {
        let me = self.me.name.clone();
        let Some(view) = self.postmortem.as_mut() else {
            return;
        };
        let Some(editor) = view.editor.as_mut() else {
            return;
        };
        let now = self.state.postmortem.get(editor.section).cloned();
        if now == editor.base {
            return;
        }
        editor.base = now.clone();
        let Some(now) = now else { return };
        let mine = now.by == me && editor.sent.as_deref() == Some(now.text.as_str());
        if mine {
            editor.sent = None;
            editor.from_draft = false;
            if editor.text().trim_end() == now.text {
                self.toast = Some(format!("saved “{}”: everyone sees it now", editor.title));
                view.editor = None;
                view.asking_discard = false;
            }
            return;
        }
        self.toast = Some(format!(
            "{} just saved “{}”: your text is kept; Ctrl-S saves yours over theirs",
            now.by, editor.title
        ));
        editor.overwritten = Some(now);
    }

    /// The hub refused a section sent from here: it is not on its way any more (the
    /// editor keeps the text; the refusal is in the status line).
    pub(super) fn postmortem_refused(&mut self, section: &str) {
        if let Some(editor) = self.postmortem.as_mut().and_then(|v| v.editor.as_mut())
            && editor.section == section
        {
            editor.sent = None;
        }
    }

    /// A paste while the view is open: into the editor, as text; else nothing.
    pub(super) fn postmortem_paste(&mut self, text: &str) {
        if let Some(editor) = self.postmortem.as_mut().and_then(|v| v.editor.as_mut())
            && editor.paste(text)
        {
            self.toast = Some(format!(
                "the paste was cut to {} characters",
                super::editing::PASTE_MAX_CHARS
            ));
        }
    }

    /// What leaving would throw away in the view.
    pub(super) fn postmortem_unsent(&self) -> Option<String> {
        let editor = self.postmortem.as_ref()?.editor.as_ref()?;
        editor
            .changed()
            .then(|| format!("unsaved post-mortem section “{}”", editor.title))
    }
}

/// A follow-up in full.
fn followup_detail(f: &Followup, today: chrono::NaiveDate) -> Detail {
    let late = if f.overdue(today) { " — OVERDUE" } else { "" };
    let from = match &f.from {
        Some(crate::incident::followup::Origin::Entry(seq)) => format!("timeline entry #{seq}"),
        Some(crate::incident::followup::Origin::Item(id)) => format!("checklist item `{id}`"),
        None => "on its own".into(),
    };
    Detail {
        title: format!("Follow-up #{}", f.number),
        lines: vec![
            f.text.clone(),
            String::new(),
            format!("Owner:    {}", f.owner),
            format!("Due:      {}{late}", f.due),
            format!("Priority: {}", f.priority),
            format!("State:    {}", f.state.label()),
            format!("From:     {from}"),
            format!("Added by {} at {}", f.by, f.at.format("%Y-%m-%d %H:%M UTC")),
        ],
    }
}
