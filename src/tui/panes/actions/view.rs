//! Drawing the actions pane: the list (headings, actions, runs) and the details of the
//! selected row.

use super::{Item, NO_ACTIONS, joined, may, suggested_by};
use crate::incident::action::{ActionKind, ActionSpec};
use crate::incident::state::{ActionRun, RunOutcome, RunStatus};
use crate::tui::layout::PaneKind;
use crate::tui::panes::{ViewCtx, ellipsize, frame};
use crate::tui::theme::Meaning;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};
use unicode_width::UnicodeWidthStr;

fn run_style(status: RunStatus, ctx: &ViewCtx) -> Style {
    let theme = ctx.theme;
    match status {
        RunStatus::AwaitingApproval => theme.style(Meaning::Warn).add_modifier(Modifier::BOLD),
        RunStatus::Finished(RunOutcome::Failed | RunOutcome::Unknown) => {
            theme.style(Meaning::Danger).add_modifier(Modifier::BOLD)
        }
        RunStatus::Finished(RunOutcome::Succeeded) => theme.style(Meaning::Ok),
        RunStatus::Ready | RunStatus::Running => theme.style(Meaning::Info),
        RunStatus::DryRun | RunStatus::Denied => theme.style(Meaning::Muted),
    }
}

fn params_text(run: &ActionRun) -> String {
    run.params
        .iter()
        .map(|(k, v)| format!(" {k}={v}"))
        .collect()
}

fn heading(text: &str, ctx: &ViewCtx) -> Line<'static> {
    let style = ctx.theme.style(Meaning::Title).add_modifier(Modifier::BOLD);
    Line::styled(text.to_string(), style)
}

/// One list row for `item`, `title_width` columns for titles.
fn row(item: &Item, ctx: &ViewCtx, width: usize, title_width: usize) -> Line<'static> {
    let theme = ctx.theme;
    let muted = theme.style(Meaning::Muted);
    let pad = |text: &str| {
        let cut = ellipsize(text, title_width);
        let fill = " ".repeat(title_width.saturating_sub(cut.width()));
        cut + &fill
    };
    match item {
        Item::Action { spec, suggested } => {
            let (mark, meaning) = match may(&spec.roles, ctx) {
                true => ("✓ ", Meaning::Ok),
                false => ("✗ ", Meaning::Danger),
            };
            let two = if spec.two_person {
                " two-person"
            } else {
                "           "
            };
            let mut rest = match width >= 90 {
                true => format!(" {:<24}", joined(&spec.roles)),
                false => String::new(),
            };
            if *suggested {
                rest = format!("{rest} ← {}", suggested_by(ctx, &spec.id).join(", "));
            }
            let used = 4 + title_width + two.width();
            Line::from(vec![
                Span::styled(mark, theme.style(meaning)),
                Span::styled(pad(&spec.title), theme.style(Meaning::Text)),
                Span::styled(two, theme.style(Meaning::Warn)),
                Span::styled(ellipsize(&rest, width.saturating_sub(used)), muted),
            ])
        }
        Item::Missing { id } => {
            let text = format!(
                "{id}: not on this hub ← {}",
                suggested_by(ctx, id).join(", ")
            );
            Line::from(vec![
                Span::styled("? ", theme.style(Meaning::Warn)),
                Span::styled(ellipsize(&text, width.saturating_sub(4)), muted),
            ])
        }
        Item::Run(run) => {
            let status = format!("#{:<4} {:<17}", run.run, run.status.label());
            let mut rest = format!(
                " {}{} · {} {}",
                run.title,
                params_text(run),
                run.requested_by,
                run.requested_at.format("%H:%M")
            );
            if let Some(first) = run.excerpt.lines().find(|l| !l.trim().is_empty()) {
                rest.push_str(&format!(" · {}", first.trim()));
            }
            let used = 2 + status.width();
            Line::from(vec![
                Span::styled(status, run_style(run.status, ctx)),
                Span::styled(
                    ellipsize(&rest, width.saturating_sub(used)),
                    theme.style(Meaning::Text),
                ),
            ])
        }
    }
}

/// The list with its headings, as two parts (actions, then runs); returns each part's
/// lines and, for each item, its part and line.
fn lines(
    items: &[Item],
    ctx: &ViewCtx,
    width: usize,
) -> ([Vec<Line<'static>>; 2], Vec<(usize, usize)>) {
    let title_width = (items.iter())
        .filter_map(|i| match i {
            Item::Action { spec, .. } => Some(spec.title.width()),
            _ => None,
        })
        .max()
        .unwrap_or(0)
        .min(width / 2);
    let mut parts: [Vec<Line<'static>>; 2] = [Vec::new(), Vec::new()];
    let mut at = Vec::with_capacity(items.len());
    let mut section = "";
    let any_suggested = items.iter().any(|i| {
        matches!(
            i,
            Item::Missing { .. }
                | Item::Action {
                    suggested: true,
                    ..
                }
        )
    });
    if ctx.runbooks.actions.is_empty() {
        let warn = ctx.theme.style(Meaning::Warn);
        for sentence in NO_ACTIONS.split_inclusive(". ") {
            parts[0].push(Line::styled(ellipsize(sentence.trim(), width), warn));
        }
    }
    for item in items {
        let (part, name) = match item {
            Item::Action {
                suggested: true, ..
            }
            | Item::Missing { .. } => (0, "Suggested by the applied playbooks"),
            Item::Action { .. } if any_suggested => (0, "Other actions"),
            Item::Action { .. } => (0, "Actions · ✓ you may request · ✗ you may not"),
            Item::Run(_) => (1, "Runs in this incident"),
        };
        let lines = &mut parts[part];
        if name != section {
            if !lines.is_empty() {
                lines.push(Line::default());
            }
            lines.push(heading(name, ctx));
            section = name;
        }
        at.push((part, lines.len()));
        let mut line = row(item, ctx, width, title_width);
        line.spans.insert(0, Span::raw("  "));
        lines.push(line);
    }
    (parts, at)
}

/// Shows `lines` in `area`, scrolled so that line `cursor` (if any) is visible.
fn show(lines: Vec<Line<'static>>, cursor: Option<usize>, area: Rect, buf: &mut Buffer) {
    let height = usize::from(area.height);
    let first = cursor.map_or(0, |c| (c + 1).saturating_sub(height));
    let shown: Vec<Line> = lines.into_iter().skip(first).take(height).collect();
    Paragraph::new(shown).render(area, buf);
}

fn action_details(spec: &ActionSpec, ctx: &ViewCtx) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let (muted, text) = (theme.style(Meaning::Muted), theme.style(Meaning::Text));
    let kind = match spec.kind {
        ActionKind::Http => "http",
        ActionKind::Exec => "exec",
        ActionKind::PagerDuty => "pagerduty",
    };
    let mut head = vec![
        Span::styled(
            spec.title.clone(),
            theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
        ),
        Span::styled(format!(" · {} · {kind}", spec.id), muted),
    ];
    if spec.two_person {
        head.push(Span::styled(" · two-person", theme.style(Meaning::Warn)));
    }
    if spec.confirm {
        head.push(Span::styled(" · confirm first", muted));
    }
    let you = match joined(&ctx.granted.iter().copied().collect::<Vec<_>>()) {
        mine if mine.is_empty() => "no role".to_string(),
        mine => mine,
    };
    let (verdict, meaning) = match may(&spec.roles, ctx) {
        true => (format!("you may request it (you: {you})"), Meaning::Ok),
        false => (format!("you may not (you: {you})"), Meaning::Danger),
    };
    let call = match spec.kind {
        ActionKind::Http => format!(
            "Calls: {} {}",
            spec.method.as_deref().unwrap_or("POST"),
            spec.url.as_deref().unwrap_or_default()
        ),
        ActionKind::Exec => format!("Runs: {:?}", spec.argv.clone().unwrap_or_default()),
        ActionKind::PagerDuty => format!(
            "Pages: PagerDuty Events API v2 at {}",
            spec.url
                .as_deref()
                .unwrap_or(crate::incident::action::pagerduty::EVENTS_URL)
        ),
    };
    let mut lines = vec![
        Line::from(head),
        Line::styled(call, text),
        Line::from(vec![
            Span::styled(format!("Roles: {} — ", joined(&spec.roles)), text),
            Span::styled(verdict, theme.style(meaning)),
        ]),
        Line::styled(spec.description.clone(), text),
    ];
    if !spec.params.is_empty() {
        let asks: Vec<String> = (spec.params.iter())
            .map(|p| format!("{} ({})", p.name, p.description))
            .collect();
        lines.push(Line::styled(
            format!("Asks for: {}", asks.join("; ")),
            muted,
        ));
    }
    lines
}

fn run_details(run: &ActionRun, ctx: &ViewCtx) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let (muted, text) = (theme.style(Meaning::Muted), theme.style(Meaning::Text));
    let mut status = run.status.label().to_string();
    if let Some(code) = run.result_status {
        status.push_str(&format!(" · status {code}"));
    }
    if run.attempts > 1 {
        status.push_str(&format!(" · {} attempts", run.attempts));
    }
    let decided = run
        .decided_by
        .as_ref()
        .map_or(String::new(), |who| format!(" · decided by {who}"));
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                format!("#{} {} ", run.run, run.title),
                theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
            ),
            Span::styled(status, run_style(run.status, ctx)),
        ]),
        Line::styled(
            format!(
                "requested by {} at {}{}{decided}",
                run.requested_by,
                run.requested_at.format("%H:%M UTC"),
                params_text(run)
            ),
            muted,
        ),
    ];
    if run.status == RunStatus::AwaitingApproval {
        let who = format!(
            "needs a different responder with one of {}: A approves, D denies",
            joined(&run.roles)
        );
        lines.push(Line::styled(who, theme.style(Meaning::Warn)));
    }
    lines.extend(
        run.excerpt
            .lines()
            .map(|l| Line::styled(l.to_string(), text)),
    );
    lines.extend(
        run.preview
            .describe()
            .lines()
            .map(|l| Line::styled(l.to_string(), muted)),
    );
    lines
}

pub(super) fn render(
    items: &[Item],
    selected: usize,
    ctx: &ViewCtx,
    area: Rect,
    buf: &mut Buffer,
    focused: bool,
) {
    let theme = ctx.theme;
    let muted = theme.style(Meaning::Muted);
    let waiting = (ctx.state.action_runs.iter())
        .filter(|r| r.status == RunStatus::AwaitingApproval)
        .count();
    let mut count = format!("{} actions", ctx.runbooks.actions.len());
    if waiting > 0 {
        count.push_str(&format!(" · {waiting} awaiting approval"));
    }
    let style = match waiting {
        0 => muted,
        _ => theme.style(Meaning::Warn).add_modifier(Modifier::BOLD),
    };
    let block = frame(
        theme,
        ctx.number,
        PaneKind::Actions.title(),
        Some(Span::styled(count, style)),
        focused,
    );
    let inner = block.inner(area);
    block.render(area, buf);
    let detail_rows = match inner.height >= 8 && !items.is_empty() {
        true => (inner.height / 2).min(10),
        false => 0,
    };
    let [list_area, detail_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(detail_rows)]).areas(inner);
    let width = usize::from(list_area.width);
    let ([mut actions, mut runs], at) = lines(items, ctx, width);
    let cursor = at.get(selected).copied();
    if let Some((part, line)) = cursor {
        let lines = if part == 0 { &mut actions } else { &mut runs };
        lines[line].spans[0] = Span::styled("▸ ", theme.style(Meaning::Focus));
        if focused {
            lines[line] = lines[line].clone().style(theme.style(Meaning::Selection));
        }
    }
    // The runs (those awaiting approval first) keep a place of their own below the
    // actions, so a pending approval is never scrolled out of sight.
    let runs_rows = match (runs.is_empty(), actions.is_empty()) {
        (true, _) => 0,
        (false, true) => list_area.height,
        (false, false) => (runs.len() as u16).min((list_area.height / 3).max(3)),
    };
    let [actions_area, runs_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(runs_rows)]).areas(list_area);
    let on = |part: usize| cursor.filter(|c| c.0 == part).map(|c| c.1);
    show(actions, on(0), actions_area, buf);
    show(runs, on(1), runs_area, buf);

    let Some(item) = items.get(selected) else {
        return;
    };
    let (details, keys) = match item {
        Item::Action { spec, .. } => (action_details(spec, ctx), " r run · p dry run "),
        Item::Run(run) if run.status == RunStatus::AwaitingApproval => {
            (run_details(run, ctx), " A approve · D deny ")
        }
        Item::Run(run) => (run_details(run, ctx), ""),
        Item::Missing { id } => (
            vec![Line::styled(
                format!(
                    "{id}: a playbook suggests it, but this hub's actions file does not define it (docs/ACTIONS.md)"
                ),
                theme.style(Meaning::Warn),
            )],
            "",
        ),
    };
    let block = (Block::default().borders(Borders::TOP))
        .border_style(theme.style(Meaning::Border))
        .title(Span::styled(" Details ", muted))
        .title_top(Line::styled(keys, muted).right_aligned());
    Paragraph::new(details)
        .wrap(Wrap { trim: false })
        .block(block)
        .render(detail_area, buf);
}
