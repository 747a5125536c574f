//! Keys as data: every binding has a context and a description, so the help overlay
//! (`?`, drawn by `reader.rs`) is generated from this table and resolution is plain,
//! tested code. A key bound everywhere means the same in every pane (tested), which is
//! why the compose keys `n`, `d`, `a` are global. Only keys that survive tmux and SSH:
//! no reliance on Shift+Enter, F-keys or Ctrl+arrows.

use crate::incident::CellState;
use crate::incident::role::Permission;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies. Pane contexts are tried before `Global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    Timeline,
    Checklist,
    Blast,
    Comms,
    Actions,
    /// The post-mortem view (over the panes while it is open).
    Postmortem,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Timeline => "Timeline",
            Context::Checklist => "Checklist",
            Context::Blast => "Blast radius",
            Context::Comms => "Comms",
            Context::Actions => "Actions",
            Context::Postmortem => "Post-mortem view",
        }
    }
}

/// What a key asks for. Panes interpret movement in their own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Palette,
    FocusNext,
    FocusPrev,
    /// Pane number n+1: 1 timeline, 2 checklist, 3 blast, 4 comms, 5 actions.
    Focus(usize),
    /// The incident switcher: every incident on the hub, and the lobby.
    SwitchIncident,
    /// To the incident the banner announces.
    JumpToAnnounced,
    Cancel,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Select,
    /// Open (or close) the post-mortem view.
    Postmortem,
    /// A follow-up: from the selected timeline entry or checklist item, else on its own.
    AddFollowup,
    // The note composer (every pane)
    ComposeNote,
    ComposeDecision,
    ComposeAction,
    // Timeline
    ToggleWrap,
    Search,
    /// Ask the hub to search further back than it did (timeline).
    SearchOlder,
    CycleFilter,
    Correct,
    // Checklist
    ToggleItem,
    AddItem,
    AssignItem,
    ApplyPlaybook,
    // Blast radius
    SetCell(CellState),
    AddTenant,
    AddRegion,
    AddService,
    RenameName,
    RemoveName,
    // Comms
    EditDraft,
    FillFields,
    Publish,
    SaveDraft,
    RetryDelivery,
    // Actions
    RunAction,
    DryRun,
    Approve,
    Deny,
    // Post-mortem view
    SaveSection,
    FollowupDone,
    FollowupWontDo,
    FollowupReopen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            modifiers: KeyModifiers::NONE,
        }
    }
    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            modifiers: KeyModifiers::CONTROL,
        }
    }

    /// How the help overlay shows it.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            other => format!("{other:?}"),
        };
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }

    /// Matches a terminal key event. Shift is folded into the character (terminals
    /// disagree on whether `G` arrives with SHIFT set).
    pub fn matches(&self, event: &KeyEvent) -> bool {
        let relevant = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let wanted = self.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match (event.code, self.code) {
            (KeyCode::BackTab, KeyCode::BackTab) => true,
            (a, b) => a == b,
        };
        code && relevant == wanted
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub action: Action,
    pub description: &'static str,
}

mod bindings;
pub use bindings::KEYMAP;

/// The action for `event` in `context`: the pane's own bindings first, then global.
pub fn resolve(context: Context, event: &KeyEvent) -> Option<Action> {
    let find = |ctx: Context| {
        KEYMAP
            .iter()
            .filter(|b| b.context == ctx)
            .find(|b| b.keys.iter().any(|k| k.matches(event)))
            .map(|b| b.action)
    };
    if context != Context::Global
        && let Some(action) = find(context)
    {
        return Some(action);
    }
    find(Context::Global)
}

/// The permission an action needs to change the incident, so the palette can leave
/// out what your roles forbid. `None`: moving around, or checked per action (running a
/// containment action needs that action's roles).
pub fn permission(action: Action) -> Option<Permission> {
    Some(match action {
        Action::ComposeNote | Action::ComposeDecision | Action::ComposeAction => Permission::Write,
        Action::Correct => Permission::Write,
        Action::ToggleItem => Permission::TickChecklist,
        Action::AddItem | Action::AssignItem | Action::ApplyPlaybook => Permission::EditChecklist,
        Action::SetCell(_) | Action::AddTenant | Action::AddRegion | Action::AddService => {
            Permission::EditBlastRadius
        }
        Action::SaveDraft => Permission::DraftComms,
        Action::Publish | Action::RetryDelivery => Permission::PublishComms,
        Action::AddFollowup
        | Action::FollowupDone
        | Action::FollowupWontDo
        | Action::FollowupReopen => Permission::Write,
        Action::SaveSection => Permission::WritePostmortem,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn pane_bindings_apply_in_their_pane_only() {
        assert_eq!(
            resolve(Context::Blast, &key('D')),
            Some(Action::SetCell(CellState::Degraded))
        );
        assert_eq!(resolve(Context::Actions, &key('D')), Some(Action::Deny));
        assert_eq!(resolve(Context::Checklist, &key('D')), None);
        assert_eq!(resolve(Context::Checklist, &key('j')), Some(Action::Down));
    }

    #[test]
    fn compose_keys_mean_the_same_in_every_pane() {
        let panes = [
            Context::Timeline,
            Context::Checklist,
            Context::Blast,
            Context::Comms,
            Context::Actions,
            Context::Postmortem,
        ];
        for context in panes {
            assert_eq!(resolve(context, &key('F')), Some(Action::AddFollowup));
            assert_eq!(resolve(context, &key('M')), Some(Action::Postmortem));
            assert_eq!(resolve(context, &key('n')), Some(Action::ComposeNote));
            assert_eq!(resolve(context, &key('d')), Some(Action::ComposeDecision));
            assert_eq!(resolve(context, &key('a')), Some(Action::ComposeAction));
        }
    }

    /// A key bound everywhere means one thing everywhere: a pane may describe what it
    /// does there (Enter), never make it do something else.
    #[test]
    fn no_pane_rebinds_a_global_key() {
        for global in KEYMAP.iter().filter(|b| b.context == Context::Global) {
            for pane in KEYMAP.iter().filter(|b| b.context != Context::Global) {
                for k in pane.keys {
                    assert!(
                        !global.keys.contains(k) || global.action == pane.action,
                        "{} is global ({:?}) but {:?} binds it to {:?}",
                        k.label(),
                        global.action,
                        pane.context,
                        pane.action
                    );
                }
            }
        }
    }

    #[test]
    fn shifted_letters_match_whatever_the_terminal_reports() {
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(resolve(Context::Timeline, &shifted), Some(Action::Bottom));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(resolve(Context::Timeline, &ctrl_c), Some(Action::Quit));
        assert_eq!(resolve(Context::Timeline, &key('c')), Some(Action::Correct));
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for a in KEYMAP {
            for b in KEYMAP {
                if std::ptr::eq(a, b) || a.context != b.context {
                    continue;
                }
                for k in a.keys {
                    assert!(
                        !b.keys.contains(k),
                        "{:?} bound twice in {:?}",
                        k.label(),
                        a.context
                    );
                }
            }
        }
    }
}
