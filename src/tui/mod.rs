//! The war-room console: a ratatui app rendered from the incident's state. `app` holds
//! state and `update`; `view` draws; `panes/` has one file per pane; `keymap`, `theme`
//! and `layout` are data; `composer` and `typing` are the note composer every pane
//! opens, `editing` the keys every text input shares, `reader` the scrolling help and
//! detail overlays, `guard` the dialog before resolving or lowering severity, `pending`
//! the commands sent and not yet settled, `postmortem` the post-mortem view over the
//! panes, `followup_form` the follow-up form; `run` owns the terminal and the event loop.

pub mod app;
pub mod composer;
mod dialog;
pub mod editing;
mod followup_form;
mod guard;
pub mod incidents;
pub mod keymap;
pub mod keys_in;
pub mod layout;
pub mod lobby;
mod lobby_figures;
pub mod modal;
mod palette;
pub mod panes;
mod pending;
pub mod postmortem;
pub mod reader;
pub mod run;
pub mod safe_cells;
pub mod start;
pub mod terminal;
pub mod theme;
mod typing;
pub mod view;
pub mod wrap;
