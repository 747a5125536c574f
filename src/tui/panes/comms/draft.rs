//! A comms draft: the work on one template (its field values, a hand edit, whether it
//! changed since the team last saved or you last published it), the text it comes to,
//! rendered from the template unless edited, and the `⟨field⟩` markers left to fill.

use crate::incident::render;
use crate::incident::runbook::FieldValues;
use crate::incident::state::Draft;
use crate::incident::template::{Segment, Template};
use crate::tui::panes::ViewCtx;

/// One template being worked on here.
#[derive(Debug, Clone)]
pub(super) struct Work {
    pub(super) title: String,
    pub(super) fields: FieldValues,
    /// Text changed by hand; once set, the template is no longer re-rendered.
    pub(super) edited: Option<String>,
    /// Changed here and not yet saved or published.
    pub(super) dirty: bool,
    /// `state.published.len()` at the last change: a later publish by you settles it.
    published_before: usize,
}

impl Work {
    /// Fresh work for `template`, from the team's saved draft when there is one.
    pub(super) fn start(template: &Template, ctx: &ViewCtx) -> Work {
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

    pub(super) fn text(&self, template: &Template, ctx: &ViewCtx) -> String {
        match &self.edited {
            Some(text) => text.trim_end().to_string(),
            None => render::render(template, ctx.state, ctx.runbooks, &self.fields, ctx.now)
                .text
                .trim_end()
                .to_string(),
        }
    }

    /// The text to send: as [`Work::text`], but an unedited draft keeps its
    /// publish-time placeholders for the hub to stamp when it publishes.
    pub(super) fn text_for_publish(&self, template: &Template, ctx: &ViewCtx) -> String {
        match &self.edited {
            Some(text) => text.trim_end().to_string(),
            None => {
                render::render_for_publish(template, ctx.state, ctx.runbooks, &self.fields, ctx.now)
                    .text
                    .trim_end()
                    .to_string()
            }
        }
    }

    fn touch(&mut self, ctx: &ViewCtx) {
        self.dirty = true;
        self.published_before = ctx.state.published.len();
    }

    /// Settles work the log now holds: saved as it is, or published by you since.
    pub(super) fn settle(&mut self, id: &str, template: &Template, ctx: &ViewCtx) {
        let saved = ctx.state.drafts.get(id).is_some_and(|s| {
            s.fields == self.fields
                && match &self.edited {
                    Some(text) => s.text.trim_end() == text.trim_end(),
                    None => renders_to(template, s, ctx),
                }
        });
        let published = (ctx.state.published.iter().skip(self.published_before))
            .any(|p| p.template == id && p.by == ctx.me);
        self.dirty = !(saved || published);
    }

    /// Sets a field (an empty value clears it); a hand-edited text gets the value in
    /// place of the field's `⟨marker⟩`, as its other words are kept.
    pub(super) fn set_field(&mut self, field: &str, value: &str, ctx: &ViewCtx) {
        let value = value.trim();
        let mut changed = self.fields.get(field).map_or("", String::as_str) != value;
        let marker = format!("⟨{field}⟩");
        if let Some(text) = &mut self.edited
            && !value.is_empty()
            && text.contains(&marker)
        {
            *text = text.replace(&marker, value);
            changed = true;
        }
        if value.is_empty() {
            self.fields.remove(field);
        } else {
            self.fields.insert(field.to_string(), value.to_string());
        }
        if changed {
            self.touch(ctx);
        }
    }

    /// Keeps text changed by hand: from now on the template is not re-rendered.
    pub(super) fn edit(&mut self, text: String, ctx: &ViewCtx) {
        self.edited = Some(text);
        self.touch(ctx);
    }

    /// Drops the hand edit, so the text follows the incident again (fields are kept).
    pub(super) fn reset(&mut self, ctx: &ViewCtx) {
        if self.edited.take().is_some() {
            self.touch(ctx);
        }
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

/// Declared fields in the order the body uses them (the catalog keeps them by name).
pub(super) fn field_order(template: &Template) -> Vec<String> {
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
pub(super) fn markers(text: &str) -> Vec<String> {
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
