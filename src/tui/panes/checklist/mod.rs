//! The checklist (the IC's pane): every live item grouped under its source ("First 15
//! minutes", "Playbook: …", "Ad hoc"), numbered as `warroom tick INC n` numbers them,
//! with owner, who ticked it and when, and deadlines that turn warn, then overdue. The
//! pane owns only the selection and scroll; ticking, adding, assigning and applying a
//! playbook become commands for the hub.

use super::{Pane, Picker, Prompt, Purpose, Reaction, ViewCtx, ellipsize, frame};
use crate::incident::limits::{NOTE_MAX_CHARS, check_text};
use crate::incident::role::{Permission, permits};
use crate::incident::state::ChecklistItem;
use crate::incident::{Command, Role, State};
use crate::tui::keymap::{Action, Context};
use crate::tui::layout::PaneKind;
use crate::tui::theme::Meaning;
use chrono::{DateTime, Duration, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState};
use ratatui::widgets::{StatefulWidget, Widget};
use unicode_width::UnicodeWidthStr;

/// An open item due this soon (or sooner) is shown as a warning.
const WARN_SECONDS: i64 = 5 * 60;
const OWNER_WIDTH: usize = 6;
/// Fits "OVERDUE 1h05m" and "bob 09:03" (names cut to 7).
const STATUS_WIDTH: usize = 13;

#[derive(Default)]
pub struct ChecklistPane {
    /// The selected item's id, not its position: positions shift when a group grows.
    selected: Option<String>,
    /// The first display row shown.
    offset: usize,
    /// Rows shown at the last render, so paging moves by what the user sees.
    page: usize,
}

/// One display row: a group header, or an item (its index in `state.checklist`).
enum Row<'a> {
    Header(&'a str, usize, usize),
    Item { index: usize, phase_width: usize },
}

/// Groups in order of first appearance, each with its items in checklist order, so ad
/// hoc items added on either side of a playbook still share one header.
fn rows(state: &State) -> Vec<Row<'_>> {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (index, item) in state.checklist.iter().enumerate() {
        match groups.iter_mut().find(|(g, _)| *g == item.group) {
            Some((_, items)) => items.push(index),
            None => groups.push((&item.group, vec![index])),
        }
    }
    let mut rows = Vec::with_capacity(state.checklist.len() + groups.len());
    for (group, items) in groups {
        let item = |i: &usize| &state.checklist[*i];
        let done = items.iter().filter(|i| item(i).done.is_some()).count();
        // One phase width per group keeps a playbook's texts aligned.
        let phase_width = items.iter().filter_map(|i| item(i).phase);
        let phase_width = phase_width.map(|p| p.title().len()).max().unwrap_or(0);
        rows.push(Row::Header(group, done, items.len()));
        rows.extend(
            items
                .into_iter()
                .map(|index| Row::Item { index, phase_width }),
        );
    }
    rows
}

/// Seconds until an open item with a deadline is due; negative once it is overdue.
fn seconds_left(item: &ChecklistItem, state: &State, now: DateTime<Utc>) -> Option<i64> {
    let within = Duration::minutes(i64::from(item.within_minutes?));
    let deadline = state.declared_at? + within;
    item.done.is_none().then(|| (deadline - now).num_seconds())
}

/// Whole minutes, rounded up so "due in 0m" never shows while time is left.
fn minutes(seconds: i64) -> String {
    let m = (seconds + 59) / 60;
    if m >= 60 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    }
}

fn role_short(role: Role) -> &'static str {
    match role {
        Role::Commander => "IC",
        Role::Security => "sec",
        Role::Responder => "resp",
        Role::Observer => "obs",
        other => other.id(),
    }
}

/// `text` cut to `width` columns and padded to exactly `width`.
pub(super) fn cell(text: &str, width: usize) -> String {
    let cut = ellipsize(text, width);
    let pad = width.saturating_sub(cut.width());
    format!("{cut}{}", " ".repeat(pad))
}

/// A toast instead of a prompt the hub would refuse anyway. Only when we know who we
/// are: before the hub's welcome the roles are empty and the hub stays the judge.
pub(super) fn refuse(ctx: &ViewCtx, permission: Permission) -> Option<Reaction> {
    (!ctx.roles.is_empty() && !permits(ctx.roles, permission))
        .then(|| Reaction::Toast(format!("your roles may not {}", permission.describe())))
}

impl ChecklistPane {
    /// The selected item's index; the first item when nothing is selected yet.
    fn current(&self, state: &State) -> Option<usize> {
        let found = self.selected.as_deref().and_then(|id| state.item_index(id));
        found.or((!state.checklist.is_empty()).then_some(0))
    }

    fn move_by(&mut self, state: &State, delta: isize) {
        let order: Vec<usize> = rows(state)
            .iter()
            .filter_map(|r| match r {
                Row::Item { index, .. } => Some(*index),
                Row::Header(..) => None,
            })
            .collect();
        let at = self
            .current(state)
            .and_then(|c| order.iter().position(|i| *i == c));
        let Some(at) = at else { return };
        let next = at.saturating_add_signed(delta).min(order.len() - 1);
        self.selected = Some(state.checklist[order[next]].id.clone());
    }

    fn toggle(&self, state: &State) -> Reaction {
        let Some(item) = self.current(state).map(|i| &state.checklist[i]) else {
            return Reaction::Toast("no items yet — o adds one, p applies a playbook".into());
        };
        let id = item.id.clone();
        match item.done {
            Some(_) => Reaction::Send(Command::Untick { item: id }),
            None => Reaction::Send(Command::Tick { item: id }),
        }
    }

    fn assign(&self, ctx: &ViewCtx) -> Reaction {
        let Some(index) = self.current(ctx.state) else {
            return Reaction::Toast("no items to assign — o adds one".into());
        };
        let item = &ctx.state.checklist[index];
        let now = |role: Option<Role>| if item.role == role { " (now)" } else { "" };
        let mut choices: Vec<(String, String)> = (Role::ALL.into_iter())
            .filter(|r| *r != Role::Observer)
            .map(|r| {
                (
                    r.id().into(),
                    format!("{r} — {}{}", r.title(), now(Some(r))),
                )
            })
            .collect();
        choices.push(("nobody".into(), format!("nobody{}", now(None))));
        Reaction::Pick(Picker {
            owner: Some(PaneKind::Checklist),
            purpose: Purpose::AssignItem(item.id.clone()),
            title: format!("Who owns item {}? {}", index + 1, ellipsize(&item.text, 40)),
            choices,
        })
    }

    fn playbooks(&self, ctx: &ViewCtx) -> Reaction {
        let choices: Vec<(String, String)> = (ctx.runbooks.playbooks.iter())
            .filter(|p| !ctx.state.playbooks.contains(&p.id))
            .map(|p| {
                let label = format!("{} ({}) — {} default", p.title, p.id, p.default_severity);
                (p.id.clone(), label)
            })
            .collect();
        if choices.is_empty() {
            return Reaction::Toast("every playbook is already applied".into());
        }
        Reaction::Pick(Picker {
            owner: Some(PaneKind::Checklist),
            purpose: Purpose::ApplyPlaybook,
            title: "Apply a playbook (its steps join the checklist)".into(),
            choices,
        })
    }

    fn item_line(ctx: &ViewCtx, index: usize, phase_width: usize, width: usize) -> Line<'static> {
        let (theme, state) = (ctx.theme, ctx.state);
        let item = &state.checklist[index];
        let (status, meaning) = match (&item.done, seconds_left(item, state, ctx.now)) {
            (Some(tick), _) => {
                let by = ellipsize(&tick.by, 7);
                (format!("{by} {}", tick.at.format("%H:%M")), Meaning::Muted)
            }
            (None, Some(s)) if s < 0 => (format!("OVERDUE {}", minutes(-s)), Meaning::Danger),
            (None, Some(s)) if s <= WARN_SECONDS => {
                (format!("due in {}", minutes(s)), Meaning::Warn)
            }
            (None, Some(s)) => {
                let at = ctx.now + Duration::seconds(s);
                (format!("due {}", at.format("%H:%M")), Meaning::Muted)
            }
            (None, None) => (String::new(), Meaning::Muted),
        };
        let (mark, mark_meaning) = match (&item.done, meaning) {
            (Some(_), _) => ("[x]", Meaning::Ok),
            (None, Meaning::Danger) => ("[ ]", Meaning::Danger),
            (None, _) => ("[ ]", Meaning::Text),
        };
        let owner = item.role.map_or("—", role_short);
        let mut owner_style = theme.style(item.role.map_or(Meaning::Muted, |_| Meaning::Text));
        if item.role.is_some_and(|r| ctx.roles.contains(&r)) {
            // Your own items stand out: that is what you scan the list for.
            owner_style = owner_style.add_modifier(Modifier::BOLD);
        }
        let phase = item.phase.map_or(String::new(), |p| {
            format!("{} ", cell(&p.title().to_lowercase(), phase_width))
        });
        let number_width = state.checklist.len().to_string().len();
        let fixed = number_width + 5 + phase.width() + 1 + OWNER_WIDTH + 1 + STATUS_WIDTH;
        let text = cell(
            &item.text.replace('\n', " "),
            width.saturating_sub(fixed).max(8),
        );
        let text_meaning = if item.done.is_some() {
            Meaning::Muted
        } else {
            Meaning::Text
        };
        let mut status_style = theme.style(meaning);
        if meaning == Meaning::Danger {
            status_style = status_style.add_modifier(Modifier::BOLD);
        }
        Line::from(vec![
            Span::styled(
                format!("{:>number_width$} ", index + 1),
                theme.style(Meaning::Muted),
            ),
            Span::styled(mark, theme.style(mark_meaning)),
            Span::raw(" "),
            Span::styled(phase, theme.style(Meaning::Muted)),
            Span::styled(text, theme.style(text_meaning)),
            Span::raw(" "),
            Span::styled(cell(owner, OWNER_WIDTH), owner_style),
            Span::raw(" "),
            Span::styled(format!("{status:>STATUS_WIDTH$}"), status_style),
        ])
    }
}

impl Pane for ChecklistPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Checklist
    }

    fn context(&self) -> Context {
        Context::Checklist
    }

    fn hint(&self) -> &'static str {
        "Space/x tick · o add · r assign · p playbook · ↑↓ PgUp/PgDn g/G move"
    }

    fn on_action(&mut self, action: Action, ctx: &ViewCtx) -> Reaction {
        let (state, page) = (ctx.state, self.page.max(1) as isize);
        let edits = matches!(
            action,
            Action::AddItem | Action::AssignItem | Action::ApplyPlaybook
        );
        if let Some(refusal) = refuse(ctx, Permission::EditChecklist).filter(|_| edits) {
            return refusal;
        }
        match action {
            Action::Up => self.move_by(state, -1),
            Action::Down => self.move_by(state, 1),
            Action::PageUp => self.move_by(state, -page),
            Action::PageDown => self.move_by(state, page),
            Action::Top => self.move_by(state, isize::MIN),
            Action::Bottom => self.move_by(state, isize::MAX),
            Action::ToggleItem | Action::Select => return self.toggle(state),
            Action::AssignItem => return self.assign(ctx),
            Action::ApplyPlaybook => return self.playbooks(ctx),
            Action::AddItem => {
                return Reaction::Prompt(Prompt {
                    owner: Some(PaneKind::Checklist),
                    purpose: Purpose::AddItem,
                    title: "New checklist item (goes under Ad hoc)".into(),
                    initial: String::new(),
                });
            }
            _ => {}
        }
        Reaction::None
    }

    fn on_submit(&mut self, purpose: &Purpose, value: &str, _ctx: &ViewCtx) -> Reaction {
        let value = value.trim();
        match purpose {
            Purpose::AddItem if value.is_empty() => Reaction::None,
            Purpose::AddItem => match check_text("the item", value, NOTE_MAX_CHARS) {
                Err(refused) => Reaction::Toast(refused.message),
                Ok(()) => Reaction::Send(Command::AddItem {
                    text: value.to_string(),
                    role: None,
                }),
            },
            Purpose::AssignItem(item) => {
                let role = match value {
                    "nobody" | "" => None,
                    other => match other.parse::<Role>() {
                        Ok(role) => Some(role),
                        Err(e) => return Reaction::Toast(e.to_string()),
                    },
                };
                let item = item.clone();
                Reaction::Send(Command::AssignItem { item, role })
            }
            Purpose::ApplyPlaybook if !value.is_empty() => Reaction::Send(Command::ApplyPlaybook {
                playbook: value.into(),
            }),
            _ => Reaction::None,
        }
    }

    fn render(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer, focused: bool) {
        let (theme, state) = (ctx.theme, ctx.state);
        let total = state.checklist.len();
        let done = state.checklist.iter().filter(|i| i.done.is_some()).count();
        let overdue = (state.checklist.iter())
            .filter(|i| seconds_left(i, state, ctx.now).is_some_and(|s| s < 0))
            .count();
        let extra = match overdue {
            0 => Span::styled(format!("{done}/{total} done"), theme.style(Meaning::Muted)),
            n => Span::styled(
                format!("{done}/{total} done · {n} overdue"),
                theme.style(Meaning::Danger).add_modifier(Modifier::BOLD),
            ),
        };
        let title = PaneKind::Checklist.title();
        let block = frame(theme, ctx.number, title, Some(extra), focused);
        let inner = block.inner(area);
        block.render(area, buf);
        if total == 0 {
            let text = "No items yet — o adds one, p applies a playbook (the first-15-minutes \
                        checklist arrives when the incident is declared)";
            let text = ellipsize(text, usize::from(inner.width));
            Paragraph::new(Span::styled(text, theme.style(Meaning::Muted))).render(inner, buf);
            return;
        }

        let rows = rows(state);
        let height = usize::from(inner.height);
        self.page = height.saturating_sub(1).max(1);
        let current = self.current(state);
        let selected_row = (rows.iter())
            .position(|r| matches!(r, Row::Item { index, .. } if Some(*index) == current))
            .unwrap_or(0);
        // Keep the selection visible; scrolling up to a group's first item shows its header.
        if selected_row < self.offset {
            self.offset = selected_row.saturating_sub(1);
        } else if selected_row >= self.offset + height {
            self.offset = selected_row + 1 - height;
        }
        self.offset = self.offset.min(rows.len().saturating_sub(height));
        let scrolls = rows.len() > height;
        // The scrollbar takes the last column.
        let width = usize::from(inner.width).saturating_sub(usize::from(scrolls));
        let shown = rows.iter().enumerate().skip(self.offset).take(height);
        let lines: Vec<Line> = shown
            .map(|(at, row)| match row {
                Row::Header(group, done, total) => Line::from(vec![
                    Span::styled(
                        ellipsize(group, width.saturating_sub(10)),
                        theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(format!("  {done}/{total}"), theme.style(Meaning::Muted)),
                ]),
                Row::Item { index, phase_width } => {
                    let line = Self::item_line(ctx, *index, *phase_width, width);
                    let selected = focused && at == selected_row;
                    if selected {
                        line.style(theme.style(Meaning::Selection))
                    } else {
                        line
                    }
                }
            })
            .collect();
        Paragraph::new(lines).render(inner, buf);
        if scrolls {
            let scrollable = rows.len() - height;
            let mut position = ScrollbarState::new(scrollable).position(self.offset);
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .style(theme.style(Meaning::Muted))
                .render(inner, buf, &mut position);
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::incident::{Actor, Runbooks, Severity, decide};
    use crate::tui::theme::Theme;
    use chrono::TimeZone;
    use std::collections::BTreeSet;

    pub(in crate::tui::panes) fn t(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    /// Declared at 09:00 with a playbook; bob ticks item 1 at 09:03 and adds an ad hoc item.
    fn incident(runbooks: &Runbooks) -> State {
        let alice = Actor::new("alice", [Role::Commander]);
        let bob = Actor::new("bob", [Role::Ops]);
        let declare = Command::Declare {
            id: "INC-1".into(),
            title: "LLM provider 5xx".into(),
            severity: Severity::Sev2,
            playbook: Some("llm_provider_outage".into()),
            summary: None,
        };
        let add = Command::AddItem {
            text: "Ping the provider's TAM".into(),
            role: None,
        };
        let tick = Command::Tick { item: "1".into() };
        let mut state = State::default();
        for (minute, actor, command) in [(0, &alice, declare), (3, &bob, tick), (4, &bob, add)] {
            for event in decide(&state, actor, &command, t(minute), runbooks, None).unwrap() {
                state.apply(&event);
            }
        }
        state
    }

    struct Fixture {
        runbooks: Runbooks,
        theme: Theme,
        roles: BTreeSet<Role>,
        state: State,
    }

    impl Fixture {
        fn new(roles: impl IntoIterator<Item = Role>) -> Fixture {
            let runbooks = crate::catalog::embedded().unwrap();
            let state = incident(&runbooks);
            let theme = Theme::built_in("default").unwrap();
            Fixture {
                runbooks,
                theme,
                roles: roles.into_iter().collect(),
                state,
            }
        }

        fn ctx(&self) -> ViewCtx<'_> {
            let (state, runbooks, theme, roles) =
                (&self.state, &self.runbooks, &self.theme, &self.roles);
            ViewCtx {
                state,
                runbooks,
                theme,
                now: t(11),
                me: "alice",
                roles,
                number: 2,
            }
        }
    }

    /// The rendered text, row by row, with trailing blanks cut (the blast pane's tests
    /// use it too).
    pub(in crate::tui::panes) fn screen(
        pane: &mut dyn Pane,
        ctx: &ViewCtx,
        width: u16,
        height: u16,
    ) -> (String, Buffer) {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
        pane.render(ctx, buf.area, &mut buf, true);
        let mut text = String::new();
        for y in 0..height {
            let (mut line, mut skip) = (String::new(), 0);
            for x in 0..width {
                let symbol = buf[(x, y)].symbol();
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                // A wide character's second cell is already covered by it.
                skip = symbol.width().saturating_sub(1);
                line.push_str(symbol);
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        (text, buf)
    }

    fn send(pane: &mut ChecklistPane, action: Action, ctx: &ViewCtx) -> Command {
        match pane.on_action(action, ctx) {
            Reaction::Send(command) => command,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn shows_groups_ticks_owners_phases_and_deadlines() {
        let fx = Fixture::new([Role::Commander]);
        let (text, buf) = screen(&mut ChecklistPane::default(), &fx.ctx(), 100, 40);
        for wanted in [
            "First 15 minutes  1/12",
            "Playbook: LLM provider outage",
            "Ad hoc  0/1",
        ] {
            assert!(text.contains(wanted), "{wanted}\n{text}");
        }
        assert!(text.contains("1/26 done · 3 overdue"), "{text}");
        let line = |start: &str| text.lines().find(|l| l.contains(start)).unwrap();
        let first = line(" 1 [x] Acknowledge");
        assert!(
            first.contains(" resp ") && first.ends_with("bob 09:03┃"),
            "{first}"
        );
        // The 5-minute items are 6 minutes late at 09:11; the 15-minute ones due in 4.
        assert!(line(" 2 [ ] Declare").ends_with("OVERDUE 6m┃"));
        assert!(line(" 5 [ ] Set the").ends_with("due in 4m┃"));
        assert!(line("13 [ ] triage        Look at").contains(" ops "));
        // Overdue is said in the danger colour too, not only in words.
        let y = text
            .lines()
            .position(|l| l.contains(" 2 [ ] Declare"))
            .unwrap();
        let x = line(" 2 [ ] Declare")
            .chars()
            .position(|c| c == 'O')
            .unwrap();
        let danger = fx.theme.style(Meaning::Danger).fg;
        assert_eq!(Some(buf[(x as u16, y as u16)].fg), danger);
    }

    #[test]
    fn toggles_by_id_and_moves_past_group_headers() {
        let fx = Fixture::new([Role::Commander]);
        let (ctx, mut pane) = (fx.ctx(), ChecklistPane::default());
        let acknowledge = "first_15_minutes.acknowledge".into();
        assert_eq!(
            send(&mut pane, Action::ToggleItem, &ctx),
            Command::Untick { item: acknowledge }
        );
        pane.on_action(Action::Down, &ctx);
        let declare = "first_15_minutes.declare".into();
        assert_eq!(
            send(&mut pane, Action::Select, &ctx),
            Command::Tick { item: declare }
        );
        // Twelve down from the top is the playbook's first step, past its header.
        pane.on_action(Action::Top, &ctx);
        (0..12).for_each(|_| drop(pane.on_action(Action::Down, &ctx)));
        let step = "llm_provider_outage.1".into();
        assert_eq!(
            send(&mut pane, Action::ToggleItem, &ctx),
            Command::Tick { item: step }
        );
        pane.on_action(Action::Bottom, &ctx);
        let adhoc = "adhoc.1".into();
        assert_eq!(
            send(&mut pane, Action::ToggleItem, &ctx),
            Command::Tick { item: adhoc }
        );
    }

    #[test]
    fn scrolling_keeps_the_selection_on_screen() {
        let fx = Fixture::new([Role::Commander]);
        let (ctx, mut pane) = (fx.ctx(), ChecklistPane::default());
        pane.on_action(Action::Bottom, &ctx);
        let (text, _) = screen(&mut pane, &ctx, 78, 17);
        assert!(text.contains("Ping the provider's TAM") && !text.contains("Acknowledge"));
        pane.on_action(Action::Top, &ctx);
        let (text, _) = screen(&mut pane, &ctx, 78, 17);
        assert!(text.contains("First 15 minutes") && text.contains("Acknowledge"));
    }

    #[test]
    fn add_assign_and_apply_go_through_prompt_and_picker() {
        let fx = Fixture::new([Role::Commander]);
        let (ctx, mut pane) = (fx.ctx(), ChecklistPane::default());
        let Reaction::Prompt(prompt) = pane.on_action(Action::AddItem, &ctx) else {
            panic!()
        };
        assert_eq!(prompt.purpose, Purpose::AddItem);
        let added = Command::AddItem {
            text: "Call legal".into(),
            role: None,
        };
        assert_eq!(
            pane.on_submit(&Purpose::AddItem, " Call legal ", &ctx),
            Reaction::Send(added)
        );
        assert_eq!(
            pane.on_submit(&Purpose::AddItem, "  ", &ctx),
            Reaction::None
        );

        pane.on_action(Action::Down, &ctx);
        let Reaction::Pick(picker) = pane.on_action(Action::AssignItem, &ctx) else {
            panic!()
        };
        let item = "first_15_minutes.declare".to_string();
        assert_eq!(picker.purpose, Purpose::AssignItem(item.clone()));
        let values: Vec<&str> = picker.choices.iter().map(|(v, _)| v.as_str()).collect();
        let roles = [
            "commander",
            "scribe",
            "comms",
            "ops",
            "security",
            "responder",
            "nobody",
        ];
        assert_eq!(values, roles);
        assert_eq!(picker.choices[0].1, "commander — Incident commander (now)");
        for (value, role) in [("ops", Some(Role::Ops)), ("nobody", None)] {
            let assigned = Command::AssignItem {
                item: item.clone(),
                role,
            };
            let reaction = pane.on_submit(&picker.purpose, value, &ctx);
            assert_eq!(reaction, Reaction::Send(assigned));
        }

        let Reaction::Pick(picker) = pane.on_action(Action::ApplyPlaybook, &ctx) else {
            panic!()
        };
        assert!(
            picker
                .choices
                .iter()
                .all(|(id, _)| id != "llm_provider_outage")
        );
        let db = picker
            .choices
            .iter()
            .find(|(id, _)| id == "database_failover")
            .unwrap();
        assert!(db.1.contains(" (database_failover) — SEV") && db.1.ends_with(" default"));
        let apply = Command::ApplyPlaybook {
            playbook: "database_failover".into(),
        };
        let reaction = pane.on_submit(&Purpose::ApplyPlaybook, "database_failover", &ctx);
        assert_eq!(reaction, Reaction::Send(apply));
    }

    #[test]
    fn observers_hear_no_before_typing_and_empty_lists_say_what_to_do() {
        let mut fx = Fixture::new([Role::Observer]);
        let mut pane = ChecklistPane::default();
        assert!(matches!(
            pane.on_action(Action::AddItem, &fx.ctx()),
            Reaction::Toast(_)
        ));
        fx.state = State::default();
        let (text, _) = screen(&mut pane, &fx.ctx(), 78, 17);
        assert!(
            text.contains("No items yet — o adds one, p applies a playbook"),
            "{text}"
        );
        assert!(matches!(
            pane.on_action(Action::ToggleItem, &fx.ctx()),
            Reaction::Toast(_)
        ));
    }

    #[test]
    fn snapshots() {
        let fx = Fixture::new([Role::Commander]);
        let (ctx, mut pane) = (fx.ctx(), ChecklistPane::default());
        pane.on_action(Action::Down, &ctx);
        insta::assert_snapshot!("checklist_78x17", screen(&mut pane, &ctx, 78, 17).0);
        insta::assert_snapshot!("checklist_100x30", screen(&mut pane, &ctx, 100, 30).0);
    }
}
