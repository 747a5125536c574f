//! The console's layout at the four sizes a team uses (80x24, 100x30, 120x40, 160x48):
//! snapshots of every role's layout with the demo incident and a fixed clock, checks
//! that nothing is cut without `…`, that the timeline keeps 60 characters of text from
//! 100 columns up, that every pane gets its minimum or becomes a tab, and that the
//! digits mean the same pane everywhere. Then the header's wrapping, the dialogs'
//! scrolling, the theme's emphasis, and the news of other incidents (banner, `J`, `L`).

use chrono::{DateTime, Duration, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};
use std::sync::Arc;
use warroom::catalog;
use warroom::engine::IncidentSummary;
use warroom::incident::{Command, Event, Role, Severity, State, Status};
use warroom::net::IncidentNews;
use warroom::protocol::{Identity, PreviousSummary};
use warroom::tui::app::{App, Effect, Msg};
use warroom::tui::incidents::Destination;
use warroom::tui::layout::{Layout, PaneKind};
use warroom::tui::theme::Theme;
use warroom::tui::view;

const SIZES: [(u16, u16); 4] = [(80, 24), (100, 30), (120, 40), (160, 48)];
const LAYOUTS: [&str; 4] = ["commander", "scribe", "comms", "oncall"];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 5, 0, 0).unwrap()
}

fn demo_events() -> Vec<Event> {
    warroom::demo::events(&catalog::embedded().unwrap(), now())
}

fn app_with(layout: &str, theme: &str) -> App {
    let runbooks = Arc::new(catalog::embedded().unwrap());
    let me = Identity {
        name: "alice".into(),
        roles: [Role::Commander].into_iter().collect(),
    };
    let mut app = App::new(
        runbooks,
        Theme::built_in(theme).unwrap(),
        Layout::built_in(layout).unwrap(),
        me,
        now(),
    )
    .with_events(&demo_events());
    app.here = vec!["alice".into(), "bob".into()];
    app
}

fn app(layout: &str) -> App {
    app_with(layout, "default")
}

fn draw(app: &mut App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    app.update(Msg::Resize(width, height));
    terminal.draw(|frame| view::render(app, frame)).unwrap();
    terminal.backend().buffer().clone()
}

/// The screen as text, one line per row (wide characters once).
fn text(buffer: &Buffer) -> Vec<String> {
    let area = buffer.area;
    (0..area.height)
        .map(|y| {
            let mut line = String::new();
            let mut skip = 0;
            for x in 0..area.width {
                let symbol = buffer[(x, y)].symbol();
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                skip = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
                line.push_str(symbol);
            }
            line
        })
        .collect()
}

fn screen(app: &mut App, width: u16, height: u16) -> String {
    text(&draw(app, width, height)).join("\n")
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| app.update(key(c))).collect()
}

/// A pane frame found on screen: its title and its box (x, y, width, height).
#[derive(Debug)]
struct Frame {
    title: String,
    x: usize,
    y: usize,
    width: usize,
    height: usize,
}

/// Every pane frame on the screen, by its corners (plain or thick).
fn frames(rows: &[Vec<char>]) -> Vec<Frame> {
    let mut out = Vec::new();
    for (y, row) in rows.iter().enumerate() {
        for (x, c) in row.iter().enumerate() {
            let (right, horizontal, bottom) = match c {
                '┌' => ('┐', '─', '└'),
                '┏' => ('┓', '━', '┗'),
                _ => continue,
            };
            let Some(w) = row[x + 1..].iter().position(|c| *c == right) else {
                continue;
            };
            let h = rows[y + 1..]
                .iter()
                .position(|r| r.get(x) == Some(&bottom))
                .unwrap_or(0);
            let title: String = row[x + 1..x + 1 + w]
                .iter()
                .collect::<String>()
                .trim_matches(|c| c == horizontal || c == ' ')
                .to_string();
            out.push(Frame {
                title,
                x,
                y,
                width: w + 2,
                height: h + 2,
            });
        }
    }
    out
}

/// Characters that may touch a pane's right border without being a cut: the ellipsis
/// itself and the scrollbar's glyphs.
const EDGE_OK: &str = "…▲▼█║│";

/// The texts the demo can show whole, for rows that end exactly at a border.
fn whole_texts(state: &State) -> Vec<String> {
    let mut out: Vec<String> = state
        .timeline
        .iter()
        .map(|e| e.current_text().replace('\n', " ⏎ "))
        .collect();
    out.extend(state.checklist.iter().map(|i| i.text.clone()));
    out.extend(["internal", "public", "support"].map(String::from));
    out
}

/// No row of any pane, nor of the header, is cut without `…`: a row whose last cell
/// before the border is text either ends with `…`, with a scrollbar, with a time or
/// duration (right-aligned status columns), or with the very end of a whole text.
fn assert_nothing_cut(app: &App, screen: &[String], what: &str) {
    let rows: Vec<Vec<char>> = screen.iter().map(|l| l.chars().collect()).collect();
    let whole = whole_texts(&app.state);
    let ends_whole = |row: &str| {
        let row = row.trim_end();
        row.ends_with('…')
            || whole.iter().any(|t| {
                let tail: String = t
                    .chars()
                    .rev()
                    .take(12)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                row.ends_with(&tail)
            })
            || row.rsplit(' ').next().is_some_and(|w| {
                !w.is_empty() && w.chars().all(|c| c.is_ascii_digit() || ":hm".contains(c))
            })
    };
    for frame in frames(&rows) {
        // The title ends in `…` when cut: it never runs into the corner.
        let top = &rows[frame.y];
        let before_corner = top[frame.x + frame.width - 2];
        assert!(
            !before_corner.is_alphanumeric() || frame.title.ends_with('…'),
            "{what}: the title of `{}` is cut:\n{}",
            frame.title,
            screen.join("\n")
        );
        let inside = rows.iter().enumerate().skip(frame.y + 1);
        for (y, row) in inside.take(frame.height - 2) {
            let last = row[frame.x + frame.width - 2];
            if last == ' ' || EDGE_OK.contains(last) || "─━".contains(last) {
                continue;
            }
            let inner: String = row[frame.x + 1..frame.x + frame.width - 1].iter().collect();
            // A wrapped entry fills its row and goes on, indented, on the next one.
            let wraps_on = y + 1 < frame.y + frame.height - 1
                && rows[y + 1][frame.x + 1..(frame.x + 9).min(frame.x + frame.width - 1)]
                    .iter()
                    .all(|c| *c == ' ')
                && rows[y + 1][frame.x + 1..frame.x + frame.width - 1]
                    .iter()
                    .any(|c| !c.is_whitespace());
            assert!(
                wraps_on || ends_whole(&inner),
                "{what}: row {y} of `{}` is cut without …: {inner:?}\n{}",
                frame.title,
                screen.join("\n")
            );
        }
    }
    // The header and status rows, edge to edge.
    for (y, row) in rows.iter().enumerate() {
        if row.first().is_some_and(|c| "┌┏│┃└┗".contains(*c)) {
            continue;
        }
        let line: String = row.iter().collect();
        let trimmed = line.trim_end();
        if trimmed.chars().count() == row.len() {
            assert!(
                trimmed.ends_with('…') || trimmed.ends_with("● live") || trimmed.ends_with("quit"),
                "{what}: row {y} is cut without …: {line:?}"
            );
        }
    }
}

/// The characters of timeline text on a row whose entry is longer than 60.
fn timeline_text_width(screen: &[String]) -> usize {
    // The room for text in the timeline's frame: its inner width less the time, author
    // and kind columns (entries wrap, so a row may use less than the room it has).
    const PREFIX: usize = 8 + 1 + 9 + 1 + 8 + 1;
    let rows: Vec<Vec<char>> = screen.iter().map(|l| l.chars().collect()).collect();
    let frame = frames(&rows)
        .into_iter()
        .find(|f| f.title.starts_with("1  Timeline"))
        .unwrap_or_else(|| panic!("no timeline pane:\n{}", screen.join("\n")));
    frame.width.saturating_sub(2 + PREFIX)
}

fn assert_panes_get_their_minimum(screen: &[String], what: &str) {
    let rows: Vec<Vec<char>> = screen.iter().map(|l| l.chars().collect()).collect();
    for frame in frames(&rows) {
        let Some(kind) = PaneKind::ALL.into_iter().find(|k| {
            frame
                .title
                .starts_with(&format!("{}  {}", k.number(), k.title()))
        }) else {
            continue; // a box inside a pane (details, the note editor)
        };
        let (w, h) = kind.min_size();
        assert!(
            frame.width >= usize::from(w) && frame.height >= usize::from(h),
            "{what}: {kind:?} got {}x{} (minimum {w}x{h}):\n{}",
            frame.width,
            frame.height,
            screen.join("\n")
        );
    }
}

#[test]
fn every_layout_at_every_size() {
    for layout in LAYOUTS {
        let mut all = String::new();
        for (width, height) in SIZES {
            let mut app = app(layout);
            let shown = text(&draw(&mut app, width, height));
            let what = format!("{layout} at {width}x{height}");
            assert_nothing_cut(&app, &shown, &what);
            if width >= 100 && height >= 30 {
                assert_panes_get_their_minimum(&shown, &what);
            }
            all.push_str(&format!("{what}\n{}\n\n", shown.join("\n")));
            // The timeline, wherever it is, keeps 60 characters of text from 100 up.
            app.update(key('1'));
            let shown = text(&draw(&mut app, width, height));
            assert_nothing_cut(&app, &shown, &what);
            if width >= 100 {
                let chars = timeline_text_width(&shown);
                assert!(chars >= 60, "{what}: {chars} characters of timeline text");
            }
        }
        insta::assert_snapshot!(format!("layout_{layout}_at_every_size"), all);
    }
}

#[test]
fn digits_name_the_same_pane_in_every_layout_and_at_every_size() {
    for layout in LAYOUTS {
        for (width, height) in SIZES {
            let mut app = app(layout);
            for kind in PaneKind::ALL {
                let digit = char::from_digit(kind.number() as u32, 10).unwrap();
                app.update(key(digit));
                assert_eq!(app.focus, kind, "{layout} {width}x{height}: {digit}");
                let shown = text(&draw(&mut app, width, height));
                let rows: Vec<Vec<char>> = shown.iter().map(|l| l.chars().collect()).collect();
                let title = format!("{}  {}", kind.number(), kind.title());
                assert!(
                    frames(&rows).iter().any(|f| f.title.starts_with(&title)),
                    "{layout} {width}x{height}: `{digit}` does not show `{title}`:\n{}",
                    shown.join("\n")
                );
            }
        }
    }
}

#[test]
fn at_120_columns_the_commander_layout_is_tabs_not_crushed_columns() {
    let mut app = app("commander");
    let shown = text(&draw(&mut app, 120, 40));
    let bar = shown
        .iter()
        .find(|l| l.contains("1 Timeline"))
        .unwrap_or_else(|| panic!("no tab bar:\n{}", shown.join("\n")));
    assert!(
        bar.contains("2 Checklist · 3 Blast radius · 5 Actions · 4 Comms"),
        "{bar}"
    );
    // Tab moves into the other tab, which comes to the front, and 1 goes back.
    app.update(code(KeyCode::Tab));
    let shown = screen(&mut app, 120, 40);
    assert!(
        shown.contains("2  Checklist") && !shown.contains("1  Timeline"),
        "{shown}"
    );
    app.update(key('1'));
    let shown = screen(&mut app, 120, 40);
    assert!(
        shown.contains("1  Timeline") && !shown.contains("2  Checklist"),
        "{shown}"
    );
}

#[test]
fn the_header_wraps_clocks_most_urgent_first_and_counts_who_is_here() {
    let rb = catalog::embedded().unwrap();
    let mut app = app("commander");
    // More clocks than one line holds at 80 columns: NIS2 as well as GDPR.
    let alice = warroom::incident::Actor::new("alice", [Role::Commander]);
    let flag = Command::SetFlag {
        flag: "nis2_significant".into(),
        on: true,
        aware_at: None,
    };
    for event in warroom::incident::decide(&app.state, &alice, &flag, now(), &rb, None).unwrap() {
        app.update(Msg::Sync(warroom::net::SyncEvent::Event(event)));
    }
    app.here = ["alice", "bob", "carol", "dana"].map(String::from).to_vec();
    let shown = text(&draw(&mut app, 80, 24));
    let clocks: Vec<&String> = shown.iter().filter(|l| l.starts_with('⏱')).collect();
    assert_eq!(
        clocks.len(),
        2,
        "two lines of clocks:\n{}",
        shown.join("\n")
    );
    let both = format!("{} {}", clocks[0], clocks[1]);
    let order = [
        "Next stakeholder update",
        "Early warning",
        "Notify the supervisory authority in 2d",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|c| {
            both.find(c)
                .unwrap_or_else(|| panic!("no `{c}` in {both:?}"))
        })
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "most urgent first: {both:?}"
    );
    assert!(
        both.contains("more"),
        "what does not fit is counted: {both:?}"
    );
    assert!(
        shown[1].contains("4 here") && shown[1].contains("you: alice"),
        "{:?}",
        shown[1]
    );
    // Where the names fit, they are shown.
    let shown = text(&draw(&mut app, 160, 48));
    assert!(
        shown[1].contains("here alice, bob, carol, dana"),
        "{:?}",
        shown[1]
    );
}

/// Opens the internal status update in the comms pane, fills its fields and asks to
/// publish it.
fn ask_to_publish_internal_update(app: &mut App) {
    app.update(key('4'));
    for _ in 0..5 {
        app.update(key('j'));
    }
    app.update(code(KeyCode::Enter));
    app.update(key('f'));
    for answer in [
        "contained",
        "verifying the rollback",
        "unknown: still verifying",
    ] {
        type_text(app, answer);
        app.update(code(KeyCode::Enter));
    }
    assert!(app.update(key('P')).is_empty());
}

#[test]
fn the_publish_dialog_scrolls_and_always_shows_its_answer_keys() {
    for (width, height) in SIZES {
        let mut app = app("commander");
        ask_to_publish_internal_update(&mut app);
        let first = text(&draw(&mut app, width, height));
        let all = first.join("\n");
        assert!(
            all.contains("Publish Internal: status update") && all.contains("y: yes, do it"),
            "{width}x{height}:\n{all}"
        );
        if all.contains("lines 1–") {
            app.update(code(KeyCode::PageDown));
            let next = screen(&mut app, width, height);
            assert!(
                !next.contains("lines 1–") && next.contains("↑") && next.contains("y: yes, do it"),
                "{next}"
            );
            assert_ne!(next, all, "PgDn scrolled");
        } else {
            assert!(
                width > 80,
                "80x24 is too small for the whole update:\n{all}"
            );
            assert!(all.contains("Commander: alice"), "the whole text:\n{all}");
        }
        let effects = app.update(key('y'));
        assert!(
            matches!(&effects[..], [Effect::Send(Command::Publish { template, .. })] if template == "internal_update"),
            "{effects:?}"
        );
    }
}

#[test]
fn the_internal_update_summarises_open_checklist_items() {
    let rb = catalog::embedded().unwrap();
    let state = State::replay(&demo_events());
    let template = rb
        .templates
        .iter()
        .find(|t| t.id == "internal_update")
        .unwrap();
    let rendered =
        warroom::incident::render::render(template, &state, &rb, &Default::default(), now());
    let open = state.checklist.iter().filter(|i| i.done.is_none()).count();
    assert!(open > 20, "the demo has many open items ({open})");
    assert!(
        rendered.text.contains(&format!("- {open} open, 7 overdue")),
        "{}",
        rendered.text
    );
    assert!(rendered.text.contains("- by owner: "), "{}", rendered.text);
    assert!(
        rendered.text.contains("- overdue 33m: "),
        "{}",
        rendered.text
    );
    assert!(
        rendered.text.len() < 1500 && rendered.text.lines().count() < 30,
        "short enough for Slack: {} characters, {} lines\n{}",
        rendered.text.len(),
        rendered.text.lines().count(),
        rendered.text
    );
}

#[test]
fn severity_status_and_seat_changes_are_not_dim_grey() {
    let mut app = app("scribe");
    let buffer = draw(&mut app, 160, 48);
    let rows = text(&buffer);
    // The cell where `needle` starts (the rows before it hold no wide characters).
    let first_cell = |needle: &str| {
        let y = rows.iter().position(|r| r.contains(needle)).unwrap();
        let x = rows[y][..rows[y].find(needle).unwrap()].chars().count();
        buffer[(x as u16, y as u16)].clone()
    };
    for needle in ["Status Investigating → Identified", "bob is now scribe"] {
        let cell = first_cell(needle);
        assert!(
            cell.fg != Color::DarkGray && !cell.modifier.contains(Modifier::DIM),
            "`{needle}` is drawn {cell:?}"
        );
    }
    // A routine system entry stays quiet.
    assert_eq!(first_cell("Done: Name the commander").fg, Color::DarkGray);
}

fn summary(
    id: &str,
    title: &str,
    severity: Severity,
    status: Status,
    minutes: i64,
) -> IncidentSummary {
    IncidentSummary {
        id: id.into(),
        title: title.into(),
        severity: Some(severity),
        status,
        declared_at: Some(now() - Duration::minutes(minutes)),
        commander: None,
        events: 3,
        quarantined: None,
        ..IncidentSummary::default()
    }
}

#[test]
fn a_declared_or_escalated_incident_shows_a_banner_and_j_jumps_there() {
    let mut app = app("commander");
    let here = summary("INC-DEMO-1", "demo", Severity::Sev1, Status::Identified, 38);
    app.update(Msg::News(IncidentNews::List(vec![here])));
    assert!(app.banner.is_none(), "what exists is not news");
    let new = summary(
        "INC-2",
        "Search latency",
        Severity::Sev3,
        Status::Investigating,
        0,
    );
    app.update(Msg::News(IncidentNews::Changed {
        item: new.clone(),
        previous: None,
    }));
    let shown = text(&draw(&mut app, 100, 30));
    assert!(
        shown[0].contains("INC-2 SEV3 declared: Search latency") && shown[0].contains("J jump"),
        "{:?}",
        shown[0]
    );
    assert!(
        shown[1].contains("INC-DEMO-1"),
        "the header follows: {:?}",
        shown[1]
    );
    // A title change is not news; an escalation to SEV1 is.
    app.banner = None;
    let renamed = IncidentSummary {
        title: "Search slow".into(),
        ..new.clone()
    };
    let was = PreviousSummary {
        title: new.title.clone(),
        severity: new.severity,
        status: new.status,
    };
    app.update(Msg::News(IncidentNews::Changed {
        item: renamed.clone(),
        previous: Some(was.clone()),
    }));
    assert!(app.banner.is_none());
    let escalated = IncidentSummary {
        severity: Some(Severity::Sev1),
        ..renamed
    };
    app.update(Msg::News(IncidentNews::Changed {
        item: escalated,
        previous: Some(was),
    }));
    let shown = text(&draw(&mut app, 80, 24));
    assert!(
        shown[0].contains("INC-2 escalated to SEV1"),
        "{:?}",
        shown[0]
    );
    assert_eq!(
        app.update(key('J')),
        vec![Effect::Switch(Destination::Incident("INC-2".into()))]
    );
}

#[test]
fn the_switcher_lists_incidents_worst_first_and_goes_there_or_to_the_lobby() {
    let mut app = app("commander");
    app.update(Msg::News(IncidentNews::List(vec![
        summary(
            "INC-OLD",
            "old sev2",
            Severity::Sev2,
            Status::Investigating,
            300,
        ),
        summary(
            "INC-NEW",
            "new sev2",
            Severity::Sev2,
            Status::Investigating,
            5,
        ),
        summary(
            "INC-MON",
            "monitoring sev2",
            Severity::Sev2,
            Status::Monitoring,
            1,
        ),
        summary("INC-S4", "minor", Severity::Sev4, Status::Investigating, 1),
        summary(
            "INC-DONE",
            "resolved sev1",
            Severity::Sev1,
            Status::Resolved,
            1,
        ),
    ])));
    let order: Vec<String> = app.incident_list().into_iter().map(|i| i.id).collect();
    assert_eq!(
        order,
        [
            "INC-DEMO-1",
            "INC-DONE",
            "INC-NEW",
            "INC-OLD",
            "INC-MON",
            "INC-S4"
        ]
    );
    app.update(key('L'));
    let shown = screen(&mut app, 120, 40);
    assert!(
        shown.contains("← Lobby")
            && shown.contains("(this console)")
            && shown.contains("Enter picks · Esc cancels"),
        "{shown}"
    );
    let lines: Vec<&str> = shown.lines().collect();
    let row = |id: &str| lines.iter().position(|l| l.contains(id)).unwrap();
    assert!(row("INC-DEMO-1") < row("INC-NEW") && row("INC-NEW") < row("INC-S4"));
    type_text(&mut app, "new sev2");
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        vec![Effect::Switch(Destination::Incident("INC-NEW".into()))]
    );
    // The lobby is the first choice; the palette offers the switcher by name.
    app.update(key(':'));
    type_text(&mut app, "switch incident");
    app.update(code(KeyCode::Enter));
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        vec![Effect::Switch(Destination::Lobby)]
    );
}

#[test]
fn leaving_with_an_unsent_note_asks_first() {
    let mut app = app("scribe");
    app.update(key('n'));
    type_text(&mut app, "half a thought");
    app.update(code(KeyCode::Esc));
    app.update(key('L'));
    assert!(
        app.update(code(KeyCode::Enter)).is_empty(),
        "leaving must ask"
    );
    let shown = screen(&mut app, 100, 30);
    assert!(
        shown.contains("half a thought") && shown.contains("Leave anyway? y: leave"),
        "{shown}"
    );
    assert_eq!(
        app.update(key('y')),
        vec![Effect::Switch(Destination::Lobby)]
    );
}
