//! Limits on what people may type, so one paste cannot bloat every replica, and the
//! checks that enforce them. Shared by `decide` (authoritative) and clients (early
//! feedback).

use super::rejection::Rejection;

pub const TITLE_MAX_CHARS: usize = 200;
pub const NOTE_MAX_CHARS: usize = 4_000;
pub const REASON_MAX_CHARS: usize = 500;
pub const COMMS_MAX_CHARS: usize = 16_000;
/// Tenant, region, service, person and incident-id names.
pub const NAME_MAX_CHARS: usize = 64;

/// Non-empty after trimming, at most `max` characters.
pub fn check_text(what: &str, text: &str, max: usize) -> Result<(), Rejection> {
    if text.trim().is_empty() {
        return Err(Rejection::invalid(format!("{what} is empty")));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(Rejection::too_large(format!(
            "{what} is {chars} characters; the limit is {max}: split it or attach a link"
        )));
    }
    Ok(())
}

/// An optional short reason.
pub fn check_reason(reason: &Option<String>) -> Result<(), Rejection> {
    match reason {
        Some(text) if text.chars().count() > REASON_MAX_CHARS => Err(Rejection::too_large(
            format!("the reason is over {REASON_MAX_CHARS} characters: put detail in a note"),
        )),
        _ => Ok(()),
    }
}

/// A name shown in grids and lists: printable, no line breaks, not too long.
pub fn check_name(what: &str, name: &str) -> Result<(), Rejection> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(Rejection::invalid(format!("{what} is empty")));
    }
    if trimmed.chars().count() > NAME_MAX_CHARS {
        return Err(Rejection::too_large(format!(
            "{what} `{trimmed}` is over {NAME_MAX_CHARS} characters"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Rejection::invalid(format!(
            "{what} contains a control character"
        )));
    }
    Ok(())
}

/// Incident ids become file names: ASCII letters, digits, `-` and `_` only.
pub fn check_incident_id(id: &str) -> Result<(), Rejection> {
    let ok = !id.is_empty()
        && id.len() <= NAME_MAX_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Rejection::invalid(format!(
            "incident id `{id}` must be 1-{NAME_MAX_CHARS} ASCII letters, digits, `-` or `_`"
        )))
    }
}
