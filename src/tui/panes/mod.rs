//! The panes. Each renders from `&State` (via [`ViewCtx`]) and turns actions and keys
//! into [`Reaction`]s; none touches the network. One file per pane.

pub mod actions;
pub mod blast;
pub mod checklist;
pub mod comms;
pub mod header;
pub mod timeline;

use super::keymap::{Action, Context};
use super::layout::PaneKind;
use super::theme::{Meaning, Theme};
use crate::incident::role::{Permission, permits};
use crate::incident::{Command, Role, Runbooks, State};
use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Widget};
use std::collections::BTreeSet;

/// Everything a pane may read while rendering or reacting.
pub struct ViewCtx<'a> {
    pub state: &'a State,
    pub runbooks: &'a Runbooks,
    pub theme: &'a Theme,
    pub now: DateTime<Utc>,
    /// Your name, as the hub knows you.
    pub me: &'a str,
    /// Your roles for the incident record: granted plus seats (see
    /// `incident::decide::record_roles`).
    pub roles: &'a BTreeSet<Role>,
    /// The roles your token grants: the only ones that count for containment actions
    /// (`incident::decide::production_roles`).
    pub granted: &'a BTreeSet<Role>,
    /// The pane's number in the current layout (what the digit keys jump to).
    pub number: usize,
}

/// What a pane wants done after an action or key.
#[derive(Debug, Clone, PartialEq)]
pub enum Reaction {
    None,
    /// Send this command to the hub.
    Send(Command),
    /// Ask for one line of text; the answer comes back through `Pane::on_submit`.
    Prompt(Prompt),
    /// Offer a list of choices; the choice comes back through `Pane::on_submit`.
    Pick(Picker),
    /// Ask "are you sure?" showing `detail`; yes sends `command`.
    Confirm {
        title: String,
        detail: String,
        command: Command,
    },
    /// A short message in the status line.
    Toast(String),
    /// Show something in full, read-only (a timeline entry, a checklist item).
    Detail(Detail),
    /// Ask the hub for something it answers later (older timeline, a search of it).
    Read(Read),
}

/// A read of the incident the hub answers later, by the id the sync task gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// Up to `limit` timeline entries before entry `before_seq`.
    Page { before_seq: u64, limit: u32 },
    /// Entries matching `query`, searching backwards from before `before_seq`.
    Search { query: String, before_seq: u64 },
}

/// A read-only view of one thing in full: a title and lines of text (wrapped to the
/// dialog's width when drawn, scrolled when longer than the screen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub title: String,
    pub lines: Vec<String>,
}

/// Why a prompt or picker was opened; the pane that opened it knows what to do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    Search,
    Correct(u64),
    AddItem,
    AssignItem(String),
    ApplyPlaybook,
    AddTenant,
    AddRegion(String),
    AddService,
    /// Which name under the blast cursor to rename / remove (a picker's answer is
    /// `axis:name`).
    PickRename,
    PickRemove,
    Rename(crate::incident::blast::BlastAxis, String),
    ChooseTemplate,
    Field {
        template: String,
        field: String,
    },
    /// Who takes a seat: a picker of names (Enter on a typed name that matches none
    /// takes the typed name), or a prompt after "type another name".
    AssignRole(Role),
    /// When an impact time was (HH:MM UTC today, or RFC 3339; empty: now).
    SetTime(crate::incident::times::TimeKind),
    /// A follow-up as `OWNER DUE [P1-P4] TEXT`.
    AddFollowup,
    Other(String),
}

impl Purpose {
    /// Whether the answer may hold line breaks (Ctrl-J types one): a correction
    /// replaces a note, which may have several lines.
    pub fn multiline(&self) -> bool {
        matches!(self, Purpose::Correct(_))
    }

    /// Whether a picker for this purpose takes what was typed when nothing matches it
    /// (names: anyone may be seated, connected or not).
    pub fn free_text(&self) -> bool {
        matches!(self, Purpose::AssignRole(_))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// The pane to hand the answer to; `None` for the console itself (palette).
    pub owner: Option<PaneKind>,
    pub purpose: Purpose,
    pub title: String,
    /// Shown selected, so the first key typed replaces it and an arrow keeps it.
    pub initial: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub owner: Option<PaneKind>,
    pub purpose: Purpose,
    pub title: String,
    /// (value handed back, label shown)
    pub choices: Vec<(String, String)>,
}

pub trait Pane {
    fn kind(&self) -> PaneKind;
    fn context(&self) -> Context;
    fn render(&mut self, ctx: &ViewCtx, area: Rect, buf: &mut Buffer, focused: bool);
    fn on_action(&mut self, action: Action, ctx: &ViewCtx) -> Reaction;
    /// True while the pane's own text input wants every key (an open editor).
    fn capturing(&self) -> bool {
        false
    }
    fn on_key(&mut self, _key: KeyEvent, _ctx: &ViewCtx) -> Reaction {
        Reaction::None
    }
    /// Pasted text while `capturing`; the pane puts it in its open editor as text.
    fn on_paste(&mut self, _text: &str) -> Reaction {
        Reaction::None
    }
    /// The answer to a prompt or picker this pane opened.
    fn on_submit(&mut self, _purpose: &Purpose, _value: &str, _ctx: &ViewCtx) -> Reaction {
        Reaction::None
    }
    /// Describes unsent work (a half-typed note, an unpublished draft), for the quit
    /// confirmation.
    fn unsent(&self) -> Option<String> {
        None
    }
    /// A short hint for the status line while this pane has focus.
    fn hint(&self) -> &'static str {
        ""
    }
}

/// The frame every pane draws in: title with its number, focus shown by border style.
/// The title is fitted to the frame's width when drawn, ending in `…` if cut.
pub fn frame<'a>(
    theme: &Theme,
    number: usize,
    title: &str,
    extra: Option<Span<'a>>,
    focused: bool,
) -> PaneFrame<'a> {
    let border = if focused {
        theme.style(Meaning::Focus).add_modifier(Modifier::BOLD)
    } else {
        theme.style(Meaning::Border)
    };
    let mut spans = vec![
        Span::styled(
            format!(" {number} "),
            if focused {
                theme.style(Meaning::Focus).add_modifier(Modifier::REVERSED)
            } else {
                theme.style(Meaning::Muted)
            },
        ),
        Span::styled(
            format!(" {title} "),
            theme.style(Meaning::Title).add_modifier(Modifier::BOLD),
        ),
    ];
    if let Some(extra) = extra {
        spans.push(extra);
        spans.push(Span::raw(" "));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(border);
    PaneFrame {
        block,
        title: Line::from(spans),
    }
}

/// A pane's bordered block and its title, fitted to the width it is drawn at.
pub struct PaneFrame<'a> {
    block: Block<'a>,
    title: Line<'a>,
}

impl<'a> PaneFrame<'a> {
    pub fn inner(&self, area: Rect) -> Rect {
        self.block.inner(area)
    }
}

impl Widget for PaneFrame<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let room = usize::from(area.width.saturating_sub(2));
        self.block
            .title(fit_line(self.title, room))
            .render(area, buf);
    }
}

/// Cuts `text` to `width` columns, ending with an ellipsis when it had to cut.
pub fn ellipsize(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// A styled line cut to `width` columns, ending with an ellipsis (in the style of the
/// span it cut) when it had to cut.
pub fn fit_line<'a>(line: Line<'a>, width: usize) -> Line<'a> {
    use unicode_width::UnicodeWidthStr;
    if line.width() <= width {
        return line;
    }
    let mut spans = Vec::new();
    let mut used = 0;
    for span in line.spans {
        let w = span.content.width();
        if used + w < width {
            used += w;
            spans.push(span);
            continue;
        }
        // This span holds the last column: cut it there, with the ellipsis.
        let room = width - used;
        let text = ellipsize(&format!("{}…", span.content), room);
        spans.push(Span::styled(text, span.style));
        break;
    }
    Line {
        spans,
        style: line.style,
        alignment: line.alignment,
    }
}

/// `text` cut to `width` columns and padded to exactly `width`.
fn cell(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    let cut = ellipsize(text, width);
    let pad = width.saturating_sub(cut.width());
    format!("{cut}{}", " ".repeat(pad))
}

/// A toast instead of a prompt the hub would refuse anyway. Only when we know who we
/// are: before the hub's welcome the roles are empty and the hub stays the judge.
fn refuse(ctx: &ViewCtx, permission: Permission) -> Option<Reaction> {
    refused(ctx.roles, permission).map(Reaction::Toast)
}

/// Why `roles` may not do what `permission` allows (the toast that says so), if we know
/// they may not: with no roles yet (before the hub's welcome) the hub stays the judge.
pub(crate) fn refused(
    roles: &std::collections::BTreeSet<crate::incident::Role>,
    permission: Permission,
) -> Option<String> {
    (!roles.is_empty() && !permits(roles, permission))
        .then(|| format!("your roles may not {}", permission.describe()))
}

#[cfg(test)]
mod tests {
    use super::{Pane, ViewCtx, ellipsize};
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use unicode_width::UnicodeWidthStr;

    /// 09:00 UTC on the fixtures' day, plus `minutes`.
    pub(super) fn t(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    /// The rendered text, row by row, with trailing blanks cut (the checklist's and the
    /// blast pane's tests use it).
    pub(super) fn screen(
        pane: &mut dyn Pane,
        ctx: &ViewCtx,
        width: u16,
        height: u16,
    ) -> (String, Buffer) {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
        pane.render(ctx, buf.area, &mut buf, true);
        let mut text = String::new();
        for y in 0..height {
            let (mut line, mut skip) = (String::new(), 0);
            for x in 0..width {
                let symbol = buf[(x, y)].symbol();
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                // A wide character's second cell is already covered by it.
                skip = symbol.width().saturating_sub(1);
                line.push_str(symbol);
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        (text, buf)
    }

    #[test]
    fn ellipsize_cuts_to_width() {
        assert_eq!(ellipsize("abcdef", 6), "abcdef");
        assert_eq!(ellipsize("abcdef", 4), "abc…");
        assert_eq!(ellipsize("日本語テキスト", 5), "日本…");
        assert_eq!(ellipsize("abc", 0), "");
    }
}
