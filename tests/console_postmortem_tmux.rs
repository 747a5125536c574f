//! The post-mortem written in the real console, in a real terminal (tmux), against a
//! real hub on loopback: `M` opens the view, Enter edits the Summary, typed prose
//! (command keys included) stays text, Ctrl-S saves it, and `warroom postmortem ID`
//! from the CLI prints what was written. Every step waits for the screen, bounded.

mod tmux_support;

use tmux_support::{Hub, START, STEP, Sandbox, Tmux, framed, header_line, ok, unique};

#[test]
fn a_section_written_in_the_console_is_what_the_cli_prints() {
    let sandbox = Sandbox::new("ops");
    let config = sandbox.path("warroom.toml");
    let alice = sandbox.token(&config, "alice", "commander");
    let hub = Hub::start(&sandbox, &config);
    let url = hub.url.as_str();
    let title = unique("Checkout 502s");
    let id = hub.declare(&sandbox, &alice, &title, "SEV2");

    let console = sandbox.console_script(
        "alice",
        &["join", url, "--token", &alice, "--incident", &id],
    );
    let tmux = Tmux::start(&sandbox, 120, 36, &console);
    let w = console.window.as_str();
    tmux.expect(w, "alice's console, live", START, |s| {
        header_line(s).contains(&id) && header_line(s).contains("● live")
    });

    tmux.keys(w, &["M"]);
    tmux.expect(w, "the post-mortem view", STEP, |s| {
        s.contains("Post-mortem") && s.contains("0 of 9 sections written")
    });
    tmux.keys(w, &["Enter"]);
    tmux.expect(w, "the Summary's editor", STEP, |s| {
        s.contains("Summary") && s.contains("Ctrl-S save")
    });
    // Command keys inside prose are text: q would quit, : opens the palette, n a note.
    tmux.type_text(w, "Checkout returned 502s: quick rollback, no data lost.");
    tmux.keys(w, &["Enter"]);
    tmux.type_text(w, "Second line.");
    tmux.keys(w, &["C-s"]);
    let screen = tmux.expect(w, "the section saved", STEP, |s| {
        s.contains("1 of 9 sections written") && s.contains("✓ Summary")
    });
    assert!(
        screen.contains("Checkout returned 502s: quick rollback"),
        "the saved text is shown:\n{}",
        framed(&screen)
    );

    let printed = ok(
        &sandbox,
        &["postmortem", &id, "--hub", url, "--token", &alice],
    );
    assert!(
        printed.stdout.contains("## Summary (summary) — alice at"),
        "{}",
        printed.stdout
    );
    assert!(
        printed
            .stdout
            .contains("Checkout returned 502s: quick rollback, no data lost.\nSecond line."),
        "{}",
        printed.stdout
    );
    tmux.keys(w, &["Escape"]);
    tmux.expect(w, "the panes again", STEP, |s| {
        !s.contains("sections written")
    });
    tmux.keys(w, &["q"]);
    assert_eq!(tmux.wait_exit(&console), "EXIT=0");
    drop(tmux);
    drop(hub);
}
