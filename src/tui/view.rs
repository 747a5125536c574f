//! Draws the whole console from the app: header, the layout's panes, the status line
//! with key hints, and any overlay on top. Nothing here changes state except list
//! scroll positions the panes keep.

use super::app::App;
use super::keymap::{self, Context};
use super::layout::PaneKind;
use super::modal::{self, Modal};
use super::panes::header::{self, Link};
use super::panes::{ViewCtx, ellipsize};
use super::theme::Meaning;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget, Wrap};

pub fn render(app: &mut App, frame: &mut Frame) {
    let area = frame.area();
    app.size = (area.width, area.height);
    let [head, body, status] = Layout::vertical([
        Constraint::Length(header::HEIGHT),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let roles = app.roles();
    let visible = app.visible_panes();
    let compact = app.current_layout().name == "compact";
    {
        let ctx = ViewCtx {
            state: &app.state,
            runbooks: &app.runbooks,
            theme: &app.theme,
            now: app.now,
            me: &app.me.name,
            roles: &roles,
            number: 0,
        };
        let link = Link {
            connection: &app.connection,
            pending: app.pending.len(),
            hub: &app.hub_label,
            here: &app.here,
        };
        header::render(&ctx, &link, head, frame.buffer_mut());
    }
    let body = if compact {
        let [tabs, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(body);
        render_tabs(app, &visible, tabs, frame);
        rest
    } else {
        body
    };
    let placed = app.current_layout().arrange(body, Some(app.focus));
    for (kind, rect) in placed {
        let number = visible.iter().position(|p| *p == kind).map_or(0, |i| i + 1);
        let ctx = ViewCtx {
            state: &app.state,
            runbooks: &app.runbooks,
            theme: &app.theme,
            now: app.now,
            me: &app.me.name,
            roles: &roles,
            number,
        };
        app.panes
            .get(kind)
            .render(&ctx, rect, frame.buffer_mut(), kind == app.focus);
    }
    render_status(app, status, frame);
    render_modal(app, area, frame);
    super::safe_cells::clean(frame.buffer_mut());
}

fn render_tabs(app: &App, visible: &[PaneKind], area: Rect, frame: &mut Frame) {
    let theme = &app.theme;
    let mut spans = Vec::new();
    for (i, kind) in visible.iter().enumerate() {
        let style = if *kind == app.focus {
            theme
                .style(Meaning::Focus)
                .add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            theme.style(Meaning::Muted)
        };
        spans.push(Span::styled(format!(" {} {} ", i + 1, kind.title()), style));
        spans.push(Span::raw(" "));
    }
    Paragraph::new(Line::from(spans)).render(area, frame.buffer_mut());
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
            let hint = app.panes.get(app.focus).hint();
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

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

fn overlay_block(theme: &super::theme::Theme, title: String) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.style(Meaning::Focus))
        .title(Span::styled(
            title,
            theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
        ))
}

fn render_modal(app: &mut App, area: Rect, frame: &mut Frame) {
    let Some(modal) = app.modal.as_mut() else {
        return;
    };
    let theme = app.theme.clone();
    let focus_context = match app.focus {
        PaneKind::Timeline => Context::Timeline,
        PaneKind::Checklist => Context::Checklist,
        PaneKind::Blast => Context::Blast,
        PaneKind::Comms => Context::Comms,
        PaneKind::Actions => Context::Actions,
    };
    match modal {
        Modal::Help { scroll } => {
            let rect = centered(area, 76, area.height.saturating_sub(2));
            let mut lines = Vec::new();
            let mut current = None;
            for binding in keymap::help_for(focus_context) {
                if current != Some(binding.context) {
                    current = Some(binding.context);
                    lines.push(Line::from(Span::styled(
                        binding.context.title(),
                        theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
                    )));
                }
                let keys: Vec<String> = binding.keys.iter().map(|k| k.label()).collect();
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("  {:<14}", keys.join(" / ")),
                        theme.style(Meaning::Focus),
                    ),
                    Span::styled(binding.description, theme.style(Meaning::Text)),
                ]));
            }
            let block = Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Double)
                .border_style(theme.style(Meaning::Focus))
                .title(" Keys — ↑↓ scroll, any other key closes ");
            Clear.render(rect, frame.buffer_mut());
            Paragraph::new(lines)
                .block(block)
                .scroll((*scroll, 0))
                .render(rect, frame.buffer_mut());
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
            let rect = centered(area, 70, 3);
            Clear.render(rect, frame.buffer_mut());
            input.set_block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_type(BorderType::Double)
                    .border_style(theme.style(Meaning::Focus))
                    .title(format!(" {} — Enter ok, Esc cancel ", prompt.title)),
            );
            input.set_cursor_line_style(ratatui::style::Style::default());
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
            let block = overlay_block(&theme, title);
            let inner = block.inner(rect);
            block.render(rect, frame.buffer_mut());
            let rows = usize::from(inner.height);
            let first = selected.saturating_sub(rows.saturating_sub(1));
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
        Modal::Confirm { title, detail, .. } => {
            // Height after wrapping at the dialog's inner width, so the yes/no line
            // is never pushed out of view by long lines.
            let inner = usize::from(area.width.min(78).saturating_sub(2)).max(1);
            let lines: usize = detail
                .lines()
                .map(|l| {
                    unicode_width::UnicodeWidthStr::width(l)
                        .div_ceil(inner)
                        .max(1)
                })
                .sum();
            let height = u16::try_from(lines + 4).unwrap_or(u16::MAX);
            let rect = centered(area, 78, height.min(area.height));
            Clear.render(rect, frame.buffer_mut());
            let mut text: Vec<Line> = detail
                .lines()
                .map(|l| Line::from(Span::raw(l.to_string())))
                .collect();
            text.push(Line::from(""));
            text.push(Line::from(Span::styled(
                "y: yes, do it   n / Esc: no",
                theme.style(Meaning::Warn).add_modifier(Modifier::BOLD),
            )));
            let block = Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Double)
                .border_style(theme.style(Meaning::Warn))
                .title(format!(" {title} "));
            Paragraph::new(text)
                .block(block)
                .wrap(Wrap { trim: false })
                .render(rect, frame.buffer_mut());
        }
        Modal::QuitConfirm { detail } => {
            let rect = centered(
                area,
                70,
                (detail.lines().count() as u16 + 5).min(area.height),
            );
            Clear.render(rect, frame.buffer_mut());
            let mut text = vec![Line::from("You still have:")];
            text.extend(detail.lines().map(|l| Line::from(format!("  • {l}"))));
            text.push(Line::from(""));
            text.push(Line::from(Span::styled(
                "Quit anyway? y: quit   n / Esc: stay",
                theme.style(Meaning::Warn).add_modifier(Modifier::BOLD),
            )));
            let block = Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Double)
                .border_style(theme.style(Meaning::Danger))
                .title(" Unsent work ");
            Paragraph::new(text)
                .block(block)
                .wrap(Wrap { trim: false })
                .render(rect, frame.buffer_mut());
        }
    }
}
