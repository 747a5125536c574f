//! The comms pane (the comms lead's): every template that goes to people, with its
//! audience and whether the team saved a draft of it; the countdown to the next update
//! due; the last update published. Enter opens a template as a draft filled in from the
//! incident (or from the team's saved draft); `f` asks for its fields one by one, `e`
//! edits the text by hand (from then on it is no longer re-rendered), `w` saves it for
//! the team, `P` publishes after showing the exact text. Each template keeps its own
//! work, so moving between templates never loses a draft.

use super::{Pane, Picker, Prompt, Purpose, Reaction, ViewCtx, ellipsize, frame};
use crate::incident::clocks::{self, ClockState, format_duration};
use crate::incident::render;
use crate::incident::runbook::{FieldValues, Runbooks};
use crate::incident::state::Draft;
use crate::incident::template::{Audience, Segment, Template};
use crate::incident::{Command, Status};
use crate::tui::keymap::{Action, Context};
use crate::tui::layout::PaneKind;
use crate::tui::theme::{Meaning, Theme};
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};
use ratatui_textarea::{TextArea, WrapMode};
use std::collections::BTreeMap;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// One template being worked on here.
#[derive(Debug, Clone)]
struct Work {
    title: String,
    fields: FieldValues,
    /// Text changed by hand; once set, the template is no longer re-rendered.
    edited: Option<String>,
    /// Changed here and not yet saved or published.
    dirty: bool,
    /// `state.published.len()` at the last change: a later publish by you settles it.
    published_before: usize,
}

impl Work {
    /// Fresh work for `template`, from the team's saved draft when there is one.
    fn start(template: &Template, ctx: &ViewCtx) -> Work {
        let saved = ctx.state.drafts.get(&template.id);
        Work {
            title: template.title.clone(),
            fields: saved.map(|s| s.fields.clone()).unwrap_or_default(),
            edited: saved
                .filter(|s| !renders_to(template, s, ctx))
                .map(|s| s.text.clone()),
            dirty: false,
            published_before: ctx.state.published.len(),
        }
    }

    fn text(&self, template: &Template, ctx: &ViewCtx) -> String {
        match &self.edited {
            Some(text) => text.trim_end().to_string(),
            None => render::render(template, ctx.state, ctx.runbooks, &self.fields, ctx.now)
                .text
                .trim_end()
                .to_string(),
        }
    }

    fn touch(&mut self, ctx: &ViewCtx) {
        self.dirty = true;
        self.published_before = ctx.state.published.len();
    }
}

/// True when a saved draft is what the template renders to with its fields (when it was
/// saved, or now): nobody changed it by hand, so it may follow the incident. Anything
/// else is kept word for word: a teammate's hand edit must never be lost.
fn renders_to(template: &Template, saved: &Draft, ctx: &ViewCtx) -> bool {
    [saved.at, ctx.now].into_iter().any(|at| {
        let fresh = render::render(template, ctx.state, ctx.runbooks, &saved.fields, at);
        fresh.text.trim_end() == saved.text.trim_end()
    })
}

#[derive(Default)]
pub struct CommsPane {
    /// Cursor in the template list.
    selected: usize,
    /// The template whose draft is shown.
    open: Option<String>,
    work: BTreeMap<String, Work>,
    /// The open editor and the text it started from.
    editor: Option<(TextArea<'static>, String)>,
    /// Fields still to ask for in the current `f` sequence.
    to_ask: Vec<String>,
    /// First preview row shown.
    scroll: usize,
}

/// Templates that go to people (records like the ticket are exported, not published):
/// public, internal, support, each in lifecycle order, because the catalog sorts by id
/// and "identified" would come before "investigating". Unknown ids keep catalog order.
fn templates(runbooks: &Runbooks) -> Vec<&Template> {
    let stages = "initial investigating identified update monitoring resolved resolution";
    let stage = |id: &str| stages.split(' ').position(|w| id.contains(w));
    let mut list: Vec<&Template> = (runbooks.templates.iter())
        .filter(|t| t.audience != Audience::Record)
        .collect();
    list.sort_by_key(|t| (t.audience as u8, stage(&t.id).unwrap_or(usize::MAX)));
    list
}

/// Declared fields in the order the body uses them (the catalog keeps them by name).
fn field_order(template: &Template) -> Vec<String> {
    let used = template.segments.iter().filter_map(|s| match s {
        Segment::Placeholder(name) if template.fields.contains_key(name) => Some(name),
        _ => None,
    });
    let mut order: Vec<String> = Vec::new();
    for name in used.chain(template.fields.keys()) {
        if !order.contains(name) {
            order.push(name.clone());
        }
    }
    order
}

/// The names in the `⟨name⟩` markers left for unfilled fields: what publishing refuses.
fn markers(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some((name, tail)) = rest.split_once('⟨').and_then(|(_, a)| a.split_once('⟩')) {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
        rest = tail;
    }
    names
}

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
fn countdown(ctx: &ViewCtx) -> Span<'static> {
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

const NOTHING_OPEN: &str = "no draft open: Enter opens the selected template";

impl CommsPane {
    fn open_template<'a>(&self, ctx: &ViewCtx<'a>) -> Option<&'a Template> {
        ctx.runbooks.template(self.open.as_deref()?)
    }

    /// The open template, its work and its current text.
    fn current<'a>(&self, ctx: &ViewCtx<'a>) -> Option<(&'a Template, &Work, String)> {
        let template = self.open_template(ctx)?;
        let work = self.work.get(&template.id)?;
        Some((template, work, work.text(template, ctx)))
    }

    /// Opens the template under the cursor, starting its work if there is none.
    fn open_selected(&mut self, ctx: &ViewCtx) {
        let Some(template) = templates(ctx.runbooks).get(self.selected).copied() else {
            return;
        };
        (self.work.entry(template.id.clone())).or_insert_with(|| Work::start(template, ctx));
        if self.open.as_deref() != Some(&template.id) {
            (self.open, self.scroll) = (Some(template.id.clone()), 0);
        }
    }

    /// Settles work the log now holds: saved as it is, or published by you since.
    fn settle(&mut self, ctx: &ViewCtx) {
        for (id, work) in self.work.iter_mut().filter(|(_, w)| w.dirty) {
            let Some(template) = ctx.runbooks.template(id) else {
                continue;
            };
            let saved = ctx.state.drafts.get(id).is_some_and(|s| {
                s.fields == work.fields
                    && match &work.edited {
                        Some(text) => s.text.trim_end() == text.trim_end(),
                        None => renders_to(template, s, ctx),
                    }
            });
            let published = (ctx.state.published.iter().skip(work.published_before))
                .any(|p| p.template == *id && p.by == ctx.me);
            work.dirty = !(saved || published);
        }
    }

    fn select(&mut self, ctx: &ViewCtx) -> Reaction {
        let list = templates(ctx.runbooks);
        let Some(template) = list.get(self.selected) else {
            return Reaction::Toast("the catalog has no comms templates".into());
        };
        let open_and_edited = self.open.as_ref() == Some(&template.id)
            && (self.work.get(&template.id)).is_some_and(|w| w.edited.is_some());
        if !open_and_edited {
            self.open_selected(ctx);
            return Reaction::None;
        }
        // The only way back from a hand edit (or a teammate's draft that no longer
        // matches the incident) to a text that follows the incident.
        Reaction::Pick(Picker {
            owner: Some(PaneKind::Comms),
            purpose: Purpose::Other(format!("reset:{}", template.id)),
            title: format!("{} was edited by hand", template.title),
            choices: vec![
                ("keep".into(), "Keep the edited text".into()),
                (
                    "reset".into(),
                    "Re-render from the template (edits lost, fields kept)".into(),
                ),
            ],
        })
    }

    fn fill(&mut self, ctx: &ViewCtx) -> Reaction {
        let Some((template, work, text)) = self.current(ctx) else {
            return Reaction::Toast(NOTHING_OPEN.into());
        };
        if template.fields.is_empty() {
            return Reaction::Toast(format!("{} has no fields: e edits it", template.title));
        }
        let missing = markers(&text);
        let (unfilled, filled): (Vec<String>, Vec<String>) =
            (field_order(template).into_iter()).partition(|f| missing.contains(f));
        // Hand-edited text keeps its words: only its remaining markers can be filled.
        self.to_ask = match work.edited {
            Some(_) => unfilled,
            None => unfilled.into_iter().chain(filled).collect(),
        };
        if self.to_ask.is_empty() {
            return Reaction::Toast("no ⟨field⟩ left in the edited text: e edits it".into());
        }
        self.ask_next(template)
    }

    fn ask_next(&mut self, template: &Template) -> Reaction {
        if self.to_ask.is_empty() {
            return Reaction::None;
        }
        let field = self.to_ask.remove(0);
        let work = self.work.get(&template.id);
        let initial = work.and_then(|w| w.fields.get(&field)).cloned();
        let prompt = template.fields.get(&field).map_or("", String::as_str);
        Reaction::Prompt(Prompt {
            owner: Some(PaneKind::Comms),
            title: format!("⟨{field}⟩ {prompt}"),
            purpose: Purpose::Field {
                template: template.id.clone(),
                field,
            },
            initial: initial.unwrap_or_default(),
        })
    }

    fn publish(&self, ctx: &ViewCtx) -> Reaction {
        let Some((template, _, text)) = self.current(ctx) else {
            return Reaction::Toast(NOTHING_OPEN.into());
        };
        let missing: Vec<String> = markers(&text).iter().map(|m| format!("⟨{m}⟩")).collect();
        if !missing.is_empty() {
            let names = missing.join(", ");
            return Reaction::Toast(format!("not published: fill {names} first (f fills)"));
        }
        if text.trim().is_empty() {
            return Reaction::Toast("not published: the draft is empty".into());
        }
        let channels = template.channels.clone();
        Reaction::Confirm {
            title: format!("Publish {} to {}", template.title, channels.join(", ")),
            detail: text.clone(),
            command: Command::Publish {
                template: template.id.clone(),
                text,
                channels,
            },
        }
    }

    fn render_list(&self, ctx: &ViewCtx, list: &[&Template], area: Rect, buf: &mut Buffer) {
        let theme = ctx.theme;
        let width = usize::from(area.width);
        let muted = theme.style(Meaning::Muted);
        let last = ctx.state.published.last().map(|p| {
            let (ago, at) = (format_duration(ctx.now - p.at), p.at.format("%H:%M UTC"));
            format!("last: {} · {} {at} · {ago} ago", p.title, p.by)
        });
        let last = last.unwrap_or_else(|| "nothing published yet".into());
        let heading: Vec<Line> = (wrap(&last, width).into_iter().take(2))
            .map(|row| Line::styled(row, muted))
            .collect();
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

    fn render_help(&self, ctx: &ViewCtx, list: &[&Template], area: Rect, buf: &mut Buffer) {
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

    fn render_draft(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer) {
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

impl Pane for CommsPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Comms
    }

    fn context(&self) -> Context {
        Context::Comms
    }

    fn hint(&self) -> &'static str {
        if self.editor.is_some() {
            "editing the draft · Esc stops editing (keeps your text)"
        } else {
            "Enter open · f fill fields · e edit · w save for the team · P publish · PgDn scroll"
        }
    }

    fn capturing(&self) -> bool {
        self.editor.is_some()
    }

    fn unsent(&self) -> Option<String> {
        let typing =
            (self.editor.as_ref()).is_some_and(|(e, start)| e.lines().join("\n") != *start);
        let names: Vec<String> = (self.work.iter())
            .filter(|(id, w)| w.dirty || (typing && self.open.as_ref() == Some(*id)))
            .map(|(_, w)| format!("“{}”", w.title))
            .collect();
        let s = if names.len() > 1 { "s" } else { "" };
        (!names.is_empty()).then(|| format!("unsaved comms draft{s}: {}", names.join(", ")))
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &ViewCtx) -> Reaction {
        let Some((editor, start)) = self.editor.as_mut() else {
            return Reaction::None;
        };
        if key.code != KeyCode::Esc {
            editor.input(key);
            return Reaction::None;
        }
        let text = editor.lines().join("\n");
        let changed = text != *start;
        self.editor = None;
        // Unchanged text stays rendered from the template, so it follows the incident.
        if changed && let Some(work) = self.open.as_ref().and_then(|id| self.work.get_mut(id)) {
            work.edited = Some(text);
            work.touch(ctx);
        }
        Reaction::None
    }

    fn on_action(&mut self, action: Action, ctx: &ViewCtx) -> Reaction {
        self.settle(ctx);
        let last = templates(ctx.runbooks).len().saturating_sub(1);
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::PageUp => self.scroll = self.scroll.saturating_sub(10),
            // Clamped to the text when drawn.
            Action::PageDown => self.scroll = self.scroll.saturating_add(10),
            Action::Cancel => (self.open, self.scroll) = (None, 0),
            Action::Select => return self.select(ctx),
            Action::FillFields => {
                if self.open.is_none() {
                    self.open_selected(ctx);
                }
                return self.fill(ctx);
            }
            Action::EditDraft => {
                if self.open.is_none() {
                    self.open_selected(ctx);
                }
                if let Some((_, _, text)) = self.current(ctx) {
                    let mut area = TextArea::new(text.lines().map(str::to_string).collect());
                    area.set_wrap_mode(WrapMode::WordOrGlyph);
                    self.editor = Some((area, text));
                }
            }
            Action::SaveDraft => {
                return match self.current(ctx) {
                    Some((template, work, text)) => Reaction::Send(Command::SaveDraft {
                        template: template.id.clone(),
                        fields: work.fields.clone(),
                        text,
                    }),
                    None => Reaction::Toast(NOTHING_OPEN.into()),
                };
            }
            Action::Publish => return self.publish(ctx),
            _ => {}
        }
        Reaction::None
    }

    fn on_submit(&mut self, purpose: &Purpose, value: &str, ctx: &ViewCtx) -> Reaction {
        match purpose {
            Purpose::Field { template, field } => {
                let (Some(found), Some(work)) =
                    (ctx.runbooks.template(template), self.work.get_mut(template))
                else {
                    return Reaction::None;
                };
                let value = value.trim();
                let mut changed = work.fields.get(field).map_or("", String::as_str) != value;
                let marker = format!("⟨{field}⟩");
                if let Some(text) = &mut work.edited
                    && !value.is_empty()
                    && text.contains(&marker)
                {
                    *text = text.replace(&marker, value);
                    changed = true;
                }
                if value.is_empty() {
                    work.fields.remove(field);
                } else {
                    work.fields.insert(field.clone(), value.to_string());
                }
                if changed {
                    work.touch(ctx);
                }
                if self.open.as_ref() != Some(template) {
                    return Reaction::None;
                }
                self.ask_next(found)
            }
            Purpose::Other(what) if value == "reset" => {
                if let Some(work) = what
                    .strip_prefix("reset:")
                    .and_then(|id| self.work.get_mut(id))
                    && work.edited.take().is_some()
                {
                    work.touch(ctx);
                }
                Reaction::None
            }
            _ => Reaction::None,
        }
    }

    fn render(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer, focused: bool) {
        self.settle(ctx);
        let title = PaneKind::Comms.title();
        let block = frame(ctx.theme, ctx.number, title, Some(countdown(ctx)), focused);
        let inner = block.inner(area);
        block.render(area, buf);
        let list = templates(ctx.runbooks);
        self.selected = self.selected.min(list.len().saturating_sub(1));
        let [list_area, draft_area] = if inner.width >= 90 {
            let [l, _, d] = Layout::horizontal([
                Constraint::Length(44),
                Constraint::Length(1),
                Constraint::Min(1),
            ])
            .areas(inner);
            [l, d]
        } else {
            // Stacked: the list shrinks to a third while a draft is open.
            let all = list.len() as u16 + 2;
            let rows = match self.open {
                Some(_) => (inner.height / 3).max(2).min(all),
                None => all,
            };
            Layout::vertical([Constraint::Length(rows), Constraint::Min(0)]).areas(inner)
        };
        self.render_list(ctx, &list, list_area, buf);
        match self.open {
            Some(_) => self.render_draft(ctx, draft_area, buf),
            None => self.render_help(ctx, &list, draft_area, buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{Actor, CellState, Role, Severity, State, decide};
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use ratatui::crossterm::event::KeyModifiers;
    use std::collections::BTreeSet;

    fn t(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    fn run(state: &mut State, rb: &Runbooks, who: &str, minute: i64, command: Command) {
        let actor = Actor::new(who, [Role::Responder]);
        for event in decide(state, &actor, &command, t(minute), rb, None).unwrap() {
            state.apply(&event);
        }
    }

    /// A SEV1 cross-tenant incident: alice commands, carol is comms lead, two regions hit.
    fn incident() -> (State, Runbooks) {
        let rb = crate::catalog::embedded().unwrap();
        let mut state = State::default();
        let alice = Actor::new("alice", [Role::Commander]);
        let declare = Command::Declare {
            id: "INC-20261120-1".into(),
            title: "Tenant data visible across tenants".into(),
            severity: Severity::Sev1,
            playbook: Some("cross_tenant_exposure".into()),
            summary: None,
        };
        for event in decide(&state, &alice, &declare, t(0), &rb, None).unwrap() {
            state.apply(&event);
        }
        let comms = Command::AssignRole {
            role: Role::Comms,
            person: "carol".into(),
        };
        run(&mut state, &rb, "alice", 1, comms);
        for (tenant, region) in [("acme", "eu-west-1"), ("globex", "us-east-1")] {
            let (tenant, region) = (tenant.into(), region.into());
            let cell = CellState::Degraded;
            run(
                &mut state,
                &rb,
                "alice",
                2,
                Command::SetCell {
                    tenant,
                    region,
                    state: cell,
                },
            );
        }
        (state, rb)
    }

    fn with<R>(state: &State, rb: &Runbooks, now: i64, f: impl FnOnce(&ViewCtx) -> R) -> R {
        let theme = Theme::built_in("default").unwrap();
        let roles = BTreeSet::from([Role::Comms]);
        let ctx = ViewCtx {
            state,
            runbooks: rb,
            theme: &theme,
            now: t(now),
            me: "carol",
            roles: &roles,
            number: 4,
        };
        f(&ctx)
    }

    fn screen(pane: &mut CommsPane, ctx: &ViewCtx, width: u16, height: u16) -> String {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        pane.render(ctx, area, &mut buf, true);
        let rows = (0..height).map(|y| {
            let row: String = (0..width).map(|x| buf[(x, y)].symbol()).collect();
            row.trim_end().to_string()
        });
        rows.collect::<Vec<_>>().join("\n")
    }

    /// Opens the first template (status page: investigating).
    fn opened(ctx: &ViewCtx) -> CommsPane {
        let mut pane = CommsPane::default();
        assert_eq!(pane.on_action(Action::Select, ctx), Reaction::None);
        pane
    }

    #[test]
    fn publish_refuses_unfilled_fields_then_confirms_the_exact_text() {
        let (state, rb) = incident();
        with(&state, &rb, 10, |ctx| {
            let mut pane = opened(ctx);
            let refused = pane.on_action(Action::Publish, ctx);
            assert!(
                matches!(&refused, Reaction::Toast(t) if t.contains("⟨symptom⟩")),
                "{refused:?}"
            );
            let Reaction::Prompt(prompt) = pane.on_action(Action::FillFields, ctx) else {
                panic!("f asks for the first field");
            };
            assert!(
                prompt
                    .title
                    .starts_with("⟨symptom⟩ What customers experience")
            );
            let answer = pane.on_submit(&prompt.purpose, "errors exporting invoices", ctx);
            assert_eq!(answer, Reaction::None, "the template has one field");
            assert!(
                pane.unsent()
                    .is_some_and(|u| u.contains("Status page: investigating"))
            );
            let Reaction::Confirm {
                title,
                detail,
                command,
            } = pane.on_action(Action::Publish, ctx)
            else {
                panic!("publish asks for confirmation");
            };
            assert_eq!(title, "Publish Status page: investigating to status_page");
            assert!(detail.contains("We are looking into errors exporting invoices."));
            assert!(detail.contains("Affected regions: eu-west-1, us-east-1."));
            let expected = Command::Publish {
                template: "status_investigating".into(),
                text: detail,
                channels: vec!["status_page".into()],
            };
            assert_eq!(command, expected);
        });
    }

    #[test]
    fn a_saved_draft_settles_the_work_and_reopens_for_teammates() {
        let (mut state, rb) = incident();
        let mut pane = with(&state, &rb, 10, |ctx| {
            let mut pane = opened(ctx);
            let purpose = Purpose::Field {
                template: "status_investigating".into(),
                field: "symptom".into(),
            };
            pane.on_submit(&purpose, "slow exports", ctx);
            pane
        });
        let Reaction::Send(save) = with(&state, &rb, 10, |ctx| {
            pane.on_action(Action::SaveDraft, ctx)
        }) else {
            panic!("w sends the draft");
        };
        assert!(
            matches!(&save, Command::SaveDraft { fields, .. } if fields["symptom"] == "slow exports")
        );
        run(&mut state, &rb, "carol", 10, save);
        with(&state, &rb, 11, |ctx| {
            screen(&mut pane, ctx, 78, 17);
            assert_eq!(pane.unsent(), None);
            let mut fresh = opened(ctx);
            let text = screen(&mut fresh, ctx, 100, 30);
            assert!(text.contains("We are looking into slow exports."), "{text}");
            assert!(
                text.contains("team draft saved by carol at 09:10 UTC"),
                "{text}"
            );
        });
    }

    #[test]
    fn hand_edits_stick_and_markers_can_still_be_filled() {
        let (state, rb) = incident();
        with(&state, &rb, 10, |ctx| {
            let mut pane = opened(ctx);
            pane.on_action(Action::EditDraft, ctx);
            assert!(pane.capturing());
            let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
            pane.on_key(key(KeyCode::Home), ctx);
            for c in "URGENT ".chars() {
                pane.on_key(key(KeyCode::Char(c)), ctx);
            }
            pane.on_key(key(KeyCode::Esc), ctx);
            assert!(!pane.capturing());
            let shown = screen(&mut pane, ctx, 100, 30);
            assert!(
                shown.contains("· edited") && shown.contains("URGENT Investigating"),
                "{shown}"
            );
            let Reaction::Prompt(prompt) = pane.on_action(Action::FillFields, ctx) else {
                panic!("the edited text still has ⟨symptom⟩");
            };
            pane.on_submit(&prompt.purpose, "timeouts", ctx);
            let (_, _, text) = pane.current(ctx).unwrap();
            assert!(text.starts_with("URGENT Investigating") && text.contains("into timeouts."));
            let Reaction::Pick(picker) = pane.on_action(Action::Select, ctx) else {
                panic!("Enter on an edited draft offers to re-render it");
            };
            pane.on_submit(&picker.purpose, "reset", ctx);
            let (_, _, text) = pane.current(ctx).unwrap();
            assert!(text.starts_with("Investigating") && text.contains("into timeouts."));
        });
    }

    #[test]
    fn the_countdown_warns_then_goes_overdue() {
        let (state, rb) = incident();
        let title = |now| {
            with(&state, &rb, now, |ctx| {
                let text = screen(&mut CommsPane::default(), ctx, 78, 17);
                text.lines().next().unwrap_or_default().to_string()
            })
        };
        assert!(title(5).contains("next update in 25m"));
        assert!(title(25).contains("next update in 5m"));
        assert!(title(41).contains("update OVERDUE by 11m"));
    }

    #[test]
    fn snapshots() {
        let (mut state, rb) = incident();
        let publish = Command::Publish {
            template: "internal_initial".into(),
            text: "INCIDENT DECLARED: INC-20261120-1 | Tenant data visible across tenants\nSeverity:  SEV1 (Critical)".into(),
            channels: vec![],
        };
        run(&mut state, &rb, "carol", 4, publish);
        with(&state, &rb, 12, |ctx| {
            let mut pane = CommsPane::default();
            insta::assert_snapshot!("comms_list_78x17", screen(&mut pane, ctx, 78, 17));
            pane.on_action(Action::Select, ctx);
            insta::assert_snapshot!("comms_draft_78x17", screen(&mut pane, ctx, 78, 17));
            insta::assert_snapshot!("comms_draft_100x30", screen(&mut pane, ctx, 100, 30));
        });
    }
}
