//! `decide` for the commands that edit what the incident tracks: the checklist (ad hoc
//! items, playbooks, ticks, owners), the blast radius (tenant × region cells and
//! services), and regulatory flags and the clocks they start. Split out of `decide` the
//! way `decide_effects` is; the permission check is the same `require`.

use super::authority::require;
use super::blast::{BlastAxis, CellState};
use super::clocks;
use super::command::{Actor, Command};
use super::event::{AD_HOC_SOURCE, EventKind, ItemSpec, PLAYBOOK_SOURCE};
use super::limits::{NOTE_MAX_CHARS, check_name, check_text};
use super::rejection::Rejection;
use super::role::Permission;
use super::runbook::Runbooks;
use super::state::State;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// A post-mortem section is as long as a comms update may be.
fn check_text_limit(text: &str) -> Result<(), Rejection> {
    let limit = super::limits::COMMS_MAX_CHARS;
    if text.chars().count() > limit {
        return Err(Rejection::too_large(format!(
            "the section is over {limit} characters: link to a document for the rest"
        )));
    }
    Ok(())
}

/// `None` when `command` is not one of these; otherwise the decision.
pub fn decide(
    state: &State,
    actor: &Actor,
    command: &Command,
    now: DateTime<Utc>,
    runbooks: &Runbooks,
) -> Option<Result<Vec<EventKind>, Rejection>> {
    decide_here(state, actor, command, now, runbooks).transpose()
}

/// `Ok(None)` for a command handled elsewhere, so the arms can use `?` and `return`.
fn decide_here(
    state: &State,
    actor: &Actor,
    command: &Command,
    now: DateTime<Utc>,
    runbooks: &Runbooks,
) -> Result<Option<Vec<EventKind>>, Rejection> {
    let one = |kind: EventKind| Ok(Some(vec![kind]));
    match command {
        Command::AddItem { text, role } => {
            require(state, actor, Permission::EditChecklist)?;
            check_text("the item", text, NOTE_MAX_CHARS)?;
            let ad_hoc = state
                .checklist
                .iter()
                .filter(|i| i.id.starts_with("adhoc."))
                .count();
            one(EventKind::ItemsAdded {
                group: "Ad hoc".to_string(),
                source: AD_HOC_SOURCE.to_string(),
                items: vec![ItemSpec {
                    id: format!("adhoc.{}", ad_hoc + 1),
                    text: text.trim().to_string(),
                    role: *role,
                    within_minutes: None,
                    phase: None,
                }],
            })
        }
        Command::ApplyPlaybook { playbook } => {
            require(state, actor, Permission::EditChecklist)?;
            let found = runbooks
                .playbook(playbook)
                .ok_or_else(|| unknown_playbook(playbook))?;
            if state.playbooks.iter().any(|p| p == playbook) {
                return Err(Rejection::unchanged(format!(
                    "playbook {playbook} is already applied"
                )));
            }
            one(playbook_items(found))
        }
        Command::Tick { item } => {
            require(state, actor, Permission::TickChecklist)?;
            let index = resolve_item(state, item)?;
            let found = &state.checklist[index];
            if let Some(done) = &found.done {
                return Err(Rejection::unchanged(format!(
                    "already done by {} at {}",
                    done.by,
                    done.at.format("%H:%M UTC")
                )));
            }
            one(EventKind::ItemTicked {
                item: found.id.clone(),
            })
        }
        Command::Untick { item } => {
            require(state, actor, Permission::TickChecklist)?;
            let index = resolve_item(state, item)?;
            let found = &state.checklist[index];
            if found.done.is_none() {
                return Err(Rejection::unchanged("that item is not done"));
            }
            one(EventKind::ItemUnticked {
                item: found.id.clone(),
            })
        }
        Command::AssignItem { item, role } => {
            require(state, actor, Permission::EditChecklist)?;
            let index = resolve_item(state, item)?;
            let found = &state.checklist[index];
            if found.role == *role {
                return Err(Rejection::unchanged("the item already has that owner"));
            }
            one(EventKind::ItemAssigned {
                item: found.id.clone(),
                role: *role,
            })
        }
        Command::SetCell {
            tenant,
            region,
            state: cell,
        } => {
            require(state, actor, Permission::EditBlastRadius)?;
            check_name("the tenant", tenant)?;
            check_name("the region", region)?;
            let (tenant, region) = (tenant.trim(), region.trim());
            let previous = state.blast.cell(tenant, region);
            let known = state.blast.tenants.iter().any(|t| t == tenant)
                && state.blast.regions.iter().any(|r| r == region);
            if previous == *cell && (known || *cell != CellState::Unknown) {
                return Err(Rejection::unchanged(format!(
                    "{tenant} in {region} is already {cell}"
                )));
            }
            one(EventKind::CellSet {
                tenant: tenant.to_string(),
                region: region.to_string(),
                state: *cell,
                previous,
            })
        }
        Command::SetService {
            service,
            state: cell,
        } => {
            require(state, actor, Permission::EditBlastRadius)?;
            check_name("the service", service)?;
            let service = service.trim();
            let previous = state.blast.service(service);
            let known = state.blast.services.iter().any(|(s, _)| s == service);
            if previous == *cell && known {
                return Err(Rejection::unchanged(format!("{service} is already {cell}")));
            }
            one(EventKind::ServiceSet {
                service: service.to_string(),
                state: *cell,
                previous,
            })
        }
        Command::RenameBlast { axis, from, to } => {
            require(state, actor, Permission::EditBlastRadius)?;
            let (from, to) = (from.trim(), to.trim());
            check_name(&format!("the new {axis} name"), to)?;
            if !state.blast.has(*axis, from) {
                return Err(no_such_name(state, *axis, from));
            }
            if from == to {
                return Err(Rejection::unchanged(format!("the {axis} is already {to}")));
            }
            one(EventKind::BlastRenamed {
                axis: *axis,
                from: from.to_string(),
                to: to.to_string(),
            })
        }
        Command::RemoveBlast { axis, name } => {
            require(state, actor, Permission::EditBlastRadius)?;
            let name = name.trim();
            if !state.blast.has(*axis, name) {
                return Err(no_such_name(state, *axis, name));
            }
            one(EventKind::BlastRemoved {
                axis: *axis,
                name: name.to_string(),
            })
        }
        Command::SetFlag { flag, on, aware_at } => {
            require(state, actor, Permission::SetRegulatoryFlags)?;
            if !runbooks.is_known_flag(flag) {
                let known: BTreeSet<&str> = runbooks
                    .clocks
                    .regulation
                    .iter()
                    .map(|r| r.flag.as_str())
                    .collect();
                return Err(Rejection::not_found(format!(
                    "unknown flag `{flag}`: known flags are {}",
                    known.into_iter().collect::<Vec<_>>().join(", ")
                )));
            }
            let aware_at = aware_at.unwrap_or(now);
            if aware_at > now {
                return Err(Rejection::invalid("awareness cannot be in the future"));
            }
            match (state.flags.get(flag), on) {
                (Some(since), true) if *since == aware_at => {
                    Err(Rejection::unchanged(format!("{flag} is already on")))
                }
                (None, false) => Err(Rejection::unchanged(format!("{flag} is already off"))),
                _ => one(EventKind::FlagSet {
                    flag: flag.clone(),
                    on: *on,
                    aware_at,
                }),
            }
        }
        Command::AddFollowup {
            text,
            owner,
            due,
            priority,
            from,
        } => {
            require(state, actor, Permission::Write)?;
            check_text("the follow-up", text, NOTE_MAX_CHARS)?;
            check_name("the owner", owner)?;
            let owner = owner.trim().to_string();
            if *due < now.date_naive() {
                return Err(Rejection::invalid(format!(
                    "the due date {due} is in the past (today is {})",
                    now.date_naive()
                )));
            }
            match from {
                Some(super::followup::Origin::Entry(seq)) if state.entry(*seq).is_none() => {
                    return Err(Rejection::not_found(format!("no timeline entry #{seq}")));
                }
                Some(super::followup::Origin::Item(id)) if state.item_index(id).is_none() => {
                    return Err(Rejection::not_found(format!("no checklist item `{id}`")));
                }
                _ => {}
            }
            let number = u32::try_from(state.followups.len() + 1).unwrap_or(u32::MAX);
            one(EventKind::FollowupAdded {
                number,
                text: text.trim().to_string(),
                owner,
                due: *due,
                priority: *priority,
                from: from.clone(),
            })
        }
        Command::SetFollowupState {
            number,
            state: wanted,
        } => {
            require(state, actor, Permission::Write)?;
            let found = state
                .followups
                .iter()
                .find(|f| f.number == *number)
                .ok_or_else(|| Rejection::not_found(format!("no follow-up #{number}")))?;
            if found.state == *wanted {
                return Err(Rejection::unchanged(format!(
                    "follow-up #{number} is already {}",
                    wanted.label()
                )));
            }
            one(EventKind::FollowupStateSet {
                number: *number,
                state: *wanted,
            })
        }
        Command::WritePostmortem { section, text } => {
            require(state, actor, Permission::WritePostmortem)?;
            if super::postmortem::title(section).is_none() {
                return Err(Rejection::not_found(format!(
                    "`{section}` is not a post-mortem section: use {}",
                    super::postmortem::SECTIONS
                        .iter()
                        .map(|(id, _)| *id)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            check_text_limit(text)?;
            let now_text = state.postmortem.get(section).map(|s| s.text.as_str());
            if now_text.unwrap_or("") == text.trim_end() {
                return Err(Rejection::unchanged(format!(
                    "`{section}` already says that"
                )));
            }
            one(EventKind::PostmortemWritten {
                section: section.clone(),
                text: text.trim_end().to_string(),
            })
        }
        Command::SetTime { which, time: at } => {
            require(state, actor, Permission::Write)?;
            if let Some(why) = super::times::refusal(state, *which, *at, now) {
                return Err(Rejection::invalid(why));
            }
            let previous = state.times.get(which).map(|t| t.at);
            if previous == Some(*at) {
                return Err(Rejection::unchanged(format!(
                    "{} is already {}",
                    which.title().to_lowercase(),
                    at.format("%Y-%m-%d %H:%M UTC")
                )));
            }
            one(EventKind::TimeSet {
                which: *which,
                time: *at,
                previous,
            })
        }
        Command::CompleteClock { clock, note } => {
            require(state, actor, Permission::SetRegulatoryFlags)?;
            if note.chars().count() > NOTE_MAX_CHARS {
                return Err(Rejection::too_large("the note is too long"));
            }
            let open = clocks::compute(state, runbooks, now);
            let found = open.iter().find(|c| c.id == *clock).ok_or_else(|| {
                Rejection::not_found(format!(
                    "no clock `{clock}` on this incident (see `warroom status`)"
                ))
            })?;
            if !found.completable {
                return Err(Rejection::invalid(format!(
                    "`{clock}` stops by itself; it cannot be marked done"
                )));
            }
            if state.completed_clocks.contains_key(clock) {
                return Err(Rejection::unchanged(format!("`{clock}` is already met")));
            }
            one(EventKind::ClockCompleted {
                clock: clock.clone(),
                note: note.clone(),
            })
        }
        _ => Ok(None),
    }
}

pub(super) fn playbook_items(playbook: &super::runbook::Playbook) -> EventKind {
    EventKind::ItemsAdded {
        group: format!("Playbook: {}", playbook.title),
        source: format!("{PLAYBOOK_SOURCE}{}", playbook.id),
        items: playbook
            .step
            .iter()
            .zip(1..)
            .map(|(step, n)| ItemSpec {
                id: format!("{}.{n}", playbook.id),
                text: step.text.clone(),
                role: step.role,
                within_minutes: None,
                phase: Some(step.phase),
            })
            .collect(),
    }
}

pub(super) fn unknown_playbook(id: &str) -> Rejection {
    Rejection::not_found(format!(
        "unknown playbook `{id}`: `warroom playbooks` lists them"
    ))
}

/// Finds a checklist item by id, 1-based number, or unambiguous id suffix.
pub fn resolve_item(state: &State, wanted: &str) -> Result<usize, Rejection> {
    let wanted = wanted.trim();
    if let Some(index) = state.item_index(wanted) {
        return Ok(index);
    }
    if let Ok(number) = wanted.parse::<usize>() {
        return match number.checked_sub(1).filter(|i| *i < state.checklist.len()) {
            Some(index) => Ok(index),
            None => Err(Rejection::not_found(format!(
                "no checklist item {number}: there are {}",
                state.checklist.len()
            ))),
        };
    }
    let suffix = format!(".{wanted}");
    let matches: Vec<usize> = state
        .checklist
        .iter()
        .enumerate()
        .filter(|(_, item)| item.id.ends_with(&suffix))
        .map(|(i, _)| i)
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(Rejection::not_found(format!(
            "no checklist item `{wanted}`: use its number or id from `warroom status`"
        ))),
        many => Err(Rejection::invalid(format!(
            "`{wanted}` matches {} items: use the full id or the number",
            many.len()
        ))),
    }
}

fn no_such_name(state: &State, axis: BlastAxis, name: &str) -> Rejection {
    let known = state.blast.names(axis);
    let known = if known.is_empty() {
        "none yet".to_string()
    } else {
        known.join(", ")
    };
    Rejection::not_found(format!(
        "no {axis} `{name}` in the blast radius (known: {known})"
    ))
}
