//! The keymap's table: every binding with its context, keys, action and the words the
//! help overlay shows. Data only; resolution lives in `keymap`.

use super::{Action, Binding, Context, Key};
use crate::incident::CellState;
use ratatui::crossterm::event::KeyCode;

const fn bind(
    context: Context,
    keys: &'static [Key],
    action: Action,
    description: &'static str,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        description,
    }
}

use Context::{
    Actions as Ac, Blast as Bl, Checklist as Ck, Comms as Cm, Global as G, Postmortem as Pm,
    Timeline as Tl,
};

/// The whole keymap. Order within a context is the help overlay's order.
pub const KEYMAP: &[Binding] = &[
    bind(G, &[Key::ch('?')], Action::Help, "show this help"),
    bind(
        G,
        &[Key::ch(':'), Key::ctrl('p')],
        Action::Palette,
        "command palette: every action by name",
    ),
    bind(
        G,
        &[Key::plain(KeyCode::Tab)],
        Action::FocusNext,
        "next pane",
    ),
    bind(
        G,
        &[Key::plain(KeyCode::BackTab)],
        Action::FocusPrev,
        "previous pane",
    ),
    bind(
        G,
        &[Key::ch('1')],
        Action::Focus(0),
        "timeline (in every layout)",
    ),
    bind(G, &[Key::ch('2')], Action::Focus(1), "checklist"),
    bind(G, &[Key::ch('3')], Action::Focus(2), "blast radius"),
    bind(G, &[Key::ch('4')], Action::Focus(3), "comms"),
    bind(
        G,
        &[Key::ch('5')],
        Action::Focus(4),
        "actions (a pane on a hidden tab comes to the front)",
    ),
    bind(
        G,
        &[Key::ch('L')],
        Action::SwitchIncident,
        "switch incident (worst first) or go to the lobby",
    ),
    bind(
        G,
        &[Key::ch('J')],
        Action::JumpToAnnounced,
        "jump to the incident the banner announces",
    ),
    bind(
        G,
        &[Key::ch('k'), Key::plain(KeyCode::Up)],
        Action::Up,
        "move up",
    ),
    bind(
        G,
        &[Key::ch('j'), Key::plain(KeyCode::Down)],
        Action::Down,
        "move down",
    ),
    bind(
        G,
        &[Key::ch('h'), Key::plain(KeyCode::Left)],
        Action::Left,
        "move left",
    ),
    bind(
        G,
        &[Key::ch('l'), Key::plain(KeyCode::Right)],
        Action::Right,
        "move right",
    ),
    bind(
        G,
        &[Key::plain(KeyCode::PageUp), Key::ctrl('u')],
        Action::PageUp,
        "page up",
    ),
    bind(
        G,
        &[Key::plain(KeyCode::PageDown), Key::ctrl('d')],
        Action::PageDown,
        "page down",
    ),
    bind(
        G,
        &[Key::ch('g'), Key::plain(KeyCode::Home)],
        Action::Top,
        "to the top",
    ),
    bind(
        G,
        &[Key::ch('G'), Key::plain(KeyCode::End)],
        Action::Bottom,
        "to the bottom (timeline: follow live)",
    ),
    bind(
        G,
        &[Key::plain(KeyCode::Enter)],
        Action::Select,
        "open / choose",
    ),
    bind(
        G,
        &[Key::plain(KeyCode::Esc)],
        Action::Cancel,
        "close, cancel, clear filter",
    ),
    bind(
        G,
        &[Key::ch('q'), Key::ctrl('c')],
        Action::Quit,
        "quit (asks if a note or draft is unsent)",
    ),
    bind(
        G,
        &[Key::ch('n')],
        Action::ComposeNote,
        "write a note, from any pane (the editor stays open: Enter sends, Esc closes)",
    ),
    bind(
        G,
        &[Key::ch('d')],
        Action::ComposeDecision,
        "record a decision, from any pane",
    ),
    bind(
        G,
        &[Key::ch('a')],
        Action::ComposeAction,
        "record an action taken, from any pane",
    ),
    bind(
        G,
        &[Key::ch('M')],
        Action::Postmortem,
        "post-mortem: its sections (written or not, by whom), follow-ups; M again closes",
    ),
    bind(
        G,
        &[Key::ch('F')],
        Action::AddFollowup,
        "add a follow-up: from the selected timeline entry or checklist item, else on its own",
    ),
    bind(
        Tl,
        &[Key::plain(KeyCode::Enter)],
        Action::Select,
        "show the entry in full: author, UTC time, kind, corrections",
    ),
    bind(Tl, &[Key::ch('/')], Action::Search, "search the timeline"),
    bind(
        Tl,
        &[Key::ch('N')],
        Action::SearchOlder,
        "search further back (the hub reads what left memory)",
    ),
    bind(
        Tl,
        &[Key::ch('f')],
        Action::CycleFilter,
        "filter: all → notes → decisions → actions → comms → system → mine",
    ),
    bind(
        Tl,
        &[Key::ch('c')],
        Action::Correct,
        "correct the selected entry (the original stays)",
    ),
    bind(
        Tl,
        &[Key::ch('w')],
        Action::ToggleWrap,
        "wrap entries ↔ one line each",
    ),
    bind(
        Ck,
        &[Key::ch(' '), Key::ch('x')],
        Action::ToggleItem,
        "tick / untick the selected item",
    ),
    bind(
        Ck,
        &[Key::plain(KeyCode::Enter)],
        Action::Select,
        "show the item in full: owner, due, who ticked it",
    ),
    bind(Ck, &[Key::ch('o')], Action::AddItem, "add an item"),
    bind(
        Ck,
        &[Key::ch('r')],
        Action::AssignItem,
        "assign the item to a role",
    ),
    bind(
        Ck,
        &[Key::ch('p')],
        Action::ApplyPlaybook,
        "apply another playbook",
    ),
    bind(
        Bl,
        &[Key::ch('o')],
        Action::SetCell(CellState::Healthy),
        "mark healthy (ok)",
    ),
    bind(
        Bl,
        &[Key::ch('s')],
        Action::SetCell(CellState::Suspected),
        "mark suspected",
    ),
    bind(
        Bl,
        &[Key::ch('D')],
        Action::SetCell(CellState::Degraded),
        "mark degraded",
    ),
    bind(
        Bl,
        &[Key::ch('x')],
        Action::SetCell(CellState::Down),
        "mark down",
    ),
    bind(
        Bl,
        &[Key::ch('i')],
        Action::SetCell(CellState::Isolated),
        "mark isolated",
    ),
    bind(
        Bl,
        &[Key::ch('r')],
        Action::SetCell(CellState::Recovered),
        "mark recovered",
    ),
    bind(
        Bl,
        &[Key::ch('u')],
        Action::SetCell(CellState::Unknown),
        "mark unknown",
    ),
    bind(Bl, &[Key::ch('t')], Action::AddTenant, "add a tenant (row)"),
    bind(
        Bl,
        &[Key::ch('e')],
        Action::AddRegion,
        "add a region (column)",
    ),
    bind(
        Bl,
        &[Key::ch('v')],
        Action::AddService,
        "add an affected service",
    ),
    bind(
        Bl,
        &[Key::ch('E')],
        Action::RenameName,
        "rename the tenant, region or service under the cursor",
    ),
    bind(
        Bl,
        &[Key::ch('X')],
        Action::RemoveName,
        "remove the tenant, region or service under the cursor (asks first)",
    ),
    bind(
        Cm,
        &[Key::ch('e')],
        Action::EditDraft,
        "edit the draft (Esc to stop editing)",
    ),
    bind(
        Cm,
        &[Key::ch('f')],
        Action::FillFields,
        "fill the template's fields",
    ),
    bind(
        Cm,
        &[Key::ch('w')],
        Action::SaveDraft,
        "save the draft for the team",
    ),
    bind(
        Cm,
        &[Key::ch('P')],
        Action::Publish,
        "publish (shows the exact text first)",
    ),
    bind(
        Cm,
        &[Key::ch('R')],
        Action::RetryDelivery,
        "retry a failed delivery of the last update",
    ),
    bind(
        Ac,
        &[Key::ch('r')],
        Action::RunAction,
        "run the selected action (asks its parameters, shows exactly what it sends)",
    ),
    bind(
        Ac,
        &[Key::ch('p')],
        Action::DryRun,
        "preview (dry run): record exactly what it would send, send nothing",
    ),
    bind(
        Ac,
        &[Key::ch('A')],
        Action::Approve,
        "approve a two-person run someone else requested",
    ),
    bind(
        Ac,
        &[Key::ch('D')],
        Action::Deny,
        "deny a two-person run (asks why)",
    ),
    bind(
        Pm,
        &[Key::plain(KeyCode::Enter)],
        Action::Select,
        "edit the selected section (an unwritten one starts from its draft) / show a follow-up",
    ),
    bind(
        Pm,
        &[Key::ctrl('s')],
        Action::SaveSection,
        "while editing: save the section (everyone sees it; recorded on the log)",
    ),
    bind(
        Pm,
        &[Key::plain(KeyCode::Esc)],
        Action::Cancel,
        "stop editing (asks before throwing away changes) / leave the view",
    ),
    bind(
        Pm,
        &[Key::ch('x')],
        Action::FollowupDone,
        "mark the selected follow-up done",
    ),
    bind(
        Pm,
        &[Key::ch('W')],
        Action::FollowupWontDo,
        "mark the selected follow-up won't do",
    ),
    bind(
        Pm,
        &[Key::ch('O')],
        Action::FollowupReopen,
        "open the selected follow-up again",
    ),
];
