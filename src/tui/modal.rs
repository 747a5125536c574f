//! Overlays that take the keyboard for a moment: help, the command palette, prompts,
//! pickers, confirmations and read-only detail views. Their state lives here;
//! `view.rs` draws them (`reader.rs` the scrolling ones).

use super::keymap::{Action, Context};
use super::panes::{Detail, Picker, Prompt};
use crate::incident::Command;
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
    Confirm {
        title: String,
        detail: String,
        command: Command,
    },
    QuitConfirm {
        detail: String,
    },
    /// Something shown in full (an entry, a checklist item), scrolled by `scroll` rows.
    Detail {
        detail: Detail,
        scroll: u16,
    },
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
