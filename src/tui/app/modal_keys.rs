//! Keys while a modal (a prompt, a confirmation, the palette, a form) is open: each
//! goes to that modal alone, which answers, closes, or hands back what was chosen.

use super::*;

impl App {
    pub(super) fn on_modal_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(modal) = self.modal.take() else {
            return Vec::new();
        };
        let escape = key.code == KeyCode::Esc
            || (key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL));
        match modal {
            Modal::Help { scroll } => {
                let context = self.help_context();
                let page = reader::help(&self.theme, context, self.screen());
                self.modal = (page.on_key(scroll, &key)).map(|scroll| Modal::Help { scroll });
                Vec::new()
            }
            Modal::Detail { detail, scroll } => {
                let page = reader::detail(&self.theme, &detail, self.screen());
                if let Some(scroll) = page.on_key(scroll, &key) {
                    self.modal = Some(Modal::Detail { detail, scroll });
                }
                Vec::new()
            }
            Modal::QuitConfirm { detail, scroll, to } => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => match to {
                    Some(to) => vec![Effect::Switch(to)],
                    None => vec![Effect::Quit],
                },
                _ if escape || matches!(key.code, KeyCode::Char('n') | KeyCode::Char('N')) => {
                    Vec::new()
                }
                code => {
                    let scroll = modal::scrolled(scroll, code);
                    self.modal = Some(Modal::QuitConfirm { detail, scroll, to });
                    Vec::new()
                }
            },
            Modal::Confirm {
                title,
                detail,
                command,
                scroll,
            } => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => vec![Effect::Send(command)],
                _ if escape || matches!(key.code, KeyCode::Char('n') | KeyCode::Char('N')) => {
                    self.toast = Some("cancelled".into());
                    Vec::new()
                }
                code => {
                    self.modal = Some(Modal::Confirm {
                        title,
                        detail,
                        command,
                        scroll: modal::scrolled(scroll, code),
                    });
                    Vec::new()
                }
            },
            Modal::Prompt { prompt, mut input } => {
                if escape {
                    return Vec::new();
                }
                let multiline = prompt.purpose.multiline();
                if key.code == KeyCode::Enter && !key.modifiers.contains(KeyModifiers::ALT) {
                    let value = crate::tui::editing::text(&input, multiline);
                    return self.submit(prompt.owner, prompt.purpose, value);
                }
                crate::tui::editing::edit(&mut input, key, multiline);
                self.modal = Some(Modal::Prompt { prompt, input });
                Vec::new()
            }
            Modal::Picker {
                picker,
                selected,
                mut filter,
            } => {
                if escape {
                    return Vec::new();
                }
                let count = modal::picker_matches(&picker, &filter).len();
                let selected = match key.code {
                    KeyCode::Down => (selected + 1).min(count.saturating_sub(1)),
                    KeyCode::Up => selected.saturating_sub(1),
                    KeyCode::Enter => {
                        let mut choice = modal::picker_matches(&picker, &filter)
                            .get(selected)
                            .map(|(v, _)| v.clone());
                        // A typed name that matches nobody is the answer itself.
                        if choice.is_none()
                            && picker.purpose.free_text()
                            && !filter.trim().is_empty()
                        {
                            choice = Some(filter.trim().to_string());
                        }
                        return match choice {
                            Some(value) => self.submit(picker.owner, picker.purpose, value),
                            None => Vec::new(),
                        };
                    }
                    KeyCode::Backspace => {
                        filter.pop();
                        0
                    }
                    KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                        filter.push(c);
                        0
                    }
                    _ => selected,
                };
                self.modal = Some(Modal::Picker {
                    picker,
                    selected,
                    filter,
                });
                Vec::new()
            }
            Modal::Palette(palette) => self.on_palette_key(palette, key, escape),
            Modal::Guard(guard) => self.on_guard_key(guard, key, escape),
            Modal::Followup(form) => self.on_followup_key(form, key),
        }
    }
}
