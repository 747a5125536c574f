//! What engine-level tests keep writing: a declare and a note as submissions, and the
//! notes of a log, in order.
#![allow(dead_code)] // each test file uses part of it

use warroom::engine::Submission;
use warroom::incident::{Actor, Command, EntryKind, Event, EventKind, Severity};

/// `actor` declaring incident `id` (empty: numbered by the data directory).
pub fn declaring(actor: &Actor, id: &str, title: &str, severity: Severity) -> Submission {
    Submission {
        actor: actor.clone(),
        command: Command::Declare {
            id: id.into(),
            title: title.into(),
            severity,
            playbook: None,
            summary: None,
        },
        command_id: None,
    }
}

/// `actor` adding the note `text` under command id `command_id`.
pub fn noting(actor: &Actor, command_id: &str, text: &str) -> Submission {
    Submission {
        actor: actor.clone(),
        command: Command::AddNote {
            kind: EntryKind::Note,
            text: text.into(),
            typed_at: None,
        },
        command_id: Some(command_id.into()),
    }
}

/// The texts of the notes among `events`, in order.
pub fn notes(events: &[Event]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::NoteAdded { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}
