//! Draws the post-mortem view over the panes: the list (sections with written or
//! not, who and when, a draft ready; then the follow-ups), and beside it (below it
//! when narrow) the selected section's text wrapped and scrolled — the Remediations
//! section with the follow-ups under it — or the section's editor, or a follow-up.

use super::{PostmortemView, Row, may_write, rows};
use crate::incident::followup::{Followup, FollowupState};
use crate::incident::postmortem::{SECTIONS, draft};
use crate::tui::dialog::Dialog;
use crate::tui::panes::{ViewCtx, ellipsize, fit_line};
use crate::tui::theme::Meaning;
use crate::tui::wrap;
use chrono::NaiveDate;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget};

impl PostmortemView {
    pub fn render(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer) {
        let theme = ctx.theme;
        let state = ctx.state;
        let all = rows(state);
        self.selected = self.selected.min(all.len().saturating_sub(1));
        let written = SECTIONS
            .iter()
            .filter(|(id, _)| state.postmortem.contains_key(*id))
            .count();
        let read_only = if may_write(ctx.roles) {
            ""
        } else {
            " · read-only"
        };
        let title = Line::from(vec![
            Span::styled(
                " Post-mortem ",
                theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                format!(
                    "{} · {written} of {} sections written{read_only} ",
                    state.id,
                    SECTIONS.len()
                ),
                theme.style(Meaning::Muted),
            ),
        ]);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Thick)
            .border_style(theme.style(Meaning::Focus).add_modifier(Modifier::BOLD))
            .title(fit_line(title, usize::from(area.width.saturating_sub(2))));
        Clear.render(area, buf);
        let inner = block.inner(area);
        block.render(area, buf);
        let [list, detail] = if inner.width >= 70 {
            let left = if inner.width >= 120 { 46 } else { 34 };
            let [l, _, d] = Layout::horizontal([
                Constraint::Length(left),
                Constraint::Length(1),
                Constraint::Min(1),
            ])
            .areas(inner);
            [l, d]
        } else {
            let rows = u16::try_from(all.len() + 1).unwrap_or(u16::MAX);
            let rows = rows.min(inner.height / 2);
            Layout::vertical([Constraint::Length(rows), Constraint::Min(0)]).areas(inner)
        };
        self.render_list(ctx, &all, list, buf);
        match self.editor.as_mut() {
            Some(editor) => editor.render(theme, detail, buf),
            None => self.render_detail(ctx, detail, buf),
        }
        if self.asking_discard {
            let title = self.editor.as_ref().map_or("", |e| e.title);
            let mut scroll = 0;
            Dialog {
                title: "Throw away your changes?",
                lines: vec![(
                    format!("Your changes to “{title}” are not saved."),
                    theme.style(Meaning::Text),
                )],
                keys: "y: throw them away · n / Esc: keep editing",
                border: Meaning::Danger,
                width: 60,
            }
            .render(area, buf, theme, &mut scroll);
        }
    }

    fn render_list(&self, ctx: &ViewCtx, all: &[Row], area: Rect, buf: &mut Buffer) {
        let theme = ctx.theme;
        let state = ctx.state;
        let width = usize::from(area.width);
        let today = ctx.now.date_naive();
        // (line, is the selected row)
        let mut lines: Vec<(Line<'static>, bool)> = Vec::new();
        for (i, row) in all.iter().enumerate() {
            let selected = i == self.selected;
            if let Row::Followup(_) = row
                && i == SECTIONS.len()
            {
                lines.push((Line::default(), false));
                lines.push((
                    Line::from(Span::styled(
                        "Follow-ups (the remediations)",
                        theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
                    )),
                    false,
                ));
            }
            let (text, style) = match row {
                Row::Section(index) => {
                    let (id, title) = SECTIONS[*index];
                    match state.postmortem.get(id) {
                        Some(s) => (
                            format!("✓ {title:<20} {} {}", s.by, s.at.format("%H:%M")),
                            theme.style(Meaning::Ok),
                        ),
                        None if draft(state, ctx.runbooks, ctx.now, id).is_some() => (
                            format!("○ {title:<20} draft ready"),
                            theme.style(Meaning::Text),
                        ),
                        None => (
                            format!("○ {title:<20} not written"),
                            theme.style(Meaning::Muted),
                        ),
                    }
                }
                Row::Followup(n) => {
                    let Some(f) = state.followups.iter().find(|f| f.number == *n) else {
                        continue;
                    };
                    let late = if f.overdue(today) { "! " } else { "" };
                    let style = match (f.state, f.overdue(today)) {
                        (_, true) => theme.style(Meaning::Danger),
                        (FollowupState::Open, false) => theme.style(Meaning::Text),
                        _ => theme.style(Meaning::Muted),
                    };
                    (
                        format!("{} #{} {late}{} ({})", mark(f), f.number, f.text, f.owner),
                        style,
                    )
                }
            };
            let style = if selected {
                theme.style(Meaning::Selection)
            } else {
                style
            };
            let text = format!("{:<width$}", ellipsize(&text.replace('\n', " "), width));
            lines.push((Line::from(Span::styled(text, style)), selected));
        }
        let height = usize::from(area.height);
        let at = lines.iter().position(|(_, s)| *s).unwrap_or(0);
        let first = at.saturating_sub(height.saturating_sub(1));
        let shown: Vec<Line> = lines
            .into_iter()
            .skip(first)
            .take(height)
            .map(|(l, _)| l)
            .collect();
        Paragraph::new(shown).render(area, buf);
    }

    fn render_detail(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer) {
        let theme = ctx.theme;
        let state = ctx.state;
        let width = usize::from(area.width).max(1);
        let today = ctx.now.date_naive();
        let text_style = theme.style(Meaning::Text);
        let muted = theme.style(Meaning::Muted);
        let bold = theme.style(Meaning::Title).add_modifier(Modifier::BOLD);
        let mut head: Vec<(String, Style)> = Vec::new();
        let mut body: Vec<(String, Style)> = Vec::new();
        match self.row(state) {
            Some(Row::Section(index)) => {
                let (id, title) = SECTIONS[index];
                head.push((title.to_string(), bold));
                let read_only = !may_write(ctx.roles);
                match state.postmortem.get(id) {
                    Some(s) => {
                        let how = if read_only {
                            " (read-only for your roles)"
                        } else {
                            " · Enter edits"
                        };
                        head.push((
                            format!(
                                "written by {} at {}{how}",
                                s.by,
                                s.at.format("%Y-%m-%d %H:%M UTC")
                            ),
                            muted,
                        ));
                        body.push((s.text.clone(), text_style));
                    }
                    None => {
                        let proposed = draft(state, ctx.runbooks, ctx.now, id);
                        let how = match (read_only, proposed.is_some()) {
                            (true, _) => "not written yet (read-only for your roles)",
                            (false, true) => {
                                "not written yet · a draft from the incident is ready: Enter starts from it"
                            }
                            (false, false) => "not written yet · Enter writes it",
                        };
                        head.push((how.to_string(), muted));
                        if let Some(proposed) = proposed {
                            body.push(("Draft (not saved):".into(), muted));
                            body.push((proposed, muted));
                        }
                    }
                }
                if id == "remediations" {
                    body.push((String::new(), text_style));
                    body.push(("Follow-ups — the remediations (F adds one):".into(), bold));
                    if state.followups.is_empty() {
                        body.push(("none yet".into(), muted));
                    }
                    for f in &state.followups {
                        body.push((followup_line(f, today), followup_style(ctx, f, today)));
                    }
                }
            }
            Some(Row::Followup(n)) => {
                if let Some(f) = state.followups.iter().find(|f| f.number == n) {
                    head.push((format!("Follow-up #{}", f.number), bold));
                    head.push((
                        "x done · W won't do · O reopen · Enter shows it in full".into(),
                        muted,
                    ));
                    body.push((f.text.clone(), text_style));
                    body.push((String::new(), text_style));
                    let late = if f.overdue(today) { " — OVERDUE" } else { "" };
                    body.push((format!("Owner:    {}", f.owner), text_style));
                    body.push((
                        format!("Due:      {}{late}", f.due),
                        followup_style(ctx, f, today),
                    ));
                    body.push((format!("Priority: {}", f.priority), text_style));
                    body.push((format!("State:    {}", f.state.label()), text_style));
                }
            }
            None => {}
        }
        let head_rows: Vec<Line> = head
            .iter()
            .flat_map(|(text, style)| {
                wrap::wrap(text, width, width)
                    .into_iter()
                    .map(|row| Line::from(Span::styled(row, *style)))
            })
            .collect();
        let head_h = u16::try_from(head_rows.len() + 1)
            .unwrap_or(u16::MAX)
            .min(area.height);
        let [top, rest] =
            Layout::vertical([Constraint::Length(head_h), Constraint::Min(0)]).areas(area);
        Paragraph::new(head_rows).render(top, buf);
        let body_rows: Vec<Line> = body
            .iter()
            .flat_map(|(text, style)| {
                wrap::wrap(text, width, width)
                    .into_iter()
                    .map(|row| Line::from(Span::styled(row, *style)))
            })
            .collect();
        let total = u16::try_from(body_rows.len()).unwrap_or(u16::MAX);
        let last = total.saturating_sub(rest.height);
        self.scroll = self.scroll.min(last);
        let more = self.scroll < last;
        Paragraph::new(body_rows)
            .scroll((self.scroll, 0))
            .render(rest, buf);
        if more && rest.height > 0 {
            let tag = " ↓ PgDn more ";
            let w = u16::try_from(tag.chars().count())
                .unwrap_or(0)
                .min(rest.width);
            let spot = Rect::new(rest.right().saturating_sub(w), rest.bottom() - 1, w, 1);
            Paragraph::new(Span::styled(tag, muted)).render(spot, buf);
        }
    }
}

fn mark(f: &Followup) -> &'static str {
    match f.state {
        FollowupState::Open => "[ ]",
        FollowupState::Done => "[x]",
        FollowupState::WontDo => "[~]",
    }
}

/// `#1 [ ] text — owner — due 2026-11-29 P1 (OVERDUE)`.
fn followup_line(f: &Followup, today: NaiveDate) -> String {
    let late = if f.overdue(today) { " OVERDUE" } else { "" };
    let wont = if f.state == FollowupState::WontDo {
        " (won't do)"
    } else {
        ""
    };
    format!(
        "#{} {} {} — {} — due {} {}{wont}{late}",
        f.number,
        mark(f),
        f.text,
        f.owner,
        f.due,
        f.priority
    )
}

fn followup_style(ctx: &ViewCtx, f: &Followup, today: NaiveDate) -> Style {
    match (f.state, f.overdue(today)) {
        (_, true) => ctx
            .theme
            .style(Meaning::Danger)
            .add_modifier(Modifier::BOLD),
        (FollowupState::Open, false) => ctx.theme.style(Meaning::Text),
        _ => ctx.theme.style(Meaning::Muted),
    }
}
