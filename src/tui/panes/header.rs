//! The header: incident id and title, severity in its colour, status, elapsed time, who
//! holds which seat, who is here (a count when the names do not fit), the link to the
//! hub and, on a line of its own while it is down, why; then the clocks, most urgent
//! first, which turn warning, then overdue. Clocks that do not fit on their line wrap
//! onto the next; nothing is cut without `…`.

use super::ViewCtx;
use super::{ellipsize, fit_line};
use crate::incident::Role;
use crate::incident::clocks::{self, ClockState, format_duration};
use crate::incident::times::{Metrics, human};
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

/// Rows the header takes when the clocks fit on one line.
pub const HEIGHT: u16 = 3;

/// The header's lines at `width`.
fn lines(ctx: &ViewCtx, link: &Link, width: usize) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let state = ctx.state;

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
    let (link_text, link_meaning) = link_status(link);
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

    let second = seats_and_presence(ctx, link, width);
    let mut lines = vec![fit_line(Line::from(first), width)];
    lines.extend(link_reason(ctx, link, width));
    lines.push(second);
    lines.extend(metrics_line(ctx, width));
    lines.extend(clock_lines(ctx, width));
    lines
}

/// Once resolved, the response metrics on one line (what the post-mortem will say):
/// time to detect, acknowledge, mitigate and resolve, the response deadline and late
/// updates.
fn metrics_line(ctx: &ViewCtx, width: usize) -> Option<Line<'static>> {
    if ctx.state.status != crate::incident::Status::Resolved {
        return None;
    }
    let metrics = Metrics::of(ctx.state, ctx.runbooks, ctx.now);
    let shown = |d: Option<chrono::Duration>| d.map_or("—".to_string(), human);
    let mut text = format!(
        "TTD {} · TTA {} · TTM {} · TTR {}",
        shown(metrics.time_to_detect),
        shown(metrics.time_to_acknowledge),
        shown(metrics.time_to_mitigate),
        shown(metrics.time_to_resolve),
    );
    let mut meaning = Meaning::Ok;
    match metrics.response_deadline_met {
        Some(true) => text.push_str(" · response met"),
        Some(false) => {
            text.push_str(" · response MISSED");
            meaning = Meaning::Warn;
        }
        None => {}
    }
    if metrics.update_cadence_misses > 0 {
        text.push_str(&format!(
            " · {} late update(s)",
            metrics.update_cadence_misses
        ));
        meaning = Meaning::Warn;
    }
    Some(Line::from(Span::styled(
        ellipsize(&text, width),
        ctx.theme.style(meaning),
    )))
}

/// The link to the hub in a few words, for the end of the first line.
fn link_status(link: &Link) -> (String, Meaning) {
    let (text, meaning) = link_words(link);
    // Which of several hubs, as host:port (`hub` is empty with one hub).
    let host = link
        .hub
        .split("://")
        .last()
        .unwrap_or_default()
        .trim_end_matches('/')
        .trim_end_matches("/ws");
    match (&link.connection, host.is_empty()) {
        (ConnectionState::Live, false) => (format!("{text} · {host}"), meaning),
        _ => (text, meaning),
    }
}

fn link_words(link: &Link) -> (String, Meaning) {
    match link.connection {
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
    }
}

/// While the link is down, a line saying why (refused, unreachable, closed by the hub
/// and its reason), cut with `…` when it does not fit.
fn link_reason(ctx: &ViewCtx, link: &Link, width: usize) -> Option<Line<'static>> {
    let (reason, meaning) = match link.connection {
        ConnectionState::Reconnecting { reason, .. } => (reason, Meaning::Warn),
        ConnectionState::Offline { reason, .. } => (reason, Meaning::Danger),
        _ => return None,
    };
    // One line: a reason with line breaks still reads on one.
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.is_empty() {
        return None;
    }
    let text = format!("link down: {reason}");
    Some(Line::from(Span::styled(
        ellipsize(&text, width),
        ctx.theme.style(meaning).add_modifier(Modifier::BOLD),
    )))
}

/// Who holds each seat, who is here (a count when the names do not fit) and you.
fn seats_and_presence(ctx: &ViewCtx, link: &Link, width: usize) -> Line<'static> {
    let theme = ctx.theme;
    let state = ctx.state;
    let mut seats = Vec::new();
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
        seats.push(Span::styled(
            format!("{short} "),
            theme.style(Meaning::Muted),
        ));
        match state.holder(role) {
            Some(who) => seats.push(Span::styled(
                who.to_string(),
                theme.style(Meaning::Text).add_modifier(Modifier::BOLD),
            )),
            None if role == Role::Commander => {
                seats.push(Span::styled("none!", theme.style(Meaning::Danger)))
            }
            None => seats.push(Span::styled("—", theme.style(Meaning::Muted))),
        }
        seats.push(Span::raw("  "));
    }
    let you = Span::styled(format!("you: {}", ctx.me), theme.style(Meaning::Muted));
    let named = |spans: &mut Vec<Span<'static>>| {
        if !link.here.is_empty() {
            spans.push(Span::styled("here ", theme.style(Meaning::Muted)));
            spans.push(Span::styled(
                link.here.join(", "),
                theme.style(Meaning::Info),
            ));
            spans.push(Span::raw("  "));
        }
    };
    let mut full = seats.clone();
    named(&mut full);
    full.push(you.clone());
    if line_width(&full) <= width || link.here.len() < 2 {
        return fit_line(Line::from(full), width);
    }
    // The names do not fit: how many are here says enough.
    let mut counted = seats;
    counted.push(Span::styled(
        format!("{} here", link.here.len()),
        theme.style(Meaning::Info),
    ));
    counted.push(Span::raw("  "));
    counted.push(you);
    fit_line(Line::from(counted), width)
}

/// The clocks still running, most urgent first, packed into one line and wrapped onto
/// a second; what does not fit even then is counted at the end.
fn clock_lines(ctx: &ViewCtx, width: usize) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let mut chunks = Vec::new();
    for clock in clocks::compute(ctx.state, ctx.runbooks, ctx.now)
        .into_iter()
        .filter(|c| c.state != ClockState::Met)
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
        chunks.push(Span::styled(
            ellipsize(&format!("⏱ {mark}{} {when}", clock.label), width),
            style,
        ));
    }
    if chunks.is_empty() {
        return vec![Line::from(Span::styled(
            "no clocks running",
            theme.style(Meaning::Muted),
        ))];
    }
    const GAP: &str = "   ";
    let total = chunks.len();
    let mut lines: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut placed = 0;
    for chunk in chunks {
        // The last line keeps room to say how many did not fit.
        let more = if lines.len() == CLOCK_LINES && placed + 1 < total {
            format!("{GAP}+{} more", total - placed - 1).len()
        } else {
            0
        };
        let count = lines.len();
        let Some(line) = lines.last_mut() else { break };
        let gap = if line.is_empty() { 0 } else { GAP.len() };
        if line_width(line) + gap + chunk.width() + more <= width || line.is_empty() {
            if gap > 0 {
                line.push(Span::raw(GAP));
            }
            line.push(chunk);
            placed += 1;
        } else if count < CLOCK_LINES {
            lines.push(vec![chunk]);
            placed += 1;
        } else {
            break;
        }
    }
    if placed < total
        && let Some(line) = lines.last_mut()
    {
        line.push(Span::styled(
            format!("{GAP}+{} more", total - placed),
            theme.style(Meaning::Warn),
        ));
    }
    lines
        .into_iter()
        .map(|spans| fit_line(Line::from(spans), width))
        .collect()
}

/// Lines of clocks at most.
const CLOCK_LINES: usize = 2;

fn line_width(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.width()).sum()
}

/// The header's rows at this width: 3, one more when the clocks wrap and one more
/// while the link is down.
pub fn height(ctx: &ViewCtx, link: &Link, width: u16) -> u16 {
    u16::try_from(lines(ctx, link, usize::from(width)).len()).unwrap_or(HEIGHT)
}

pub fn render(ctx: &ViewCtx, link: &Link, area: Rect, buf: &mut Buffer) {
    let lines = lines(ctx, link, usize::from(area.width));
    Paragraph::new(lines).render(area, buf);
}
