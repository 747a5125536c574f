//! The console's state and its `update`: every key, tick and hub event is a [`Msg`];
//! `update` changes UI state and returns [`Effect`]s (commands to send, quit). No I/O
//! here, so the whole console is testable headless with a fixed clock.

mod modal_keys;

use super::incidents::{Banner, Destination};
use super::keymap::{self, Action};
use super::layout::{self, Layout, PaneKind};
use super::modal::{self, Modal};
use super::panes::{Pane, Purpose, Reaction, Read, ViewCtx};
use super::panes::{
    actions::ActionsPane, blast::BlastPane, checklist::ChecklistPane, comms::CommsPane,
    timeline::TimelinePane,
};
pub use super::pending::Pending;
use super::reader;
use super::theme::Theme;
use crate::engine::IncidentSummary;
use crate::incident::decide::record_roles;
use crate::incident::{Actor, Command, EntryKind, Event, Role, Runbooks, State};
use crate::net::{ConnectionState, IncidentNews, SyncEvent};
use crate::protocol::Identity;
use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

// Events are nearly every message; boxing them to shrink the rare ones would cost an
// allocation per event for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    /// A bracketed paste: text, never keys.
    Paste(String),
    Resize(u16, u16),
    Tick(DateTime<Utc>),
    Sync(SyncEvent),
    /// News about any incident on the hub (declares, severity and status changes).
    News(IncidentNews),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send(Command),
    /// Ask the hub to read something (older timeline, a search of it); whoever runs
    /// the effect hands its id back with [`App::asked`].
    Read(Read),
    Quit,
    /// Leave this incident for another one or the lobby.
    Switch(Destination),
}

pub struct Panes {
    pub timeline: TimelinePane,
    pub checklist: ChecklistPane,
    pub blast: BlastPane,
    pub comms: CommsPane,
    pub actions: ActionsPane,
}

impl Panes {
    pub fn get(&mut self, kind: PaneKind) -> &mut dyn Pane {
        match kind {
            PaneKind::Timeline => &mut self.timeline,
            PaneKind::Checklist => &mut self.checklist,
            PaneKind::Blast => &mut self.blast,
            PaneKind::Comms => &mut self.comms,
            PaneKind::Actions => &mut self.actions,
        }
    }

    fn all(&self) -> [&dyn Pane; 5] {
        [
            &self.timeline,
            &self.checklist,
            &self.blast,
            &self.comms,
            &self.actions,
        ]
    }
}

pub struct App {
    pub state: State,
    pub runbooks: Arc<Runbooks>,
    pub theme: Theme,
    /// The layout for a roomy terminal (by role, or `--layout`).
    pub layout: Layout,
    pub compact: Layout,
    pub me: Identity,
    pub connection: ConnectionState,
    /// Commands sent and not yet acknowledged: id → the command (a note's pending
    /// copy is drawn at the foot of the timeline until its real entry arrives).
    pub pending: BTreeMap<String, Pending>,
    /// Commands sent so far (orders [`Pending`]).
    pub(super) sent_count: u64,
    pub panes: Panes,
    pub focus: PaneKind,
    pub modal: Option<Modal>,
    pub toast: Option<String>,
    pub now: DateTime<Utc>,
    pub size: (u16, u16),
    /// Caught up with the hub at least once.
    pub synced: bool,
    /// Who is connected to this incident now.
    pub here: Vec<String>,
    /// Where we are connected, for the header.
    pub hub_label: String,
    /// The hub of a `--hub` list the link is on now (the header names it when several
    /// were given).
    pub hub_now: String,
    /// Something changed since the last draw.
    pub dirty: bool,
    /// The pane that had focus when the note composer opened, focused again when it
    /// closes.
    pub(super) composer_from: Option<PaneKind>,
    /// Panes by when they last had focus, most recent first: a tab split shows the
    /// tab holding the earliest.
    pub recent: Vec<PaneKind>,
    /// Every incident on the hub, kept current by its news.
    pub incidents: BTreeMap<String, IncidentSummary>,
    /// Another incident was declared or escalated to SEV1/SEV2 and nobody looked yet.
    pub banner: Option<Banner>,
    /// The post-mortem view, over the panes while open (`M`).
    pub postmortem: Option<super::postmortem::PostmortemView>,
}

impl App {
    pub fn new(
        runbooks: Arc<Runbooks>,
        theme: Theme,
        layout: Layout,
        me: Identity,
        now: DateTime<Utc>,
    ) -> App {
        let compact = Layout::built_in("compact").unwrap_or_else(|| layout.clone());
        let focus = layout
            .panes()
            .first()
            .copied()
            .unwrap_or(PaneKind::Timeline);
        App {
            state: State::default(),
            runbooks,
            theme,
            layout,
            compact,
            me,
            connection: ConnectionState::Connecting,
            pending: BTreeMap::new(),
            sent_count: 0,
            panes: Panes {
                timeline: TimelinePane::default(),
                checklist: ChecklistPane::default(),
                blast: BlastPane::default(),
                comms: CommsPane::default(),
                actions: ActionsPane::default(),
            },
            focus,
            modal: None,
            toast: None,
            now,
            size: (80, 24),
            synced: false,
            here: Vec::new(),
            hub_label: String::new(),
            hub_now: String::new(),
            dirty: true,
            composer_from: None,
            recent: vec![focus],
            incidents: BTreeMap::new(),
            banner: None,
            postmortem: None,
        }
    }

    /// Applies events directly (tests, demo snapshots).
    pub fn with_events(mut self, events: &[Event]) -> App {
        for event in events {
            self.state.apply(event);
        }
        self.synced = true;
        self.connection = ConnectionState::Live;
        self
    }

    /// The layout in force at the current size.
    pub fn current_layout(&self) -> &Layout {
        let (w, h) = self.size;
        if w < layout::COMPACT_BELOW.0 || h < layout::COMPACT_BELOW.1 {
            &self.compact
        } else {
            &self.layout
        }
    }

    /// The panes of the layout in force, in Tab order. Every layout holds every pane
    /// (some on tabs), so the digits always reach theirs.
    pub fn visible_panes(&self) -> Vec<PaneKind> {
        self.current_layout().panes()
    }

    /// Moves the focused pane to the front of [`App::recent`] (the view calls this).
    pub fn remember_focus(&mut self) {
        if self.recent.first() != Some(&self.focus) {
            self.recent.retain(|p| *p != self.focus);
            self.recent.insert(0, self.focus);
        }
    }

    pub fn roles(&self) -> BTreeSet<Role> {
        let actor = Actor {
            name: self.me.name.clone(),
            roles: self.me.roles.clone(),
        };
        record_roles(&self.state, &actor)
    }

    /// Runs `f` with a view context and the pane `kind`, split-borrowing the app.
    fn with_pane<R>(&mut self, kind: PaneKind, f: impl FnOnce(&mut dyn Pane, &ViewCtx) -> R) -> R {
        self.with_panes(kind, |panes, ctx| f(panes.get(kind), ctx))
    }

    /// Runs `f` with the panes and a view context numbered for pane `kind`.
    pub(super) fn with_panes<R>(
        &mut self,
        kind: PaneKind,
        f: impl FnOnce(&mut Panes, &ViewCtx) -> R,
    ) -> R {
        let roles = self.roles();
        let ctx = ViewCtx {
            state: &self.state,
            runbooks: &self.runbooks,
            theme: &self.theme,
            now: self.now,
            me: &self.me.name,
            roles: &roles,
            granted: &self.me.roles,
            number: kind.number(),
        };
        f(&mut self.panes, &ctx)
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        // A redraw already owed (by an earlier message of the same batch) stays owed.
        let owed = std::mem::replace(&mut self.dirty, true);
        match msg {
            Msg::Tick(now) => {
                // Only a change of what the clocks display needs a redraw: durations
                // show seconds only under a minute, so an idle console (an SSH one
                // too) draws once a minute, not once a second.
                self.dirty = owed
                    || self.shows_seconds(now)
                    || now.timestamp() / 60 != self.now.timestamp() / 60;
                self.now = now;
                Vec::new()
            }
            Msg::Resize(w, h) => {
                self.size = (w, h);
                let visible = self.visible_panes();
                if !visible.contains(&self.focus)
                    && let Some(first) = visible.first()
                {
                    self.focus = *first;
                }
                Vec::new()
            }
            Msg::Sync(event) => self.on_sync(event),
            Msg::News(news) => {
                self.on_news(news);
                Vec::new()
            }
            Msg::Key(key) => self.on_key(key),
            Msg::Paste(text) => self.on_paste(&text),
        }
    }

    fn on_sync(&mut self, event: SyncEvent) -> Vec<Effect> {
        match event {
            SyncEvent::Event(event) => {
                self.state.apply(&event);
                self.settle_applied();
                self.settle_postmortem();
                return self.window_changed(false);
            }
            SyncEvent::Snapshot(state) => {
                self.state = *state;
                self.settle_applied();
                self.settle_postmortem();
                return self.window_changed(true);
            }
            SyncEvent::Page { id, entries, older } => {
                self.panes.timeline.page_arrived(&id, entries, older);
            }
            SyncEvent::Found {
                id,
                entries,
                searched_to,
                ..
            } => self.panes.timeline.found_arrived(&id, entries, searched_to),
            SyncEvent::Synced(_) => self.synced = true,
            SyncEvent::State(state) => {
                // Reads in flight on a link that dropped are never answered.
                if state != ConnectionState::Live {
                    self.panes.timeline.link_lost();
                }
                self.connection = state;
            }
            SyncEvent::Identity(you) => self.me = you,
            SyncEvent::Hub(hub) => self.hub_now = hub,
            SyncEvent::Presence(here) => self.here = here,
            SyncEvent::Catalog { actions, channels } => {
                // The hub's actions and channels, not the ones this machine loaded.
                let runbooks = Arc::make_mut(&mut self.runbooks);
                runbooks.actions = actions;
                runbooks.channels = channels;
            }
            SyncEvent::Trackers(trackers) => Arc::make_mut(&mut self.runbooks).trackers = trackers,
            SyncEvent::Acked { id, seq } => self.acknowledged(&id, seq),
            SyncEvent::Rejected { id, code, message } => {
                if let Some(Pending {
                    command: Command::WritePostmortem { section, .. },
                    ..
                }) = self.pending.get(&id)
                {
                    let section = section.clone();
                    self.postmortem_refused(&section);
                }
                self.settle(&id);
                self.panes.timeline.refused(&id);
                self.toast = Some(format!("refused ({}): {message}", code.id()));
            }
        }
        Vec::new()
    }

    /// When entries left memory, the timeline's older pages go and a search of the
    /// hub starts again from the window.
    fn window_changed(&mut self, replaced: bool) -> Vec<Effect> {
        let read = self.panes.timeline.window_changed(&self.state, replaced);
        read.map(Effect::Read).into_iter().collect()
    }

    /// The sync task sent `read` under `id`: its answer will carry the id.
    pub fn asked(&mut self, id: &str, read: &Read) {
        self.panes.timeline.asked(id, read);
    }

    /// The whole screen, as the overlays are laid out on it.
    pub fn screen(&self) -> ratatui::layout::Rect {
        ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1)
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if self.modal.is_some() {
            return self.on_modal_key(key);
        }
        // The composer takes every key while open: typed text is never a command.
        if self.panes.timeline.composing() {
            return self.composer_key(key);
        }
        // The post-mortem view is over the panes: its keys (and its editor's) first.
        if self.postmortem.is_some() {
            return self.postmortem_key(key);
        }
        let focus = self.focus;
        if self.panes.get(focus).capturing() {
            let reaction = self.with_pane(focus, |pane, ctx| pane.on_key(key, ctx));
            return self.react(Some(focus), reaction);
        }
        let context = self.panes.get(focus).context();
        match keymap::resolve(context, &key) {
            Some(action) => self.on_action(action),
            None => Vec::new(),
        }
    }

    pub fn on_action(&mut self, action: Action) -> Vec<Effect> {
        self.toast = None;
        let visible = self.visible_panes();
        let index = visible.iter().position(|p| *p == self.focus).unwrap_or(0);
        match action {
            Action::Quit => return self.quit(),
            Action::Help => self.modal = Some(Modal::Help { scroll: 0 }),
            Action::Palette => self.open_palette(),
            Action::FocusNext if !visible.is_empty() => {
                self.focus = visible[(index + 1) % visible.len()]
            }
            Action::FocusPrev if !visible.is_empty() => {
                self.focus = visible[(index + visible.len() - 1) % visible.len()];
            }
            // Digits name pane kinds, the same in every layout: a pane on a hidden
            // tab comes to the front.
            Action::Focus(n) => {
                if let Some(pane) = PaneKind::from_number(n + 1).filter(|p| visible.contains(p)) {
                    self.focus = pane;
                }
            }
            Action::ComposeNote => return self.compose(EntryKind::Note),
            Action::ComposeDecision => return self.compose(EntryKind::Decision),
            Action::ComposeAction => return self.compose(EntryKind::Action),
            Action::SwitchIncident => return self.open_switcher(),
            Action::Postmortem => return self.toggle_postmortem(),
            Action::AddFollowup => return self.open_followup_form(),
            Action::JumpToAnnounced => return self.jump_to_announced(),
            other => {
                let focus = self.focus;
                let reaction = self.with_pane(focus, |pane, ctx| pane.on_action(other, ctx));
                return self.react(Some(focus), reaction);
            }
        }
        Vec::new()
    }

    /// What leaving now would abandon: unsent notes and drafts, unconfirmed commands.
    pub(super) fn unsent_work(&self) -> Vec<String> {
        let mut detail: Vec<String> = self.panes.all().iter().filter_map(|p| p.unsent()).collect();
        detail.extend(self.postmortem_unsent());
        let unacknowledged = self.unacknowledged();
        if unacknowledged > 0 {
            detail.push(format!(
                "{unacknowledged} command(s) not yet confirmed by the hub"
            ));
        }
        detail
    }

    fn quit(&mut self) -> Vec<Effect> {
        let detail = self.unsent_work();
        if detail.is_empty() {
            return vec![Effect::Quit];
        }
        self.modal = Some(Modal::QuitConfirm {
            detail: detail.join("\n"),
            scroll: 0,
            to: None,
        });
        Vec::new()
    }

    /// Turns a pane's reaction into effects or a modal.
    pub(super) fn react(&mut self, owner: Option<PaneKind>, reaction: Reaction) -> Vec<Effect> {
        match reaction {
            Reaction::None => Vec::new(),
            Reaction::Send(command) => vec![Effect::Send(command)],
            Reaction::Read(read) => vec![Effect::Read(read)],
            Reaction::Toast(text) => {
                self.toast = Some(text);
                Vec::new()
            }
            Reaction::Detail(detail) => {
                self.modal = Some(Modal::Detail { detail, scroll: 0 });
                Vec::new()
            }
            Reaction::Prompt(mut prompt) => {
                prompt.owner = prompt.owner.or(owner);
                let input = modal::single_line(&prompt.initial);
                self.modal = Some(Modal::Prompt { prompt, input });
                Vec::new()
            }
            Reaction::Pick(mut picker) => {
                picker.owner = picker.owner.or(owner);
                self.modal = Some(Modal::Picker {
                    picker,
                    selected: 0,
                    filter: String::new(),
                });
                Vec::new()
            }
            Reaction::Confirm {
                title,
                detail,
                command,
            } => {
                self.modal = Some(Modal::Confirm {
                    title,
                    detail,
                    command,
                    scroll: 0,
                });
                Vec::new()
            }
        }
    }

    fn submit(&mut self, owner: Option<PaneKind>, purpose: Purpose, value: String) -> Vec<Effect> {
        match owner {
            Some(kind) => {
                let reaction =
                    self.with_pane(kind, |pane, ctx| pane.on_submit(&purpose, &value, ctx));
                self.react(Some(kind), reaction)
            }
            None => self.submit_to_app(purpose, value),
        }
    }

    /// Whose keys the help marks as "this pane": the post-mortem view while it is
    /// open, else the focused pane.
    pub fn help_context(&mut self) -> keymap::Context {
        match self.postmortem {
            Some(_) => keymap::Context::Postmortem,
            None => self.panes.get(self.focus).context(),
        }
    }

    /// Whether anything on screen counts seconds at `now`: a duration under a minute
    /// (the incident's age, a clock just due or just overdue).
    fn shows_seconds(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        let minute = chrono::Duration::minutes(1);
        let near = |at: chrono::DateTime<chrono::Utc>| (at - now).abs() < minute * 2;
        self.state.declared_at.is_some_and(near)
            || crate::incident::clocks::compute(&self.state, &self.runbooks, now)
                .iter()
                .any(|clock| near(clock.due))
    }
}
