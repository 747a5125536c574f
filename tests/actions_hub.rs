//! Containment actions end to end, in-process: a hub started from a real
//! `warroom.toml` + actions file (`warroom::hub::start_with`, port 0, temporary data)
//! acting on a local HTTP receiver and on real programs. Secrets come from this
//! process's environment (set once, one variable per test) and must never reach the
//! log, the timeline or an excerpt. Deliveries and start-up recovery are in
//! `actions_deliveries.rs`; a kill -9 of the real binary in `actions_process.rs`.

mod actions_support;

use actions_support::*;
use serde_json::json;
use warroom::incident::State;
use warroom::incident::state::{RunOutcome, RunStatus};

const API_TOKEN: &str = "tok-7f3a9c-api-very-secret";
const EXEC_TOKEN: &str = "exec-4d2b-secret-value";
const FORMS_TOKEN: &str = "frm/9Zq+tok=secret-value.v2";

/// Sets every test's secret once, before any hub of this binary reads one.
fn environment() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for (name, value) in [
            ("WR_AH_API_TOKEN", API_TOKEN),
            ("WR_AH_EXEC_TOKEN", EXEC_TOKEN),
            ("WR_AH_FORMS_TOKEN", FORMS_TOKEN),
        ] {
            // SAFETY: std serializes its own environment access; nothing in these
            // tests reads the environment through libc while this runs.
            unsafe { std::env::set_var(name, value) };
        }
    });
}

#[tokio::test]
async fn an_http_action_sends_exactly_the_rendered_request_and_never_keeps_the_secret() {
    environment();
    let receiver = Receiver::start().await;
    let fields = r#"timeout_seconds = 5
kind = "http"
method = "PUT"
url = "BASE/echo/tenants/{tenant}/budget"
headers = { Authorization = "Bearer ${WR_AH_API_TOKEN}", "X-Incident-Id" = "{incident_id}" }
body_format = "json"
body = '''{"daily_limit_usd": {limit_usd}, "reason": "incident {incident_id}", "requested_by": "{actor}", "severity": "{severity}"}'''

[[action.param]]
name = "tenant"
description = "Tenant id"
pattern = '^[a-z0-9][a-z0-9-]{0,62}$'

[[action.param]]
name = "limit_usd"
description = "Daily limit in USD"
pattern = '^[0-9]{1,6}$'
"#;
    let actions = action("clamp_budget", r#"["ops"]"#, true, false, fields);
    let room = Room::open(&actions.replace("BASE", &receiver.url()), "").await;
    let id = room.declare().await;
    let params = json!({"tenant": "acme-eu", "limit_usd": "50"});
    let run = room
        .request(CAROL, &id, "clamp_budget", params)
        .await
        .expect("requested");
    let state = room.until(&id, "the run finishes", finished(run)).await;

    let seen = receiver.wait_for(1).await;
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.method, "PUT");
    assert_eq!(request.path, "/echo/tenants/acme-eu/budget");
    assert_eq!(
        request.headers["authorization"],
        format!("Bearer {API_TOKEN}")
    );
    assert_eq!(request.headers["x-incident-id"], id);
    assert_eq!(request.headers["content-type"], "application/json");
    let body = json!({"daily_limit_usd": 50, "reason": format!("incident {id}"),
                      "requested_by": "carol", "severity": "SEV2"});
    assert_eq!(request.json(), body);

    let found = state.run(run).expect("the run");
    assert_eq!(found.status, RunStatus::Finished(RunOutcome::Succeeded));
    assert_eq!((found.result_status, found.attempts), (Some(200), 1));
    assert_eq!(
        found.excerpt,
        "accepted; you sent Bearer ${WR_AH_API_TOKEN}"
    );
    let everything = serde_json::to_string(&state).expect("JSON");
    assert!(
        everything.contains("Bearer ${WR_AH_API_TOKEN}"),
        "the preview names it"
    );
    assert!(
        !everything.contains(API_TOKEN),
        "the secret is in the state"
    );
    assert!(
        !room.log_text(&id).contains(API_TOKEN),
        "the secret is in the log"
    );
    room.stop().await;
}

#[tokio::test]
async fn a_failed_attempt_is_retried_only_when_that_is_safe() {
    let receiver = Receiver::start().await;
    let actions = [
        http_action("idem_500", true, 5, "/fail/idem"),
        http_action("once_500", false, 5, "/fail/once"),
        http_action("idem_400", true, 5, "/bad/idem"),
        http_action("idem_slow", true, 1, "/slow/idem"),
        http_action("once_slow", false, 1, "/slow/once"),
    ]
    .concat();
    let room = Room::open(&actions.replace("BASE", &receiver.url()), "").await;
    let id = room.declare().await;
    let mut runs = Vec::new();
    for action in ["idem_500", "once_500", "idem_400", "idem_slow", "once_slow"] {
        runs.push(
            room.request(ALICE, &id, action, json!({}))
                .await
                .expect("requested"),
        );
    }
    let all = |s: &State| runs.iter().all(|r| finished(*r)(s));
    let state = room.until(&id, "every run finishes", all).await;
    let expect = [
        (RunOutcome::Failed, Some(500), 3, "/fail/idem"),
        (RunOutcome::Failed, Some(500), 1, "/fail/once"),
        (RunOutcome::Failed, Some(400), 1, "/bad/idem"),
        (RunOutcome::Failed, None, 3, "/slow/idem"),
        (RunOutcome::Unknown, None, 1, "/slow/once"),
    ];
    let seen = receiver.seen();
    for (run, (outcome, status, attempts, path)) in runs.iter().zip(expect) {
        let found = state.run(*run).expect("the run");
        assert_eq!(found.status, RunStatus::Finished(outcome), "{path}");
        assert_eq!(
            (found.result_status, found.attempts),
            (status, attempts),
            "{path}"
        );
        let arrived = seen.iter().filter(|s| s.path == path).count();
        assert_eq!(
            arrived, attempts as usize,
            "{path}: one request per attempt"
        );
    }
    let excerpt = |n: usize| state.run(runs[n]).expect("run").excerpt.clone();
    assert!(
        excerpt(0).starts_with("after 3 attempts\nupstream broke"),
        "{}",
        excerpt(0)
    );
    assert!(
        excerpt(3).contains("no answer within 1 s"),
        "{}",
        excerpt(3)
    );
    assert!(excerpt(4).contains("check the target"), "{}", excerpt(4));
    let started = state
        .timeline
        .iter()
        .filter(|e| e.text.starts_with("Started #"))
        .count();
    assert_eq!(started, 3 + 1 + 1 + 3 + 1, "each attempt is its own event");
    room.stop().await;
}

#[tokio::test]
async fn nothing_is_sent_for_a_bad_parameter_or_a_missing_secret() {
    let receiver = Receiver::start().await;
    let tenant = "\n[[action.param]]\nname = \"tenant\"\ndescription = \"Tenant id as in the admin console\"\npattern = '^[a-z0-9-]+$'\n";
    let isolate = http_action("isolate", true, 5, "/ok/{tenant}") + tenant;
    let unset = "timeout_seconds = 5\nkind = \"http\"\nmethod = \"POST\"\nurl = \"BASE/ok/unset\"\n\
                 headers = { Authorization = \"Bearer ${WR_AH_NEVER_SET}\" }\n";
    let actions = isolate + &action("unset", r#"["commander"]"#, true, false, unset);
    let room = Room::open(&actions.replace("BASE", &receiver.url()), "").await;
    let id = room.declare().await;
    for bad in ["acme/../globex", "; rm -rf /", "tenant/*", " acme"] {
        let refused = room
            .request(ALICE, &id, "isolate", json!({"tenant": bad}))
            .await;
        let (code, message) = rejected(refused);
        assert_eq!(code, "invalid", "{bad}");
        assert!(
            message.contains("Tenant id as in the admin console"),
            "{message}"
        );
    }
    let run = room
        .request(ALICE, &id, "unset", json!({}))
        .await
        .expect("requested");
    let state = room.until(&id, "the run fails", finished(run)).await;
    let found = state.run(run).expect("the run");
    assert_eq!(found.status, RunStatus::Finished(RunOutcome::Failed));
    assert_eq!(found.attempts, 0, "failed before any attempt started");
    assert!(
        found.excerpt.contains("WR_AH_NEVER_SET"),
        "{}",
        found.excerpt
    );
    // A good request afterwards is the only thing the receiver ever sees.
    let good = room
        .request(ALICE, &id, "isolate", json!({"tenant": "acme"}))
        .await;
    room.until(&id, "the good run", finished(good.expect("requested")))
        .await;
    let seen = receiver.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, ["/ok/acme"]);
    assert_eq!(state.action_runs.len(), 1, "rejected requests leave no run");
    room.stop().await;
}

#[tokio::test]
async fn an_exec_action_runs_a_real_program_with_one_argument_per_element() {
    environment();
    let printf = |id: &str, pattern: &str| {
        let fields = format!(
            "timeout_seconds = 5\nkind = \"exec\"\nargv = [\"/usr/bin/printf\", \"tenant=%s|\\n\", \"{{tenant}}\"]\n\n\
             [[action.param]]\nname = \"tenant\"\ndescription = \"Tenant id\"\npattern = '{pattern}'\n"
        );
        action(id, r#"["ops"]"#, true, false, &fields)
    };
    let exec = |id: &str, idempotent: bool, fields: &str| {
        action(
            id,
            r#"["ops"]"#,
            idempotent,
            false,
            &format!("kind = \"exec\"\n{fields}"),
        )
    };
    let actions = [
        printf("print_tenant", "^[a-z0-9-]+$"),
        // Test only: a pattern that lets anything through, to show there is no shell.
        printf("print_anything", "^.+$"),
        exec(
            "env_only",
            true,
            "timeout_seconds = 5\nargv = [\"/usr/bin/env\"]\nenv = [\"WR_AH_EXEC_TOKEN\"]",
        ),
        exec(
            "exits_1",
            true,
            "timeout_seconds = 5\nargv = [\"/usr/bin/false\"]",
        ),
        exec(
            "hangs",
            false,
            "timeout_seconds = 1\nargv = [\"/usr/bin/sleep\", \"30\"]",
        ),
    ]
    .concat();
    let room = Room::open(&actions, "").await;
    let id = room.declare().await;
    let refused = room
        .request(CAROL, &id, "print_tenant", json!({"tenant": "; rm -rf /"}))
        .await;
    assert_eq!(rejected(refused).0, "invalid");
    let requests = [
        ("print_tenant", json!({"tenant": "acme-eu"})),
        ("print_anything", json!({"tenant": "; rm -rf /"})),
        ("env_only", json!({})),
        ("exits_1", json!({})),
        ("hangs", json!({})),
    ];
    let mut runs = Vec::new();
    for (action, params) in requests {
        runs.push(
            room.request(CAROL, &id, action, params)
                .await
                .expect("requested"),
        );
    }
    let all = |s: &State| runs.iter().all(|r| finished(*r)(s));
    let state = room.until(&id, "every run finishes", all).await;
    let run = |n: usize| state.run(runs[n]).expect("the run").clone();
    let ok = RunStatus::Finished(RunOutcome::Succeeded);
    assert_eq!((run(0).status, run(0).result_status), (ok, Some(0)));
    assert_eq!(run(0).excerpt, "tenant=acme-eu|\n");
    // Split into words, printf would have repeated its format once per word.
    assert_eq!(
        (run(1).status, run(1).excerpt.as_str()),
        (ok, "tenant=; rm -rf /|\n")
    );
    // Nothing of the hub's environment but the allowlisted variable, redacted.
    assert_eq!(run(2).excerpt, "WR_AH_EXEC_TOKEN=${WR_AH_EXEC_TOKEN}\n");
    let failed = RunStatus::Finished(RunOutcome::Failed);
    assert_eq!(
        (run(3).status, run(3).result_status, run(3).attempts),
        (failed, Some(1), 1)
    );
    let unknown = RunStatus::Finished(RunOutcome::Unknown);
    assert_eq!((run(4).status, run(4).attempts), (unknown, 1));
    assert!(
        run(4).duration_ms < 10_000,
        "killed at its limit: {}",
        run(4).duration_ms
    );
    assert!(
        run(4).excerpt.contains("killed after 1 s"),
        "{}",
        run(4).excerpt
    );
    assert!(!room.log_text(&id).contains(EXEC_TOKEN));
    room.stop().await;
}

fn two_person(path: &str) -> String {
    let fields =
        format!("timeout_seconds = 5\nkind = \"http\"\nmethod = \"POST\"\nurl = \"BASE{path}\"\n");
    action("isolate", r#"["commander", "ops"]"#, false, true, &fields)
}

#[tokio::test]
async fn a_two_person_action_runs_only_after_a_second_responder_with_the_role_approves() {
    let receiver = Receiver::start().await;
    let room = Room::open(
        &two_person("/ok/isolate").replace("BASE", &receiver.url()),
        "",
    )
    .await;
    let id = room.declare().await;
    let run = room
        .request(ALICE, &id, "isolate", json!({}))
        .await
        .expect("requested");
    let approve = json!({"type": "approve_action", "run": run});
    for (who, token) in [("alice", ALICE), ("bob", BOB), ("olga", OLGA)] {
        let (code, message) = rejected(room.send(token, &id, approve.clone()).await);
        assert_eq!(code, "forbidden", "{who}: {message}");
    }
    let state = State::replay(&room.events(&id).await);
    assert_eq!(
        state.run(run).expect("run").status,
        RunStatus::AwaitingApproval
    );
    assert!(receiver.seen().is_empty(), "nothing runs before approval");
    room.send(CAROL, &id, approve)
        .await
        .expect("carol approves");
    let state = room.until(&id, "the approved run", finished(run)).await;
    let found = state.run(run).expect("run");
    assert_eq!(found.status, RunStatus::Finished(RunOutcome::Succeeded));
    assert_eq!(found.decided_by.as_deref(), Some("carol"));
    // A denied request never runs.
    let second = room
        .request(ALICE, &id, "isolate", json!({}))
        .await
        .expect("requested");
    let deny = json!({"type": "deny_action", "run": second, "reason": "wrong tenant"});
    room.send(DAVE, &id, deny).await.expect("dave denies");
    assert_eq!(receiver.seen().len(), 1);
    room.stop().await;
}

#[tokio::test]
async fn an_approval_under_a_changed_definition_never_runs() {
    let receiver = Receiver::start().await;
    let first = two_person("/ok/v1").replace("BASE", &receiver.url());
    let room = Room::open(&first, "").await;
    let id = room.declare().await;
    let run = room
        .request(ALICE, &id, "isolate", json!({}))
        .await
        .expect("requested");
    let dir = room.stop().await;
    let changed = two_person("/ok/v2").replace("BASE", &receiver.url());
    let room = Room::start(dir, &changed, "").await;
    let approve = json!({"type": "approve_action", "run": run});
    room.send(CAROL, &id, approve).await.expect("approved");
    let state = room.until(&id, "the run is refused", finished(run)).await;
    let found = state.run(run).expect("run");
    assert_eq!(found.status, RunStatus::Finished(RunOutcome::Failed));
    assert!(
        found.excerpt.contains("definition changed"),
        "{}",
        found.excerpt
    );
    assert!(receiver.seen().is_empty());
    room.stop().await;
}

/// The escalation chain from the security report, through the real hub: seats govern
/// the record, the token's roles govern production, and an observer is never seated.
#[tokio::test]
async fn a_seat_never_grants_an_action_and_an_observer_is_never_seated() {
    let receiver = Receiver::start().await;
    let ops_exec = action(
        "ops_exec",
        r#"["ops"]"#,
        true,
        false,
        "timeout_seconds = 5\nkind = \"exec\"\nargv = [\"/usr/bin/true\"]",
    );
    let isolate = action(
        "isolate",
        r#"["commander", "security"]"#,
        false,
        true,
        "timeout_seconds = 5\nkind = \"http\"\nmethod = \"POST\"\nurl = \"BASE/ok/isolate\"\n",
    );
    let actions = [
        http_action("clamp", true, 5, "/ok/clamp"),
        ops_exec,
        isolate,
    ]
    .concat();
    let room = Room::open(&actions.replace("BASE", &receiver.url()), "").await;
    // A responder token declares and so commands the record.
    let id = room.declare_as(RITA).await;
    let steer = json!({"type": "set_severity", "severity": "SEV1"});
    room.send(RITA, &id, steer)
        .await
        .expect("rita steers the record");
    // The commander seat does not grant a ["commander", "ops"] action.
    let (code, message) = rejected(room.request(RITA, &id, "clamp", json!({})).await);
    assert_eq!(code, "forbidden", "{message}");
    assert!(message.contains("token"), "{message}");
    // Seating herself as ops lead is allowed (the record) but opens no ops action.
    let seat =
        |role: &str, person: &str| json!({"type": "assign_role", "role": role, "person": person});
    room.send(RITA, &id, seat("ops", "rita"))
        .await
        .expect("rita seats herself");
    let (code, _) = rejected(room.request(RITA, &id, "ops_exec", json!({})).await);
    assert_eq!(code, "forbidden");
    // An observer can never be seated, by a seated commander or a real one.
    for token in [RITA, ALICE] {
        let (code, message) = rejected(room.send(token, &id, seat("security", " olga ")).await);
        assert_eq!(code, "forbidden", "{message}");
        assert!(message.contains("observer"), "{message}");
    }
    // A two-person request by the commander token: neither the observer nor the
    // seated responder may approve it; nothing is sent.
    let run = room
        .request(ALICE, &id, "isolate", json!({}))
        .await
        .expect("alice requests");
    let approve = json!({"type": "approve_action", "run": run});
    for token in [OLGA, RITA] {
        let (code, message) = rejected(room.send(token, &id, approve.clone()).await);
        assert_eq!(code, "forbidden", "{message}");
    }
    let state = State::replay(&room.events(&id).await);
    assert_eq!(state.holder(warroom::incident::Role::Security), None);
    assert_eq!(
        state.run(run).expect("run").status,
        RunStatus::AwaitingApproval
    );
    assert!(receiver.seen().is_empty(), "nothing reached production");
    assert_eq!(state.action_runs.len(), 1, "refused requests leave no run");
    room.stop().await;
}

/// Security report items 7 and 12: what the receiver gets is byte-for-byte the
/// previewed path; `.`/`..` never move a request; values with control characters or
/// surrounding whitespace never reach a URL or argv; `\d` means ASCII digits.
#[tokio::test]
async fn parameter_values_cannot_move_a_request_or_smuggle_characters() {
    let receiver = Receiver::start().await;
    let clamp = "timeout_seconds = 5\nkind = \"http\"\nmethod = \"PUT\"\n\
                 url = \"BASE/ok/clamp/{tenant}/budget?limit={limit}\"\n\n\
                 [[action.param]]\nname = \"tenant\"\ndescription = \"Tenant id\"\npattern = '^[^/]+$'\n\n\
                 [[action.param]]\nname = \"limit\"\ndescription = \"Limit in USD\"\npattern = '^\\d{1,6}$'\n";
    let echo = "timeout_seconds = 5\nkind = \"exec\"\nargv = [\"/usr/bin/printf\", \"%s\", \"{tenant}\"]\n\n\
                [[action.param]]\nname = \"tenant\"\ndescription = \"Tenant id\"\npattern = '^[^/]+$'\n";
    let actions = action("clamp", r#"["ops"]"#, true, false, clamp)
        + &action("echo", r#"["ops"]"#, true, false, echo);
    let room = Room::open(&actions.replace("BASE", &receiver.url()), "").await;
    let id = room.declare().await;
    let clamp_with = |tenant: &str, limit: &str| json!({"tenant": tenant, "limit": limit});
    for (tenant, limit) in [
        ("..", "50"),
        (".", "50"),
        ("%2e%2e", "50"),
        ("acme\r", "50"),
        ("\tacme", "50"),
        ("acme\u{0B}", "50"),
        ("\u{0C}acme", "50"),
        ("acme\u{85}", "50"),
        ("acme", "٥٠"),
    ] {
        let refused = room
            .request(CAROL, &id, "clamp", clamp_with(tenant, limit))
            .await;
        let (code, message) = rejected(refused);
        assert_eq!(code, "invalid", "{tenant:?} {limit:?}: {message}");
    }
    for tenant in ["acme\n", "\nacme", "acme\u{85}", " acme"] {
        let refused = room
            .request(CAROL, &id, "echo", json!({"tenant": tenant}))
            .await;
        assert_eq!(rejected(refused).0, "invalid", "{tenant:?}");
    }
    // A value that is escaped arrives exactly as previewed.
    let run = room
        .request(CAROL, &id, "clamp", clamp_with("acme.eu x~", "50"))
        .await
        .expect("requested");
    let state = room.until(&id, "the run finishes", finished(run)).await;
    let seen = receiver.wait_for(1).await;
    let warroom::incident::action::Request::Http { url, .. } =
        &state.run(run).expect("the run").preview
    else {
        panic!("an http preview");
    };
    let previewed = url
        .strip_prefix(&receiver.url())
        .expect("the receiver's URL");
    assert_eq!(previewed, "/ok/clamp/acme.eu%20x~/budget?limit=50");
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, [previewed], "only the good request, byte for byte");
    assert_eq!(state.action_runs.len(), 1, "refused requests leave no run");
    room.stop().await;
}

/// Security report item 6: a target that echoes a secret URL-encoded, upper-cased,
/// split, base64'd or hex'd, or that echoes the path of a `${NAME}` URL, gets none of
/// it into the log or the live stream an observer sees.
#[tokio::test]
async fn no_echo_of_a_secret_is_kept_or_streamed() {
    environment();
    let receiver = Receiver::start().await;
    let hook_path = "/lost/T0AB12/B0CD34/xyzSECRETxyz";
    let hook = format!("{}{hook_path}?k=v4lu3s", receiver.url());
    // A name only this test reads, set before its hub starts.
    // SAFETY: std serializes its own environment access; nothing in these tests reads
    // the environment through libc while this runs.
    unsafe { std::env::set_var("WR_AH_HOOK_URL", &hook) };
    let forms = "timeout_seconds = 5\nkind = \"http\"\nmethod = \"POST\"\nurl = \"BASE/forms\"\n\
                 headers = { Authorization = \"Bearer ${WR_AH_FORMS_TOKEN}\" }\n";
    let lost =
        "timeout_seconds = 5\nkind = \"http\"\nmethod = \"POST\"\nurl = \"${WR_AH_HOOK_URL}\"\n";
    let actions = action("forms", r#"["ops"]"#, true, false, forms)
        + &action("lost", r#"["ops"]"#, false, false, lost);
    let room = Room::open(&actions.replace("BASE", &receiver.url()), "").await;
    let id = room.declare().await;
    // An observer watches live from before the runs.
    let mut olga = room.client(OLGA).await;
    within("subscribe", olga.load(&id))
        .await
        .expect("subscribes");
    let echoed = room
        .request(CAROL, &id, "forms", json!({}))
        .await
        .expect("requested");
    let failed = room
        .request(CAROL, &id, "lost", json!({}))
        .await
        .expect("requested");
    let mut streamed = String::new();
    let mut finished_runs = 0;
    while finished_runs < 2 {
        let frame = within("a live event", olga.next()).await.expect("a frame");
        let text = serde_json::to_string(&frame).expect("JSON");
        finished_runs += usize::from(text.contains("action_finished"));
        streamed.push_str(&text);
    }
    olga.close().await;
    let state = room
        .until(&id, "both runs finish", |s| {
            finished(echoed)(s) && finished(failed)(s)
        })
        .await;
    let echo = state.run(echoed).expect("the run");
    assert_eq!(echo.status, RunStatus::Finished(RunOutcome::Succeeded));
    assert_eq!(
        echo.excerpt.matches("${WR_AH_FORMS_TOKEN}").count(),
        echo_forms(FORMS_TOKEN).len(),
        "one name per echoed form:\n{}",
        echo.excerpt
    );
    let lost = state.run(failed).expect("the run");
    assert_eq!(lost.result_status, Some(404));
    assert!(
        lost.excerpt.contains("Cannot POST ${WR_AH_HOOK_URL}"),
        "{}",
        lost.excerpt
    );
    let stored = [
        room.log_text(&id),
        serde_json::to_string(&state).expect("JSON"),
        streamed,
    ];
    let mut leaks: Vec<String> = echo_forms(FORMS_TOKEN);
    // The six base64 forms come last; each may keep the few edge characters that
    // depend on its prefix or padding, never its middle.
    let base64_from = leaks.len() - 6;
    for form in &mut leaks[base64_from..] {
        *form = form.chars().skip(8).take(form.len() - 12).collect();
    }
    leaks.extend(["T0AB12", "B0CD34", "xyzSECRETxyz", "v4lu3s"].map(String::from));
    for text in &stored {
        for leak in &leaks {
            assert!(
                !text.contains(leak.as_str()),
                "`{leak}` was kept or streamed"
            );
        }
    }
    room.stop().await;
}
