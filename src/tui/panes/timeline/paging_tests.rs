//! The timeline's paging through the hub, pane by pane: the bound on older pages and
//! the hole it leaves (never crossed, fetched again), the selection staying on its
//! entry as pages come and go, entries out of memory refused for correction, and a
//! search of the hub started again when the window moves.

use super::older::{MAX_OLDER, PAGE};
use super::*;
use crate::incident::{Role, Runbooks};
use crate::tui::panes::tests::t;
use crate::tui::theme::Theme;
use std::collections::BTreeSet;

/// The window: entries `FIRST_KEPT`.. in memory, everything before out of it.
const FIRST_KEPT: u64 = 20_001;

fn entry(seq: u64) -> TimelineEntry {
    TimelineEntry {
        seq,
        at: t(0),
        author: "alice".into(),
        kind: EntryKind::Note,
        text: format!("entry {seq}"),
        typed_at: None,
        correction: None,
        earlier: Vec::new(),
        milestone: false,
    }
}

struct Fixture {
    runbooks: Runbooks,
    theme: Theme,
    roles: BTreeSet<Role>,
    state: State,
}

impl Fixture {
    fn new() -> Fixture {
        let state = State {
            timeline: (FIRST_KEPT..FIRST_KEPT + 10).map(entry).collect(),
            timeline_dropped: FIRST_KEPT - 1,
            seq: FIRST_KEPT + 9,
            ..State::default()
        };
        Fixture {
            runbooks: Runbooks::default(),
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

/// Answers `reaction` (a page request) as the hub would, under `id`.
fn answer(pane: &mut TimelinePane, reaction: Reaction, id: &str) {
    let Reaction::Read(read @ Read::Page { before_seq, limit }) = reaction else {
        panic!("expected a page request, got {reaction:?}");
    };
    pane.asked(id, &read);
    let from = before_seq.saturating_sub(u64::from(limit)).max(1);
    pane.page_arrived(id, (from..before_seq).map(entry).collect(), from > 1);
}

/// The seq of the selected entry, read through Enter.
fn selected_seq(pane: &mut TimelinePane, ctx: &ViewCtx) -> u64 {
    match pane.on_action(Action::Select, ctx) {
        Reaction::Detail(detail) => detail.title[7..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap(),
        other => panic!("Enter shows the entry: {other:?}"),
    }
}

#[test]
fn past_the_bound_the_hole_is_never_crossed_and_is_fetched_again() {
    let fx = Fixture::new();
    let ctx = fx.ctx();
    let mut pane = TimelinePane::default();
    // g, page after page, until the bound drops the pages nearest the window.
    let pages = MAX_OLDER / PAGE as usize + 1;
    for page in 0..pages {
        let reaction = pane.on_action(Action::Top, &ctx);
        answer(&mut pane, reaction, &format!("up-{page}"));
        assert_eq!(
            selected_seq(&mut pane, &ctx),
            FIRST_KEPT - PAGE as u64 * page as u64
        );
    }
    assert!(pane.older.has_hole() && pane.older.len() <= MAX_OLDER);
    let newest_held = FIRST_KEPT - PAGE as u64 - 1;
    // Down to the last entry before the hole, which asks for the page that went.
    let mut asked = None;
    for _ in 0..MAX_OLDER {
        match pane.on_action(Action::PageDown, &ctx) {
            Reaction::None => continue,
            reaction => {
                asked = Some(reaction);
                break;
            }
        }
    }
    assert_eq!(selected_seq(&mut pane, &ctx), newest_held);
    let asked = asked.expect("reaching the hole asks for the page");
    assert_eq!(
        asked,
        Reaction::Read(Read::Page {
            before_seq: FIRST_KEPT,
            limit: PAGE
        })
    );
    // While it loads, down stays put and asks nothing more.
    assert_eq!(pane.on_action(Action::Down, &ctx), Reaction::None);
    assert_eq!(selected_seq(&mut pane, &ctx), newest_held);
    answer(&mut pane, asked, "down");
    assert!(!pane.older.has_hole());
    assert_eq!(
        selected_seq(&mut pane, &ctx),
        newest_held,
        "the selection stays put"
    );
    pane.on_action(Action::Down, &ctx);
    assert_eq!(selected_seq(&mut pane, &ctx), newest_held + 1);
}

#[test]
fn entries_out_of_memory_are_not_offered_for_correction() {
    let fx = Fixture::new();
    let ctx = fx.ctx();
    let mut pane = TimelinePane::default();
    let reaction = pane.on_action(Action::Top, &ctx);
    answer(&mut pane, reaction, "p");
    pane.on_action(Action::Up, &ctx);
    let Reaction::Toast(why) = pane.on_action(Action::Correct, &ctx) else {
        panic!("a toast, not a prompt the hub would refuse");
    };
    assert!(why.contains("add a note instead"), "{why}");
}

#[test]
fn a_moved_window_starts_the_hub_search_again_from_its_first_entry() {
    let mut fx = Fixture::new();
    let mut pane = TimelinePane::default();
    // The state arrives (a snapshot), then the search starts.
    assert_eq!(pane.window_changed(&fx.state, true), None);
    let reaction = pane.on_submit(&Purpose::Search, "entry", &fx.ctx());
    assert_eq!(
        reaction,
        Reaction::Read(Read::Search {
            query: "entry".into(),
            before_seq: FIRST_KEPT
        })
    );
    assert_eq!(pane.window_changed(&fx.state, false), None, "same window");
    fx.state.timeline.drain(..4);
    fx.state.timeline_dropped += 4;
    assert_eq!(
        pane.window_changed(&fx.state, false),
        Some(Read::Search {
            query: "entry".into(),
            before_seq: FIRST_KEPT + 4
        })
    );
}

#[test]
fn a_search_of_the_hub_starts_below_the_pages_already_held() {
    let fx = Fixture::new();
    let ctx = fx.ctx();
    let mut pane = TimelinePane::default();
    let reaction = pane.on_action(Action::Top, &ctx);
    answer(&mut pane, reaction, "p");
    assert_eq!(
        pane.on_submit(&Purpose::Search, "entry", &ctx),
        Reaction::Read(Read::Search {
            query: "entry".into(),
            before_seq: FIRST_KEPT - u64::from(PAGE)
        })
    );
    // While the hub searches, reaching the top asks for no page.
    assert_eq!(pane.on_action(Action::Top, &ctx), Reaction::None);
}
