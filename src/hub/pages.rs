//! Reading old timeline for a client: a page of entries before a seq, and a search of
//! the whole timeline, both served on the incident's thread (they word entries with its
//! state, see [`State::page_entry`]) and both bounded, so the incident never waits long:
//! entries still in memory come first, then the log is read backwards in pages.

use std::sync::Arc;

use super::execute::reject;
use super::{HubState, Unavailable};
use crate::engine::Incident;
use crate::incident::Event;
use crate::incident::state::TimelineEntry;
use crate::protocol::{HubFrame, RejectReason};
use crate::protocol::{MAX_FOUND, MAX_PAGE, SEARCH_EVENTS_PER_REQUEST};

/// Events read from the log at a time.
const CHUNK: u64 = 4096;

/// The most events a page request reads from the log (a run of events that write no
/// entry, such as saved drafts, cannot make it read the whole log).
const PAGE_EVENTS_PER_REQUEST: u64 = 16 * CHUNK;

/// Up to `limit` entries written before `before_seq`, in seq order, and whether there
/// are older ones.
pub fn page(incident: &Incident, before_seq: u64, limit: u32) -> (Vec<TimelineEntry>, bool) {
    let limit = limit.clamp(1, MAX_PAGE) as usize;
    let state = incident.state();
    let before = if before_seq == 0 {
        state.seq + 1
    } else {
        before_seq
    };
    let mut newest_first: Vec<TimelineEntry> = state
        .timeline
        .iter()
        .rev()
        .filter(|e| e.seq < before)
        .take(limit)
        .cloned()
        .collect();
    // Where the log must be read from: below the oldest entry in memory.
    let mut end = state.first_kept_seq().unwrap_or(state.seq + 1).min(before) - 1;
    let mut budget = PAGE_EVENTS_PER_REQUEST;
    if state.timeline_dropped == 0 {
        end = 0; // everything is in memory
    }
    while newest_first.len() < limit && end > 0 && budget > 0 {
        let start = end.saturating_sub(CHUNK - 1).max(1);
        let Ok(events) = incident.read_events(start, end) else {
            break;
        };
        for event in events.iter().rev() {
            if newest_first.len() == limit {
                break;
            }
            if let Some(entry) = state.page_entry(event) {
                newest_first.push(entry);
            }
        }
        budget = budget.saturating_sub(end - start + 1);
        end = start - 1;
    }
    let oldest = newest_first.last().map_or(before, |e| e.seq);
    // Seq 1 (the declare) always writes an entry: anything after it has older ones.
    let older = oldest > 1;
    newest_first.reverse();
    (newest_first, older)
}

/// Entries matching `query` (in their current text or author, case-insensitive),
/// newest first, searching backwards from `before_seq` (0: the newest); and the oldest
/// seq searched if the search stopped early (0 if it reached the start).
pub fn search(incident: &Incident, query: &str, before_seq: u64) -> (Vec<TimelineEntry>, u64) {
    let needle = query.to_lowercase();
    let state = incident.state();
    let matches = |e: &TimelineEntry| {
        e.current_text().to_lowercase().contains(&needle)
            || e.author.to_lowercase().contains(&needle)
    };
    let mut end = if before_seq == 0 {
        state.seq
    } else {
        before_seq.saturating_sub(1).min(state.seq)
    };
    let mut found = Vec::new();
    let mut budget = SEARCH_EVENTS_PER_REQUEST;
    while end > 0 && budget > 0 && found.len() < MAX_FOUND {
        let start = end.saturating_sub(CHUNK - 1).max(1);
        let events: Vec<Event> = match incident.read_events(start, end) {
            Ok(events) => events,
            Err(_) => break,
        };
        for event in events.iter().rev() {
            if let Some(entry) = state.page_entry(event)
                && matches(&entry)
            {
                found.push(entry);
                if found.len() == MAX_FOUND {
                    return (found, event.seq);
                }
            }
        }
        budget = budget.saturating_sub(end - start + 1);
        end = start - 1;
    }
    (found, if end > 0 { end + 1 } else { 0 })
}

/// The `page` frame answering a client's `page` request (or a reject).
pub(super) async fn answer_page(
    hub: Arc<HubState>,
    id: String,
    incident: String,
    before_seq: u64,
    limit: u32,
) -> HubFrame {
    let read = move |opened: &Incident| {
        beyond_the_end(opened, before_seq).map_or_else(|| Ok(page(opened, before_seq, limit)), Err)
    };
    match hub.registry.read(&incident, read).await {
        Ok(Ok((entries, older))) => HubFrame::Page {
            id,
            incident,
            entries,
            older,
        },
        Ok(Err(beyond)) => reject(&id, RejectReason::Invalid, beyond),
        Err(why) => reject(&id, unavailable_code(&why), why.message(&incident)),
    }
}

/// The `found` frame answering a client's `search` request (or a reject).
pub(super) async fn answer_search(
    hub: Arc<HubState>,
    id: String,
    incident: String,
    query: String,
    before_seq: u64,
) -> HubFrame {
    if query.trim().is_empty() || query.chars().count() > MAX_QUERY_CHARS {
        return reject(
            &id,
            RejectReason::Invalid,
            format!("a search needs 1-{MAX_QUERY_CHARS} characters"),
        );
    }
    let needle = query.clone();
    let read = move |opened: &Incident| {
        beyond_the_end(opened, before_seq)
            .map_or_else(|| Ok(search(opened, &needle, before_seq)), Err)
    };
    match hub.registry.read(&incident, read).await {
        Ok(Ok((entries, searched_to))) => HubFrame::Found {
            id,
            incident,
            query,
            entries,
            searched_to,
        },
        Ok(Err(beyond)) => reject(&id, RejectReason::Invalid, beyond),
        Err(why) => reject(&id, unavailable_code(&why), why.message(&incident)),
    }
}

/// As for `subscribe`: an incident that is not served (none, or quarantined) is
/// `not_found`; one that cannot be opened just now says why.
fn unavailable_code(why: &Unavailable) -> RejectReason {
    match why {
        Unavailable::NoIncident | Unavailable::Quarantined(_) => RejectReason::NotFound,
        other => other.reject_reason(),
    }
}

/// Why `before_seq` names no place in the incident (beyond its next event), if so.
fn beyond_the_end(incident: &Incident, before_seq: u64) -> Option<String> {
    let last = incident.state().seq;
    (before_seq > last + 1).then(|| {
        format!(
            "before_seq {before_seq} is beyond the incident's last event #{last}: send 0 for the newest entries, or a seq up to {}",
            last + 1
        )
    })
}

/// The longest search text.
const MAX_QUERY_CHARS: usize = 200;
