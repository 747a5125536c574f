//! The timeline line an event writes, worded from the state it is applied to. Kept
//! apart from [`apply`](super::apply) and read-only, so a page of old events read back
//! from the log can be worded again with today's state: the only things a line looks up
//! (a checklist item's text, a run's or an update's title) never change once written.

use super::event::{Event, EventKind};
use super::state::{EntryKind, RunOutcome, RunStatus, State, Status, TimelineEntry};

impl State {
    /// The timeline entry `event` writes, if any, as of this state (just before the
    /// event, or any later state for a page read back from the log); without corrections.
    pub fn entry_of(&self, event: &Event) -> Option<TimelineEntry> {
        let (kind, text) = self.line_of(event)?;
        let milestone = matches!(
            event.kind,
            EventKind::Declared { .. }
                | EventKind::TitleChanged { .. }
                | EventKind::SeverityChanged { .. }
                | EventKind::StatusChanged { .. }
                | EventKind::RoleAssigned { .. }
                | EventKind::RoleReleased { .. }
        );
        Some(TimelineEntry {
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
        })
    }

    /// The entry `event` wrote, as it stands now (with its corrections), for a page of
    /// the timeline read back from the log.
    pub fn page_entry(&self, event: &Event) -> Option<TimelineEntry> {
        if let Some(kept) = self.entry(event.seq) {
            return Some(kept.clone());
        }
        let mut entry = self.entry_of(event)?;
        self.restore_corrections(&mut entry);
        Some(entry)
    }

    fn line_of(&self, event: &Event) -> Option<(EntryKind, String)> {
        let system = |text: String| Some((EntryKind::System, text));
        let action = |text: String| Some((EntryKind::Action, text));
        let comms = |text: String| Some((EntryKind::Comms, text));
        let item_text = |id: &str| {
            self.item_index(id)
                .and_then(|i| self.checklist.get(i))
                .map(|item| item.text.as_str())
        };
        let run_title = |run: u64| self.run(run).map(|r| r.title.as_str());
        let update_title = |seq: u64| self.published_at_seq(seq).map(|p| p.title.as_str());
        match &event.kind {
            EventKind::Declared {
                title, severity, ..
            } => system(format!("Declared {severity}: {title}")),
            EventKind::Acknowledged => system(format!("Acknowledged by {}", event.actor)),
            EventKind::TitleChanged { to, .. } => system(format!("Title is now “{to}”")),
            EventKind::SeverityChanged { from, to, reason } => {
                system(with_reason(format!("Severity {from} → {to}"), reason))
            }
            EventKind::StatusChanged { from, to, reason } => {
                let verb = if *from == Status::Resolved {
                    "Re-opened: "
                } else {
                    ""
                };
                system(with_reason(format!("{verb}Status {from} → {to}"), reason))
            }
            EventKind::RoleAssigned { role, person, .. } => {
                system(format!("{person} is now {}", role.title().to_lowercase()))
            }
            EventKind::RoleReleased { role, person } => system(format!(
                "{person} is no longer {}",
                role.title().to_lowercase()
            )),
            EventKind::NoteAdded { kind, text, .. } => Some((*kind, text.clone())),
            EventKind::NoteCorrected { .. } | EventKind::DraftSaved { .. } => None,
            EventKind::ItemsAdded { group, items, .. } => match items.as_slice() {
                [one] => system(format!("Checklist item added: {}", one.text)),
                many => system(format!("{group}: {} checklist items added", many.len())),
            },
            EventKind::ItemTicked { item } => system(format!("Done: {}", item_text(item)?)),
            EventKind::ItemUnticked { item } => {
                system(format!("Not done after all: {}", item_text(item)?))
            }
            EventKind::ItemAssigned { item, role } => {
                let text = item_text(item)?;
                let owner = role.map_or("nobody".to_string(), |r| r.title().to_lowercase());
                system(format!("Assigned to {owner}: {text}"))
            }
            EventKind::CellSet {
                tenant,
                region,
                state,
                previous,
            } => system(format!(
                "Blast radius: {tenant} in {region} {previous} → {state}"
            )),
            EventKind::ServiceSet {
                service,
                state,
                previous,
            } => system(format!("Service {service}: {previous} → {state}")),
            EventKind::BlastRenamed { axis, from, to } => {
                system(format!("Blast radius: {axis} {from} renamed to {to}"))
            }
            EventKind::BlastRemoved { axis, name } => {
                system(format!("Blast radius: {axis} {name} removed"))
            }
            EventKind::PublicTitleSet { title } => system(format!("Public title is now “{title}”")),
            EventKind::FlagSet { flag, on, aware_at } => {
                if *on {
                    system(format!(
                        "Regulatory flag on: {flag} (aware since {})",
                        aware_at.format("%Y-%m-%d %H:%M UTC")
                    ))
                } else {
                    system(format!("Regulatory flag off: {flag}"))
                }
            }
            EventKind::TimeSet {
                which,
                time: at,
                previous,
            } => {
                let was = previous.map_or(String::new(), |p| {
                    format!(" (was {})", p.format("%Y-%m-%d %H:%M UTC"))
                });
                system(format!(
                    "{}: {}{was}",
                    which.title(),
                    at.format("%Y-%m-%d %H:%M UTC")
                ))
            }
            EventKind::FollowupAdded {
                number,
                text,
                owner,
                due,
                priority,
                ..
            } => system(format!(
                "Follow-up #{number} for {owner}, due {due} ({priority}): {text}"
            )),
            EventKind::FollowupStateSet { number, state } => {
                let text = self
                    .followups
                    .iter()
                    .find(|f| f.number == *number)
                    .map_or("", |f| f.text.as_str());
                system(format!("Follow-up #{number} {}: {text}", state.label()))
            }
            EventKind::FollowupSendRequested { .. }
            | EventKind::FollowupLinked { .. }
            | EventKind::FollowupSendFailed { .. } => {
                system(super::decide_tracker::line(&event.kind)?)
            }
            EventKind::PostmortemWritten { section, text } => {
                let title = super::postmortem::title(section).unwrap_or(section.as_str());
                if text.trim().is_empty() {
                    system(format!("Post-mortem: {title} cleared"))
                } else {
                    let words = text.split_whitespace().count();
                    system(format!("Post-mortem: {title} written ({words} words)"))
                }
            }
            EventKind::ClockCompleted { clock, note } => system(with_reason(
                format!("Clock met: {clock}"),
                &Some(note.clone()),
            )),
            EventKind::ActionRequested {
                title,
                params,
                preview,
                two_person,
                dry_run,
                ..
            } => {
                let params: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let what = if params.is_empty() {
                    title.clone()
                } else {
                    format!("{title} ({})", params.join(", "))
                };
                let seq = event.seq;
                let shown = preview.describe();
                action(
                    match super::apply::requested_status(*dry_run, *two_person) {
                        RunStatus::DryRun => format!("Dry run #{seq}: {what}\n{shown}"),
                        RunStatus::AwaitingApproval => format!(
                            "Requested #{seq}: {what} — needs a second person's approval\n{shown}"
                        ),
                        _ => format!("Requested #{seq}: {what}\n{shown}"),
                    },
                )
            }
            EventKind::ActionApproved { run } => {
                action(format!("Approved #{run}: {}", run_title(*run)?))
            }
            EventKind::ActionDenied { run, reason } => action(with_reason(
                format!("Denied #{run}: {}", run_title(*run)?),
                &Some(reason.clone()),
            )),
            EventKind::ActionStarted { run, attempt } => action(format!(
                "Started #{run}: {} (attempt {attempt})",
                run_title(*run)?
            )),
            EventKind::ActionFinished {
                run,
                outcome,
                status,
                duration_ms,
                excerpt,
            } => {
                let title = run_title(*run)?;
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
                action(format!(
                    "#{run} {title}: {word} ({duration_ms} ms{code}){tail}"
                ))
            }
            EventKind::DeliveryRecorded {
                published,
                channel,
                ok,
                detail,
            } => {
                let title = update_title(*published)?;
                comms(if *ok {
                    format!("Delivered “{title}” to {channel}")
                } else {
                    format!("Delivery of “{title}” to {channel} FAILED: {detail}")
                })
            }
            EventKind::PageSent {
                channel,
                resolve,
                ok,
                detail,
            } => comms(match (*resolve, *ok) {
                (false, true) => format!("Paged on {channel} ({detail})"),
                (false, false) => format!("Paging on {channel} FAILED: {detail}"),
                (true, true) => format!("Resolved the page on {channel} ({detail})"),
                (true, false) => format!("Resolving the page on {channel} FAILED: {detail}"),
            }),
            EventKind::AcknowledgementDelivered {
                channel,
                ok,
                detail,
            } => comms(if *ok {
                format!("Acknowledged on {channel} ({detail})")
            } else {
                format!("Acknowledging on {channel} FAILED: {detail}")
            }),
            EventKind::DeliveryRetryRequested { published, channel } => comms(format!(
                "Retrying delivery of “{}” to {channel}",
                update_title(*published)?
            )),
            EventKind::AlertReceived {
                firing,
                summary,
                suggested_playbook,
                ..
            } => {
                let state = if *firing { "firing" } else { "resolved" };
                let suggestion = suggested_playbook
                    .as_ref()
                    .map_or(String::new(), |p| format!(" (suggested playbook: {p})"));
                system(format!("Alert {state}: {summary}{suggestion}"))
            }
            EventKind::CommsPublished { title, text, .. } => {
                comms(format!("Published “{title}”:\n{text}"))
            }
            EventKind::ChatThreadStarted { .. }
            | EventKind::ChatMirrored { .. }
            | EventKind::ChatFailed { .. } => super::chat::line(&event.kind),
        }
    }
}

fn with_reason(text: String, reason: &Option<String>) -> String {
    match reason.as_deref().map(str::trim) {
        Some(reason) if !reason.is_empty() => format!("{text} ({reason})"),
        _ => text,
    }
}
