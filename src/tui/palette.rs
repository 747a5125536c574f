//! The command palette's behaviour: which entries it offers for the incident as it
//! stands and your roles (`open_palette`: what your roles forbid is left out, and the
//! hub's containment actions are there by name, as are its issue trackers for each
//! open follow-up), how keys move through and filter it,
//! and what running an entry does. The `Palette` type itself lives in `modal.rs`;
//! `view.rs` draws it.

use super::app::{App, Effect};
use super::keymap::{self, Action, Context};
use super::layout::{self, Layout, PaneKind};
use super::modal::{self, Modal, Palette, PaletteEntry, PaletteRun};
use super::panes::{Purpose, Reaction};
use super::theme::Theme;
use crate::incident::followup::parse_line;
use crate::incident::role::permits;
use crate::incident::times::{TimeKind, parse_time};
use crate::incident::{Actor, Command, RejectCode, Role, Severity, Status, decide};
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use std::collections::BTreeSet;

/// The seat picker's "type another name" choice: a line break, which no typed name
/// (one line) can be.
const OTHER_NAME: &str = "\n";

impl App {
    pub(super) fn open_palette(&mut self) {
        let roles = self.roles();
        let mut entries = Vec::new();
        let state = &self.state;
        for severity in Severity::ALL {
            if state.severity != Some(severity) {
                let name = self
                    .runbooks
                    .level(severity)
                    .map_or("", |l| l.name.as_str());
                entries.push(PaletteEntry {
                    label: format!("Set severity {severity} ({}) — {name}", severity.alias()),
                    run: PaletteRun::Command(Command::SetSeverity {
                        severity,
                        reason: None,
                    }),
                });
            }
        }
        for status in Status::ALL {
            if state.status != status {
                entries.push(PaletteEntry {
                    label: format!("Set status {status}"),
                    run: PaletteRun::Command(Command::SetStatus {
                        status,
                        reason: None,
                    }),
                });
            }
        }
        if state.holder(Role::Commander).is_none() {
            entries.push(PaletteEntry {
                label: "Take command (become incident commander)".into(),
                run: PaletteRun::Command(Command::AssignRole {
                    role: Role::Commander,
                    person: self.me.name.clone(),
                }),
            });
        }
        for role in Role::ALL.into_iter().filter(|r| r.is_seat()) {
            entries.push(PaletteEntry {
                label: format!("Assign {} …", role.title().to_lowercase()),
                run: PaletteRun::AssignRole(role),
            });
        }
        for which in TimeKind::ALL {
            let now = state.times.get(&which).map_or(String::new(), |t| {
                format!(" (now {})", t.at.format("%Y-%m-%d %H:%M UTC"))
            });
            entries.push(PaletteEntry {
                label: format!("Set time: {}{now} …", which.title().to_lowercase()),
                run: PaletteRun::SetTime(which),
            });
        }
        entries.push(PaletteEntry {
            label: format!(
                "Add a follow-up … ({} so far, {} open)",
                state.followups.len(),
                state
                    .followups
                    .iter()
                    .filter(|f| f.state == crate::incident::followup::FollowupState::Open)
                    .count()
            ),
            run: PaletteRun::AddFollowup,
        });
        entries.push(PaletteEntry {
            label: format!(
                "Post-mortem: write its sections, see the follow-ups ({} of {} written) [M]",
                state.postmortem.len(),
                crate::incident::postmortem::SECTIONS.len()
            ),
            run: PaletteRun::Action(Context::Global, Action::Postmortem),
        });
        entries.extend(self.send_followup_entries());
        if state.acknowledged_at.is_none() {
            entries.push(PaletteEntry {
                label: "Acknowledge".into(),
                run: PaletteRun::Command(Command::Acknowledge),
            });
        }
        for playbook in &self.runbooks.playbooks {
            if !state.playbooks.contains(&playbook.id) {
                entries.push(PaletteEntry {
                    label: format!("Apply playbook: {} ({})", playbook.title, playbook.id),
                    run: PaletteRun::Command(Command::ApplyPlaybook {
                        playbook: playbook.id.clone(),
                    }),
                });
            }
        }
        let flags: BTreeSet<&str> = self
            .runbooks
            .clocks
            .regulation
            .iter()
            .map(|r| r.flag.as_str())
            .collect();
        for flag in flags {
            let on = state.flags.contains_key(flag);
            entries.push(PaletteEntry {
                label: format!("Regulatory flag {}: {flag}", if on { "off" } else { "on" }),
                run: PaletteRun::Command(Command::SetFlag {
                    flag: flag.to_string(),
                    on: !on,
                    aware_at: None,
                }),
            });
        }
        for spec in &self.runbooks.actions {
            let may = self.me.roles.is_empty() || spec.roles.iter().any(|r| roles.contains(r));
            if !may {
                continue;
            }
            for (verb, dry_run) in [("Run", false), ("Dry run", true)] {
                entries.push(PaletteEntry {
                    label: format!(
                        "{verb} action: {} ({}) — {}",
                        spec.title, spec.id, spec.description
                    ),
                    run: PaletteRun::Containment {
                        action: spec.id.clone(),
                        dry_run,
                    },
                });
            }
        }
        for binding in keymap::KEYMAP {
            // The post-mortem has its own entry above, saying how much is written.
            if matches!(
                binding.action,
                Action::Palette | Action::Focus(_) | Action::Postmortem
            ) {
                continue;
            }
            let forbidden = keymap::permission(binding.action)
                .is_some_and(|p| !roles.is_empty() && !permits(&roles, p));
            if forbidden {
                continue;
            }
            entries.push(PaletteEntry {
                label: format!(
                    "{}: {} [{}]",
                    binding.context.title(),
                    binding.description,
                    binding.keys.first().map_or(String::new(), |k| k.label())
                ),
                run: PaletteRun::Action(binding.context, binding.action),
            });
        }
        for (name, _) in layout::BUILT_IN {
            entries.push(PaletteEntry {
                label: format!("Layout: {name}"),
                run: PaletteRun::Layout(name.to_string()),
            });
        }
        for (name, _) in super::theme::BUILT_IN {
            entries.push(PaletteEntry {
                label: format!("Theme: {name}"),
                run: PaletteRun::Theme(name.to_string()),
            });
        }
        entries.retain(|e| self.allowed(&e.run, &roles));
        self.modal = Some(Modal::Palette(Palette {
            input: modal::single_line(""),
            entries,
            selected: 0,
        }));
    }

    /// "Send follow-up N to <tracker>" for each open follow-up not linked to an issue
    /// nor being sent, and each of the hub's trackers.
    fn send_followup_entries(&self) -> Vec<PaletteEntry> {
        use crate::incident::followup::{FollowupState, TrackerLink};
        let mut entries = Vec::new();
        for followup in &self.state.followups {
            let sendable = followup.state == FollowupState::Open
                && !matches!(
                    followup.issue,
                    Some(TrackerLink::Linked { .. } | TrackerLink::Sending { .. })
                );
            if !sendable {
                continue;
            }
            for tracker in &self.runbooks.trackers {
                entries.push(PaletteEntry {
                    label: format!(
                        "Send follow-up {} to {tracker}: {}",
                        followup.number,
                        followup.text.lines().next().unwrap_or_default()
                    ),
                    run: PaletteRun::Command(Command::SendFollowup {
                        number: followup.number,
                        tracker: Some(tracker.clone()),
                    }),
                });
            }
        }
        entries
    }

    /// False for a command the hub would refuse for your roles (asked of `decide`,
    /// the rules the hub applies) and for assigning seats without the right to.
    /// Before the hub's welcome the roles are unknown and everything is offered.
    fn allowed(&self, run: &PaletteRun, roles: &BTreeSet<Role>) -> bool {
        if self.me.roles.is_empty() {
            return true;
        }
        match run {
            PaletteRun::Command(command) => {
                let actor = Actor {
                    name: self.me.name.clone(),
                    roles: self.me.roles.clone(),
                };
                let verdict = decide(&self.state, &actor, command, self.now, &self.runbooks, None);
                !matches!(verdict, Err(r) if r.code == RejectCode::Forbidden)
            }
            PaletteRun::AssignRole(_) => {
                permits(roles, crate::incident::role::Permission::AssignRoles)
            }
            _ => true,
        }
    }

    /// Keys while the palette is open: move, filter, or run the selected entry.
    pub(super) fn on_palette_key(
        &mut self,
        mut palette: Palette,
        key: KeyEvent,
        escape: bool,
    ) -> Vec<Effect> {
        if escape {
            return Vec::new();
        }
        let count = palette.matches().len();
        match key.code {
            KeyCode::Down => palette.selected = (palette.selected + 1).min(count.saturating_sub(1)),
            KeyCode::Up => palette.selected = palette.selected.saturating_sub(1),
            KeyCode::Enter => {
                let run = palette
                    .matches()
                    .get(palette.selected)
                    .map(|e| e.run.clone());
                return match run {
                    Some(run) => self.run_palette(run),
                    None => Vec::new(),
                };
            }
            _ => {
                if super::editing::edit(&mut palette.input, key, false) {
                    palette.selected = 0;
                }
            }
        }
        self.modal = Some(Modal::Palette(palette));
        Vec::new()
    }

    fn run_palette(&mut self, run: PaletteRun) -> Vec<Effect> {
        match run {
            PaletteRun::Action(context, action) => {
                // Pane actions go to the pane they belong to.
                let kind = match context {
                    Context::Timeline => Some(PaneKind::Timeline),
                    Context::Checklist => Some(PaneKind::Checklist),
                    Context::Blast => Some(PaneKind::Blast),
                    Context::Comms => Some(PaneKind::Comms),
                    Context::Actions => Some(PaneKind::Actions),
                    Context::Global => None,
                    // The view's own keys: open it, then act in it.
                    Context::Postmortem => {
                        if self.postmortem.is_none() {
                            self.toggle_postmortem();
                        }
                        return self.postmortem_action(action);
                    }
                };
                if let Some(kind) = kind.filter(|k| self.visible_panes().contains(k)) {
                    self.focus = kind;
                    // A pane's action is for the pane: the view over it gives way.
                    self.postmortem = None;
                }
                self.on_action(action)
            }
            PaletteRun::Command(command) => self.send_guarded(command),
            PaletteRun::Containment { action, dry_run } => {
                if self.visible_panes().contains(&PaneKind::Actions) {
                    self.focus = PaneKind::Actions;
                }
                let reaction = self.with_panes(PaneKind::Actions, |panes, ctx| {
                    panes.actions.request(&action, dry_run, ctx)
                });
                self.react(Some(PaneKind::Actions), reaction)
            }
            PaletteRun::Layout(name) => {
                match Layout::select(&name, None) {
                    Ok(layout) => {
                        self.layout = layout;
                        self.toast = Some(format!("layout: {name}"));
                    }
                    Err(e) => self.toast = Some(e.to_string()),
                }
                Vec::new()
            }
            PaletteRun::Theme(name) => {
                match Theme::select(&name, None, false) {
                    Ok(theme) => self.theme = theme,
                    Err(e) => self.toast = Some(e.to_string()),
                }
                Vec::new()
            }
            PaletteRun::SetTime(which) => {
                let prompt = super::panes::Prompt {
                    owner: None,
                    purpose: Purpose::SetTime(which),
                    title: format!(
                        "{} when? HH:MM (UTC, today) or 2026-11-30T09:10:00Z; empty: now",
                        which.title()
                    ),
                    initial: String::new(),
                };
                self.react(None, Reaction::Prompt(prompt))
            }
            PaletteRun::AddFollowup => {
                let prompt = super::panes::Prompt {
                    owner: None,
                    purpose: Purpose::AddFollowup,
                    title: "Follow-up: OWNER DUE [P1-P4] TEXT (DUE as 2026-12-15 or +7d)".into(),
                    initial: String::new(),
                };
                self.react(None, Reaction::Prompt(prompt))
            }
            PaletteRun::AssignRole(role) => {
                let picker = super::panes::Picker {
                    owner: None,
                    purpose: Purpose::AssignRole(role),
                    title: format!(
                        "Who is {}? Pick, or type any name",
                        role.title().to_lowercase()
                    ),
                    choices: self.seat_candidates(role),
                };
                self.react(None, Reaction::Pick(picker))
            }
        }
    }

    /// Names to offer for `role`'s seat: who is connected now, then everyone who has
    /// taken part in the incident or holds a seat (the hub does not send clients its
    /// list of responders), each once, with what they are doing; then a choice to type
    /// any other name. The seat's holder is marked.
    fn seat_candidates(&self, role: Role) -> Vec<(String, String)> {
        let state = &self.state;
        let mut names: Vec<&str> = self.here.iter().map(String::as_str).collect();
        let others = (state.participants.iter().map(String::as_str))
            .chain(state.roles.values().map(String::as_str))
            .filter(|n| !n.starts_with("system:"));
        for name in others {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let mut choices: Vec<(String, String)> = Vec::new();
        for name in names {
            if choices.iter().any(|(n, _)| n == name) {
                continue;
            }
            let mut notes = Vec::new();
            if self.here.iter().any(|h| h == name) {
                notes.push("here now".to_string());
            }
            let seats: Vec<String> = state
                .seats_of(name)
                .map(|r| r.title().to_lowercase())
                .collect();
            if !seats.is_empty() {
                notes.push(seats.join(", "));
            }
            let label = match (state.holder(role) == Some(name), notes.is_empty()) {
                (true, _) => format!(
                    "{name} — already {} ({})",
                    role.title().to_lowercase(),
                    notes.join(" · ")
                ),
                (false, true) => name.to_string(),
                (false, false) => format!("{name} — {}", notes.join(" · ")),
            };
            choices.push((name.to_string(), label));
        }
        choices.push((OTHER_NAME.into(), "type another name …".into()));
        choices
    }

    /// Answers to prompts and pickers the console itself opened (from the palette).
    pub(super) fn submit_to_app(&mut self, purpose: Purpose, value: String) -> Vec<Effect> {
        if let Some(effects) = self.switch_chosen(&purpose, &value) {
            return effects;
        }
        if purpose == Purpose::AddFollowup {
            if value.trim().is_empty() {
                return Vec::new();
            }
            return match parse_line(&value, self.now.date_naive()) {
                Ok((owner, due, priority, text)) => vec![Effect::Send(Command::AddFollowup {
                    text,
                    owner,
                    due,
                    priority,
                    from: None,
                })],
                Err(why) => {
                    self.toast = Some(format!("follow-up: {why}"));
                    Vec::new()
                }
            };
        }
        if let Purpose::SetTime(which) = purpose {
            let time = if value.trim().is_empty() {
                Ok(self.now)
            } else {
                parse_time(&value, self.now)
            };
            return match time {
                Ok(time) => vec![Effect::Send(Command::SetTime { which, time })],
                Err(why) => {
                    self.toast = Some(format!("{}: {why}", which.title()));
                    Vec::new()
                }
            };
        }
        let Purpose::AssignRole(role) = purpose else {
            return Vec::new();
        };
        if value == OTHER_NAME {
            // "type another name": the same question with a free-text answer.
            let prompt = super::panes::Prompt {
                owner: None,
                purpose: Purpose::AssignRole(role),
                title: format!("Who is {}? (name)", role.title().to_lowercase()),
                initial: String::new(),
            };
            return self.react(None, Reaction::Prompt(prompt));
        }
        let person = value.trim();
        if person.is_empty() {
            return Vec::new();
        }
        vec![Effect::Send(Command::AssignRole {
            role,
            person: person.to_string(),
        })]
    }
}
