//! Drawing the timeline: the title with counts and what is paused or filtered, the
//! entries on screen, and the composer at the foot when it is open. Entries wrap under
//! their text column (or take one line each in one-line mode). Only the entries that
//! fit are laid out: following, from the newest upwards; scrolled, from the first
//! entry shown, moved only as far as the selection needs. While the hub reads older
//! entries, a row at the top (or foot) says so; the hub's search matches carry their
//! seq and date, with a row at the foot saying how far back it searched.

use super::{Entries, TimelinePane};
use crate::incident::EntryKind;
use crate::incident::state::TimelineEntry;
use crate::tui::layout::PaneKind;
use crate::tui::panes::{ViewCtx, cell, ellipsize, frame};
use crate::tui::theme::{Meaning, Theme};
use crate::tui::wrap;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// Columns before an entry's text: `HH:MM:SS author    kind     `.
pub(super) const PREFIX: usize = 8 + 1 + 9 + 1 + 8 + 1;
/// Narrower text columns than this are shown one line per entry.
const MIN_TEXT: usize = 12;

fn kind_label(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Note => "note",
        EntryKind::Decision => "DECISION",
        EntryKind::Action => "action",
        EntryKind::Comms => "comms",
        EntryKind::System => "·",
    }
}

/// One entry's display lines at `width` columns; `tag` goes before the text (a search
/// match from the log carries its seq and date).
pub(super) fn entry_lines(
    entry: &TimelineEntry,
    theme: &Theme,
    width: usize,
    one_line: bool,
    tag: Option<String>,
) -> Vec<Line<'static>> {
    let prefix = format!(
        "{} {} ",
        entry.at.format("%H:%M:%S"),
        cell(&entry.author, 9)
    );
    let mut kind_style = theme.style(Meaning::Kind(entry.kind));
    if entry.kind == EntryKind::Decision {
        kind_style = kind_style.add_modifier(Modifier::BOLD);
    }
    // Severity, status, title and seat changes stand out; other system entries (ticks,
    // cells, alerts) stay quiet.
    let text_style = match (entry.kind, entry.milestone) {
        (EntryKind::System, true) => theme.style(Meaning::Info),
        (EntryKind::System, false) => theme.style(Meaning::Muted),
        _ => theme.style(Meaning::Text),
    };
    let mut text = match tag {
        Some(tag) => format!("{tag} {}", entry.current_text()),
        None => entry.current_text().to_string(),
    };
    if entry.correction.is_some() {
        text.push_str(" (corrected)");
    }
    if let Some(typed) = entry.typed_at {
        text.push_str(&format!(" (typed {} UTC)", typed.format("%H:%M:%S")));
    }
    let room = width.saturating_sub(PREFIX);
    let head = |text: String| {
        Line::from(vec![
            Span::styled(prefix.clone(), theme.style(Meaning::Muted)),
            Span::styled(format!("{:<8} ", kind_label(entry.kind)), kind_style),
            Span::styled(text, text_style),
        ])
    };
    if one_line || room < MIN_TEXT {
        return vec![head(ellipsize(&text.replace('\n', " ⏎ "), room))];
    }
    let mut rows = wrap::wrap(&text, room, room).into_iter();
    let mut lines = vec![head(rows.next().unwrap_or_default())];
    lines.extend(rows.map(|row| {
        Line::from(vec![
            Span::raw(" ".repeat(PREFIX)),
            Span::styled(row, text_style),
        ])
    }));
    lines
}

pub(super) fn render(
    pane: &mut TimelinePane,
    ctx: &ViewCtx,
    area: Rect,
    buf: &mut Buffer,
    focused: bool,
) {
    let theme = ctx.theme;
    pane.settle(ctx.state, ctx.me);
    let total = ctx.state.timeline_len();
    let count = pane.count(ctx.state, ctx.me);
    if pane.follow {
        pane.selected = count.saturating_sub(1);
        pane.seen = total;
    }
    let block = frame(
        theme,
        ctx.number,
        PaneKind::Timeline.title(),
        Some(status(pane, count, total, theme)),
        focused,
    );
    let inner = block.inner(area);
    block.render(area, buf);

    // The composer takes what it needs, leaving at least one row of entries.
    let editor_height = (pane.editor.as_ref()).map_or(0, |e| {
        e.height(inner.width).min(inner.height.saturating_sub(1))
    });
    let [list_area, editor_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(editor_height)]).areas(inner);
    // Pending notes take the foot of the list, at most half of it.
    let pending = pending_lines(pane, ctx, list_area);
    let pending_height = u16::try_from(pending.len()).unwrap_or(u16::MAX);
    let [list_area, pending_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(pending_height)]).areas(list_area);
    Paragraph::new(pending).render(pending_area, buf);
    // What the hub is reading for us takes a row at the top or foot.
    let (top_row, foot_row) = pane.read_status();
    let row = |text: Option<String>| {
        text.map(|t| {
            Line::from(Span::styled(
                ellipsize(&t, usize::from(list_area.width)),
                theme.style(Meaning::Muted).add_modifier(Modifier::ITALIC),
            ))
        })
    };
    let (top_row, foot_row) = (row(top_row), row(foot_row));
    let [top_area, list_area, foot_area] = Layout::vertical([
        Constraint::Length(u16::from(top_row.is_some())),
        Constraint::Min(1),
        Constraint::Length(u16::from(foot_row.is_some())),
    ])
    .areas(list_area);
    if let Some(line) = top_row {
        Paragraph::new(line).render(top_area, buf);
    }
    if let Some(line) = foot_row {
        Paragraph::new(line).render(foot_area, buf);
    }
    let lines = if count == 0 {
        let message = if pane.filtering() {
            "nothing matches — Esc clears the filter"
        } else {
            "no entries yet — press n to write a note"
        };
        vec![Line::from(Span::styled(
            message,
            theme.style(Meaning::Muted),
        ))]
    } else {
        visible_lines(pane, ctx, list_area, count, focused)
    };
    Paragraph::new(lines).render(list_area, buf);
    if let Some(editor) = pane.editor.as_mut() {
        editor.render(theme, editor_area, buf);
    }
}

/// Your unacknowledged notes as lines, marked pending, fitting in half of `area` (the
/// newest kept; a count says how many more wait).
fn pending_lines(pane: &TimelinePane, ctx: &ViewCtx, area: Rect) -> Vec<Line<'static>> {
    let room = usize::from(area.height / 2);
    if pane.pending.is_empty() || room == 0 {
        return Vec::new();
    }
    let width = usize::from(area.width);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut left_out = 0;
    for (i, note) in pane.pending.iter().enumerate().rev() {
        let entry = TimelineEntry {
            seq: 0,
            at: note.typed_at,
            author: ctx.me.to_string(),
            kind: note.kind,
            text: format!("[pending] {}", note.text),
            typed_at: None,
            correction: None,
            earlier: Vec::new(),
            milestone: false,
        };
        let mut drawn = entry_lines(&entry, ctx.theme, width, pane.one_line, None);
        // Leave a row for the count when older notes will not fit.
        let reserve = usize::from(i > 0);
        if lines.len() + drawn.len() + reserve > room {
            left_out = i + 1;
            break;
        }
        let pending = ctx
            .theme
            .style(Meaning::Warn)
            .add_modifier(Modifier::ITALIC);
        for line in &mut drawn {
            for span in &mut line.spans {
                span.style = span.style.patch(pending);
            }
        }
        drawn.append(&mut lines);
        lines = drawn;
    }
    if left_out > 0 {
        lines.insert(
            0,
            Line::from(Span::styled(
                ellipsize(&format!("… {left_out} more pending note(s) above"), width),
                ctx.theme.style(Meaning::Warn),
            )),
        );
    }
    lines
}

/// The title's extra: how many entries, the filter, and whether it is paused.
fn status(pane: &TimelinePane, count: usize, total: u64, theme: &Theme) -> Span<'static> {
    let mut status = Vec::new();
    if pane.filtering() {
        let mut parts = vec![pane.filter.label()];
        if !pane.search.is_empty() {
            parts.push(format!("“{}”", pane.search));
        }
        parts.retain(|p| !p.is_empty());
        status.push(format!("{} · {count}/{total}", parts.join(" ")));
    } else {
        status.push(format!("{total}"));
    }
    if pane.one_line {
        status.push("one line — w wraps".into());
    }
    if !pane.follow {
        let new = total.saturating_sub(pane.seen);
        status.push(if new > 0 {
            format!("paused, {new} new — G follows")
        } else {
            "paused — G follows".into()
        });
    }
    let meaning = if pane.follow {
        Meaning::Muted
    } else {
        Meaning::Warn
    };
    Span::styled(status.join(" · "), theme.style(meaning))
}

/// The lines of the entries that fit in `area`, updating the first entry shown and the
/// page size. `count` > 0.
fn visible_lines(
    pane: &mut TimelinePane,
    ctx: &ViewCtx,
    area: Rect,
    count: usize,
    focused: bool,
) -> Vec<Line<'static>> {
    let (rows, width) = (usize::from(area.height).max(1), usize::from(area.width));
    // The filtered positions, borrowed out of the pane while it is laid out.
    pane.shown(ctx.state, ctx.me);
    let cache = if pane.filtering() {
        pane.cache.take()
    } else {
        None
    };
    let index = |position: usize| match &cache {
        Some((.., shown)) => shown[position],
        None => position,
    };
    let one_line = pane.one_line;
    let entries = Entries::new(&pane.older, pane.found.as_ref(), ctx.state);
    let lines_of = |position: usize| {
        let raw = index(position);
        let Some(entry) = entries.get(raw) else {
            return Vec::new();
        };
        let tag = entries
            .is_found(raw)
            .then(|| format!("#{} {} ·", entry.seq, entry.at.format("%Y-%m-%d")));
        entry_lines(entry, ctx.theme, width, one_line, tag)
    };

    // (position, lines) of the entries shown, top to bottom.
    let mut placed: Vec<(usize, Vec<Line<'static>>)> = Vec::new();
    let mut used = 0;
    if pane.follow {
        let mut position = count;
        while position > 0 && used < rows {
            position -= 1;
            let lines = lines_of(position);
            used += lines.len();
            placed.push((position, lines));
        }
        placed.reverse();
    } else {
        let selected = pane.selected.min(count - 1);
        pane.selected = selected;
        // The earliest first entry that still shows the selection in full.
        let selected_lines = lines_of(selected);
        let (mut earliest, mut above) = (selected, selected_lines.len());
        while earliest > 0 {
            let height = lines_of(earliest - 1).len();
            if above + height > rows {
                break;
            }
            above += height;
            earliest -= 1;
        }
        let mut position = pane.top.clamp(earliest, selected);
        while position < count && used < rows {
            let lines = if position == selected {
                selected_lines.clone()
            } else {
                lines_of(position)
            };
            used += lines.len();
            placed.push((position, lines));
            position += 1;
        }
        // At the end with room to spare: show more of what came before.
        while let Some(first) = placed.first().map(|(p, _)| *p).filter(|p| *p > 0) {
            let lines = lines_of(first - 1);
            if used + lines.len() > rows {
                break;
            }
            used += lines.len();
            placed.insert(0, (first - 1, lines));
        }
    }
    pane.top = placed.first().map_or(0, |(p, _)| *p);
    pane.page = placed.len().saturating_sub(1).max(1);
    if cache.is_some() {
        pane.cache = cache;
    }
    pane.remember(ctx.state, ctx.me);

    let highlight = focused && !pane.follow;
    let selection = ctx.theme.style(Meaning::Selection);
    let mut lines: Vec<Line<'static>> = Vec::with_capacity(used);
    for (position, entry) in placed {
        let selected = highlight && position == pane.selected;
        lines.extend(entry.into_iter().map(|line| {
            if selected {
                line.style(selection)
            } else {
                line
            }
        }));
    }
    // Following, the newest entry ends on the last row: cut the oldest entry's top.
    if pane.follow && lines.len() > rows {
        lines.drain(..lines.len() - rows);
    }
    lines
}
