//! Drawing the comms pane: the template list with the last update published, the help
//! shown while no draft is open, and the open draft's preview or editor with what it
//! still misses; also the title's countdown to the next update due.

use super::CommsPane;
use super::draft::markers;
use crate::incident::Status;
use crate::incident::clocks::{self, ClockState, format_duration};
use crate::incident::state::Published;
use crate::incident::template::Template;
use crate::tui::panes::{ViewCtx, ellipsize};
use crate::tui::theme::{Meaning, Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Word-wraps to `width` columns, cutting words longer than a row; keeps blank lines
/// and runs of spaces (templates align columns with them).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    for line in text.lines() {
        let (mut row, mut used, mut fresh) = (String::new(), 0, true);
        for word in line.split(' ') {
            if !fresh && used + 1 + word.width() > width {
                rows.push(std::mem::take(&mut row));
                (used, fresh) = (0, true);
            }
            if !fresh {
                row.push(' ');
                used += 1;
            }
            for c in word.chars() {
                let w = c.width().unwrap_or(0);
                if used + w > width && used > 0 {
                    rows.push(std::mem::take(&mut row));
                    used = 0;
                }
                row.push(c);
                used += w;
            }
            fresh = false;
        }
        rows.push(row);
    }
    rows
}

/// A preview row with its unfilled markers picked out.
fn marked(row: &str, theme: &Theme) -> Line<'static> {
    let (text, warn) = (theme.style(Meaning::Text), theme.style(Meaning::Warn));
    let mut spans = Vec::new();
    let mut rest = row;
    while let Some((before, from)) = rest.split_once('⟨') {
        let (name, tail) = from.split_once('⟩').unwrap_or((from, ""));
        spans.push(Span::styled(before.to_string(), text));
        let marker = format!("⟨{name}{}", if tail.len() < from.len() { "⟩" } else { "" });
        spans.push(Span::styled(marker, warn.add_modifier(Modifier::BOLD)));
        rest = tail;
    }
    spans.push(Span::styled(rest.to_string(), text));
    Line::from(spans)
}

/// The pane title's countdown to the next update due.
pub(super) fn countdown(ctx: &ViewCtx) -> Span<'static> {
    let theme = ctx.theme;
    let clock = clocks::compute(ctx.state, ctx.runbooks, ctx.now)
        .into_iter()
        .find(|c| c.id == "next_update");
    let Some(clock) = clock else {
        let text = match ctx.state.status {
            _ if !ctx.state.exists() => "no incident",
            Status::Resolved => "resolved: no more updates due",
            _ => "no update cadence at this severity",
        };
        return Span::styled(text, theme.style(Meaning::Muted));
    };
    let (text, style) = match clock.state {
        ClockState::Overdue => (
            format!("update OVERDUE by {}", format_duration(ctx.now - clock.due)),
            theme
                .style(Meaning::Danger)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ),
        state => (
            format!("next update in {}", format_duration(clock.due - ctx.now)),
            match state {
                ClockState::Warning => theme.style(Meaning::Warn).add_modifier(Modifier::BOLD),
                _ => theme.style(Meaning::Text),
            },
        ),
    };
    Span::styled(text, style)
}

/// Where the update stands on each channel it went to, a line each, cut to `width`.
fn deliveries(published: &Published, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let lines = published.deliveries.iter().map(|(channel, delivery)| {
        let (mark, meaning) = match delivery.ok {
            Some(true) => ("✓ delivered".to_string(), Meaning::Ok),
            Some(false) if delivery.detail.is_empty() => {
                ("✗ FAILED · R retries".into(), Meaning::Danger)
            }
            Some(false) => (
                format!("✗ FAILED · R retries · {}", delivery.detail),
                Meaning::Danger,
            ),
            None => ("… pending".to_string(), Meaning::Info),
        };
        let room = width.saturating_sub(channel.width() + 3);
        Line::from(vec![
            Span::styled(format!("→ {channel} "), theme.style(Meaning::Text)),
            Span::styled(ellipsize(&mark, room), theme.style(meaning)),
        ])
    });
    lines.collect()
}

impl CommsPane {
    pub(super) fn render_list(
        &self,
        ctx: &ViewCtx,
        list: &[&Template],
        area: Rect,
        buf: &mut Buffer,
    ) {
        let theme = ctx.theme;
        let width = usize::from(area.width);
        let muted = theme.style(Meaning::Muted);
        let last = ctx.state.published.last().map(|p| {
            let (ago, at) = (format_duration(ctx.now - p.at), p.at.format("%H:%M UTC"));
            format!("last: {} · {} {at} · {ago} ago", p.title, p.by)
        });
        let last = last.unwrap_or_else(|| "nothing published yet".into());
        let mut heading: Vec<Line> = (wrap(&last, width).into_iter().take(2))
            .map(|row| Line::styled(row, muted))
            .collect();
        if let Some(last) = ctx.state.published.last() {
            heading.extend(deliveries(last, theme, width));
        }
        // Side by side there is room under the list for the last update's words, which
        // the next update should repeat (the templates ask to keep the symptom as is).
        let roomy = usize::from(area.height) >= list.len() + heading.len() + 3;
        let mut lines = if roomy { Vec::new() } else { heading.clone() };
        let rows = usize::from(area.height).saturating_sub(lines.len());
        let first = (self.selected + 1).saturating_sub(rows);
        for (i, template) in list.iter().enumerate().skip(first).take(rows) {
            let team = ctx.state.drafts.contains_key(&template.id);
            let dirty = (self.work.get(&template.id)).is_some_and(|w| w.dirty);
            let audience = format!("{:?}", template.audience).to_lowercase();
            let tail = [
                Span::styled(if team { " ✎" } else { "  " }, theme.style(Meaning::Info)),
                Span::styled(if dirty { "*" } else { " " }, theme.style(Meaning::Warn)),
                Span::styled(format!(" {audience:<8}"), muted),
            ];
            let room = width.saturating_sub(2 + tail.iter().map(Span::width).sum::<usize>());
            let title = ellipsize(&template.title, room);
            let pad = " ".repeat(room.saturating_sub(title.width()));
            let mut style = theme.style(Meaning::Text);
            if self.open.as_ref() == Some(&template.id) {
                style = style.add_modifier(Modifier::BOLD);
            }
            let cursor = if i == self.selected { "▸ " } else { "  " };
            let mut spans = vec![
                Span::styled(cursor, theme.style(Meaning::Focus)),
                Span::styled(title + &pad, style),
            ];
            spans.extend(tail);
            lines.push(Line::from(spans));
        }
        if roomy {
            lines.push(Line::default());
            lines.extend(heading);
            let text = ctx.state.published.last().map_or("", |p| p.text.as_str());
            lines.extend(
                wrap(text, width)
                    .into_iter()
                    .map(|r| Line::styled(r, muted)),
            );
        }
        Paragraph::new(lines).render(area, buf);
    }

    pub(super) fn render_help(
        &self,
        ctx: &ViewCtx,
        list: &[&Template],
        area: Rect,
        buf: &mut Buffer,
    ) {
        let Some(template) = list.get(self.selected) else {
            return;
        };
        let from = match ctx.state.drafts.get(&template.id) {
            Some(s) => format!("the team draft {} saved at {}", s.by, s.at.format("%H:%M")),
            None => "the incident".into(),
        };
        let text = format!(
            "Enter opens “{}”, filled in from {from}.\nf fills its fields · e edits the text · w saves it for the team · P publishes (shows the exact text first)\n✎ the team saved a draft · * changed here, not saved yet",
            template.title
        );
        let block = Block::default().borders(Borders::TOP);
        let inner = block.inner(area);
        block
            .border_style(ctx.theme.style(Meaning::Border))
            .render(area, buf);
        let muted = ctx.theme.style(Meaning::Muted);
        let rows = wrap(&text, usize::from(inner.width));
        Paragraph::new(
            rows.into_iter()
                .map(|r| Line::styled(r, muted))
                .collect::<Vec<_>>(),
        )
        .render(inner, buf);
    }

    pub(super) fn render_draft(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer) {
        let theme = ctx.theme;
        let Some((template, work, rendered)) = self.current(ctx) else {
            return;
        };
        let (muted, warn) = (theme.style(Meaning::Muted), theme.style(Meaning::Warn));
        let channels = template.channels.join(", ");
        let mut title = vec![
            Span::styled(format!(" {} ", template.title), theme.style(Meaning::Title)),
            Span::styled(format!("→ {channels} "), muted),
        ];
        let state = match (&self.editor, &work.edited) {
            (Some(_), _) => "· editing ",
            (None, Some(_)) => "· edited ",
            _ => "",
        };
        title.push(Span::styled(state, warn.add_modifier(Modifier::BOLD)));
        let text = match &self.editor {
            Some((editor, _)) => editor.lines().join("\n"),
            None => rendered,
        };
        let mut block = (Block::default().borders(Borders::TOP))
            .border_style(theme.style(Meaning::Border))
            .title(Line::from(title));
        let inner = block.inner(area);
        let width = usize::from(inner.width);
        let missing = markers(&text);
        let mut footer = Vec::new();
        match missing.first() {
            None => {
                let ready = format!("ready: P publishes to {channels} · w saves for the team");
                footer.push(Line::styled(
                    ellipsize(&ready, width),
                    theme.style(Meaning::Ok),
                ));
            }
            Some(first) => {
                let names: Vec<String> = missing.iter().map(|m| format!("⟨{m}⟩")).collect();
                let head = format!("missing {} — f fills", names.join(" "));
                footer.push(Line::styled(ellipsize(&head, width), warn));
                // The field's own guidance: the prompt box may be too narrow to show it.
                if let Some(prompt) = template.fields.get(first).filter(|_| inner.height >= 8) {
                    let line = ellipsize(&format!("⟨{first}⟩ {prompt}"), width);
                    footer.push(Line::styled(line, muted));
                }
            }
        }
        if let Some(saved) = ctx
            .state
            .drafts
            .get(&template.id)
            .filter(|_| inner.height >= 6)
        {
            let at = saved.at.format("%H:%M UTC");
            let line = ellipsize(&format!("team draft saved by {} at {at}", saved.by), width);
            footer.push(Line::styled(line, theme.style(Meaning::Info)));
        }
        let [body, foot] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(footer.len() as u16)])
                .areas(inner);
        let rows = wrap(&text, usize::from(body.width));
        let height = usize::from(body.height);
        self.scroll = self.scroll.min(rows.len().saturating_sub(height));
        if rows.len() > height && self.editor.is_none() {
            let shown = (self.scroll + height).min(rows.len());
            let at = format!(" {}-{shown}/{} PgDn ", self.scroll + 1, rows.len());
            block = block.title_top(Line::styled(at, muted).right_aligned());
        }
        block.render(area, buf);
        Paragraph::new(footer).render(foot, buf);
        if let Some((editor, _)) = self.editor.as_mut() {
            editor.set_cursor_line_style(Style::default());
            (&*editor).render(body, buf);
            return;
        }
        let lines: Vec<Line> = (rows.iter().skip(self.scroll).take(height))
            .map(|row| marked(row, theme))
            .collect();
        Paragraph::new(lines).render(body, buf);
    }
}
