//! The actions pane (containment): the actions suggested by the playbooks applied to
//! this incident, once each with the playbooks that suggest it, described from the
//! example catalog shipped with warroom: who may request it (and whether you may), the
//! two-person rule, and exactly what it would call. Nothing runs from here: the hub's
//! action runner comes later, and until then the pane says so instead of pretending.

use super::{Pane, Reaction, ViewCtx, ellipsize, frame};
use crate::incident::{Role, Runbooks, State};
use crate::tui::keymap::{Action, Context};
use crate::tui::layout::PaneKind;
use crate::tui::theme::Meaning;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};
use serde::Deserialize;
use unicode_width::UnicodeWidthStr;

/// The example catalog; the hub's own actions file is what will really run.
const EXAMPLE: &str = include_str!("../../../assets/actions.example.toml");

const NO_RUNNER: &str =
    "Running actions needs the hub's action runner: configure actions on the hub (docs/ACTIONS.md)";

/// The part of an `[[action]]` the pane shows (the hub validates the rest).
#[derive(Debug, Clone, Deserialize)]
struct Spec {
    id: String,
    title: String,
    description: String,
    roles: Vec<Role>,
    #[serde(default)]
    two_person: bool,
    #[serde(default)]
    confirm: bool,
    kind: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    argv: Vec<String>,
    #[serde(default)]
    param: Vec<Param>,
}

#[derive(Debug, Clone, Deserialize)]
struct Param {
    name: String,
    description: String,
}

#[derive(Deserialize)]
struct Catalog {
    #[serde(default)]
    action: Vec<Spec>,
}

/// One listed action: its id, its spec when the example has it, who suggests it.
struct Row<'a> {
    id: &'a str,
    spec: Option<&'a Spec>,
    from: Vec<&'a str>,
}

/// The suggested actions (deduplicated, in playbook order), or every example action
/// when no playbook is applied; `true` when they are suggestions.
fn rows<'a>(specs: &'a [Spec], state: &'a State, runbooks: &'a Runbooks) -> (bool, Vec<Row<'a>>) {
    let playbooks = state
        .playbooks
        .iter()
        .filter_map(|id| runbooks.playbook(id));
    let mut rows: Vec<Row> = Vec::new();
    for playbook in playbooks {
        for id in &playbook.actions {
            match rows.iter_mut().find(|r| r.id == id) {
                Some(row) => row.from.push(&playbook.title),
                None => rows.push(Row {
                    id,
                    spec: specs.iter().find(|s| s.id == *id),
                    from: vec![&playbook.title],
                }),
            }
        }
    }
    if !state.playbooks.is_empty() {
        return (true, rows);
    }
    let all = specs.iter().map(|s| Row {
        id: &s.id,
        spec: Some(s),
        from: Vec::new(),
    });
    (false, all.collect())
}

fn joined(roles: impl IntoIterator<Item = Role>) -> String {
    roles
        .into_iter()
        .map(Role::id)
        .collect::<Vec<_>>()
        .join(", ")
}

pub struct ActionsPane {
    /// The example catalog, parsed once; an error is shown rather than hidden.
    catalog: Result<Vec<Spec>, String>,
    selected: usize,
}

impl Default for ActionsPane {
    fn default() -> Self {
        let catalog = toml::from_str::<Catalog>(EXAMPLE).map(|c| c.action);
        ActionsPane {
            catalog: catalog.map_err(|e| e.message().to_string()),
            selected: 0,
        }
    }
}

impl ActionsPane {
    fn specs(&self) -> &[Spec] {
        self.catalog.as_deref().unwrap_or(&[])
    }

    fn details(&self, row: &Row, ctx: &ViewCtx) -> Vec<Line<'static>> {
        let theme = ctx.theme;
        let (muted, text) = (theme.style(Meaning::Muted), theme.style(Meaning::Text));
        let Some(spec) = row.spec else {
            return vec![Line::styled(
                format!(
                    "{}: not in the example catalog; the hub's actions file must define it",
                    row.id
                ),
                theme.style(Meaning::Warn),
            )];
        };
        let mut head = vec![
            Span::styled(
                spec.title.clone(),
                theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!(" · {} · {}", spec.id, spec.kind), muted),
        ];
        if spec.two_person {
            head.push(Span::styled(" · two-person", theme.style(Meaning::Warn)));
        }
        if spec.confirm {
            head.push(Span::styled(" · confirm first", muted));
        }
        let may = spec.roles.iter().any(|r| ctx.roles.contains(r));
        let you = match joined(ctx.roles.iter().copied()) {
            mine if mine.is_empty() => "no role".to_string(),
            mine => mine,
        };
        let (verdict, meaning) = match may {
            true => (format!("you may request it (you: {you})"), Meaning::Ok),
            false => (format!("you may not (you: {you})"), Meaning::Danger),
        };
        let call = match spec.kind.as_str() {
            "http" => format!("Would call: {} {}", spec.method, spec.url),
            _ => format!("Would run: {:?}", spec.argv),
        };
        // What it would call and who may ask come before the prose: a short pane cuts
        // from the bottom.
        let mut lines = vec![
            Line::from(head),
            Line::styled(call, text),
            Line::from(vec![
                Span::styled(
                    format!("Roles: {} — ", joined(spec.roles.iter().copied())),
                    text,
                ),
                Span::styled(verdict, theme.style(meaning)),
            ]),
            Line::styled(spec.description.clone(), text),
        ];
        if !spec.param.is_empty() {
            let asks: Vec<String> = (spec.param.iter())
                .map(|p| format!("{} ({})", p.name, p.description))
                .collect();
            lines.push(Line::styled(
                format!("Asks for: {}", asks.join("; ")),
                muted,
            ));
        }
        if !row.from.is_empty() {
            lines.push(Line::styled(
                format!("Suggested by: {}", row.from.join(", ")),
                muted,
            ));
        }
        lines
    }
}

impl Pane for ActionsPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Actions
    }

    fn context(&self) -> Context {
        Context::Actions
    }

    fn hint(&self) -> &'static str {
        "↑↓ select · r run · A approve (both need the hub's action runner)"
    }

    fn on_action(&mut self, action: Action, ctx: &ViewCtx) -> Reaction {
        let count = rows(self.specs(), ctx.state, ctx.runbooks).1.len();
        let last = count.saturating_sub(1);
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(10),
            Action::PageDown => self.selected = (self.selected + 10).min(last),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            // Honest until the hub runs actions: nothing is sent, nothing pretends.
            Action::RunAction | Action::Approve => return Reaction::Toast(NO_RUNNER.into()),
            _ => {}
        }
        Reaction::None
    }

    fn render(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer, focused: bool) {
        let theme = ctx.theme;
        let (muted, warn) = (theme.style(Meaning::Muted), theme.style(Meaning::Warn));
        // The field, not `self.specs()`, so `selected` can still be updated.
        let specs = self.catalog.as_deref().unwrap_or(&[]);
        let (suggested, rows) = rows(specs, ctx.state, ctx.runbooks);
        self.selected = self.selected.min(rows.len().saturating_sub(1));
        let count = match suggested {
            true => format!("{} suggested", rows.len()),
            false => format!("{} actions", rows.len()),
        };
        let extra = Span::styled(count, muted);
        let block = frame(
            theme,
            ctx.number,
            PaneKind::Actions.title(),
            Some(extra),
            focused,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let detail_rows = if inner.height >= 8 {
            (inner.height / 2).min(10)
        } else {
            0
        };
        let [list_area, detail_area] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(detail_rows)]).areas(inner);
        let width = usize::from(list_area.width);

        let mut lines = Vec::new();
        if let Err(error) = &self.catalog {
            let text = format!("the example action catalog did not load: {error}");
            lines.push(Line::styled(text, theme.style(Meaning::Danger)));
        }
        if suggested {
            let text = "Suggested by the applied playbooks · ✓ you may request · ✗ you may not";
            lines.push(Line::styled(ellipsize(text, width), muted));
        } else {
            let bold = theme.style(Meaning::Title).add_modifier(Modifier::BOLD);
            lines.push(Line::styled("All actions", bold));
            let text = "No playbook applied: apply one (checklist pane, p) for suggestions.";
            lines.push(Line::styled(ellipsize(text, width), muted));
        }
        let visible = usize::from(list_area.height).saturating_sub(lines.len());
        let first = (self.selected + 1).saturating_sub(visible);
        let title_width = rows
            .iter()
            .map(|r| r.spec.map_or(r.id, |s| &s.title).width());
        let title_width = title_width.max().unwrap_or(0).min(width / 2);
        for (i, row) in rows.iter().enumerate().skip(first).take(visible) {
            let (mark, meaning) = match row.spec {
                Some(s) if s.roles.iter().any(|r| ctx.roles.contains(r)) => ("✓ ", Meaning::Ok),
                Some(_) => ("✗ ", Meaning::Danger),
                None => ("? ", Meaning::Warn),
            };
            let title = ellipsize(row.spec.map_or(row.id, |s| &s.title), title_width);
            let pad = " ".repeat(title_width - title.width().min(title_width));
            let two = row.spec.is_some_and(|s| s.two_person);
            let mut rest = match row.spec {
                Some(s) if width >= 90 => format!(" {:<24}", joined(s.roles.iter().copied())),
                Some(_) => String::new(),
                None => " not in the example catalog".into(),
            };
            if !row.from.is_empty() {
                rest = format!("{rest} ← {}", row.from.join(", "));
            }
            let used = 4 + title_width + 11;
            let cursor = if i == self.selected { "▸ " } else { "  " };
            let mut line = Line::from(vec![
                Span::styled(cursor, theme.style(Meaning::Focus)),
                Span::styled(mark, theme.style(meaning)),
                Span::styled(title + &pad, theme.style(Meaning::Text)),
                Span::styled(if two { " two-person" } else { "           " }, warn),
                Span::styled(ellipsize(&rest, width.saturating_sub(used)), muted),
            ]);
            if focused && i == self.selected {
                line = line.style(theme.style(Meaning::Selection));
            }
            lines.push(line);
        }
        Paragraph::new(lines).render(list_area, buf);

        let Some(row) = rows.get(self.selected) else {
            return;
        };
        let runner = Line::styled(" r/A need the hub's action runner ", muted);
        let block = (Block::default().borders(Borders::TOP))
            .border_style(theme.style(Meaning::Border))
            .title(Span::styled(" Details ", muted))
            .title_top(runner.right_aligned());
        let details = Paragraph::new(self.details(row, ctx)).wrap(Wrap { trim: false });
        details.block(block).render(detail_area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{Actor, Command, Severity, decide};
    use crate::tui::theme::Theme;
    use chrono::{DateTime, TimeZone, Utc};
    use std::collections::BTreeSet;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap()
    }

    /// An incident with `playbooks` applied, in order.
    fn incident(playbooks: &[&str]) -> (State, Runbooks) {
        let rb = crate::catalog::embedded().unwrap();
        let mut state = State::default();
        let alice = Actor::new("alice", [Role::Commander]);
        let declare = Command::Declare {
            id: "INC-20261120-1".into(),
            title: "Tenant data visible across tenants".into(),
            severity: Severity::Sev1,
            playbook: None,
            summary: None,
        };
        let apply = playbooks.iter().map(|p| Command::ApplyPlaybook {
            playbook: p.to_string(),
        });
        for command in std::iter::once(declare).chain(apply) {
            for event in decide(&state, &alice, &command, now(), &rb, None).unwrap() {
                state.apply(&event);
            }
        }
        (state, rb)
    }

    fn screen(state: &State, rb: &Runbooks, roles: &[Role], size: (u16, u16)) -> String {
        let (width, height) = size;
        let theme = Theme::built_in("default").unwrap();
        let roles: BTreeSet<Role> = roles.iter().copied().collect();
        let ctx = ViewCtx {
            state,
            runbooks: rb,
            theme: &theme,
            now: now(),
            me: "sam",
            roles: &roles,
            number: 5,
        };
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        ActionsPane::default().render(&ctx, area, &mut buf, true);
        let rows = (0..height).map(|y| {
            let row: String = (0..width).map(|x| buf[(x, y)].symbol()).collect();
            row.trim_end().to_string()
        });
        rows.collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn the_example_catalog_covers_every_playbook_suggestion() {
        let pane = ActionsPane::default();
        assert_eq!(pane.catalog.as_ref().map(Vec::len), Ok(16));
        let rb = crate::catalog::embedded().unwrap();
        for playbook in &rb.playbooks {
            for id in &playbook.actions {
                assert!(
                    pane.specs().iter().any(|s| s.id == *id),
                    "{}: {id}",
                    playbook.id
                );
            }
        }
    }

    #[test]
    fn suggestions_are_deduplicated_and_mark_roles_and_two_person() {
        let (state, rb) = incident(&["cross_tenant_exposure", "pii_data_breach"]);
        let pane = ActionsPane::default();
        let (suggested, rows) = rows(pane.specs(), &state, &rb);
        assert!(suggested);
        let isolate: Vec<&Row> = rows.iter().filter(|r| r.id == "isolate_tenant").collect();
        assert_eq!(isolate.len(), 1);
        let expected = [
            "Cross-tenant data exposure",
            "Data breach, PII leak or exfiltration",
        ];
        assert_eq!(isolate[0].from, expected);
        let text = screen(&state, &rb, &[Role::Security], (100, 30));
        let line = text
            .lines()
            .find(|l| l.contains("Isolate a tenant"))
            .unwrap_or("");
        assert!(
            line.contains("✓ Isolate a tenant") && line.contains("two-person"),
            "{text}"
        );
        assert!(
            text.contains(
                "Would call: POST https://tenants.example.internal/api/v1/tenants/{tenant}/isolate"
            ),
            "{text}"
        );
        assert!(
            text.contains("you may request it (you: security)"),
            "{text}"
        );
        let text = screen(&state, &rb, &[Role::Responder], (100, 30));
        assert!(text.contains("✗ Isolate a tenant"), "{text}");
        assert!(text.contains("you may not (you: responder)"), "{text}");
    }

    #[test]
    fn running_and_approving_say_the_hub_runs_actions() {
        let (state, rb) = incident(&["cross_tenant_exposure"]);
        let theme = Theme::built_in("default").unwrap();
        let roles = BTreeSet::from([Role::Commander]);
        let ctx = ViewCtx {
            state: &state,
            runbooks: &rb,
            theme: &theme,
            now: now(),
            me: "alice",
            roles: &roles,
            number: 5,
        };
        let mut pane = ActionsPane::default();
        for action in [Action::RunAction, Action::Approve] {
            assert_eq!(
                pane.on_action(action, &ctx),
                Reaction::Toast(NO_RUNNER.into())
            );
        }
    }

    #[test]
    fn without_a_playbook_every_action_is_listed() {
        let (state, rb) = incident(&[]);
        let text = screen(&state, &rb, &[Role::Ops], (100, 30));
        assert!(
            text.contains("16 actions") && text.contains("All actions"),
            "{text}"
        );
        assert!(
            text.contains("apply one (checklist pane, p) for suggestions"),
            "{text}"
        );
    }

    #[test]
    fn snapshots() {
        let (state, rb) = incident(&["cross_tenant_exposure", "pii_data_breach"]);
        let roles = [Role::Security];
        insta::assert_snapshot!("actions_78x17", screen(&state, &rb, &roles, (78, 17)));
        insta::assert_snapshot!("actions_100x30", screen(&state, &rb, &roles, (100, 30)));
        let (state, rb) = incident(&[]);
        insta::assert_snapshot!("actions_all_78x17", screen(&state, &rb, &roles, (78, 17)));
    }
}
