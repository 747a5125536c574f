//! The lobby of a console joined to a hub, in a real terminal (tmux): its list follows
//! the hub's news while it is shown. An incident declared by someone else appears, and
//! a severity raised elsewhere shows, with no key pressed. Every step waits for the
//! screen, bounded.

mod tmux_support;

use tmux_support::{Hub, START, STEP, Sandbox, Tmux, framed, ok, unique};

#[test]
fn the_lobby_shows_what_others_declare_and_change_while_it_is_open() {
    let sandbox = Sandbox::new("erin");
    let config = sandbox.path("warroom.toml");
    let erin = sandbox.token(&config, "erin", "scribe");
    let carol = sandbox.token(&config, "carol", "commander");
    let hub = Hub::start(&sandbox, &config);
    let url = hub.url.as_str();
    let declare = |title: &str, severity: &str| hub.declare(&sandbox, &carol, title, severity);
    let first = unique("Agent replies leak tenant data");
    let first_id = declare(&first, "SEV3");

    let console = sandbox.console_script("lobby", &["join", url, "--token", &erin]);
    let tmux = Tmux::start(&sandbox, 120, 30, &console);
    let w = console.window.as_str();
    tmux.expect(w, "the lobby listing the first incident", START, |s| {
        s.contains(&first_id) && s.contains("SEV3") && s.contains("1 incident (1 open)")
    });

    let second = unique("LLM provider outage");
    let second_id = declare(&second, "SEV2");
    let screen = tmux.expect(w, "the second incident, unasked", STEP, |s| {
        s.contains(&second_id) && s.contains("2 incidents (2 open)")
    });
    assert!(screen.contains(&first_id), "{}", framed(&screen));

    let raise = [
        "severity",
        &first_id,
        "SEV1",
        "--reason",
        "two regions",
        "--hub",
        url,
        "--token",
        &carol,
    ];
    ok(&sandbox, &raise);
    tmux.expect(w, "the first incident raised to SEV1", STEP, |s| {
        s.lines()
            .any(|line| line.contains(&first_id) && line.contains("SEV1"))
    });
    tmux.keys(w, &["Escape"]);
    let exit = tmux.wait_exit(&console);
    assert!(exit.contains("EXIT=0"), "{exit}");
}
