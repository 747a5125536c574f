//! The comms pane (the comms lead's): every template that goes to people, with its
//! audience and whether the team saved a draft of it; the countdown to the next update
//! due; the last update published. Enter opens a template as a draft filled in from the
//! incident (or from the team's saved draft); `f` asks for its fields one by one, `e`
//! edits the text by hand (from then on it is no longer re-rendered), `w` saves it for
//! the team, `P` publishes after showing the exact text (to the template's channels
//! this hub has). Under the last update, each channel's delivery: pending, delivered or
//! failed; `R` sends a failed one again. Each template keeps its own work, so moving
//! between templates never loses a draft.

mod draft;
#[cfg(test)]
mod tests;
mod view;

use super::{Pane, Picker, Prompt, Purpose, Reaction, ViewCtx, frame};
use crate::incident::Command;
use crate::incident::runbook::Runbooks;
use crate::incident::template::{Audience, Template};
use crate::tui::keymap::{Action, Context};
use crate::tui::layout::PaneKind;
use draft::{Work, field_order, markers};
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Widget;
use ratatui_textarea::{TextArea, WrapMode};
use std::collections::BTreeMap;
use view::countdown;

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

/// The prompt that asks for the public title before the first public update.
const PUBLIC_TITLE: &str = "public_title";
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

    /// Settles the work changed here that the log now holds (see `Work::settle`).
    fn settle(&mut self, ctx: &ViewCtx) {
        for (id, work) in self.work.iter_mut().filter(|(_, w)| w.dirty) {
            if let Some(template) = ctx.runbooks.template(id) {
                work.settle(id, template, ctx);
            }
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
        let Some((template, work, text)) = self.current(ctx) else {
            return Reaction::Toast(NOTHING_OPEN.into());
        };
        // Public text never goes out under the internal title (it may name customers).
        if template.audience == Audience::Public && ctx.state.public_title.is_none() {
            return Reaction::Prompt(Prompt {
                owner: Some(PaneKind::Comms),
                purpose: Purpose::Other(PUBLIC_TITLE.into()),
                title: "Public title for status updates (no customer, tenant or internal names); then P again".into(),
                initial: String::new(),
            });
        }
        let missing: Vec<String> = markers(&text).iter().map(|m| format!("⟨{m}⟩")).collect();
        if !missing.is_empty() {
            let names = missing.join(", ");
            return Reaction::Toast(format!("not published: fill {names} first (f fills)"));
        }
        if text.trim().is_empty() {
            return Reaction::Toast("not published: the draft is empty".into());
        }
        // Only channels this hub has: it refuses any other by name.
        let channels: Vec<String> = (template.channels.iter())
            .filter(|c| ctx.runbooks.channels.contains(c))
            .cloned()
            .collect();
        let to = match channels.is_empty() {
            true => " (no delivery channel on this hub: recorded, for pasting by hand)".into(),
            false => format!(" to {}", channels.join(", ")),
        };
        let stamped = work.text_for_publish(template, ctx) != text;
        let detail = match stamped {
            true => format!("{text}\n\n(times are stamped by the hub at the moment it publishes)"),
            false => text,
        };
        Reaction::Confirm {
            title: format!("Publish {}{to}", template.title),
            detail,
            command: Command::Publish {
                template: template.id.clone(),
                text: work.text_for_publish(template, ctx),
                channels,
            },
        }
    }

    /// `R`: the last update's failed deliveries go out again (one at once, several
    /// through a choice).
    fn retry(&self, ctx: &ViewCtx) -> Reaction {
        let Some(last) = ctx.state.published.last() else {
            return Reaction::Toast("nothing published yet".into());
        };
        let failed: Vec<&String> = (last.deliveries.iter())
            .filter(|(_, d)| d.ok == Some(false))
            .map(|(channel, _)| channel)
            .collect();
        let retry = |channel: &String| Command::RetryDelivery {
            published: last.seq,
            channel: channel.clone(),
        };
        match failed.as_slice() {
            [] => Reaction::Toast(format!("no failed delivery of “{}”", last.title)),
            [one] => Reaction::Send(retry(one)),
            several => Reaction::Pick(Picker {
                owner: Some(PaneKind::Comms),
                purpose: Purpose::Other(format!("retry:{}", last.seq)),
                title: format!("Deliver “{}” again to", last.title),
                choices: several
                    .iter()
                    .map(|c| (c.to_string(), c.to_string()))
                    .collect(),
            }),
        }
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

    fn on_paste(&mut self, text: &str) -> Reaction {
        match self.editor.as_mut() {
            Some((editor, _)) => {
                let cut = crate::tui::editing::paste(editor, text, true);
                crate::tui::typing::paste_reaction(cut)
            }
            None => Reaction::None,
        }
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &ViewCtx) -> Reaction {
        let Some((editor, start)) = self.editor.as_mut() else {
            return Reaction::None;
        };
        if key.code != KeyCode::Esc {
            // A draft is prose over several lines: Enter breaks the line here.
            if key.code == KeyCode::Enter {
                editor.insert_newline();
            } else {
                crate::tui::editing::edit(editor, key, true);
            }
            return Reaction::None;
        }
        let text = editor.lines().join("\n");
        let changed = text != *start;
        self.editor = None;
        // Unchanged text stays rendered from the template, so it follows the incident.
        if changed && let Some(work) = self.open.as_ref().and_then(|id| self.work.get_mut(id)) {
            work.edit(text, ctx);
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
            Action::RetryDelivery => return self.retry(ctx),
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
                work.set_field(field, value, ctx);
                if self.open.as_ref() != Some(template) {
                    return Reaction::None;
                }
                self.ask_next(found)
            }
            Purpose::Other(what) if value == "reset" => {
                if let Some(work) = what
                    .strip_prefix("reset:")
                    .and_then(|id| self.work.get_mut(id))
                {
                    work.reset(ctx);
                }
                Reaction::None
            }
            Purpose::Other(what) if what == PUBLIC_TITLE => match value.trim() {
                "" => Reaction::None,
                title => Reaction::Send(Command::SetPublicTitle {
                    title: title.to_string(),
                }),
            },
            Purpose::Other(what) if what.starts_with("retry:") => {
                match what.trim_start_matches("retry:").parse() {
                    Ok(published) => Reaction::Send(Command::RetryDelivery {
                        published,
                        channel: value.to_string(),
                    }),
                    Err(_) => Reaction::None,
                }
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
