//! Draws the whole console from the app: the banner announcing another incident (when
//! there is one), the header, the layout's panes and tab bars, the note composer over
//! the body when the timeline is not on screen, the status line with key hints, and
//! any overlay on top. Nothing here changes state except list scroll positions the
//! panes keep.

use super::app::App;
use super::dialog::Dialog;
use super::dialog::centered;
use super::incidents;
use super::keymap::Context;
use super::layout::{PaneKind, TabBar};
use super::modal::{self, Modal};
use super::panes::header::{self, Link};
use super::panes::{Pane, ViewCtx, ellipsize, fit_line};
use super::reader;
use super::theme::Meaning;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget};

pub fn render(app: &mut App, frame: &mut Frame) {
    let area = frame.area();
    app.size = (area.width, area.height);
    app.remember_focus();
    let roles = app.roles();
    let link = Link {
        connection: &app.connection,
        pending: app.unacknowledged(),
        // Named only when there is a choice: which of several hubs the link is on.
        hub: if app.hub_label.contains(',') {
            &app.hub_now
        } else {
            ""
        },
        here: &app.here,
    };
    let ctx = ViewCtx {
        state: &app.state,
        runbooks: &app.runbooks,
        theme: &app.theme,
        now: app.now,
        me: &app.me.name,
        roles: &roles,
        granted: &app.me.roles,
        number: 0,
    };
    let head_h = header::height(&ctx, &link, area.width);
    let banner_h = u16::from(app.banner.is_some());
    let [banner, head, body, status] = Layout::vertical([
        Constraint::Length(banner_h),
        Constraint::Length(head_h),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    header::render(&ctx, &link, head, frame.buffer_mut());
    incidents::render_banner(app, banner, frame.buffer_mut());
    let placed = app.current_layout().arrange(body, &app.recent);
    for bar in &placed.tab_bars {
        render_tabs(app, bar, frame);
    }
    let timeline_placed = placed
        .panes
        .iter()
        .any(|(kind, _)| *kind == PaneKind::Timeline);
    for (kind, rect) in placed.panes {
        let ctx = ViewCtx {
            number: kind.number(),
            ..ctx
        };
        app.panes
            .get(kind)
            .render(&ctx, rect, frame.buffer_mut(), kind == app.focus);
    }
    if let Some(postmortem) = app.postmortem.as_mut() {
        postmortem.render(&ctx, body, frame.buffer_mut());
    }
    // The composer over the view too: the timeline is under it.
    if (!timeline_placed || app.postmortem.is_some()) && app.panes.timeline.composing() {
        render_composer_overlay(app, body, frame);
    }
    render_status(app, status, frame);
    render_modal(app, area, frame);
    super::safe_cells::clean(frame.buffer_mut());
}

/// The note composer over the foot of the body, when the timeline is not on screen.
fn render_composer_overlay(app: &mut App, body: Rect, frame: &mut Frame) {
    let Some(height) = (app.panes.timeline.editor.as_ref()).map(|e| e.height(body.width)) else {
        return;
    };
    let height = height.min(body.height);
    let rect = Rect {
        y: body.bottom().saturating_sub(height),
        height,
        ..body
    };
    Clear.render(rect, frame.buffer_mut());
    app.panes
        .timeline
        .render_composer(&app.theme, rect, frame.buffer_mut());
}

/// A tab split's bar: each tab's panes with their digits, the shown tab highlighted.
fn render_tabs(app: &App, bar: &TabBar, frame: &mut Frame) {
    let theme = &app.theme;
    let mut spans = Vec::new();
    for (i, tab) in bar.tabs.iter().enumerate() {
        let label: Vec<String> = tab
            .iter()
            .map(|kind| format!("{} {}", kind.number(), kind.title()))
            .collect();
        let style = if i == bar.shown {
            theme
                .style(Meaning::Focus)
                .add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            theme.style(Meaning::Muted)
        };
        spans.push(Span::styled(format!(" {} ", label.join(" · ")), style));
        spans.push(Span::raw(" "));
    }
    let line = fit_line(Line::from(spans), usize::from(bar.area.width));
    Paragraph::new(line).render(bar.area, frame.buffer_mut());
}

fn render_status(app: &mut App, area: Rect, frame: &mut Frame) {
    let theme = &app.theme;
    let width = usize::from(area.width);
    let line = match &app.toast {
        Some(toast) => Line::from(Span::styled(
            ellipsize(toast, width),
            theme.style(Meaning::Warn).add_modifier(Modifier::BOLD),
        )),
        None => {
            // While the composer is open its keys are the ones that matter.
            let hint = match (app.panes.timeline.composing(), &app.postmortem) {
                (true, _) => app.panes.timeline.hint(),
                (false, Some(view)) => view.hint(),
                (false, None) => app.panes.get(app.focus).hint(),
            };
            let tail = "  ? help  : palette  Tab pane  q quit";
            let room = width.saturating_sub(tail.chars().count());
            Line::from(vec![
                Span::styled(ellipsize(hint, room), theme.style(Meaning::Muted)),
                Span::styled(tail, theme.style(Meaning::Muted)),
            ])
        }
    };
    Paragraph::new(line).render(area, frame.buffer_mut());
}

/// A picker's box, its title fitted to `width` columns.
fn overlay_block(theme: &super::theme::Theme, title: String, width: u16) -> Block<'static> {
    let title = Span::styled(
        title,
        theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
    );
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.style(Meaning::Focus))
        .title(fit_line(
            Line::from(title),
            usize::from(width.saturating_sub(2)),
        ))
}

fn render_modal(app: &mut App, area: Rect, frame: &mut Frame) {
    let Some(modal) = app.modal.as_mut() else {
        return;
    };
    let theme = app.theme.clone();
    let focus_context = match (app.postmortem.is_some(), app.focus) {
        (true, _) => Context::Postmortem,
        (false, PaneKind::Timeline) => Context::Timeline,
        (false, PaneKind::Checklist) => Context::Checklist,
        (false, PaneKind::Blast) => Context::Blast,
        (false, PaneKind::Comms) => Context::Comms,
        (false, PaneKind::Actions) => Context::Actions,
    };
    match modal {
        Modal::Help { scroll } => {
            let page = reader::help(&theme, focus_context, area);
            page.render(*scroll, &theme, frame.buffer_mut());
        }
        Modal::Detail { detail, scroll } => {
            let page = reader::detail(&theme, detail, area);
            page.render(*scroll, &theme, frame.buffer_mut());
        }
        Modal::Palette(palette) => {
            let rect = centered(area, 78, area.height.saturating_sub(4).max(6));
            Clear.render(rect, frame.buffer_mut());
            let block = Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Double)
                .border_style(theme.style(Meaning::Focus))
                .title(" Command palette — type to filter, ↑↓ choose, Enter runs, Esc closes ");
            let inner = block.inner(rect);
            block.render(rect, frame.buffer_mut());
            let [input, list] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
            Paragraph::new(Line::from(vec![
                Span::styled("› ", theme.style(Meaning::Focus)),
                Span::raw(palette.query()),
            ]))
            .render(input, frame.buffer_mut());
            let matches = palette.matches();
            let rows = usize::from(list.height);
            let first = palette.selected.saturating_sub(rows.saturating_sub(1));
            let lines: Vec<Line> = matches
                .iter()
                .enumerate()
                .skip(first)
                .take(rows)
                .map(|(i, entry)| {
                    let text = ellipsize(&entry.label, usize::from(list.width));
                    if i == palette.selected {
                        Line::from(Span::styled(text, theme.style(Meaning::Selection)))
                    } else {
                        Line::from(Span::styled(text, theme.style(Meaning::Text)))
                    }
                })
                .collect();
            Paragraph::new(lines).render(list, frame.buffer_mut());
        }
        Modal::Prompt { prompt, input } => {
            // A correction may have several lines: show up to six of them.
            let rows = if prompt.purpose.multiline() {
                u16::try_from(input.lines().len()).unwrap_or(6).clamp(1, 6)
            } else {
                1
            };
            let rect = centered(area, 70, rows + 2);
            Clear.render(rect, frame.buffer_mut());
            input.set_block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_type(BorderType::Double)
                    .border_style(theme.style(Meaning::Focus))
                    .title(format!(" {} — Enter ok, Esc cancel ", prompt.title)),
            );
            input.set_cursor_line_style(ratatui::style::Style::default());
            input.set_selection_style(theme.style(Meaning::Selection));
            (&*input).render(rect, frame.buffer_mut());
        }
        Modal::Picker {
            picker,
            selected,
            filter,
        } => {
            let matches = modal::picker_matches(picker, filter);
            let height = (matches.len() as u16 + 3).clamp(5, area.height.saturating_sub(2));
            let rect = centered(area, 78, height);
            Clear.render(rect, frame.buffer_mut());
            let title = if filter.is_empty() {
                format!(" {} — type to filter ", picker.title)
            } else {
                format!(" {} — “{filter}” ", picker.title)
            };
            let room = usize::from(rect.width.saturating_sub(2));
            let keys = Span::styled(
                " ↑↓ choose · Enter picks · Esc cancels ",
                theme.style(Meaning::Warn).add_modifier(Modifier::BOLD),
            );
            let block = overlay_block(&theme, title, rect.width)
                .title_bottom(fit_line(Line::from(keys), room));
            let inner = block.inner(rect);
            block.render(rect, frame.buffer_mut());
            let rows = usize::from(inner.height);
            let first = selected.saturating_sub(rows.saturating_sub(1));
            if matches.is_empty() && picker.purpose.free_text() && !filter.trim().is_empty() {
                let text = format!(
                    "Enter takes “{}” (nobody listed has that name)",
                    filter.trim()
                );
                let line = Line::from(Span::styled(
                    ellipsize(&text, usize::from(inner.width)),
                    theme.style(Meaning::Selection),
                ));
                Paragraph::new(line).render(inner, frame.buffer_mut());
                return;
            }
            let lines: Vec<Line> = matches
                .iter()
                .enumerate()
                .skip(first)
                .take(rows)
                .map(|(i, (_, label))| {
                    let text = ellipsize(label, usize::from(inner.width));
                    let style = if i == *selected {
                        theme.style(Meaning::Selection)
                    } else {
                        theme.style(Meaning::Text)
                    };
                    Line::from(Span::styled(text, style))
                })
                .collect();
            Paragraph::new(lines).render(inner, frame.buffer_mut());
        }
        Modal::Confirm {
            title,
            detail,
            scroll,
            ..
        } => {
            let text = theme.style(Meaning::Text);
            Dialog {
                title,
                lines: detail.lines().map(|l| (l.to_string(), text)).collect(),
                keys: "y: yes, do it · n / Esc: no",
                border: Meaning::Warn,
                width: 78,
            }
            .render(area, frame.buffer_mut(), &theme, scroll);
        }
        Modal::Guard(guard) => guard.render(&theme, area, frame.buffer_mut()),
        Modal::Followup(form) => form.render(&theme, area, frame.buffer_mut()),
        Modal::QuitConfirm { detail, scroll, to } => {
            let text = theme.style(Meaning::Text);
            let mut lines = vec![("You still have:".to_string(), text)];
            lines.extend(detail.lines().map(|l| (format!("  • {l}"), text)));
            let (title, keys) = match to {
                None => ("Unsent work", "Quit anyway? y: quit · n / Esc: stay"),
                Some(_) => ("Unsent work", "Leave anyway? y: leave · n / Esc: stay"),
            };
            Dialog {
                title,
                lines,
                keys,
                border: Meaning::Danger,
                width: 70,
            }
            .render(area, frame.buffer_mut(), &theme, scroll);
        }
    }
}
