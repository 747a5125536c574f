//! The actions pane (containment): the hub's containment actions — those suggested by
//! the playbooks applied to this incident first, then the rest — with who may request
//! them, and below them this incident's action runs and where each stands. `r` requests
//! the selected action (asking for its parameters, checked here before anything is
//! sent, then showing exactly what will be sent), `p` asks for a dry run, `A` approves
//! and `D` denies a two-person run someone else requested. The hub runs the actions;
//! every outcome comes back as an event.

#[cfg(test)]
mod tests;
mod view;

use super::{Pane, Prompt, Purpose, Reaction, ViewCtx};
use crate::incident::action::{ActionError, ActionSpec, Context as Values};
use crate::incident::state::{ActionRun, RunStatus};
use crate::incident::{Command, Role};
use crate::tui::keymap::{Action, Context};
use crate::tui::layout::PaneKind;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::collections::BTreeMap;

pub(super) const NO_ACTIONS: &str = "This hub has no containment actions configured. Its operator lists them in an actions file on the hub: see docs/ACTIONS.md.";

/// What the cursor can rest on, in display order.
#[derive(Debug, Clone, Copy)]
enum Item<'a> {
    /// One of the hub's actions; `from` names the applied playbooks suggesting it.
    Action {
        spec: &'a ActionSpec,
        suggested: bool,
    },
    /// Suggested by a playbook but not configured on this hub.
    Missing {
        id: &'a str,
    },
    Run(&'a ActionRun),
}

/// The playbooks applied to this incident that suggest action `id`, in order.
fn suggested_by<'a>(ctx: &ViewCtx<'a>, id: &str) -> Vec<&'a str> {
    (ctx.state.playbooks.iter())
        .filter_map(|p| ctx.runbooks.playbook(p))
        .filter(|p| p.actions.iter().any(|a| a == id))
        .map(|p| p.title.as_str())
        .collect()
}

/// Suggested actions (playbook order, once each), the rest of the hub's actions, then
/// the runs: those awaiting approval first, then newest first.
fn items<'a>(ctx: &ViewCtx<'a>) -> Vec<Item<'a>> {
    let mut list: Vec<Item<'a>> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let playbooks = (ctx.state.playbooks.iter()).filter_map(|p| ctx.runbooks.playbook(p));
    for id in playbooks.flat_map(|p| p.actions.iter()) {
        if seen.contains(&id.as_str()) {
            continue;
        }
        seen.push(id);
        list.push(match ctx.runbooks.action(id) {
            Some(spec) => Item::Action {
                spec,
                suggested: true,
            },
            None => Item::Missing { id },
        });
    }
    let rest = (ctx.runbooks.actions.iter()).filter(|a| !seen.contains(&a.id.as_str()));
    list.extend(rest.map(|spec| Item::Action {
        spec,
        suggested: false,
    }));
    let mut runs: Vec<&ActionRun> = ctx.state.action_runs.iter().rev().collect();
    runs.sort_by_key(|r| r.status != RunStatus::AwaitingApproval);
    list.extend(runs.into_iter().map(Item::Run));
    list
}

fn joined(roles: &[Role]) -> String {
    roles.iter().map(|r| r.id()).collect::<Vec<_>>().join(", ")
}

/// False only when we know our roles and our token grants none of `roles` (seats do
/// not count for actions; before the hub's welcome the roles are empty, and the hub
/// stays the judge).
fn may(roles: &[Role], ctx: &ViewCtx) -> bool {
    ctx.granted.is_empty() || roles.iter().any(|r| ctx.granted.contains(r))
}

/// Columns inside the confirmation dialog (`view.rs` draws it 78 wide). Wrapped here
/// so the dialog, which counts lines, keeps its "y / n" line in view.
const DIALOG_COLUMNS: usize = 76;

/// `text` wrapped at spaces to `width` columns; a longer word is cut.
fn wrapped(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut rows: Vec<String> = Vec::new();
    for line in text.lines() {
        let (mut row, mut used) = (String::new(), 0);
        for word in line.split(' ') {
            let w: usize = word.chars().map(|c| c.width().unwrap_or(0)).sum();
            if used > 0 && used + 1 + w > width {
                rows.push(std::mem::take(&mut row));
                used = 0;
            } else if used > 0 {
                row.push(' ');
                used += 1;
            }
            for c in word.chars() {
                let cw = c.width().unwrap_or(0);
                if used + cw > width {
                    rows.push(std::mem::take(&mut row));
                    used = 0;
                }
                row.push(c);
                used += cw;
            }
        }
        rows.push(row);
    }
    rows.join("\n")
}

/// What a confirmation shows: the description, the exact request (secrets as
/// `${NAME}`), and the two-person rule when it applies.
pub fn confirm_detail(
    spec: &ActionSpec,
    params: &BTreeMap<String, String>,
    ctx: &ViewCtx,
) -> String {
    let severity = ctx.state.severity.map_or("SEV?", |s| s.code());
    let values = Values {
        incident_id: &ctx.state.id,
        actor: ctx.me,
        severity,
        params,
    };
    let preview = match spec.render(&values, None) {
        Ok(request) => request.describe(),
        Err(error) => format!("(cannot show the request: {error})"),
    };
    let mut detail = format!(
        "{}\n\nIt will send exactly this:\n{preview}",
        spec.description
    );
    if spec.two_person {
        detail.push_str(&format!(
            "\n\nNeeds a second person's approval: a different responder with one of {} must approve it before it runs.",
            joined(&spec.roles)
        ));
    }
    wrapped(&detail, DIALOG_COLUMNS)
}

/// Parameters being asked for, one prompt each, before a run or a dry run.
#[derive(Debug, Clone)]
struct Asking {
    action: String,
    dry_run: bool,
    values: BTreeMap<String, String>,
}

#[derive(Default)]
pub struct ActionsPane {
    selected: usize,
    asking: Option<Asking>,
}

impl ActionsPane {
    fn start(&mut self, ctx: &ViewCtx, dry_run: bool) -> Reaction {
        let list = items(ctx);
        let spec = match list.get(self.selected) {
            Some(Item::Action { spec, .. }) => *spec,
            Some(Item::Missing { id }) => {
                return Reaction::Toast(format!(
                    "`{id}` is suggested by a playbook, but this hub has no such action (docs/ACTIONS.md)"
                ));
            }
            Some(Item::Run(_)) => {
                return Reaction::Toast(
                    "select an action above to run it; on a run, A approves and D denies".into(),
                );
            }
            None => return Reaction::Toast(NO_ACTIONS.into()),
        };
        if !may(&spec.roles, ctx) {
            return Reaction::Toast(format!(
                "you may not request {}: that needs one of {}",
                spec.title,
                joined(&spec.roles)
            ));
        }
        self.asking = Some(Asking {
            action: spec.id.clone(),
            dry_run,
            values: BTreeMap::new(),
        });
        self.next_param(spec, ctx, None)
    }

    /// Requests action `id` (from the palette): selects it, then as `r` or `p` would.
    pub fn request(&mut self, id: &str, dry_run: bool, ctx: &ViewCtx) -> Reaction {
        let found = items(ctx)
            .iter()
            .position(|item| matches!(item, Item::Action { spec, .. } if spec.id == id));
        match found {
            Some(at) => {
                self.selected = at;
                self.start(ctx, dry_run)
            }
            None => Reaction::Toast(format!("this hub has no action `{id}`")),
        }
    }

    /// Asks for the next parameter, or (all given) confirms or sends the request.
    fn next_param(
        &mut self,
        spec: &ActionSpec,
        ctx: &ViewCtx,
        retry: Option<(String, String)>,
    ) -> Reaction {
        let Some(asking) = self.asking.as_ref() else {
            return Reaction::None;
        };
        let next = spec
            .params
            .iter()
            .find(|p| !asking.values.contains_key(&p.name));
        if let Some(param) = next {
            let (error, initial) = retry.map_or((String::new(), String::new()), |(e, v)| {
                (format!("✗ {e} · "), v)
            });
            return Reaction::Prompt(Prompt {
                owner: Some(PaneKind::Actions),
                purpose: Purpose::Other(format!("param:{}", param.name)),
                title: format!("{error}⟨{}⟩ {}", param.name, param.description),
                initial,
            });
        }
        let Some(Asking {
            dry_run, values, ..
        }) = self.asking.take()
        else {
            return Reaction::None;
        };
        let command = Command::RequestAction {
            action: spec.id.clone(),
            params: values.clone(),
            dry_run,
        };
        // A dry run sends nothing anywhere: the hub renders it into the timeline.
        if dry_run || !spec.confirm {
            return Reaction::Send(command);
        }
        Reaction::Confirm {
            title: format!("Run {}?", spec.title),
            detail: confirm_detail(spec, &values, ctx),
            command,
        }
    }

    /// The answer for parameter `name`: checked against its pattern at once.
    fn answer(&mut self, name: &str, value: &str, ctx: &ViewCtx) -> Reaction {
        let Some(asking) = self.asking.as_mut() else {
            return Reaction::None;
        };
        let Some(spec) = ctx.runbooks.action(&asking.action) else {
            self.asking = None;
            return Reaction::Toast("the hub no longer has that action".into());
        };
        let value = value.trim().to_string();
        asking.values.insert(name.to_string(), value.clone());
        match spec.validate(&asking.values) {
            Err(ActionError::BadParam { name, pattern, .. }) => {
                asking.values.remove(&name);
                let error = format!("`{value}` does not match {pattern}");
                self.next_param(spec, ctx, Some((error, value)))
            }
            Err(error @ ActionError::BadPattern { .. }) => {
                self.asking = None;
                Reaction::Toast(error.to_string())
            }
            _ => self.next_param(spec, ctx, None),
        }
    }

    /// The run `A`/`D` act on: the selected one, else the only one awaiting approval
    /// that someone else requested.
    fn target_run<'a>(&self, ctx: &ViewCtx<'a>) -> Option<&'a ActionRun> {
        if let Some(Item::Run(run)) = items(ctx).get(self.selected) {
            return Some(run);
        }
        let mut waiting = (ctx.state.action_runs.iter())
            .filter(|r| r.status == RunStatus::AwaitingApproval && r.requested_by != ctx.me);
        match (waiting.next(), waiting.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    }

    /// The run to approve or deny, or why not.
    fn decidable<'a>(&self, ctx: &ViewCtx<'a>, verb: &str) -> Result<&'a ActionRun, String> {
        let Some(run) = self.target_run(ctx) else {
            return Err(format!("select the run to {verb} (under Runs)"));
        };
        if run.status != RunStatus::AwaitingApproval {
            let status = run.status.label();
            return Err(format!(
                "run #{} is {status}, not awaiting approval",
                run.run
            ));
        }
        if run.requested_by == ctx.me {
            return Err(format!(
                "you requested #{}: a different responder must {verb} it",
                run.run
            ));
        }
        if !may(&run.roles, ctx) {
            let roles = joined(&run.roles);
            return Err(format!("to {verb} #{} you need one of {roles}", run.run));
        }
        Ok(run)
    }

    fn approve(&self, ctx: &ViewCtx) -> Reaction {
        let run = match self.decidable(ctx, "approve") {
            Ok(run) => run,
            Err(why) => return Reaction::Toast(why),
        };
        let params: String = run
            .params
            .iter()
            .map(|(k, v)| format!(" {k}={v}"))
            .collect();
        let detail = format!(
            "Requested by {} at {}{}.\nApproving runs exactly this:\n{}",
            run.requested_by,
            run.requested_at.format("%H:%M UTC"),
            if params.is_empty() {
                String::new()
            } else {
                format!(" with{params}")
            },
            run.preview.describe()
        );
        Reaction::Confirm {
            title: format!("Approve #{} {}?", run.run, run.title),
            detail: wrapped(&detail, DIALOG_COLUMNS),
            command: Command::ApproveAction { run: run.run },
        }
    }

    fn deny(&self, ctx: &ViewCtx) -> Reaction {
        match self.decidable(ctx, "deny") {
            Ok(run) => Reaction::Prompt(Prompt {
                owner: Some(PaneKind::Actions),
                purpose: Purpose::Other(format!("deny:{}", run.run)),
                title: format!("Deny #{} {}: why? (Enter denies)", run.run, run.title),
                initial: String::new(),
            }),
            Err(why) => Reaction::Toast(why),
        }
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
        "↑↓ select · r run · p preview (dry run) · A approve · D deny (runs awaiting approval)"
    }

    fn on_action(&mut self, action: Action, ctx: &ViewCtx) -> Reaction {
        let last = items(ctx).len().saturating_sub(1);
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(10),
            Action::PageDown => self.selected = (self.selected + 10).min(last),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::RunAction => return self.start(ctx, false),
            Action::DryRun => return self.start(ctx, true),
            Action::Approve => return self.approve(ctx),
            Action::Deny => return self.deny(ctx),
            _ => {}
        }
        Reaction::None
    }

    fn on_submit(&mut self, purpose: &Purpose, value: &str, ctx: &ViewCtx) -> Reaction {
        let Purpose::Other(what) = purpose else {
            return Reaction::None;
        };
        if let Some(name) = what.strip_prefix("param:") {
            return self.answer(name, value, ctx);
        }
        if let Some(run) = what.strip_prefix("deny:").and_then(|r| r.parse().ok()) {
            return Reaction::Send(Command::DenyAction {
                run,
                reason: value.trim().to_string(),
            });
        }
        Reaction::None
    }

    fn render(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer, focused: bool) {
        let list = items(ctx);
        self.selected = self.selected.min(list.len().saturating_sub(1));
        view::render(&list, self.selected, ctx, area, buf, focused);
    }
}
