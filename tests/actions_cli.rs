//! The containment-action and publishing commands of the real `warroom` binary, against
//! a hub started in this test (`warroom::hub::start` on port 0) whose actions come from
//! `assets/actions.example.toml`, and against a local data directory whose hub
//! configuration names that file; and the `catalog` frame reaching a console through
//! `net::sync`. Nothing here runs an action: dry runs send nothing, two-person requests
//! wait for an approval that is denied or never given.

use serde::Deserialize;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use warroom::engine::DataDir;
use warroom::hub::auth::Authenticator;
use warroom::hub::{HubOptions, RunningHub, start};
use warroom::incident::Role;
use warroom::incident::action::ActionSpec;
use warroom::net::{SyncEvent, SyncOptions};
use warroom::protocol::Identity;
use warroom::tui::app::{App, Msg};
use warroom::tui::layout::Layout;
use warroom::tui::theme::Theme;

const BIN: &str = env!("CARGO_BIN_EXE_warroom");
const ALICE: &str = "wrt_alice_commander_0000000000000000000000000000000000000000000000000000";
const BOB: &str = "wrt_bob_security_00000000000000000000000000000000000000000000000000000000";
const EXAMPLE: &str = include_str!("../assets/actions.example.toml");

fn example_actions() -> Vec<ActionSpec> {
    #[derive(Deserialize)]
    struct File {
        action: Vec<ActionSpec>,
    }
    toml::from_str::<File>(EXAMPLE)
        .expect("the example parses")
        .action
}

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    what: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(self) -> String {
        assert_eq!(
            self.code,
            Some(0),
            "`{}` failed:\n{}",
            self.what,
            self.stderr
        );
        self.stdout
    }

    /// Exit 1 or 2, nothing on stdout, one `warroom:` line naming every needle.
    fn refused(self, needles: &[&str]) -> String {
        assert!(
            matches!(self.code, Some(1 | 2)),
            "`{}` should be refused, got {:?}\n{}\n{}",
            self.what,
            self.code,
            self.stdout,
            self.stderr
        );
        assert_eq!(self.stdout, "", "`{}` printed on stdout", self.what);
        assert!(self.stderr.starts_with("warroom: "), "{}", self.stderr);
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "`{}`: stderr should mention `{needle}`:\n{}",
                self.what,
                self.stderr
            );
        }
        self.stderr
    }
}

/// Runs the binary with nothing from the caller's environment.
fn warroom(home: &Path, args: &[&str]) -> Run {
    let output = Command::new(BIN)
        .args(args)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("share"))
        .env_remove("WARROOM_CATALOG")
        .env_remove("WARROOM_DATA")
        .env_remove("WARROOM_USER")
        .env_remove("WARROOM_HUB")
        .env_remove("WARROOM_TOKEN")
        .env_remove("WARROOM_CONFIG")
        .output()
        .expect("run warroom");
    Run {
        what: format!("warroom {}", args.join(" ")),
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// A hub on loopback with the example actions and one channel; alice (commander) and
/// bob (security) may connect.
struct Hub {
    dir: TempDir,
    runtime: tokio::runtime::Runtime,
    hub: Option<RunningHub>,
    url: String,
}

impl Hub {
    fn start() -> Hub {
        Hub::start_with(example_actions(), vec!["status_page".into()])
    }

    fn start_with(actions: Vec<ActionSpec>, channels: Vec<String>) -> Hub {
        let dir = tempfile::tempdir().expect("temp dir");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let mut runbooks = warroom::catalog::embedded().expect("the built-in catalog");
        runbooks.actions = actions;
        runbooks.channels = channels;
        let auth = Authenticator::default()
            .with_token(ALICE, "alice", [Role::Commander])
            .with_token(BOB, "bob", [Role::Security]);
        let options = HubOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data: DataDir::new(dir.path().join("data")),
            runbooks,
            auth,
            limits: warroom::hub::HubLimits::default(),
        };
        let hub = runtime.block_on(start(options)).expect("the hub starts");
        let url = format!("http://{}", hub.addr);
        Hub {
            dir,
            runtime,
            hub: Some(hub),
            url,
        }
    }

    fn run(&self, token: &str, args: &[&str]) -> Run {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--hub", &self.url, "--token", token]);
        warroom(self.dir.path(), &all)
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.take() {
            let _ = self.runtime.block_on(hub.shutdown());
        }
    }
}

/// Space-separated words: the arguments of a command line without quoted spaces.
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// Asserts that `text` contains every needle.
fn has(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "`{needle}` is missing from:\n{text}");
    }
}

#[test]
fn actions_lists_the_hubs_catalog() {
    let hub = Hub::start();
    let out = hub.run(ALICE, &["actions"]).ok();
    assert!(out.starts_with("ACTION"), "{out}");
    let line = |id: &str| out.lines().find(|l| l.starts_with(id)).unwrap_or_default();
    has(
        line("isolate_tenant"),
        &["http", "yes", "commander, security", "Isolate a tenant"],
    );
    has(line("freeze_deploys"), &[" no ", "commander, ops"]);
    has(
        line("page_oncall"),
        &[
            "pagerduty",
            "commander, ops, security",
            "Page the on-call engineer",
        ],
    );
    has(
        &out,
        &["--param tenant=…  Tenant id as in the admin console"],
    );
    has(&out, &["delivery channels: status_page"]);

    let json: Value =
        serde_json::from_str(&hub.run(BOB, &["actions", "--json"]).ok()).expect("--json is JSON");
    assert_eq!(json["actions"].as_array().map(Vec::len), Some(17));
    has(&json.to_string(), &["${DEPLOY_API_TOKEN}"]);
}

#[test]
fn act_dry_run_previews_bad_parameters_are_named_and_approval_needs_someone_else() {
    let hub = Hub::start();
    let id = hub
        .run(ALICE, &words("declare --title Leak --severity SEV1"))
        .ok();
    let id = id.trim();

    let out = hub
        .run(ALICE, &words(&format!("act {id} freeze_deploys --dry-run")))
        .ok();
    has(
        &out,
        &["action_requested: run #", "dry run: nothing was sent"],
    );
    has(
        &out,
        &["POST https://deploy.example.internal/api/v1/freeze"],
    );
    has(
        &out,
        &[
            "Authorization: Bearer ${DEPLOY_API_TOKEN}",
            &format!("X-Incident-Id: {id}"),
        ],
    );

    let description = "Tenant id as in the admin console";
    let act = |params: &str| hub.run(ALICE, &words(&format!("act {id} isolate_tenant {params}")));
    act("--param tenant=acme/../globex").refused(&["tenant", description, "acme/../globex"]);
    act("").refused(&["tenant", "is missing", description]);
    act("--param tenat=acme").refused(&["tenat", "tenant (Tenant id as in the admin console)"]);
    hub.run(ALICE, &words(&format!("act {id} launch_missiles")))
        .refused(&["unknown action `launch_missiles`", "warroom actions"]);

    let out = act("--param tenant=acme-eu").ok();
    has(
        &out,
        &[
            "awaiting approval",
            "tenants.example.internal/api/v1/tenants/acme-eu/isolate",
        ],
    );
    let run = out
        .split("run #")
        .nth(1)
        .and_then(|r| r.split_whitespace().next());
    let run = run.expect("the run number").to_string();
    has(&out, &[&format!("warroom approve {id} {run}")]);

    hub.run(ALICE, &["approve", id, &run])
        .refused(&["a different responder must approve"]);
    let out = hub
        .run(BOB, &["deny", id, &run, "--reason", "wrong tenant"])
        .ok();
    has(&out, &[&format!("run #{run} denied: wrong tenant")]);
    hub.run(BOB, &["approve", id, &run])
        .refused(&["denied, not awaiting approval"]);
    has(&act("--param tenant=globex").ok(), &["awaiting approval"]);

    let runs = hub.run(BOB, &["runs", id]).ok();
    let lines: Vec<&str> = runs.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(lines.len(), 3, "{runs}");
    has(lines[0], &["dry run", "Freeze deploys"]);
    has(lines[1], &["denied", "tenant=acme-eu", "decided by bob"]);
    has(lines[2], &["awaiting approval", "tenant=globex"]);
    has(
        &runs,
        &["needs a different responder with one of commander, security"],
    );
    let json: Value =
        serde_json::from_str(&hub.run(BOB, &["runs", id, "--json"]).ok()).expect("JSON");
    assert_eq!(json.as_array().map(Vec::len), Some(3));
}

#[test]
fn publish_refuses_unfilled_fields_by_name_then_publishes() {
    let hub = Hub::start();
    let id = hub.run(ALICE, &words("declare --title Exports")).ok();
    let id = id.trim();
    let publish = |extra: &[&str]| {
        let line = format!("publish {id} --template status_identified");
        let mut args = words(&line);
        args.extend(["--set", "symptom=errors when exporting invoices"]);
        args.extend_from_slice(extra);
        hub.run(ALICE, &args)
    };
    publish(&[]).refused(&["not published", "fix_in_progress", "What we are doing now"]);
    publish(&["--set", "cause=x"]).refused(&["has no field `cause`"]);
    let fix = ["--set", "fix_in_progress=rolling back a recent change"];
    publish(&fix).refused(&["never carry the internal title", "--public-title"]);
    let titled = [fix[0], fix[1], "--public-title", "Invoice export errors"];
    let out = publish(&titled).ok();
    has(
        &out,
        &["public_title_set", "Invoice export errors: identified"],
    );
    has(
        &out,
        &[
            "comms_published: “Status page: identified”",
            "delivering to status_page",
        ],
    );
    has(
        &out,
        &[
            "We have found the cause of errors when exporting invoices and are now rolling back a recent change.",
        ],
    );
    let published = out.lines().find(|l| l.contains("comms_published"));
    let published = published.and_then(|l| l.trim_start_matches('#').split_whitespace().next());
    let published = published.expect("the event's seq");
    // A retry names a channel the update went to; a publish, channels the hub has.
    hub.run(ALICE, &["retry", id, published, "pager"])
        .refused(&["was not sent to `pager`"]);
    publish(&[fix[0], fix[1], "--channel", "pager"])
        .refused(&["no delivery channel `pager` on this hub (status_page)"]);
}

#[test]
fn local_mode_lists_the_configured_file_and_runs_through_a_short_lived_hub() {
    let home = tempfile::tempdir().expect("temp dir");
    let config = home.path().join("warroom.toml");
    std::fs::write(home.path().join("actions.toml"), EXAMPLE).expect("writes");
    std::fs::write(&config, "actions = \"actions.toml\"\n").expect("writes");
    let data = home.path().join("data");
    // Options after the command; `actions` and `runs` only read: no identity.
    let local = |line: String| {
        let reader = line.starts_with("actions") || line.starts_with("runs");
        let identity = if reader {
            ""
        } else {
            "--as alice --role commander"
        };
        let options = format!("--data {} {identity}", data.display());
        warroom(home.path(), &words(&format!("{line} {options}")))
    };
    let config = format!("--config {}", config.display());
    has(
        &local(format!("actions {config}")).ok(),
        &["isolate_tenant", "short-lived hub"],
    );
    has(&local("actions".into()).ok(), &["names no actions file"]);

    let id = local("declare --title Local".into()).ok();
    let id = id.trim();
    let out = local(format!("act {id} freeze_deploys --dry-run {config}")).ok();
    has(&out, &["${DEPLOY_API_TOKEN}", "nothing was sent"]);
    // The example's secret is not set here: the runner fails before sending anything,
    // naming the variable — proof that the action really went to a runner.
    let out = local(format!("act {id} freeze_deploys {config}")).ok();
    has(
        &out,
        &["run #", "Freeze deploys: FAILED", "DEPLOY_API_TOKEN"],
    );
    local(format!("act {id} freeze_deploys")).refused(&["no containment actions configured"]);
}

/// The first `catalog` a console's subscription to `incident` reports.
fn console_catalog(hub: &Hub, incident: &str) -> (Vec<ActionSpec>, Vec<String>) {
    hub.runtime.block_on(async {
        let options = SyncOptions::new(hub.url.clone(), ALICE, incident);
        let mut sync = warroom::net::sync::spawn(options);
        loop {
            let next = tokio::time::timeout(Duration::from_secs(10), sync.events.recv());
            let event = next.await.expect("a sync event in time");
            if let Some(SyncEvent::Catalog { actions, channels }) = event {
                sync.stop();
                return (actions, channels);
            }
        }
    })
}

#[test]
fn the_catalog_reaches_the_console_and_an_empty_hub_says_so() {
    let hub = Hub::start();
    let id = hub.run(ALICE, &["declare", "--title", "Sync"]).ok();
    let (actions, channels) = console_catalog(&hub, id.trim());
    assert_eq!(actions, example_actions());
    assert_eq!(channels, ["status_page"]);

    let runbooks = Arc::new(warroom::catalog::embedded().expect("the built-in catalog"));
    let roles = [Role::Commander].into_iter().collect();
    let me = Identity {
        name: "alice".into(),
        roles,
    };
    let theme = Theme::built_in("default").expect("a theme");
    let layout = Layout::built_in("commander").expect("a layout");
    let mut app = App::new(runbooks, theme, layout, me, chrono::Utc::now());
    assert!(app.runbooks.actions.is_empty());
    app.update(Msg::Sync(SyncEvent::Catalog { actions, channels }));
    assert_eq!(app.runbooks.actions.len(), 17);
    assert_eq!(app.runbooks.channels, ["status_page"]);
    assert!(
        !app.runbooks.templates.is_empty(),
        "the rest of the catalog stays"
    );

    let bare = Hub::start_with(Vec::new(), Vec::new());
    let id = bare.run(ALICE, &["declare", "--title", "Bare"]).ok();
    assert_eq!(console_catalog(&bare, id.trim()), (Vec::new(), Vec::new()));
    has(
        &bare.run(ALICE, &["actions"]).ok(),
        &["this hub has no containment actions configured"],
    );
}

/// Security report item 14: local mode takes anyone's name from `--as`, so it refuses
/// the two-person rule outright (request and approval), naming `warroom serve`.
#[test]
fn local_mode_refuses_two_person_actions_and_names_warroom_serve() {
    let home = tempfile::tempdir().expect("temp dir");
    let config = home.path().join("warroom.toml");
    std::fs::write(home.path().join("actions.toml"), EXAMPLE).expect("writes");
    std::fs::write(&config, "actions = \"actions.toml\"\n").expect("writes");
    let data = home.path().join("data");
    let config = format!("--config {}", config.display());
    // Options after the command; `runs` only reads: no identity.
    let local = |who: &str, line: String| {
        let identity = if line.starts_with("runs") {
            String::new()
        } else {
            format!("--as {who} --role commander")
        };
        let options = format!("--data {} {identity}", data.display());
        warroom(home.path(), &words(&format!("{line} {options}")))
    };
    let id = local("alice", "declare --title Local".into()).ok();
    let id = id.trim();
    let isolate = format!("act {id} isolate_tenant --param tenant=acme {config}");
    local("alice", isolate.clone()).refused(&["two-person approval", "warroom serve"]);
    // Whatever run number, from whoever: approval needs a hub with tokens.
    local("mallory", format!("approve {id} 5")).refused(&["two-person approval", "warroom serve"]);
    // A dry run needs no approval, and an action without the rule still runs.
    has(
        &local("alice", format!("{isolate} --dry-run")).ok(),
        &["nothing was sent"],
    );
    let runs = local("alice", format!("runs {id}")).ok();
    let lines: Vec<&str> = runs.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(lines.len(), 1, "only the dry run was recorded: {runs}");
    has(lines[0], &["dry run"]);
}
