//! The checklist's display rows: items grouped under their source with a done count,
//! each open item's deadline (due, due soon, overdue), the line that shows one item
//! with its number, phase, owner and status, and the item in full (Enter).

use crate::incident::state::ChecklistItem;
use crate::incident::{Role, State};
use crate::tui::panes::{Detail, ViewCtx, cell, ellipsize};
use crate::tui::theme::Meaning;
use chrono::{DateTime, Duration, Utc};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// An open item due this soon (or sooner) is shown as a warning.
const WARN_SECONDS: i64 = 5 * 60;
const OWNER_WIDTH: usize = 6;
/// Fits "OVERDUE 1h05m" and "bob 09:03" (names cut to 7).
const STATUS_WIDTH: usize = 13;

/// One display row: a group header, or an item (its index in `state.checklist`).
pub(super) enum Row<'a> {
    Header(&'a str, usize, usize),
    Item { index: usize, phase_width: usize },
}

/// Groups in order of first appearance, each with its items in checklist order, so ad
/// hoc items added on either side of a playbook still share one header.
pub(super) fn rows(state: &State) -> Vec<Row<'_>> {
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
pub(super) fn seconds_left(item: &ChecklistItem, state: &State, now: DateTime<Utc>) -> Option<i64> {
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

/// One item's line: number, tick mark, phase, text, owner and status, `width` wide.
pub(super) fn item_line(
    ctx: &ViewCtx,
    index: usize,
    phase_width: usize,
    width: usize,
) -> Line<'static> {
    let (theme, state) = (ctx.theme, ctx.state);
    let item = &state.checklist[index];
    let (status, meaning) = match (&item.done, seconds_left(item, state, ctx.now)) {
        (Some(tick), _) => {
            let by = ellipsize(&tick.by, 7);
            (format!("{by} {}", tick.at.format("%H:%M")), Meaning::Muted)
        }
        (None, Some(s)) if s < 0 => (format!("OVERDUE {}", minutes(-s)), Meaning::Danger),
        (None, Some(s)) if s <= WARN_SECONDS => (format!("due in {}", minutes(s)), Meaning::Warn),
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

/// Item `index` in full: its text, group and phase, who owns it, when it is due, who
/// ticked it and when.
pub(super) fn detail(ctx: &ViewCtx, index: usize) -> Detail {
    let (state, item) = (ctx.state, &ctx.state.checklist[index]);
    let mut lines: Vec<String> = item.text.split('\n').map(str::to_string).collect();
    lines.push(String::new());
    let mut group = format!("Group:   {}", item.group);
    if let Some(phase) = item.phase {
        group.push_str(&format!(" · {}", phase.title().to_lowercase()));
    }
    lines.push(group);
    lines.push(match item.role {
        Some(role) => match state.holder(role) {
            Some(person) => format!("Owner:   {} ({role}) — {person}", role.title()),
            None => format!("Owner:   {} ({role}) — nobody holds it yet", role.title()),
        },
        None => "Owner:   nobody (r assigns a role)".into(),
    });
    let deadline = (item.within_minutes)
        .zip(state.declared_at)
        .map(|(m, at)| at + Duration::minutes(i64::from(m)));
    lines.push(match (deadline, seconds_left(item, state, ctx.now)) {
        (None, _) => "Due:     no deadline".into(),
        (Some(at), Some(s)) if s < 0 => format!(
            "Due:     {} — OVERDUE by {}",
            at.format("%H:%M UTC"),
            minutes(-s)
        ),
        (Some(at), Some(s)) => format!("Due:     {} — in {}", at.format("%H:%M UTC"), minutes(s)),
        (Some(at), None) => format!("Due:     {}", at.format("%H:%M UTC")),
    });
    lines.push(match &item.done {
        Some(tick) => format!(
            "Done:    ticked by {} at {}",
            tick.by,
            tick.at.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        None => "Done:    not yet — Space ticks it".into(),
    });
    Detail {
        title: format!("Checklist item {}", index + 1),
        lines,
    }
}
