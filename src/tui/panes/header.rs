//! The header: incident id and title, severity in its colour, status, elapsed time, who
//! holds which seat, who is here, the link to the hub, and the most urgent clocks,
//! which turn warning, then overdue.

use super::ViewCtx;
use super::ellipsize;
use crate::incident::Role;
use crate::incident::clocks::{self, ClockState, format_duration};
use crate::net::ConnectionState;
use crate::tui::theme::Meaning;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// What the header needs beyond the incident.
pub struct Link<'a> {
    pub connection: &'a ConnectionState,
    pub pending: usize,
    pub hub: &'a str,
    pub here: &'a [String],
}

/// Rows the header takes.
pub const HEIGHT: u16 = 3;

pub fn render(ctx: &ViewCtx, link: &Link, area: Rect, buf: &mut Buffer) {
    let theme = ctx.theme;
    let state = ctx.state;
    let width = usize::from(area.width);

    // Line 1: SEV · id · status · elapsed · title … connection
    let mut first = Vec::new();
    match state.severity {
        Some(severity) => {
            let name = ctx.runbooks.level(severity).map_or("", |l| l.name.as_str());
            first.push(Span::styled(
                format!(" {severity} {name} "),
                theme
                    .style(Meaning::Severity(severity))
                    .add_modifier(Modifier::BOLD | Modifier::REVERSED),
            ));
        }
        None => first.push(Span::styled(" no incident ", theme.style(Meaning::Muted))),
    }
    first.push(Span::raw(" "));
    first.push(Span::styled(
        state.id.clone(),
        theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
    ));
    first.push(Span::raw(" "));
    let status_meaning = match state.status {
        crate::incident::Status::Resolved => Meaning::Ok,
        crate::incident::Status::Monitoring => Meaning::Info,
        _ => Meaning::Warn,
    };
    first.push(Span::styled(
        format!("[{}]", state.status),
        theme.style(status_meaning).add_modifier(Modifier::BOLD),
    ));
    if let Some(declared) = state.declared_at {
        let end = state.resolved_at.unwrap_or(ctx.now);
        first.push(Span::styled(
            format!(" {} ", format_duration(end - declared)),
            theme.style(Meaning::Text),
        ));
    }
    let (link_text, link_meaning) = match link.connection {
        ConnectionState::Live if link.pending == 0 => ("● live".to_string(), Meaning::Ok),
        ConnectionState::Live => (format!("● live, {} sending", link.pending), Meaning::Ok),
        ConnectionState::Connecting => ("○ connecting".to_string(), Meaning::Warn),
        ConnectionState::Reconnecting {
            attempt, pending, ..
        } => (
            format!("◌ reconnecting #{attempt}, {pending} pending"),
            Meaning::Warn,
        ),
        ConnectionState::Offline { pending, .. } => {
            (format!("✕ offline, {pending} pending"), Meaning::Danger)
        }
    };
    let used: usize = first.iter().map(|s| s.content.chars().count()).sum();
    let room = width.saturating_sub(used + link_text.chars().count() + 2);
    first.push(Span::styled(
        ellipsize(&state.title, room),
        theme.style(Meaning::Title),
    ));
    let used: usize = first
        .iter()
        .map(|s| unicode_width::UnicodeWidthStr::width(s.content.as_ref()))
        .sum();
    let pad = width.saturating_sub(used + link_text.chars().count() + 1);
    first.push(Span::raw(" ".repeat(pad)));
    first.push(Span::styled(
        link_text,
        theme.style(link_meaning).add_modifier(Modifier::BOLD),
    ));

    // Line 2: seats and who is here.
    let mut second = Vec::new();
    for role in [
        Role::Commander,
        Role::Scribe,
        Role::Comms,
        Role::Ops,
        Role::Security,
    ] {
        let short = match role {
            Role::Commander => "IC",
            Role::Scribe => "Scribe",
            Role::Comms => "Comms",
            Role::Ops => "Ops",
            Role::Security => "Sec",
            _ => "",
        };
        second.push(Span::styled(
            format!("{short} "),
            theme.style(Meaning::Muted),
        ));
        match state.holder(role) {
            Some(who) => second.push(Span::styled(
                who.to_string(),
                theme.style(Meaning::Text).add_modifier(Modifier::BOLD),
            )),
            None if role == Role::Commander => {
                second.push(Span::styled("none!", theme.style(Meaning::Danger)))
            }
            None => second.push(Span::styled("—", theme.style(Meaning::Muted))),
        }
        second.push(Span::raw("  "));
    }
    if !link.here.is_empty() {
        second.push(Span::styled("here ", theme.style(Meaning::Muted)));
        second.push(Span::styled(
            link.here.join(", "),
            theme.style(Meaning::Info),
        ));
    }
    second.push(Span::styled(
        format!("  you: {}", ctx.me),
        theme.style(Meaning::Muted),
    ));

    // Line 3: the most urgent clocks.
    let mut third = Vec::new();
    for clock in clocks::compute(state, ctx.runbooks, ctx.now)
        .into_iter()
        .filter(|c| c.state != ClockState::Met)
        .take(4)
    {
        let (meaning, mark) = match clock.state {
            ClockState::Overdue => (Meaning::Danger, "OVERDUE "),
            ClockState::Warning => (Meaning::Warn, ""),
            ClockState::Ready => (Meaning::Ok, "ready "),
            _ => (Meaning::Text, ""),
        };
        let when = if clock.due >= ctx.now {
            format!("in {}", format_duration(clock.due - ctx.now))
        } else {
            format!("{} ago", format_duration(ctx.now - clock.due))
        };
        let mut style = theme.style(meaning);
        if clock.state == ClockState::Overdue {
            style = style.add_modifier(Modifier::BOLD | Modifier::REVERSED);
        }
        third.push(Span::styled(
            format!("⏱ {mark}{} {when}", clock.label),
            style,
        ));
        third.push(Span::raw("   "));
    }
    if third.is_empty() {
        third.push(Span::styled(
            "no clocks running",
            theme.style(Meaning::Muted),
        ));
    }

    let lines = vec![Line::from(first), Line::from(second), Line::from(third)];
    Paragraph::new(lines).render(area, buf);
}
