//! The checklist pane (being written).

use super::{Pane, Reaction, ViewCtx, frame};
use crate::tui::keymap::{Action, Context};
use crate::tui::layout::PaneKind;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

#[derive(Default)]
pub struct ChecklistPane {}

impl Pane for ChecklistPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Checklist
    }
    fn context(&self) -> Context {
        Context::Checklist
    }
    fn render(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer, focused: bool) {
        frame(
            ctx.theme,
            ctx.number,
            PaneKind::Checklist.title(),
            None,
            focused,
        )
        .render(area, buf);
    }
    fn on_action(&mut self, _action: Action, _ctx: &ViewCtx) -> Reaction {
        Reaction::None
    }
}
