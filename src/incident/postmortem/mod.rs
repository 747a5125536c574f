//! The post-mortem people write: its sections (those of the post-mortem template that
//! only people can fill), each written as an event so it is shared live and audited,
//! what is still unwritten, and a draft of a section from what the incident already
//! knows (`draft`).

mod draft;

pub use draft::draft;

use super::state::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The sections people write, in the template's order: (id, title).
pub const SECTIONS: [(&str, &str); 9] = [
    ("summary", "Summary"),
    ("impact", "Impact"),
    ("detection", "Detection"),
    ("root_cause", "Root cause"),
    ("contributing_factors", "Contributing factors"),
    ("went_well", "What went well"),
    ("went_badly", "What did not go well"),
    ("remediations", "Remediations"),
    ("attachments", "Attachments"),
];

/// A section as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub text: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// The title of section `id`, if it is one.
pub fn title(id: &str) -> Option<&'static str> {
    SECTIONS.iter().find(|(s, _)| *s == id).map(|(_, t)| *t)
}

/// The sections not written yet, in order.
pub fn unwritten(state: &State) -> Vec<&'static str> {
    SECTIONS
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !state.postmortem.contains_key(*id))
        .collect()
}

/// The most characters one section may hold (the domain's limit, the same as a comms
/// text's): `decide` refuses more, and the console counts against it.
pub const SECTION_MAX_CHARS: usize = super::limits::COMMS_MAX_CHARS;
