//! `apply`: the one way state changes. Pure and total: an event is a fact that was
//! already decided, so applying it never fails; every client that applied events 1..n
//! holds the same state as the hub at n.

use super::event::{Event, EventKind, PLAYBOOK_SOURCE};
use super::state::{
    ChecklistItem, Correction, Draft, EntryKind, Published, State, Status, Tick, TimelineEntry,
};

impl State {
    /// Replays `events` from an empty state.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> State {
        let mut state = State::default();
        for event in events {
            state.apply(event);
        }
        state
    }

    /// Applies one event. Events must come in seq order; the caller guarantees that.
    pub fn apply(&mut self, event: &Event) {
        self.seq = event.seq;
        if let Some(id) = &event.command_id {
            self.command_ids.insert(id.clone(), event.seq);
        }
        if !event.actor.starts_with("system:") {
            self.participants.insert(event.actor.clone());
        }
        let line = self.apply_kind(event);
        if let Some((kind, text)) = line {
            self.timeline.push(TimelineEntry {
                seq: event.seq,
                at: event.at,
                author: event.actor.clone(),
                kind,
                text,
                correction: None,
            });
        }
    }

    /// Changes state for one event and returns the timeline line it writes, if any.
    fn apply_kind(&mut self, event: &Event) -> Option<(EntryKind, String)> {
        let at = event.at;
        let system = |text: String| Some((EntryKind::System, text));
        match &event.kind {
            EventKind::Declared {
                id,
                title,
                severity,
                summary,
            } => {
                self.id = id.clone();
                self.title = title.clone();
                self.severity = Some(*severity);
                self.summary = summary.clone();
                self.status = Status::Investigating;
                self.declared_by = event.actor.clone();
                self.declared_at = Some(at);
                system(format!("Declared {severity}: {title}"))
            }
            EventKind::Acknowledged => {
                self.acknowledged_at.get_or_insert(at);
                system(format!("Acknowledged by {}", event.actor))
            }
            EventKind::TitleChanged { to, .. } => {
                self.title = to.clone();
                system(format!("Title is now “{to}”"))
            }
            EventKind::SeverityChanged { from, to, reason } => {
                self.severity = Some(*to);
                system(with_reason(format!("Severity {from} → {to}"), reason))
            }
            EventKind::StatusChanged { from, to, reason } => {
                self.status = *to;
                match to {
                    Status::Monitoring => {
                        self.mitigated_at.get_or_insert(at);
                        self.stable_since = Some(at);
                    }
                    Status::Resolved => {
                        self.mitigated_at.get_or_insert(at);
                        self.resolved_at = Some(at);
                        self.stable_since = None;
                    }
                    Status::Investigating | Status::Identified => {
                        self.resolved_at = None;
                        self.stable_since = None;
                    }
                }
                let verb = if *from == Status::Resolved {
                    "Re-opened: "
                } else {
                    ""
                };
                system(with_reason(format!("{verb}Status {from} → {to}"), reason))
            }
            EventKind::RoleAssigned { role, person, .. } => {
                self.roles.insert(*role, person.clone());
                system(format!("{person} is now {}", role.title().to_lowercase()))
            }
            EventKind::RoleReleased { role, person } => {
                self.roles.remove(role);
                system(format!(
                    "{person} is no longer {}",
                    role.title().to_lowercase()
                ))
            }
            EventKind::NoteAdded { kind, text } => Some((*kind, text.clone())),
            EventKind::NoteCorrected { entry, text } => {
                let correction = Correction {
                    seq: event.seq,
                    at,
                    author: event.actor.clone(),
                    text: text.clone(),
                };
                if let Ok(i) = self.timeline.binary_search_by_key(entry, |e| e.seq)
                    && let Some(target) = self.timeline.get_mut(i)
                {
                    target.correction = Some(correction);
                }
                None
            }
            EventKind::ItemsAdded {
                group,
                source,
                items,
            } => {
                for spec in items {
                    self.checklist.push(ChecklistItem {
                        id: spec.id.clone(),
                        text: spec.text.clone(),
                        group: group.clone(),
                        phase: spec.phase,
                        role: spec.role,
                        within_minutes: spec.within_minutes,
                        done: None,
                    });
                }
                if let Some(playbook) = source.strip_prefix(PLAYBOOK_SOURCE) {
                    self.playbooks.push(playbook.to_string());
                }
                match items.as_slice() {
                    [one] => system(format!("Checklist item added: {}", one.text)),
                    many => system(format!("{group}: {} checklist items added", many.len())),
                }
            }
            EventKind::ItemTicked { item } => {
                let index = self.item_index(item)?;
                let entry = self.checklist.get_mut(index)?;
                entry.done = Some(Tick {
                    by: event.actor.clone(),
                    at,
                });
                system(format!("Done: {}", entry.text))
            }
            EventKind::ItemUnticked { item } => {
                let index = self.item_index(item)?;
                let entry = self.checklist.get_mut(index)?;
                entry.done = None;
                system(format!("Not done after all: {}", entry.text))
            }
            EventKind::ItemAssigned { item, role } => {
                let index = self.item_index(item)?;
                let entry = self.checklist.get_mut(index)?;
                entry.role = *role;
                let owner = role.map_or("nobody".to_string(), |r| r.title().to_lowercase());
                system(format!("Assigned to {owner}: {}", entry.text))
            }
            EventKind::CellSet {
                tenant,
                region,
                state,
                previous,
            } => {
                self.blast.set_cell(tenant, region, *state);
                system(format!(
                    "Blast radius: {tenant} in {region} {previous} → {state}"
                ))
            }
            EventKind::ServiceSet {
                service,
                state,
                previous,
            } => {
                self.blast.set_service(service, *state);
                system(format!("Service {service}: {previous} → {state}"))
            }
            EventKind::FlagSet { flag, on, aware_at } => {
                if *on {
                    self.flags.insert(flag.clone(), *aware_at);
                    system(format!(
                        "Regulatory flag on: {flag} (aware since {})",
                        aware_at.format("%Y-%m-%d %H:%M UTC")
                    ))
                } else {
                    self.flags.remove(flag);
                    system(format!("Regulatory flag off: {flag}"))
                }
            }
            EventKind::ClockCompleted { clock, note } => {
                self.completed_clocks
                    .insert(clock.clone(), (at, event.actor.clone(), note.clone()));
                system(with_reason(
                    format!("Clock met: {clock}"),
                    &Some(note.clone()),
                ))
            }
            EventKind::DraftSaved {
                template,
                fields,
                text,
            } => {
                self.drafts.insert(
                    template.clone(),
                    Draft {
                        template: template.clone(),
                        fields: fields.clone(),
                        text: text.clone(),
                        by: event.actor.clone(),
                        at,
                    },
                );
                None
            }
            EventKind::AlertReceived {
                group_key,
                firing,
                summary,
                suggested_playbook,
            } => {
                self.alert_groups.insert(group_key.clone());
                let state = if *firing { "firing" } else { "resolved" };
                let suggestion = suggested_playbook
                    .as_ref()
                    .map_or(String::new(), |p| format!(" (suggested playbook: {p})"));
                system(format!("Alert {state}: {summary}{suggestion}"))
            }
            EventKind::CommsPublished {
                template,
                title,
                audience,
                channels,
                text,
            } => {
                self.drafts.remove(template);
                self.published.push(Published {
                    seq: event.seq,
                    template: template.clone(),
                    title: title.clone(),
                    audience: *audience,
                    channels: channels.clone(),
                    text: text.clone(),
                    by: event.actor.clone(),
                    at,
                });
                Some((EntryKind::Comms, format!("Published “{title}”:\n{text}")))
            }
        }
    }
}

fn with_reason(text: String, reason: &Option<String>) -> String {
    match reason.as_deref().map(str::trim) {
        Some(reason) if !reason.is_empty() => format!("{text} ({reason})"),
        _ => text,
    }
}
