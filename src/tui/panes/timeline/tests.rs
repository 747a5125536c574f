//! The timeline's tests: wrapping under the text column, one-line mode, the detail
//! view with corrections, scrolling that keeps the selection in view when entries
//! have different heights, and the snapshots.

use super::render::PREFIX;
use super::*;
use crate::incident::{Actor, Role, Runbooks, Severity, decide};
use crate::tui::panes::tests::{screen, t};
use crate::tui::theme::Theme;
use std::collections::BTreeSet;

const LONG: &str = "acme sees globex invoices in the export API: the shared export cache keys \
                    on the invoice id only, so any tenant asking for a recent id gets whatever \
                    was cached last; disabling the cache stops it (confirmed on staging)";

fn run(state: &mut State, runbooks: &Runbooks, actor: &Actor, minute: i64, command: Command) {
    for event in decide(state, actor, &command, t(minute), runbooks, None).unwrap() {
        state.apply(&event);
    }
}

fn note(text: &str) -> Command {
    Command::AddNote {
        kind: EntryKind::Note,
        text: text.into(),
        typed_at: None,
    }
}

struct Fixture {
    runbooks: Runbooks,
    theme: Theme,
    roles: BTreeSet<Role>,
    state: State,
}

impl Fixture {
    /// Declared at 09:00; a long note at 09:01 and a short decision at 09:02, plus
    /// `extra` notes a minute apart.
    fn new(extra: &[&str]) -> Fixture {
        let runbooks = crate::catalog::embedded().unwrap();
        let alice = Actor::new("alice", [Role::Commander]);
        let mut state = State::default();
        let declare = Command::Declare {
            id: "INC-1".into(),
            title: "Invoices visible across tenants".into(),
            severity: Severity::Sev1,
            playbook: None,
            summary: None,
        };
        run(&mut state, &runbooks, &alice, 0, declare);
        run(&mut state, &runbooks, &alice, 1, note(LONG));
        let decision = Command::AddNote {
            kind: EntryKind::Decision,
            text: "Disable the shared export cache".into(),
            typed_at: None,
        };
        run(&mut state, &runbooks, &alice, 2, decision);
        for (i, text) in extra.iter().enumerate() {
            run(&mut state, &runbooks, &alice, 3 + i as i64, note(text));
        }
        Fixture {
            runbooks,
            theme: Theme::built_in("default").unwrap(),
            roles: [Role::Commander].into_iter().collect(),
            state,
        }
    }

    fn ctx(&self) -> ViewCtx<'_> {
        ViewCtx {
            state: &self.state,
            runbooks: &self.runbooks,
            theme: &self.theme,
            now: t(30),
            me: "alice",
            roles: &self.roles,
            granted: &self.roles,
            number: 1,
        }
    }
}

/// The screen's rows inside the frame's side borders.
fn inner_rows(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            let chars: Vec<char> = l.chars().collect();
            let end = chars.len().saturating_sub(1).max(1);
            chars
                .get(1..end)
                .map_or(String::new(), |c| c.iter().collect())
        })
        .collect()
}

#[test]
fn long_entries_wrap_under_the_text_column() {
    let fx = Fixture::new(&[]);
    let mut pane = TimelinePane::default();
    let (text, _) = screen(&mut pane, &fx.ctx(), 72, 14);
    let rows = inner_rows(&text);
    let first = rows.iter().position(|r| r.contains("acme sees")).unwrap();
    let words: Vec<&str> = LONG.split(' ').collect();
    let shown: String = rows[first..].join(" ");
    for word in &words {
        assert!(shown.contains(word), "{word:?} is not shown:\n{text}");
    }
    // Continuation rows start at the text column.
    let continuation = &rows[first + 1];
    assert!(continuation.starts_with(&" ".repeat(PREFIX)), "{text}");
    assert!(!continuation[PREFIX..].starts_with(' '), "{text}");
    // Kept in `panes/snapshots` with the other panes' (insta looks next to this file).
    insta::with_settings!({ snapshot_path => "../snapshots" }, {
        insta::assert_snapshot!("timeline_wrapped_72x14", text);
    });
}

#[test]
fn w_shows_one_line_per_entry() {
    let fx = Fixture::new(&[]);
    let mut pane = TimelinePane::default();
    assert_eq!(
        pane.on_action(Action::ToggleWrap, &fx.ctx()),
        Reaction::None
    );
    let (text, _) = screen(&mut pane, &fx.ctx(), 72, 14);
    let row = text.lines().find(|l| l.contains("acme sees")).unwrap();
    assert!(row.contains('…'), "{text}");
    assert!(!text.contains("(confirmed on staging)"), "{text}");
    assert!(text.contains("one line — w wraps"), "{text}");
    pane.on_action(Action::ToggleWrap, &fx.ctx());
    let (text, _) = screen(&mut pane, &fx.ctx(), 72, 14);
    assert!(text.contains("staging)"), "{text}");
}

#[test]
fn enter_shows_the_entry_in_full_with_every_correction() {
    let mut fx = Fixture::new(&[]);
    let bob = Actor::new("bob", [Role::Scribe]);
    let at = fx
        .state
        .timeline
        .iter()
        .position(|e| e.text == LONG)
        .unwrap();
    let seq = fx.state.timeline[at].seq;
    for (minute, text) in [(5, "first fix"), (6, "second fix\nwith a second line")] {
        let correct = Command::CorrectNote {
            entry: seq,
            text: text.into(),
        };
        run(&mut fx.state, &fx.runbooks, &bob, minute, correct);
    }
    let mut pane = TimelinePane::default();
    let ctx = fx.ctx();
    pane.on_action(Action::Up, &ctx);
    let Reaction::Detail(detail) = pane.on_action(Action::Select, &ctx) else {
        panic!("Enter shows a detail");
    };
    let all = detail.lines.join("\n");
    assert_eq!(detail.title, format!("Entry #{seq} — note"));
    for wanted in [
        "Kind:    note",
        "Author:  alice",
        "Time:    2026-11-20 09:01:00 UTC",
        "second fix\nwith a second line",
        "── original, by alice at 2026-11-20 09:01:00 UTC",
        "   acme sees globex",
        "by bob at 2026-11-20 09:05:00 UTC\n   first fix",
        "by bob at 2026-11-20 09:06:00 UTC\n   second fix\n   with a second line",
    ] {
        assert!(all.contains(wanted), "{wanted:?} missing:\n{all}");
    }
    // Correcting stays on `c`, prefilled with the text as it reads now.
    let Reaction::Prompt(prompt) = pane.on_action(Action::Correct, &ctx) else {
        panic!("c corrects");
    };
    assert_eq!(prompt.purpose, Purpose::Correct(seq));
    assert_eq!(prompt.initial, "second fix\nwith a second line");
}

#[test]
fn scrolling_keeps_the_selection_in_full_view() {
    let extra: Vec<String> = (0..30)
        .map(|i| match i % 3 {
            0 => format!("short {i}"),
            1 => format!("medium {i} {}", "word ".repeat(12)),
            _ => format!("long {i} {}", "text ".repeat(30)),
        })
        .collect();
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let fx = Fixture::new(&extra);
    let ctx = fx.ctx();
    let mut pane = TimelinePane::default();
    screen(&mut pane, &ctx, 60, 16);
    let count = fx.state.timeline.len();
    for step in 0..count + 3 {
        let action = if step < count {
            Action::Up
        } else {
            Action::Down
        };
        pane.on_action(action, &ctx);
        let (text, buf) = screen(&mut pane, &ctx, 60, 16);
        let entry = &fx.state.timeline[pane.selected];
        let head = format!("{} alice", entry.at.format("%H:%M:%S"));
        assert!(
            text.contains(&head),
            "step {step}: {head} not shown:\n{text}"
        );
        // Every row of the selected entry is highlighted and on screen.
        let height = super::render::entry_lines(entry, &fx.theme, 58, false, None).len();
        let selection = fx.theme.style(crate::tui::theme::Meaning::Selection);
        let highlighted = (1..15)
            .filter(|y| buf[(30, *y)].bg == selection.bg.unwrap_or_default())
            .count();
        assert_eq!(highlighted, height, "step {step}:\n{text}");
    }
}

#[test]
fn following_ends_with_the_newest_entry_in_full() {
    let fx = Fixture::new(&[LONG, "the newest"]);
    let mut pane = TimelinePane::default();
    let (text, _) = screen(&mut pane, &fx.ctx(), 60, 8);
    let rows = inner_rows(&text);
    let last = rows.len() - 2; // above the bottom border
    assert!(rows[last].contains("the newest"), "{text}");
    assert!(rows[last - 1].contains("staging)"), "{text}");
}
