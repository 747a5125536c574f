//! `apply`: the one way state changes. Pure and total: an event is a fact that was
//! already decided, so applying it never fails; every client that applied events 1..n
//! holds the same state as the hub at n.

use super::event::{Event, EventKind, PLAYBOOK_SOURCE};
use super::state::{
    ActionRun, ChecklistItem, Correction, Delivery, Draft, EntryKind, Published, RunOutcome,
    RunStatus, State, Status, Tick, TimelineEntry,
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
            let milestone = matches!(
                event.kind,
                EventKind::Declared { .. }
                    | EventKind::TitleChanged { .. }
                    | EventKind::SeverityChanged { .. }
                    | EventKind::StatusChanged { .. }
                    | EventKind::RoleAssigned { .. }
                    | EventKind::RoleReleased { .. }
            );
            self.timeline.push(TimelineEntry {
                seq: event.seq,
                at: event.at,
                author: event.actor.clone(),
                kind,
                text,
                typed_at: match &event.kind {
                    EventKind::NoteAdded { typed_at, .. } => *typed_at,
                    _ => None,
                },
                correction: None,
                earlier: Vec::new(),
                milestone,
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
            EventKind::NoteAdded { kind, text, .. } => Some((*kind, text.clone())),
            EventKind::NoteCorrected { entry, text } => {
                let correction = Correction {
                    seq: event.seq,
                    at,
                    author: event.actor.clone(),
                    text: text.clone(),
                };
                if let Ok(i) = self.timeline.binary_search_by_key(entry, |e| e.seq)
                    && let Some(target) = self.timeline.get_mut(i)
                    && let Some(previous) = target.correction.replace(correction)
                {
                    target.earlier.push(previous);
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
            EventKind::BlastRenamed { axis, from, to } => {
                self.blast.rename(*axis, from, to);
                system(format!("Blast radius: {axis} {from} renamed to {to}"))
            }
            EventKind::BlastRemoved { axis, name } => {
                self.blast.remove(*axis, name);
                system(format!("Blast radius: {axis} {name} removed"))
            }
            EventKind::PublicTitleSet { title } => {
                self.public_title = Some(title.clone());
                system(format!("Public title is now “{title}”"))
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
            EventKind::ActionRequested {
                action,
                title,
                params,
                preview,
                roles,
                two_person,
                dry_run,
                fingerprint,
            } => {
                let status = match (dry_run, two_person) {
                    (true, _) => RunStatus::DryRun,
                    (false, true) => RunStatus::AwaitingApproval,
                    (false, false) => RunStatus::Ready,
                };
                self.action_runs.push(ActionRun {
                    run: event.seq,
                    action: action.clone(),
                    title: title.clone(),
                    params: params.clone(),
                    preview: preview.clone(),
                    roles: roles.clone(),
                    two_person: *two_person,
                    fingerprint: fingerprint.clone(),
                    requested_by: event.actor.clone(),
                    requested_at: at,
                    status,
                    decided_by: None,
                    attempts: 0,
                    result_status: None,
                    duration_ms: 0,
                    excerpt: String::new(),
                });
                let params: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let what = if params.is_empty() {
                    title.clone()
                } else {
                    format!("{title} ({})", params.join(", "))
                };
                let line = match status {
                    RunStatus::DryRun => {
                        format!("Dry run #{}: {what}\n{}", event.seq, preview.describe())
                    }
                    RunStatus::AwaitingApproval => format!(
                        "Requested #{}: {what} — needs a second person's approval\n{}",
                        event.seq,
                        preview.describe()
                    ),
                    _ => format!("Requested #{}: {what}\n{}", event.seq, preview.describe()),
                };
                Some((EntryKind::Action, line))
            }
            EventKind::ActionApproved { run } => {
                let found = self.action_runs.iter_mut().find(|r| r.run == *run)?;
                found.status = RunStatus::Ready;
                found.decided_by = Some(event.actor.clone());
                Some((
                    EntryKind::Action,
                    format!("Approved #{run}: {}", found.title),
                ))
            }
            EventKind::ActionDenied { run, reason } => {
                let found = self.action_runs.iter_mut().find(|r| r.run == *run)?;
                found.status = RunStatus::Denied;
                found.decided_by = Some(event.actor.clone());
                let line = with_reason(
                    format!("Denied #{run}: {}", found.title),
                    &Some(reason.clone()),
                );
                Some((EntryKind::Action, line))
            }
            EventKind::ActionStarted { run, attempt } => {
                let found = self.action_runs.iter_mut().find(|r| r.run == *run)?;
                found.status = RunStatus::Running;
                found.attempts = *attempt;
                Some((
                    EntryKind::Action,
                    format!("Started #{run}: {} (attempt {attempt})", found.title),
                ))
            }
            EventKind::ActionFinished {
                run,
                outcome,
                status,
                duration_ms,
                excerpt,
            } => {
                let found = self.action_runs.iter_mut().find(|r| r.run == *run)?;
                found.status = RunStatus::Finished(*outcome);
                found.result_status = *status;
                found.duration_ms = *duration_ms;
                found.excerpt = excerpt.clone();
                let word = match outcome {
                    RunOutcome::Succeeded => "succeeded",
                    RunOutcome::Failed => "FAILED",
                    RunOutcome::Unknown => {
                        "OUTCOME UNKNOWN — check the target before running it again"
                    }
                };
                let code = status.map_or(String::new(), |s| format!(", status {s}"));
                let tail = if excerpt.is_empty() {
                    String::new()
                } else {
                    format!("\n{excerpt}")
                };
                Some((
                    EntryKind::Action,
                    format!(
                        "#{run} {}: {word} ({duration_ms} ms{code}){tail}",
                        found.title
                    ),
                ))
            }
            EventKind::DeliveryRecorded {
                published,
                channel,
                ok,
                detail,
            } => {
                let found = self.published.iter_mut().find(|p| p.seq == *published)?;
                found.deliveries.insert(
                    channel.clone(),
                    Delivery {
                        ok: Some(*ok),
                        detail: detail.clone(),
                        at,
                    },
                );
                let line = if *ok {
                    format!("Delivered “{}” to {channel}", found.title)
                } else {
                    format!(
                        "Delivery of “{}” to {channel} FAILED: {detail}",
                        found.title
                    )
                };
                Some((EntryKind::Comms, line))
            }
            EventKind::DeliveryRetryRequested { published, channel } => {
                let found = self.published.iter_mut().find(|p| p.seq == *published)?;
                found.deliveries.insert(
                    channel.clone(),
                    Delivery {
                        ok: None,
                        detail: String::new(),
                        at,
                    },
                );
                Some((
                    EntryKind::Comms,
                    format!("Retrying delivery of “{}” to {channel}", found.title),
                ))
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
                let pending = Delivery {
                    ok: None,
                    detail: String::new(),
                    at,
                };
                self.published.push(Published {
                    seq: event.seq,
                    template: template.clone(),
                    title: title.clone(),
                    audience: *audience,
                    channels: channels.clone(),
                    text: text.clone(),
                    by: event.actor.clone(),
                    at,
                    deliveries: channels
                        .iter()
                        .map(|c| (c.clone(), pending.clone()))
                        .collect(),
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
