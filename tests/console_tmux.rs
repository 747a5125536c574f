//! The real `warroom` binary in a real terminal: each test runs the console inside its
//! own tmux server (`tmux -L <unique socket>`, a config of our own, no status line, a
//! fixed window size), sends keys with `send-keys` and reads the screen with
//! `capture-pane -p`, polling every 50 ms up to a bounded deadline. Nothing sleeps to
//! synchronise: every step waits for the screen (or a file) to show what it needs.
//!
//! Each console runs under `sh` as `warroom …; echo EXIT=$? > exit`, followed by
//! `stty -a` and a marker line, so a test sees the exit code, the terminal modes and
//! the normal screen the console must leave behind. The pane then stays (a trailing
//! `sleep`, and `remain-on-exit`) until the tmux server is killed by a drop guard,
//! which also runs when a test fails.
//!
//! Each test has its own temporary directory: `USER`, `XDG_CONFIG_HOME`,
//! `WARROOM_DATA` and `TMPDIR` point into it and the other `WARROOM_*` variables and
//! `NO_COLOR` are removed, so nothing of the user's (tmux, config, data) leaks in.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod tmux_support;

use tmux_support::*;

/// How close two clocks shown live must be.
const LIVE_BOUND: Duration = Duration::from_secs(1);
/// A console (or the hub) starting on a slow, busy machine.
impl Tmux<'_> {
    fn assert_exited_cleanly(&self, console: &Console, header: &str) {
        let exit = self.wait_exit(console);
        let screen = self.screen(&console.window);
        assert_eq!(
            exit,
            "EXIT=0",
            "{}: the console failed; the screen was:\n{}",
            console.window,
            framed(&screen)
        );
        let screen = self.expect(
            &console.window,
            "shell output after the console",
            STEP,
            |s| s.contains("[warroom exited 0]"),
        );
        assert!(
            !screen.contains(header),
            "{}: the console's screen ({header:?}) is still shown after it exited:\n{}",
            console.window,
            framed(&screen)
        );
        assert_eq!(
            self.format(&console.window, "#{alternate_on}"),
            "0",
            "{}: still on the alternate screen",
            console.window
        );
        assert_eq!(
            self.format(&console.window, "#{cursor_flag}"),
            "1",
            "{}: the cursor is still hidden",
            console.window
        );
        let stty = std::fs::read_to_string(&console.stty).unwrap_or_default();
        let flags: Vec<&str> = stty.split_whitespace().collect();
        for flag in ["icanon", "echo", "icrnl", "opost"] {
            assert!(
                flags.contains(&flag),
                "{}: the terminal was left without `{flag}` (raw mode?):\n{stty}",
                console.window
            );
        }
    }
}

fn is_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 8
        && b[2] == b':'
        && b[5] == b':'
        && [0, 1, 3, 4, 6, 7].iter().all(|&i| b[i].is_ascii_digit())
}

/// The `HH:MM:SS` of a timeline row `HH:MM:SS <author> <kind> … <text>` on `line`.
fn timeline_row<'l>(line: &'l str, author: &str, text: &str) -> Option<&'l str> {
    let at = line.find(text)?;
    let before = &line[..at];
    before.char_indices().find_map(|(i, _)| {
        let rest = &before[i..];
        let time = rest.get(..8).filter(|t| is_time(t))?;
        let after = rest.get(8..)?.strip_prefix(' ')?.strip_prefix(author)?;
        after.starts_with(' ').then_some(time)
    })
}

/// The time of the timeline row by `author` holding `text`, anywhere on the screen.
fn find_row<'s>(screen: &'s str, author: &str, text: &str) -> Option<&'s str> {
    screen.lines().find_map(|l| timeline_row(l, author, text))
}

/// The titles of the pane frames on the screen: the text after each top-left corner
/// up to the border (`┏ 1  Timeline 14 ━━┓` gives `1  Timeline 14`).
fn pane_frames(screen: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in screen.lines() {
        for (i, c) in line.char_indices() {
            if c == '┌' || c == '┏' {
                let rest = &line[i + c.len_utf8()..];
                let title: String = rest
                    .chars()
                    .take_while(|c| *c != '─' && *c != '━')
                    .collect();
                out.push(title.trim().to_string());
            }
        }
    }
    out
}

/// The header's first line (severity … `● live`).
fn seconds_apart(a: &str, b: &str) -> i64 {
    let secs = |t: &str| -> i64 {
        t.split(':')
            .map(|p| p.parse::<i64>().unwrap_or(0))
            .fold(0, |acc, p| acc * 60 + p)
    };
    let d = (secs(a) - secs(b)).rem_euclid(86_400);
    d.min(86_400 - d)
}

fn utc_now_hms() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        % 86_400;
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

fn demo_dirs(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("warroom-demo-"))
                .collect()
        })
        .unwrap_or_default()
}

/// The events in the running demo's log (its throw-away data directory in `$TMPDIR`).
fn demo_log(sandbox: &Sandbox) -> Vec<serde_json::Value> {
    let Some(dir) = demo_dirs(&sandbox.tmp()).pop() else {
        return Vec::new();
    };
    let log = sandbox.tmp().join(dir).join("incidents/INC-DEMO-1.jsonl");
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|mut line| line["event"].take())
        .collect()
}

/// Polls the demo's log until `ready` holds for the events after the first `from`.
fn wait_log(
    sandbox: &Sandbox,
    from: usize,
    what: &str,
    ready: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + STEP;
    loop {
        let events = demo_log(sandbox);
        let new = events.get(from..).unwrap_or_default();
        if ready(new) {
            return new.to_vec();
        }
        if Instant::now() >= deadline {
            panic!("no {what} in the demo's log within {STEP:?}; new events: {new:#?}");
        }
        std::thread::sleep(POLL);
    }
}

fn event_type(event: &serde_json::Value) -> &str {
    event["type"].as_str().unwrap_or("")
}

/// The row under the line holding `title` (a one-line prompt's input), inside its border.
fn prompt_input<'s>(screen: &'s str, title: &str) -> &'s str {
    let mut lines = screen.lines();
    lines.find(|l| l.contains(title));
    let row = lines.next().unwrap_or("");
    let inside = match (row.find('║'), row.rfind('║')) {
        (Some(a), Some(b)) if a < b => &row[a + '║'.len_utf8()..b],
        _ => row,
    };
    inside.trim()
}

/// Waits for the demo console to be live; returns how many events its log holds.
fn demo_live(tmux: &Tmux, sandbox: &Sandbox, w: &str) -> usize {
    tmux.expect(w, "demo header", START, |s| {
        let head = header_line(s);
        head.contains("SEV1") && head.contains("INC-DEMO-1") && head.contains("● live")
    });
    demo_log(sandbox).len()
}

// ---------------------------------------------------------------------------------
// The CLI and the hub as child processes (not in tmux).
// ---------------------------------------------------------------------------------

#[test]
fn demo_shows_every_pane_takes_a_note_and_quits_cleanly() {
    let sandbox = Sandbox::new("kim");
    let console = sandbox.console_script("demo", &["demo"]);
    let tmux = Tmux::start(&sandbox, 160, 48, &console);
    let w = console.window.as_str();

    let screen = tmux.expect(w, "demo header", START, |s| {
        let head = header_line(s);
        head.contains("SEV1") && head.contains("INC-DEMO-1") && head.contains("● live")
    });
    // The commander layout: four panes (comms on a tab behind actions), the timeline
    // focused, each pane numbered with its fixed digit.
    let frames = pane_frames(&screen);
    assert_eq!(
        frames.len(),
        4,
        "four panes, got {frames:?}:\n{}",
        framed(&screen)
    );
    for (number, title) in [
        (1, "Timeline"),
        (2, "Checklist"),
        (3, "Blast radius"),
        (5, "Actions"),
    ] {
        let want = format!("{number}  {title}");
        assert!(
            frames.iter().any(|f| f.starts_with(&want)),
            "no pane `{want}` in {frames:?}:\n{}",
            framed(&screen)
        );
    }
    let status = screen.lines().last().unwrap_or("");
    assert!(
        status.contains("n note · d decision")
            && status.contains("? help")
            && status.contains("q quit"),
        "the status line hint: {status:?}\n{}",
        framed(&screen)
    );
    assert!(
        screen.contains(&format!("you: {}", sandbox.user)),
        "the header names you:\n{}",
        framed(&screen)
    );
    // The demo's throw-away data lives in $TMPDIR while the console runs.
    let dirs = demo_dirs(&sandbox.tmp());
    assert_eq!(dirs.len(), 1, "one demo data dir in $TMPDIR, got {dirs:?}");

    tmux.keys(w, &["n"]);
    tmux.expect(w, "note editor", STEP, |s| {
        s.contains("new note — Enter sends")
    });
    let note = unique("tmux note");
    tmux.type_text(w, &note);
    tmux.expect(w, "typed note in the editor", STEP, |s| s.contains(&note));
    tmux.keys(w, &["Enter"]);
    let screen = tmux.expect(w, "the note on a timeline row", STEP, |s| {
        find_row(s, &sandbox.user, &note).is_some()
    });
    let time = find_row(&screen, &sandbox.user, &note).unwrap_or_default();
    let now = utc_now_hms();
    assert!(
        seconds_apart(time, &now) <= 120,
        "the note is stamped {time}, the UTC time is {now}:\n{}",
        framed(&screen)
    );
    // The editor stays open for the next note; Esc closes it. Quitting waits until the
    // hub acknowledged the note (else the console rightly asks first), and `q` is sent
    // only once Esc took effect (an Esc and a `q` read together are Alt-q).
    tmux.keys(w, &["Escape"]);
    tmux.expect(w, "editor closed and note acknowledged", STEP, |s| {
        !s.contains("new note — Enter sends")
            && s.lines()
                .last()
                .is_some_and(|l| l.contains("n note · d decision"))
            && header_line(s).contains("● live")
            && !header_line(s).contains("sending")
    });
    tmux.keys(w, &["q"]);
    tmux.assert_exited_cleanly(&console, "INC-DEMO-1");
    let left = demo_dirs(&sandbox.tmp());
    assert!(left.is_empty(), "the demo's data dir outlived it: {left:?}");
}

#[test]
fn compact_layout_at_80x24_switches_panes_by_digit() {
    let sandbox = Sandbox::new("kim");
    let console = sandbox.console_script("compact", &["demo"]);
    let tmux = Tmux::start(&sandbox, 80, 24, &console);
    let w = console.window.as_str();

    let screen = tmux.expect(w, "demo header", START, |s| {
        let head = header_line(s);
        head.contains("SEV1") && head.contains("INC-DEMO-1") && head.contains("● live")
    });
    let tabs = screen
        .lines()
        .find(|l| l.contains("1 Timeline"))
        .unwrap_or_else(|| panic!("no tab bar:\n{}", framed(&screen)));
    let names = [
        "1 Timeline",
        "2 Checklist",
        "3 Blast radius",
        "4 Comms",
        "5 Actions",
    ];
    let mut from = 0;
    for name in names {
        let at = tabs[from..]
            .find(name)
            .unwrap_or_else(|| panic!("tab `{name}` missing or out of order in {tabs:?}"));
        from += at + name.len();
    }
    let frames = pane_frames(&screen);
    assert_eq!(
        frames.len(),
        1,
        "one pane at a time, got {frames:?}:\n{}",
        framed(&screen)
    );
    assert!(frames[0].starts_with("1  Timeline"), "{frames:?}");

    tmux.keys(w, &["3"]);
    tmux.expect(w, "the blast radius grid", STEP, |s| {
        let frames = pane_frames(s);
        frames.len() == 1
            && frames[0].starts_with("3  Blast radius")
            && ["acme", "globex", "umbrella", "eu-west-1"]
                .iter()
                .all(|t| s.contains(t))
    });

    tmux.keys(w, &["?"]);
    tmux.expect(w, "help overlay", STEP, |s| {
        s.contains("Keys — ") && s.contains("Everywhere") && s.contains("show this help")
    });
    tmux.keys(w, &["Escape"]);
    tmux.expect(w, "help closed", STEP, |s| {
        !s.contains("Everywhere")
            && pane_frames(s)
                .first()
                .is_some_and(|f| f.starts_with("3  Blast radius"))
    });
    tmux.keys(w, &["q"]);
    tmux.assert_exited_cleanly(&console, "INC-DEMO-1");
}

#[test]
fn a_note_from_the_cli_appears_in_a_joined_console_within_a_second() {
    let sandbox = Sandbox::new("ops");
    let config = sandbox.path("warroom.toml");
    let alice = sandbox.token(&config, "alice", "commander");
    let bob = sandbox.token(&config, "bob", "scribe");
    let hub = Hub::start(&sandbox, &config);
    let url = hub.url.as_str();

    let title = unique("Checkout 500s");
    let id = hub.declare(&sandbox, &alice, &title, "SEV2");

    let alice_console = sandbox.console_script(
        "alice",
        &["join", url, "--token", &alice, "--incident", &id],
    );
    let tmux = Tmux::start(&sandbox, 120, 36, &alice_console);
    let a = alice_console.window.as_str();
    tmux.expect(a, "alice's console, live", START, |s| {
        let head = header_line(s);
        head.contains(&id)
            && head.contains("SEV2")
            && head.contains(&title)
            && head.contains("● live")
            && s.contains("here alice")
    });

    let note = unique("bob cli note");
    let sent = ok(
        &sandbox,
        &["note", &id, &note, "--hub", url, "--token", &bob],
    );
    let shown = tmux.wait_for(a, |s| find_row(s, "bob", &note).is_some(), STEP);
    let latency = sent.at.elapsed();
    println!(
        "note latency, CLI exit → alice's screen: {} ms",
        latency.as_millis()
    );
    let screen = shown.unwrap_or_else(|screen| {
        panic!(
            "bob's note did not reach alice's console within {STEP:?}; the screen was:\n{}",
            framed(&screen)
        )
    });
    assert!(
        latency < LIVE_BOUND,
        "bob's note took {} ms (bound {} ms) from the CLI's exit to alice's screen:\n{}",
        latency.as_millis(),
        LIVE_BOUND.as_millis(),
        framed(&screen)
    );

    let bob_console =
        sandbox.console_script("bob", &["join", url, "--token", &bob, "--incident", &id]);
    tmux.open(&bob_console);
    let b = bob_console.window.as_str();
    tmux.expect(b, "bob's console, live", START, |s| {
        header_line(s).contains(&id) && header_line(s).contains("● live") && s.contains("you: bob")
    });
    tmux.expect(a, "bob in alice's presence list", STEP, |s| {
        s.contains("here alice, bob")
    });
    tmux.expect(b, "alice in bob's presence list", STEP, |s| {
        s.contains("here alice, bob")
    });

    tmux.keys(b, &["q"]);
    tmux.assert_exited_cleanly(&bob_console, &id);
    tmux.expect(a, "bob gone from alice's presence list", STEP, |s| {
        s.contains("here alice") && !s.contains("here alice, bob")
    });
    tmux.keys(a, &["q"]);
    tmux.assert_exited_cleanly(&alice_console, &id);
    drop(tmux);
    drop(hub);
}

#[test]
fn declaring_from_the_lobby_of_an_empty_embedded_hub() {
    let sandbox = Sandbox::new("lee");
    let console = sandbox.console_script("lobby", &["console"]);
    let tmux = Tmux::start(&sandbox, 120, 36, &console);
    let w = console.window.as_str();

    tmux.expect(w, "the lobby's title step", START, |s| {
        s.contains("Declare an incident — 1/3 title") && s.contains("No incidents yet")
    });
    // Not starting with `d`: on an empty title that opens the demo.
    let title = unique("Tmux lobby");
    tmux.type_text(w, &title);
    tmux.expect(w, "the typed title", STEP, |s| {
        s.contains(&format!("Title: {title}"))
    });
    tmux.keys(w, &["Enter"]);
    tmux.expect(w, "the severity step", STEP, |s| s.contains("2/3 severity"));
    tmux.keys(w, &["1"]);
    tmux.keys(w, &["Enter"]);
    tmux.expect(w, "the playbook step for SEV1", STEP, |s| {
        s.contains("as SEV1 — 3/3 playbook") && s.contains("No playbook for now")
    });
    tmux.keys(w, &["Enter"]);
    let screen = tmux.expect(w, "the console on the new incident", START, |s| {
        let head = header_line(s);
        head.contains("SEV1") && head.contains(&title) && head.contains("● live")
    });
    let id = header_line(&screen)
        .split_whitespace()
        .find(|t| t.starts_with("INC-"))
        .unwrap_or_else(|| panic!("no incident id in the header:\n{}", framed(&screen)))
        .to_string();
    tmux.keys(w, &["q"]);
    tmux.assert_exited_cleanly(&console, &id);

    let listed = ok(&sandbox, &["list"]).stdout;
    let row = listed
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("`warroom list` lacks {id}:\n{listed}"));
    assert!(row.contains("SEV1") && row.contains(&title), "{row}");
}

/// Item 1 and 2 of the SEV1 trial: the blast radius's prompts start empty (or with the
/// offered region selected, so typing replaces it), and a sentence typed after the
/// compose key on the actions pane or the checklist is one note, never commands.
#[test]
fn blast_prompts_start_empty_and_typed_sentences_are_notes_from_any_pane() {
    let sandbox = Sandbox::new("kim");
    let console = sandbox.console_script("typing", &["demo"]);
    let tmux = Tmux::start(&sandbox, 120, 36, &console);
    let w = console.window.as_str();
    let start = demo_live(&tmux, &sandbox, w);

    tmux.keys(w, &["3"]);
    tmux.expect(w, "the blast radius focused", STEP, |s| {
        s.contains("┏ 3  Blast radius")
    });
    for (tenant, region) in [("initech2", "us-west-2"), ("hooli2", "eu-central-1")] {
        tmux.keys(w, &["t"]);
        let screen = tmux.expect(w, "the tenant prompt", STEP, |s| s.contains("New tenant"));
        let input = prompt_input(&screen, "New tenant");
        assert!(
            input.is_empty(),
            "the tenant prompt starts with {input:?}:\n{}",
            framed(&screen)
        );
        tmux.type_text(w, tenant);
        tmux.expect(w, "the typed tenant", STEP, |s| {
            prompt_input(s, "New tenant") == tenant
        });
        tmux.keys(w, &["Enter"]);
        tmux.expect(w, "the region prompt", STEP, |s| {
            s.contains(&format!("Region where {tenant} is hit"))
        });
        tmux.type_text(w, region);
        let title = format!("Region where {tenant} is hit");
        tmux.expect(
            w,
            "the typed region, replacing the offered one",
            STEP,
            |s| prompt_input(s, &title) == region,
        );
        tmux.keys(w, &["Enter"]);
        wait_log(&sandbox, start, "the new cell", |new| {
            new.iter()
                .any(|e| e["tenant"] == tenant && e["region"] == region)
        });
    }

    let mut notes = Vec::new();
    for (pane, title, compose, kind) in [
        ("5", "┏ 5  Actions", "n", "note"),
        ("2", "┏ 2  Checklist", "d", "decision"),
    ] {
        tmux.keys(w, &[pane]);
        tmux.expect(w, "the pane focused", STEP, |s| s.contains(title));
        tmux.keys(w, &[compose]);
        tmux.expect(w, "the composer", STEP, |s| {
            s.contains(&format!("new {kind} — Enter sends"))
        });
        // Every letter here is a key of the actions pane or the checklist.
        let sentence = format!(
            "same RLS leak: dry run, approve or deny? x o p {}",
            notes.len()
        );
        tmux.type_text(w, &sentence);
        tmux.expect(w, "the typed sentence", STEP, |s| s.contains(&sentence));
        tmux.keys(w, &["Enter"]);
        let from = start;
        wait_log(&sandbox, from, "the note", |new| {
            new.iter()
                .any(|e| e["text"] == sentence.as_str() && e["kind"] == kind)
        });
        tmux.keys(w, &["Escape"]);
        tmux.expect(w, "focus back where the composer was opened", STEP, |s| {
            s.contains(title) && !s.contains("Enter sends")
        });
        notes.push(sentence);
    }

    let new = wait_log(&sandbox, start, "all four events", |new| new.len() >= 4);
    let types: Vec<&str> = new.iter().map(event_type).collect();
    assert_eq!(
        types,
        ["cell_set", "cell_set", "note_added", "note_added"],
        "exactly the two cells and the two notes, nothing else: {new:#?}"
    );
    let regions: Vec<&str> = new.iter().filter_map(|e| e["region"].as_str()).collect();
    assert_eq!(regions, ["us-west-2", "eu-central-1"]);
    tmux.expect(w, "the hub acknowledged everything", STEP, |s| {
        !header_line(s).contains("sending")
    });
    tmux.keys(w, &["q"]);
    tmux.assert_exited_cleanly(&console, "INC-DEMO-1");
}

/// Item 3: a bracketed paste lands in the composer as text (line breaks kept, the tab
/// as spaces) and nothing is sent until Enter; Ctrl-J breaks a line; after a decision
/// the composer is back to a note.
#[test]
fn a_paste_lands_as_text_and_ctrl_j_breaks_the_line() {
    let sandbox = Sandbox::new("kim");
    let console = sandbox.console_script("paste", &["demo"]);
    let tmux = Tmux::start(&sandbox, 120, 36, &console);
    let w = console.window.as_str();
    let start = demo_live(&tmux, &sandbox, w);

    tmux.keys(w, &["3"]);
    tmux.expect(w, "the blast radius focused", STEP, |s| {
        s.contains("┏ 3  Blast radius")
    });
    tmux.paste(w, "line one\nline two\twith tab");
    let screen = tmux.expect(w, "the paste in the composer", STEP, |s| {
        s.contains("new note — Enter sends")
            && s.contains("line one")
            && s.contains("line two    with tab")
    });
    let lines: Vec<&str> = screen.lines().collect();
    let one = lines
        .iter()
        .position(|l| l.contains("line one"))
        .unwrap_or(0);
    assert!(
        lines
            .get(one + 1)
            .is_some_and(|l| l.contains("line two    with tab")),
        "the pasted line break is a line break:\n{}",
        framed(&screen)
    );
    assert_eq!(
        demo_log(&sandbox).len(),
        start,
        "nothing is sent by a paste"
    );

    tmux.keys(w, &["Tab"]);
    tmux.expect(w, "the decision kind", STEP, |s| s.contains("new decision"));
    tmux.keys(w, &["Enter"]);
    wait_log(&sandbox, start, "the pasted decision", |new| {
        new.iter()
            .any(|e| e["kind"] == "decision" && e["text"] == "line one\nline two    with tab")
    });
    tmux.expect(w, "the composer back to a note", STEP, |s| {
        s.contains("new note — Enter sends")
    });

    tmux.type_text(w, "first");
    tmux.keys(w, &["C-j"]);
    tmux.type_text(w, "second");
    tmux.expect(w, "two typed lines", STEP, |s| {
        s.contains("second") && !s.contains("firstsecond")
    });
    tmux.keys(w, &["Enter"]);
    let new = wait_log(&sandbox, start, "the two-line note", |new| {
        new.iter().any(|e| e["text"] == "first\nsecond")
    });
    assert_eq!(new.len(), 2, "one event per Enter: {new:#?}");
    tmux.keys(w, &["Escape"]);
    tmux.expect(w, "the composer closed", STEP, |s| {
        !s.contains("Enter sends") && !header_line(s).contains("sending")
    });
    tmux.keys(w, &["q"]);
    tmux.assert_exited_cleanly(&console, "INC-DEMO-1");
}

/// Item 6: at 220x60 a long note wraps under the text column and is read in full;
/// `w` shows one line per entry; Enter shows the entry with author, UTC time and kind.
#[test]
fn long_notes_wrap_at_220x60_and_enter_shows_one_in_full() {
    let sandbox = Sandbox::new("kim");
    let console = sandbox.console_script("wrap", &["demo"]);
    let tmux = Tmux::start(&sandbox, 220, 60, &console);
    let w = console.window.as_str();
    let start = demo_live(&tmux, &sandbox, w);

    let words: Vec<String> = (0..40).map(|i| format!("word{i:02}")).collect();
    let note = format!("{} end-of-note", words.join(" "));
    tmux.keys(w, &["n"]);
    tmux.expect(w, "the composer", STEP, |s| {
        s.contains("new note — Enter sends")
    });
    tmux.type_text(w, &note);
    tmux.keys(w, &["Enter"]);
    wait_log(&sandbox, start, "the long note", |new| {
        new.iter().any(|e| e["text"] == note.as_str())
    });
    tmux.keys(w, &["Escape"]);
    let screen = tmux.expect(w, "the whole note on the timeline", STEP, |s| {
        !s.contains("Enter sends") && s.contains("end-of-note")
    });
    for word in &words {
        assert!(
            screen.contains(word.as_str()),
            "{word} is not shown:\n{}",
            framed(&screen)
        );
    }
    let first = screen.lines().find(|l| l.contains("word00")).unwrap_or("");
    assert!(
        timeline_row(first, "kim", "word00").is_some() && !first.contains("end-of-note"),
        "the note starts on its own row and wraps:\n{}",
        framed(&screen)
    );

    tmux.keys(w, &["w"]);
    tmux.expect(w, "one line per entry", STEP, |s| {
        s.contains("one line — w wraps") && s.contains("word00") && !s.contains("end-of-note")
    });
    tmux.keys(w, &["w"]);
    tmux.expect(w, "wrapped again", STEP, |s| {
        !s.contains("one line — w wraps") && s.contains("end-of-note")
    });

    tmux.keys(w, &["Enter"]);
    let screen = tmux.expect(w, "the entry in full", STEP, |s| {
        s.contains("Author:  kim") && s.contains("Kind:    note")
    });
    let time = screen
        .lines()
        .find_map(|l| l.split("Time:    ").nth(1))
        .unwrap_or("");
    assert!(
        time.contains(" UTC"),
        "a UTC time: {time:?}\n{}",
        framed(&screen)
    );
    tmux.keys(w, &["Escape"]);
    tmux.expect(w, "the detail closed", STEP, |s| {
        !s.contains("Author:  kim")
    });
    tmux.keys(w, &["q"]);
    tmux.assert_exited_cleanly(&console, "INC-DEMO-1");
}

// ---------------------------------------------------------------------------------
// News of other incidents, the header's clocks and presence, the publish dialog.
// ---------------------------------------------------------------------------------

/// A `warroom token new` for `name` with `role`, written to `config`.
fn new_token(sandbox: &Sandbox, config: &Path, name: &str, role: &str) -> String {
    let config = config.display().to_string();
    let args = [
        "token", "new", "--name", name, "--role", role, "--config", &config,
    ];
    let token = ok(sandbox, &args).stdout.trim().to_string();
    assert!(token.starts_with("wrt_"), "a token for {name}: {token:?}");
    token
}

/// `POST path` to the hub with a bearer token over a plain socket; the answer's body.
fn post(hub: &Hub, path: &str, token: &str, body: &str) -> String {
    use std::io::Write;
    let addr = hub.url.trim_start_matches("http://");
    let mut socket = std::net::TcpStream::connect(addr).expect("the hub accepts");
    socket.set_read_timeout(Some(STEP)).expect("a read timeout");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).expect("sent");
    let mut response = String::new();
    socket.read_to_string(&mut response).expect("an answer");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    assert!(head.contains(" 200 "), "{response}");
    body.to_string()
}

/// The line the banner about another incident is on, if any.
fn banner(screen: &str) -> Option<&str> {
    screen.lines().find(|l| l.contains('⚑'))
}

#[test]
fn an_alert_declared_incident_is_announced_in_an_open_console_and_reachable_by_key() {
    let sandbox = Sandbox::new("ops");
    let config = sandbox.path("warroom.toml");
    let alice = new_token(&sandbox, &config, "alice", "commander");
    let intake = new_token(&sandbox, &config, "alertmanager", "ops");
    let hub = Hub::start(&sandbox, &config);
    let url = hub.url.as_str();
    let title = unique("Checkout 500s");
    let args = [
        "declare",
        "--title",
        &title,
        "--severity",
        "SEV3",
        "--hub",
        url,
        "--token",
        &alice,
    ];
    let first = ok(&sandbox, &args).stdout.trim().to_string();

    let console = sandbox.console_script(
        "alice",
        &["join", url, "--token", &alice, "--incident", &first],
    );
    let tmux = Tmux::start(&sandbox, 100, 30, &console);
    let w = console.window.as_str();
    tmux.expect(w, "alice's console, live", START, |s| {
        header_line(s).contains(&first) && header_line(s).contains("● live")
    });

    // Alertmanager fires: the hub declares a SEV1 of its own.
    let summary = unique("Payments API 5xx");
    let payload = serde_json::json!({
        "version": "4", "groupKey": format!("{{}}:{{alertname=\"{summary}\"}}"),
        "status": "firing", "receiver": "warroom",
        "groupLabels": {"alertname": "PaymentsErrors"},
        "commonLabels": {"alertname": "PaymentsErrors", "severity": "critical"},
        "commonAnnotations": {"summary": summary},
        "alerts": [{"status": "firing", "labels": {"alertname": "PaymentsErrors"},
                    "annotations": {}, "startsAt": "2026-01-01T00:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "f1"}],
    });
    let answer = post(
        &hub,
        "/api/v1/alerts/alertmanager",
        &intake,
        &payload.to_string(),
    );
    let declared_at = Instant::now();
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
    let second = answer["incident"]
        .as_str()
        .expect("an incident id")
        .to_string();
    let shown = tmux.wait_for(w, |s| banner(s).is_some_and(|b| b.contains(&second)), STEP);
    let latency = declared_at.elapsed();
    let screen = shown.unwrap_or_else(|screen| {
        panic!(
            "no banner for {second}; the screen was:\n{}",
            framed(&screen)
        )
    });
    let line = banner(&screen).unwrap_or_default();
    assert!(
        line.contains("SEV1 declared") && line.contains("J jump"),
        "{line:?}"
    );
    assert!(
        latency < LIVE_BOUND,
        "the banner took {} ms:\n{}",
        latency.as_millis(),
        framed(&screen)
    );

    // J goes there; L lists both, worst first, and goes back; L, Enter: the lobby.
    tmux.keys(w, &["J"]);
    tmux.expect(w, "the announced incident", START, |s| {
        header_line(s).contains(&second) && header_line(s).contains("● live") && banner(s).is_none()
    });
    tmux.keys(w, &["L"]);
    let screen = tmux.expect(w, "the switcher", STEP, |s| {
        s.contains("← Lobby") && s.contains(&first) && s.contains(&second)
    });
    let row = |id: &str| screen.lines().position(|l| l.contains(id)).unwrap_or(0);
    assert!(
        row(&second) < row(&first),
        "SEV1 before SEV3:\n{}",
        framed(&screen)
    );
    tmux.type_text(w, &first);
    tmux.keys(w, &["Enter"]);
    tmux.expect(w, "the first incident again", START, |s| {
        header_line(s).contains(&first) && header_line(s).contains("● live")
    });
    tmux.keys(w, &["L"]);
    tmux.expect(w, "the switcher", STEP, |s| s.contains("← Lobby"));
    tmux.keys(w, &["Enter"]);
    tmux.expect(w, "the lobby", START, |s| {
        s.contains("Incidents")
            && s.contains(&first)
            && s.contains(&second)
            && s.contains("n declare new")
    });
    tmux.keys(w, &["q"]);
    tmux.assert_exited_cleanly(&console, &first);
    drop(tmux);
    drop(hub);
}

#[test]
fn at_80x24_the_header_wraps_clocks_and_counts_who_is_here() {
    let sandbox = Sandbox::new("ops");
    let config = sandbox.path("warroom.toml");
    let people = ["alexandra", "bartholomew", "carolina"];
    let tokens: Vec<String> = people
        .iter()
        .map(|name| new_token(&sandbox, &config, name, "commander"))
        .collect();
    let hub = Hub::start(&sandbox, &config);
    let url = hub.url.as_str();
    let title = unique("PII in exports");
    let args = [
        "declare",
        "--title",
        &title,
        "--severity",
        "SEV1",
        "--hub",
        url,
        "--token",
        &tokens[0],
    ];
    let id = ok(&sandbox, &args).stdout.trim().to_string();
    for flag in ["personal_data_breach", "nis2_significant"] {
        ok(
            &sandbox,
            &["flag", &id, flag, "--hub", url, "--token", &tokens[0]],
        );
    }
    let consoles: Vec<Console> = people
        .iter()
        .zip(&tokens)
        .map(|(name, token)| {
            sandbox.console_script(name, &["join", url, "--token", token, "--incident", &id])
        })
        .collect();
    let tmux = Tmux::start(&sandbox, 80, 24, &consoles[0]);
    for console in &consoles[1..] {
        tmux.open(console);
    }
    let w = consoles[0].window.as_str();
    let screen = tmux.expect(w, "three here, and two lines of clocks", START, |s| {
        let lines: Vec<&str> = s.lines().collect();
        lines.len() > 4
            && lines[1].contains("3 here")
            && lines[2].starts_with('⏱')
            && lines[3].starts_with('⏱')
    });
    let lines: Vec<&str> = screen.lines().collect();
    assert!(lines[1].contains("you: alexandra"), "{}", framed(&screen));
    let clocks = format!("{} {}", lines[2], lines[3]);
    let order = [
        "Next stakeholder update",
        "Early warning",
        "Notify the supervisory authority in",
    ];
    let at: Vec<Option<usize>> = order.iter().map(|c| clocks.find(c)).collect();
    assert!(
        at.iter().all(Option::is_some) && at.windows(2).all(|p| p[0] < p[1]),
        "every clock whole, most urgent first: {at:?}\n{}",
        framed(&screen)
    );
    for line in &lines[..4] {
        assert!(
            line.chars().count() < 80 || line.ends_with('…') || line.ends_with("● live"),
            "a header line cut without …: {line:?}"
        );
    }
    for console in &consoles {
        tmux.keys(&console.window, &["q"]);
        tmux.assert_exited_cleanly(console, &id);
    }
    drop(tmux);
    drop(hub);
}

#[test]
fn the_publish_dialog_scrolls_and_keeps_its_answer_keys_at_80x24() {
    let sandbox = Sandbox::new("kim");
    let console = sandbox.console_script("publish", &["demo"]);
    let tmux = Tmux::start(&sandbox, 80, 24, &console);
    let w = console.window.as_str();
    tmux.expect(w, "demo header", START, |s| {
        header_line(s).contains("INC-DEMO-1") && header_line(s).contains("● live")
    });
    tmux.keys(w, &["4"]);
    tmux.expect(w, "the comms pane", STEP, |s| {
        pane_frames(s)
            .first()
            .is_some_and(|f| f.starts_with("4  Comms"))
    });
    for _ in 0..5 {
        tmux.keys(w, &["j"]);
    }
    tmux.expect(w, "the internal update selected", STEP, |s| {
        s.contains("Enter opens “Internal: status update”")
    });
    tmux.keys(w, &["Enter", "f"]);
    for (field, answer) in [
        ("current_state", "contained"),
        ("in_progress", "verifying the rollback"),
        ("eta", "unknown: still verifying"),
    ] {
        tmux.expect(w, field, STEP, |s| s.contains(&format!("⟨{field}⟩")));
        tmux.type_text(w, answer);
        tmux.expect(w, "the typed answer", STEP, |s| s.contains(answer));
        tmux.keys(w, &["Enter"]);
    }
    tmux.expect(w, "the fields filled", STEP, |s| !s.contains("⟨eta⟩"));
    tmux.keys(w, &["P"]);
    let keys = |s: &str| {
        s.lines()
            .any(|l| l.contains("y: yes, do it") && l.contains("n / Esc: no"))
    };
    // Waited for whole: a capture can land while the dialog is still being drawn.
    let first = tmux.expect(w, "the publish dialog with its answer keys", STEP, |s| {
        s.contains("Publish Internal: status update") && s.contains("lines 1–") && keys(s)
    });
    assert!(
        !first.contains("Commander: alice"),
        "the end of the text needs scrolling:\n{}",
        framed(&first)
    );
    tmux.keys(w, &["PageDown", "PageDown", "PageDown"]);
    let last = tmux.expect(w, "the end of the update, whole", STEP, |s| {
        s.contains("Commander: alice")
            && !s.contains("lines 1–")
            && keys(s)
            && s.contains(" overdue")
    });
    assert!(
        keys(&last),
        "the answer keys after scrolling:\n{}",
        framed(&last)
    );
    assert!(
        last.contains(" open, ") && last.contains(" overdue"),
        "the checklist summarised:\n{}",
        framed(&last)
    );
    tmux.keys(w, &["y"]);
    tmux.expect(w, "the update published", STEP, |s| {
        s.contains("last: Internal: status update") && !s.contains("y: yes, do it")
    });
    tmux.keys(w, &["q"]);
    tmux.assert_exited_cleanly(&console, "INC-DEMO-1");
}

/// With `$USER` unset, the console on an embedded hub names you by the responder token
/// you give it, and without one by the name the CLI uses (`local`), never "you".
#[test]
fn without_user_the_console_names_you_by_your_token() {
    let sandbox = Sandbox::new("");
    let config = sandbox.path("warroom.toml");
    let config_arg = config.display().to_string();
    let token = sandbox.token(&config, "dana", "scribe");
    let with_token = sandbox.console_script(
        "token",
        &["console", "--config", &config_arg, "--token", &token],
    );
    // Wide enough for the lobby's whole header line.
    let tmux = Tmux::start(&sandbox, 220, 36, &with_token);
    let w = with_token.window.as_str();
    tmux.expect(w, "the lobby naming dana", START, |s| {
        s.contains("Declare an incident") && s.contains("you: dana")
    });
    tmux.keys(w, &["Escape"]);
    tmux.assert_exited_cleanly(&with_token, "you: dana");

    let without = sandbox.console_script("plain", &["console", "--config", &config_arg]);
    tmux.open(&without);
    let w = without.window.as_str();
    let screen = tmux.expect(w, "the lobby", START, |s| s.contains("Declare an incident"));
    assert!(
        screen.contains("you: local") && !screen.contains("you: you"),
        "{}",
        framed(&screen)
    );
    tmux.keys(w, &["Escape"]);
    tmux.assert_exited_cleanly(&without, "you: local");
}

/// Resolving the demo (open items, a tenant isolated, a service down) from the palette:
/// the dialog lists what is still open and asks for a one-line summary; Enter with
/// none resolves nothing; with one, the incident resolves and the summary is the
/// status change's reason on the timeline.
#[test]
fn resolving_from_the_palette_lists_what_is_open_and_needs_a_summary() {
    let sandbox = Sandbox::new("kim");
    let console = sandbox.console_script("resolve", &["demo"]);
    let tmux = Tmux::start(&sandbox, 160, 48, &console);
    let w = console.window.as_str();
    let from = demo_live(&tmux, &sandbox, w);

    tmux.keys(w, &[":"]);
    tmux.expect(w, "the palette", STEP, |s| s.contains("Command palette"));
    tmux.type_text(w, "set status resolved");
    tmux.expect(w, "the resolve entry", STEP, |s| {
        s.contains("Set status Resolved") && !s.contains("Set status Monitoring")
    });
    tmux.keys(w, &["Enter"]);
    let dialog = tmux.expect(w, "the resolve dialog", STEP, |s| {
        s.contains("Resolve INC-DEMO-1?") && s.contains("Enter: resolve · Esc: cancel")
    });
    for open in [
        "Still open:",
        "open checklist items",
        "tenant acme still isolated in eu-west-1",
        "service export-api still down",
        "Summary:",
    ] {
        assert!(
            dialog.contains(open),
            "no {open:?} in the dialog:\n{}",
            framed(&dialog)
        );
    }

    // Enter with no summary: refused in the dialog, nothing sent.
    tmux.keys(w, &["Enter"]);
    tmux.expect(w, "the summary demanded", STEP, |s| {
        s.contains("A summary is required") && s.contains("Resolve INC-DEMO-1?")
    });
    let sent = demo_log(&sandbox);
    assert!(
        !sent[from..]
            .iter()
            .any(|e| event_type(e) == "status_changed"),
        "resolved without a summary: {:#?}",
        &sent[from..]
    );

    let summary = unique("rolled back");
    tmux.type_text(w, &summary);
    tmux.expect(w, "the typed summary", STEP, |s| s.contains(&summary));
    tmux.keys(w, &["Enter"]);
    let new = wait_log(&sandbox, from, "the status change", |new| {
        new.iter().any(|e| event_type(e) == "status_changed")
    });
    let change = new
        .iter()
        .find(|e| event_type(e) == "status_changed")
        .cloned()
        .unwrap_or_default();
    assert_eq!(change["to"], "resolved", "{change:#}");
    assert_eq!(change["reason"], summary.as_str(), "{change:#}");
    tmux.expect(w, "resolved, with the summary on the timeline", STEP, |s| {
        header_line(s).contains("[Resolved]")
            && s.contains(&format!("Identified → Resolved ({summary})"))
            && !s.contains("Resolve INC-DEMO-1?")
    });
    tmux.keys(w, &["q"]);
    tmux.assert_exited_cleanly(&console, "INC-DEMO-1");
}
