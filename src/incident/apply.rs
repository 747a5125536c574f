//! `apply`: the one way state changes. Pure and total: an event is a fact that was
//! already decided, so applying it never fails; every client that applied events 1..n
//! holds the same state as the hub at n.

use super::event::{Event, EventKind, PLAYBOOK_SOURCE};
use super::state::{
    ActionRun, COMMAND_IDS_KEPT, ChecklistItem, Correction, Delivery, Draft, Headline, Published,
    RunStatus, State, Status, TIMELINE_KEPT, Tick,
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
        // The line is worded from the state before the event (a tick names its item).
        let line = self.entry_of(event);
        self.seq = event.seq;
        if let Some(id) = &event.command_id {
            self.remember_command(id, event.seq);
            // The declare's events come first, back to back, carrying its command id.
            match &mut self.declared_by_command {
                None if event.seq == 1 => self.declared_by_command = Some((id.clone(), 1)),
                Some((declare, last)) if declare == id && *last + 1 == event.seq => {
                    *last = event.seq;
                }
                _ => {}
            }
        }
        if !event.actor.starts_with("system:") {
            self.participants.insert(event.actor.clone());
        }
        self.change(event);
        if let Some(entry) = line {
            self.timeline.push(entry);
            self.drop_old_entries();
        }
    }

    /// Remembers command `id` as applied up to `seq`, forgetting the oldest beyond
    /// [`COMMAND_IDS_KEPT`] (deterministic, so every replica forgets the same ones).
    fn remember_command(&mut self, id: &str, seq: u64) {
        self.command_ids.insert(id.to_owned(), seq);
        self.command_order.push_back((seq, id.to_owned()));
        while self.command_order.len() > COMMAND_IDS_KEPT {
            if let Some((old_seq, old_id)) = self.command_order.pop_front()
                && self.command_ids.get(&old_id) == Some(&old_seq)
            {
                self.command_ids.remove(&old_id);
            }
        }
    }

    /// Keeps the timeline between [`TIMELINE_KEPT`] and twice that many entries: when it
    /// doubles, the oldest half leaves memory (the log keeps them), with its corrections
    /// set aside for pages read back later. Dropping in halves keeps the cost per entry
    /// constant.
    fn drop_old_entries(&mut self) {
        if self.timeline.len() <= 2 * TIMELINE_KEPT {
            return;
        }
        let dropped = self.timeline.len() - TIMELINE_KEPT;
        for entry in self.timeline.drain(..dropped) {
            if let Some(latest) = entry.correction {
                self.dropped_corrections
                    .insert(entry.seq, (latest, entry.earlier));
            }
        }
        self.timeline_dropped += dropped as u64;
    }

    /// The incident's headline now: what an update or a run request is published under.
    fn headline(&self) -> Headline {
        Headline {
            title: self.title.clone(),
            public_title: self.public_title.clone(),
            severity: self.severity,
            status: self.status,
        }
    }

    /// Changes state for one event (its timeline line is [`State::entry_of`]'s job).
    fn change(&mut self, event: &Event) {
        let at = event.at;
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
            }
            EventKind::Acknowledged => {
                self.acknowledged_at.get_or_insert(at);
            }
            EventKind::TitleChanged { to, .. } => self.title = to.clone(),
            EventKind::SeverityChanged { to, .. } => self.severity = Some(*to),
            EventKind::StatusChanged { to, .. } => {
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
            }
            EventKind::RoleAssigned { role, person, .. } => {
                self.roles.insert(*role, person.clone());
            }
            EventKind::RoleReleased { role, .. } => {
                self.roles.remove(role);
            }
            EventKind::NoteAdded { .. } => {}
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
            }
            EventKind::ItemTicked { item } => {
                if let Some(entry) = self.item_mut(item) {
                    entry.done = Some(Tick {
                        by: event.actor.clone(),
                        at,
                    });
                }
            }
            EventKind::ItemUnticked { item } => {
                if let Some(entry) = self.item_mut(item) {
                    entry.done = None;
                }
            }
            EventKind::ItemAssigned { item, role } => {
                if let Some(entry) = self.item_mut(item) {
                    entry.role = *role;
                }
            }
            EventKind::CellSet {
                tenant,
                region,
                state,
                ..
            } => self.blast.set_cell(tenant, region, *state),
            EventKind::ServiceSet { service, state, .. } => {
                self.blast.set_service(service, *state);
            }
            EventKind::BlastRenamed { axis, from, to } => self.blast.rename(*axis, from, to),
            EventKind::BlastRemoved { axis, name } => self.blast.remove(*axis, name),
            EventKind::PublicTitleSet { title } => self.public_title = Some(title.clone()),
            EventKind::FlagSet { flag, on, aware_at } => {
                if *on {
                    self.flags.insert(flag.clone(), *aware_at);
                } else {
                    self.flags.remove(flag);
                }
            }
            EventKind::TimeSet { which, time, .. } => {
                let marked = super::times::MarkedTime {
                    at: *time,
                    by: event.actor.clone(),
                };
                self.times.insert(*which, marked);
            }
            EventKind::FollowupAdded {
                number,
                text,
                owner,
                due,
                priority,
                from,
            } => {
                self.followups.push(super::followup::Followup {
                    number: *number,
                    text: text.clone(),
                    owner: owner.clone(),
                    due: *due,
                    priority: *priority,
                    state: super::followup::FollowupState::Open,
                    from: from.clone(),
                    by: event.actor.clone(),
                    at,
                    issue: None,
                });
            }
            EventKind::FollowupSendRequested { .. }
            | EventKind::FollowupLinked { .. }
            | EventKind::FollowupSendFailed { .. } => {
                super::decide_tracker::apply(&mut self.followups, event);
            }
            EventKind::FollowupStateSet { number, state } => {
                if let Some(found) = self.followups.iter_mut().find(|f| f.number == *number) {
                    found.state = *state;
                }
            }
            EventKind::PostmortemWritten { section, text } => {
                if text.trim().is_empty() {
                    self.postmortem.remove(section);
                } else {
                    let written = super::postmortem::Section {
                        text: text.clone(),
                        by: event.actor.clone(),
                        at,
                    };
                    self.postmortem.insert(section.clone(), written);
                }
            }
            EventKind::ClockCompleted { clock, note } => {
                self.completed_clocks
                    .insert(clock.clone(), (at, event.actor.clone(), note.clone()));
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
                    severity: self.severity,
                    status: requested_status(*dry_run, *two_person),
                    decided_by: None,
                    attempts: 0,
                    result_status: None,
                    duration_ms: 0,
                    excerpt: String::new(),
                });
            }
            EventKind::ActionApproved { run } => {
                if let Some(found) = self.run_mut(*run) {
                    found.status = RunStatus::Ready;
                    found.decided_by = Some(event.actor.clone());
                }
            }
            EventKind::ActionDenied { run, .. } => {
                if let Some(found) = self.run_mut(*run) {
                    found.status = RunStatus::Denied;
                    found.decided_by = Some(event.actor.clone());
                }
            }
            EventKind::ActionStarted { run, attempt } => {
                if let Some(found) = self.run_mut(*run) {
                    found.status = RunStatus::Running;
                    found.attempts = *attempt;
                }
            }
            EventKind::ActionFinished {
                run,
                outcome,
                status,
                duration_ms,
                excerpt,
            } => {
                if let Some(found) = self.run_mut(*run) {
                    found.status = RunStatus::Finished(*outcome);
                    found.result_status = *status;
                    found.duration_ms = *duration_ms;
                    found.excerpt = excerpt.clone();
                }
            }
            EventKind::DeliveryRecorded {
                published,
                channel,
                ok,
                detail,
            } => {
                if let Some(found) = self.published.iter_mut().find(|p| p.seq == *published) {
                    let delivery = Delivery {
                        ok: Some(*ok),
                        detail: detail.clone(),
                        at,
                    };
                    found.deliveries.insert(channel.clone(), delivery);
                }
            }
            EventKind::DeliveryRetryRequested { published, channel } => {
                if let Some(found) = self.published.iter_mut().find(|p| p.seq == *published) {
                    let pending = Delivery {
                        ok: None,
                        detail: String::new(),
                        at,
                    };
                    found.deliveries.insert(channel.clone(), pending);
                }
            }
            EventKind::ChatThreadStarted { .. }
            | EventKind::ChatMirrored { .. }
            | EventKind::ChatFailed { .. } => self.apply_chat(&event.kind),
            EventKind::AlertReceived { group_key, .. } => {
                self.alert_groups.insert(group_key.clone());
            }
            // On the timeline only: it changes nothing the incident tracks.
            EventKind::AcknowledgementDelivered { .. } => {}
            EventKind::PageSent {
                channel,
                resolve,
                ok: true,
                ..
            } => {
                if *resolve {
                    self.paged.remove(channel);
                } else {
                    self.paged.insert(channel.clone());
                }
            }
            EventKind::PageSent { ok: false, .. } => {}
            EventKind::CommsPublished {
                template,
                title,
                audience,
                channels,
                text,
            } => {
                self.drafts.remove(template);
                let headline = self.headline();
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
                    headline,
                    deliveries: channels
                        .iter()
                        .map(|c| (c.clone(), pending.clone()))
                        .collect(),
                });
            }
        }
    }

    fn item_mut(&mut self, id: &str) -> Option<&mut ChecklistItem> {
        let index = self.item_index(id)?;
        self.checklist.get_mut(index)
    }

    fn run_mut(&mut self, run: u64) -> Option<&mut ActionRun> {
        self.action_runs.iter_mut().find(|r| r.run == run)
    }
}

/// Where a run starts: a dry run only shows; two people means waiting for the second.
pub(super) fn requested_status(dry_run: bool, two_person: bool) -> RunStatus {
    match (dry_run, two_person) {
        (true, _) => RunStatus::DryRun,
        (false, true) => RunStatus::AwaitingApproval,
        (false, false) => RunStatus::Ready,
    }
}
