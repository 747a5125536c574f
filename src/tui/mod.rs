//! The war-room console: a ratatui app rendered from the incident's state. `app` holds
//! state and `update`; `view` draws; `panes/` has one file per pane; `keymap`, `theme`
//! and `layout` are data; `run` owns the terminal and the event loop.

pub mod app;
pub mod keymap;
pub mod layout;
pub mod lobby;
pub mod modal;
mod palette;
pub mod panes;
pub mod run;
pub mod safe_cells;
pub mod start;
pub mod terminal;
pub mod theme;
pub mod view;
