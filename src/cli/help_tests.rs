//! The command line's shape, read from clap itself so a new subcommand is covered the
//! day it is added: clap's own consistency checks, which option groups each subcommand
//! offers, and that each shared option keeps its environment variable and default.

use super::args::Cli;
use clap::error::ErrorKind;
use clap::{Command, CommandFactory, Parser};

/// The options that several commands share; every other option is a command's own.
const SHARED: [&str; 10] = [
    "data",
    "catalog",
    "as",
    "role",
    "hub",
    "token",
    "ca",
    "fingerprint",
    "layout",
    "theme",
];

/// Every command's path ("" for `warroom` alone, "token new" for nested ones) and the
/// shared options it offers.
fn offered() -> Vec<(String, Vec<String>)> {
    fn walk(command: &Command, path: String, into: &mut Vec<(String, Vec<String>)>) {
        let longs = command
            .get_arguments()
            .filter_map(|a| a.get_long())
            .filter(|long| SHARED.contains(long))
            .map(str::to_string)
            .collect();
        into.push((path.clone(), longs));
        for sub in command.get_subcommands() {
            let name = sub.get_name();
            let path = if path.is_empty() {
                name.to_string()
            } else {
                format!("{path} {name}")
            };
            walk(sub, path, into);
        }
    }
    let mut all = Vec::new();
    walk(&Cli::command(), String::new(), &mut all);
    all
}

/// The shared options each command should offer: only those it reads.
fn expected(path: &str) -> &'static [&'static str] {
    const WRITER: &[&str] = &[
        "data",
        "catalog",
        "as",
        "role",
        "hub",
        "token",
        "ca",
        "fingerprint",
    ];
    const READER: &[&str] = &["data", "catalog", "hub", "token", "ca", "fingerprint"];
    const CONSOLE: &[&str] = &["data", "catalog", "as", "token", "layout", "theme"];
    match path {
        "declare" | "note" | "correct" | "tick" | "untick" | "item" | "playbook" | "severity"
        | "status" | "assign" | "blast" | "blast-rename" | "blast-remove" | "service" | "flag"
        | "met" | "times" | "postmortem" | "followup add" | "followup done" | "followup wont"
        | "followup reopen" | "followup send" | "act" | "approve" | "deny" | "publish"
        | "retry" => WRITER,
        "render" | "actions" | "runs" | "list" | "export" | "followups" | "report" => READER,
        "" | "console" => CONSOLE,
        "join" => &["catalog", "token", "ca", "fingerprint", "layout", "theme"],
        "demo" => &["catalog", "layout", "theme"],
        "playbooks" | "templates" => &["catalog"],
        "tail" => &["hub", "token", "ca", "fingerprint"],
        "serve" => &["data", "catalog"],
        // Its own --role: the roles of the token it mints.
        "token new" => &["role"],
        // Where the hub keeps when each responder was last seen.
        "token list" => &["data"],
        "roles" | "verify" | "migrate" | "check" | "token" | "token revoke" | "token rotate"
        | "tls" | "responder" | "responder add-key" | "tls self-signed" | "bench" | "bench hub"
        | "bench console" | "bench store" | "bench peak" | "bench join-probe" | "followup"
        | "help" => &[],
        other => panic!("`warroom {other}` is new: say which shared options it takes here"),
    }
}

#[test]
fn clap_finds_no_inconsistency_in_any_command() {
    // Panics on, e.g., two arguments of one command sharing a flag (`item --role` did).
    Cli::command().debug_assert();
}

#[test]
fn each_command_offers_only_the_shared_options_it_uses() {
    for (path, offered) in offered() {
        let mut want: Vec<&str> = expected(&path).to_vec();
        let mut got: Vec<&str> = offered.iter().map(String::as_str).collect();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "`warroom {path} --help`");
    }
}

#[test]
fn console_looks_only_on_consoles_and_hubs_only_where_one_can_be_used() {
    for (path, offered) in offered() {
        let has = |long: &str| offered.iter().any(|o| o == long);
        let console = ["", "console", "join", "demo"].contains(&path.as_str());
        assert_eq!(has("layout"), console, "`warroom {path}`: --layout");
        assert_eq!(has("theme"), console, "`warroom {path}`: --theme");
        // A hub to send commands to: the commands with a backend, and `tail`.
        let hub_capable = expected(&path).contains(&"hub");
        assert_eq!(has("hub"), hub_capable, "`warroom {path}`: --hub");
    }
}

#[test]
fn shared_options_keep_their_environment_variables_and_defaults() {
    fn check(command: &Command, path: &str) {
        for arg in command.get_arguments() {
            let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
            let env = env.as_deref();
            match (path, arg.get_long()) {
                (_, Some("data")) => assert_eq!(env, Some("WARROOM_DATA"), "{path}"),
                (_, Some("catalog")) => assert_eq!(env, Some("WARROOM_CATALOG"), "{path}"),
                (_, Some("as")) => assert_eq!(env, Some("WARROOM_USER"), "{path}"),
                (_, Some("hub")) => assert_eq!(env, Some("WARROOM_HUB"), "{path}"),
                (_, Some("token")) => assert_eq!(env, Some("WARROOM_TOKEN"), "{path}"),
                (_, Some("theme")) => assert_eq!(env, Some("WARROOM_THEME"), "{path}"),
                (_, Some("ca")) => assert_eq!(env, Some("WARROOM_CA"), "{path}"),
                (_, Some("fingerprint")) => {
                    assert_eq!(env, Some("WARROOM_FINGERPRINT"), "{path}");
                }
                ("token new", Some("role")) => {}
                (_, Some("role")) => {
                    let default: Vec<_> = arg.get_default_values().to_vec();
                    assert_eq!(default, ["commander"], "{path}");
                }
                _ => {}
            }
        }
        for sub in command.get_subcommands() {
            let name = sub.get_name();
            check(sub, format!("{path} {name}").trim_start());
        }
    }
    check(&Cli::command(), "");
}

#[test]
fn item_takes_its_owner_and_your_roles_as_separate_flags() {
    let cli = Cli::try_parse_from([
        "warroom",
        "item",
        "INC-1",
        "Page the DBA",
        "--owner",
        "comms",
        "--as",
        "bob",
        "--role",
        "scribe",
        "--role",
        "ops",
    ])
    .expect("parses");
    let Some(super::args::CliCommand::Item { owner, client, .. }) = cli.command else {
        panic!("not an item: {cli:?}");
    };
    assert_eq!(owner.as_deref(), Some("comms"));
    assert_eq!(client.identity.user.as_deref(), Some("bob"));
    assert_eq!(client.identity.roles, ["scribe", "ops"]);
}

#[test]
fn an_option_before_the_command_is_refused_with_where_it_goes() {
    let error = Cli::try_parse_from(["warroom", "--data", "/tmp/x", "list"])
        .map_err(super::args::with_placement_tip)
        .expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::ArgumentConflict);
    let shown = error.render().to_string();
    assert!(shown.contains("warroom list … --data <DIR>"), "{shown}");
    // Alone, `warroom` takes the console's options.
    let alone =
        Cli::try_parse_from(["warroom", "--data", "/tmp/x", "--layout", "scribe"]).expect("parses");
    assert!(alone.command.is_none());
    assert_eq!(alone.console.look.layout.as_deref(), Some("scribe"));
}
