//! The comms pane (being written).

use super::{Pane, Reaction, ViewCtx, frame};
use crate::tui::keymap::{Action, Context};
use crate::tui::layout::PaneKind;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

#[derive(Default)]
pub struct CommsPane {}

impl Pane for CommsPane {
    fn kind(&self) -> PaneKind {
        PaneKind::Comms
    }
    fn context(&self) -> Context {
        Context::Comms
    }
    fn render(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer, focused: bool) {
        frame(
            ctx.theme,
            ctx.number,
            PaneKind::Comms.title(),
            None,
            focused,
        )
        .render(area, buf);
    }
    fn on_action(&mut self, _action: Action, _ctx: &ViewCtx) -> Reaction {
        Reaction::None
    }
}
