//! Overlays that take the keyboard for a moment: help, the command palette, prompts,
//! pickers, confirmations, the guard before resolving and read-only detail views. Their state lives here;
//! `view.rs` draws them (`reader.rs` the scrolling ones).

use super::incidents::Destination;
use super::keymap::{Action, Context};
use super::panes::{Detail, Picker, Prompt};
use crate::incident::Command;
use ratatui::crossterm::event::KeyCode;
use ratatui_textarea::TextArea;

pub enum Modal {
    Help {
        scroll: u16,
    },
    Palette(Palette),
    Prompt {
        prompt: Prompt,
        input: TextArea<'static>,
    },
    Picker {
        picker: Picker,
        selected: usize,
        filter: String,
    },
    /// "Are you sure?" with the exact text; scrolls, its answer keys always shown.
    Confirm {
        title: String,
        detail: String,
        command: Command,
        scroll: u16,
    },
    /// Unsent work would be left behind by quitting (`to` is `None`) or by going to
    /// another incident or the lobby.
    QuitConfirm {
        detail: String,
        scroll: u16,
        to: Option<Destination>,
    },
    /// Resolving or lowering severity: what is still open, and a required one-line
    /// summary or reason (`guard.rs`).
    Guard(Box<super::guard::Guard>),
    /// A new follow-up: text, owner, due date, priority (`followup_form.rs`).
    Followup(Box<super::followup_form::FollowupForm>),
    /// Something shown in full (an entry, a checklist item), scrolled by `scroll` rows.
    Detail {
        detail: Detail,
        scroll: u16,
    },
}

/// A dialog's scroll offset after a key (the view clamps it to the text).
pub fn scrolled(scroll: u16, key: KeyCode) -> u16 {
    match key {
        KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
        KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(10),
        KeyCode::PageUp => scroll.saturating_sub(10),
        KeyCode::Home | KeyCode::Char('g') => 0,
        KeyCode::End | KeyCode::Char('G') => u16::MAX,
        _ => scroll,
    }
}

/// What a palette entry does.
#[derive(Debug, Clone, PartialEq)]
pub enum PaletteRun {
    /// A key's action, run in the pane whose binding it is (`Global`: where focus is).
    Action(Context, Action),
    Command(Command),
    /// Run (or dry-run) one of the hub's containment actions by id.
    Containment {
        action: String,
        dry_run: bool,
    },
    Layout(String),
    Theme(String),
    AssignRole(crate::incident::Role),
    /// Ask when (impact start, detection, mitigation, impact end) and set it.
    SetTime(crate::incident::times::TimeKind),
    /// Ask for a follow-up on one line (owner, due, priority, text) and add it.
    AddFollowup,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaletteEntry {
    pub label: String,
    pub run: PaletteRun,
}

pub struct Palette {
    pub input: TextArea<'static>,
    pub entries: Vec<PaletteEntry>,
    pub selected: usize,
}

impl Palette {
    pub fn query(&self) -> String {
        self.input.lines().join(" ")
    }

    /// Entries whose label contains every word typed, in order of the full list.
    pub fn matches(&self) -> Vec<&PaletteEntry> {
        let query = self.query().to_lowercase();
        let words: Vec<&str> = query.split_whitespace().collect();
        self.entries
            .iter()
            .filter(|e| {
                let label = e.label.to_lowercase();
                words.iter().all(|w| label.contains(w))
            })
            .collect()
    }
}

/// Choices of a picker that contain the filter text.
pub fn picker_matches<'a>(picker: &'a Picker, filter: &str) -> Vec<&'a (String, String)> {
    let filter = filter.to_lowercase();
    picker
        .choices
        .iter()
        .filter(|(_, label)| label.to_lowercase().contains(&filter))
        .collect()
}

/// A prompt's input: `initial` selected, so typing replaces it (`editing::prefilled`).
pub fn single_line(initial: &str) -> TextArea<'static> {
    super::editing::prefilled(initial)
}
