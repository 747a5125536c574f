//! The follow-up form: `F` from the timeline (the selected entry), the checklist (the
//! selected item), or anywhere else (a follow-up on its own). Text (pre-filled from
//! the entry or item), owner (you), due date (YYYY-MM-DD, a week from today; a date in
//! the past is refused here, clearly) and priority P1–P4; Enter sends `add_followup`
//! with where it came from, Esc cancels. A refusal keeps the form open with the reason
//! on it.

use super::app::{App, Effect};
use super::dialog::centered;
use super::editing;
use super::layout::PaneKind;
use super::modal::Modal;
use super::panes::{ViewCtx, ellipsize, fit_line};
use super::theme::{Meaning, Theme};
use crate::incident::Command;
use crate::incident::followup::{Origin, Priority};
use crate::incident::limits::{NOTE_MAX_CHARS, check_name, check_text};
use crate::incident::role::Permission;
use chrono::{Duration, NaiveDate};
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Widget};
use ratatui_textarea::TextArea;

/// The form's fields, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Text,
    Owner,
    Due,
    Priority,
}

const FIELDS: [Field; 4] = [Field::Text, Field::Owner, Field::Due, Field::Priority];
const PRIORITIES: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

pub struct FollowupForm {
    pub origin: Option<Origin>,
    /// Where it comes from, for the title ("timeline entry #12").
    pub from: String,
    pub text: TextArea<'static>,
    pub owner: TextArea<'static>,
    pub due: TextArea<'static>,
    pub priority: Priority,
    pub field: Field,
    /// Why Enter did not send (shown until the next edit).
    pub error: Option<String>,
}

/// What a key in the form asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum FormOutcome {
    Editing,
    Cancel,
    Send(Command),
}

impl FollowupForm {
    pub fn new(
        origin: Option<Origin>,
        from: String,
        text: &str,
        owner: &str,
        today: NaiveDate,
    ) -> Self {
        let due = (today + Duration::days(7)).format("%Y-%m-%d").to_string();
        let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        FollowupForm {
            origin,
            from,
            text: editing::prefilled(&one_line),
            owner: editing::prefilled(owner),
            due: editing::prefilled(&due),
            priority: Priority::default(),
            field: Field::Text,
            error: None,
        }
    }

    fn input(&mut self) -> Option<&mut TextArea<'static>> {
        match self.field {
            Field::Text => Some(&mut self.text),
            Field::Owner => Some(&mut self.owner),
            Field::Due => Some(&mut self.due),
            Field::Priority => None,
        }
    }

    fn step(&mut self, by: isize) {
        let at = FIELDS.iter().position(|f| *f == self.field).unwrap_or(0);
        let next = (at as isize + by).rem_euclid(FIELDS.len() as isize) as usize;
        self.field = FIELDS[next];
    }

    pub fn on_key(&mut self, key: KeyEvent, today: NaiveDate) -> FormOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return FormOutcome::Cancel,
            KeyCode::Char('c') if ctrl => return FormOutcome::Cancel,
            KeyCode::Enter => {
                return match self.command(today) {
                    Ok(command) => FormOutcome::Send(command),
                    Err(why) => {
                        self.error = Some(why);
                        FormOutcome::Editing
                    }
                };
            }
            KeyCode::Tab | KeyCode::Down => self.step(1),
            KeyCode::BackTab | KeyCode::Up => self.step(-1),
            _ if self.field == Field::Priority => {
                let at = PRIORITIES
                    .iter()
                    .position(|p| *p == self.priority)
                    .unwrap_or(1);
                self.priority = match key.code {
                    KeyCode::Left => PRIORITIES[at.saturating_sub(1)],
                    KeyCode::Right | KeyCode::Char(' ') => PRIORITIES[(at + 1).min(3)],
                    KeyCode::Char(c @ '1'..='4') => PRIORITIES[usize::from(c as u8 - b'1')],
                    _ => self.priority,
                };
            }
            _ => {
                if let Some(input) = self.input()
                    && editing::edit(input, key, false)
                {
                    self.error = None;
                }
            }
        }
        FormOutcome::Editing
    }

    /// A paste into the field being typed in, as one line; true when it was cut.
    pub fn paste(&mut self, text: &str) -> bool {
        self.error = None;
        self.input()
            .is_some_and(|input| editing::paste(input, text, false))
    }

    /// The command the form makes, or why not (the domain's rules, said before the
    /// hub has to refuse).
    pub fn command(&self, today: NaiveDate) -> Result<Command, String> {
        let text = editing::text(&self.text, false).trim().to_string();
        let owner = editing::text(&self.owner, false).trim().to_string();
        let due_text = editing::text(&self.due, false).trim().to_string();
        check_text("the follow-up's text", &text, NOTE_MAX_CHARS).map_err(|r| r.message)?;
        check_name("the owner", &owner).map_err(|r| r.message)?;
        let due = NaiveDate::parse_from_str(&due_text, "%Y-%m-%d")
            .map_err(|_| format!("due `{due_text}` is not a date: write YYYY-MM-DD"))?;
        if due < today {
            return Err(format!(
                "due {due} is in the past (today is {today}): pick today or later"
            ));
        }
        Ok(Command::AddFollowup {
            text,
            owner,
            due,
            priority: self.priority,
            from: self.origin.clone(),
        })
    }

    pub fn render(&mut self, theme: &Theme, area: Rect, buf: &mut Buffer) {
        let rect = centered(area, 76, 8);
        Clear.render(rect, buf);
        let room = usize::from(rect.width.saturating_sub(2));
        let keys = Span::styled(
            " Tab next field · Enter adds · Esc cancels ",
            theme.style(Meaning::Warn).add_modifier(Modifier::BOLD),
        );
        let title = Span::styled(
            format!(" New follow-up — {} ", self.from),
            theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
        );
        let block = Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Double)
            .border_style(theme.style(Meaning::Focus))
            .title(fit_line(Line::from(title), room))
            .title_bottom(fit_line(Line::from(keys), room));
        let inner = block.inner(rect);
        block.render(rect, buf);
        let [text, owner, due, priority, _, note] =
            Layout::vertical([Constraint::Length(1); 6]).areas(inner);
        let focus = self.field;
        let label = |field: Field, name: &str, at: Rect, buf: &mut Buffer| -> Rect {
            let [l, f] = Layout::horizontal([Constraint::Length(12), Constraint::Min(1)]).areas(at);
            let style = if field == focus {
                theme.style(Meaning::Focus).add_modifier(Modifier::BOLD)
            } else {
                theme.style(Meaning::Muted)
            };
            let marker = if field == focus { "›" } else { " " };
            Paragraph::new(Span::styled(format!("{marker} {name}"), style)).render(l, buf);
            f
        };
        for (field, name, at) in [
            (Field::Text, "Text", text),
            (Field::Owner, "Owner", owner),
            (Field::Due, "Due", due),
        ] {
            let spot = label(field, name, at, buf);
            let input = match field {
                Field::Text => &mut self.text,
                Field::Owner => &mut self.owner,
                _ => &mut self.due,
            };
            input.set_cursor_line_style(Style::default());
            input.set_selection_style(theme.style(Meaning::Selection));
            // Only the field being typed in shows a cursor.
            input.set_cursor_style(if field == focus {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            });
            (&*input).render(spot, buf);
        }
        let spot = label(Field::Priority, "Priority", priority, buf);
        let mut spans = Vec::new();
        for p in PRIORITIES {
            let style = if p == self.priority {
                theme.style(Meaning::Selection)
            } else {
                theme.style(Meaning::Muted)
            };
            spans.push(Span::styled(format!(" {p} "), style));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled("←→ or 1-4", theme.style(Meaning::Muted)));
        Paragraph::new(Line::from(spans)).render(spot, buf);
        let width = usize::from(note.width);
        let line = match &self.error {
            Some(why) => Line::from(Span::styled(
                ellipsize(why, width),
                theme.style(Meaning::Danger).add_modifier(Modifier::BOLD),
            )),
            None => Line::from(Span::styled(
                ellipsize(
                    "Due as YYYY-MM-DD, today or later. The owner is one person.",
                    width,
                ),
                theme.style(Meaning::Muted),
            )),
        };
        Paragraph::new(line).render(note, buf);
    }
}

impl App {
    /// `F`: the form, from the selected timeline entry or checklist item when one of
    /// those panes has focus (and the post-mortem view is not over it), else on its own.
    pub(super) fn open_followup_form(&mut self) -> Vec<Effect> {
        let roles = self.roles();
        if let Some(why) = crate::tui::panes::refused(&roles, Permission::Write) {
            self.toast = Some(why);
            return Vec::new();
        }
        let today = self.now.date_naive();
        let me = self.me.name.clone();
        let mut from = (None, "on its own".to_string(), String::new());
        if self.postmortem.is_none() {
            match self.focus {
                PaneKind::Timeline => {
                    let entry = self.with_panes(PaneKind::Timeline, |panes, ctx: &ViewCtx| {
                        panes.timeline.selected_entry(ctx)
                    });
                    if let Some(entry) = entry {
                        from = (
                            Some(Origin::Entry(entry.seq)),
                            format!("from timeline entry #{}", entry.seq),
                            entry.current_text().to_string(),
                        );
                    }
                }
                PaneKind::Checklist => {
                    if let Some(item) = self.panes.checklist.selected_item(&self.state) {
                        from = (
                            Some(Origin::Item(item.id.clone())),
                            format!("from checklist item `{}`", item.id),
                            item.text.clone(),
                        );
                    }
                }
                _ => {}
            }
        }
        let (origin, label, text) = from;
        let form = FollowupForm::new(origin, label, &text, &me, today);
        self.modal = Some(Modal::Followup(Box::new(form)));
        Vec::new()
    }

    pub(super) fn on_followup_key(
        &mut self,
        mut form: Box<FollowupForm>,
        key: KeyEvent,
    ) -> Vec<Effect> {
        match form.on_key(key, self.now.date_naive()) {
            FormOutcome::Editing => {
                self.modal = Some(Modal::Followup(form));
                Vec::new()
            }
            FormOutcome::Cancel => {
                self.toast = Some("cancelled".into());
                Vec::new()
            }
            FormOutcome::Send(command) => vec![Effect::Send(command)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn a_past_due_date_is_refused_and_the_form_stays() {
        let mut form = FollowupForm::new(None, "on its own".into(), "fix it", "alice", today());
        form.on_key(key(KeyCode::Tab), today());
        form.on_key(key(KeyCode::Tab), today());
        assert_eq!(form.field, Field::Due);
        for c in "2026-11-01".chars() {
            form.on_key(key(KeyCode::Char(c)), today());
        }
        assert_eq!(
            form.on_key(key(KeyCode::Enter), today()),
            FormOutcome::Editing
        );
        let error = form.error.clone().unwrap();
        assert!(
            error.contains("in the past (today is 2026-11-22)"),
            "{error}"
        );
        form.paste("garbage");
        assert_eq!(
            form.on_key(key(KeyCode::Enter), today()),
            FormOutcome::Editing
        );
        assert!(form.error.as_deref().unwrap().contains("not a date"));
    }

    #[test]
    fn enter_sends_the_fields_with_the_origin() {
        let mut form = FollowupForm::new(
            Some(Origin::Entry(7)),
            "from timeline entry #7".into(),
            "roll back\nthe cache",
            "alice",
            today(),
        );
        form.on_key(key(KeyCode::BackTab), today());
        assert_eq!(form.field, Field::Priority);
        form.on_key(key(KeyCode::Char('1')), today());
        assert_eq!(
            form.on_key(key(KeyCode::Enter), today()),
            FormOutcome::Send(Command::AddFollowup {
                text: "roll back the cache".into(),
                owner: "alice".into(),
                due: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
                priority: Priority::P1,
                from: Some(Origin::Entry(7)),
            })
        );
    }
}
