//! The post-mortem written as events (issue 11, item 2, and the export of item 4 in
//! part): sections set from the CLI (text or @FILE) by the commander, scribe or comms
//! lead, shown with what is unwritten; refused for an unknown section, a responder, or
//! over the size limit; the Markdown export carries them and says plainly what is not
//! written yet, never a ⟨placeholder⟩ for them.

use std::path::Path;

mod cli_support;

use cli_support::{read, warroom_in};

fn warroom(data: &Path, who: &str, role: &str, args: &[&str]) -> (Option<i32>, String, String) {
    warroom_in(data, Some((who, role)), args)
}

/// Declares an incident as alice; its id.
fn declare(data: &Path, title: &str) -> String {
    ok(data, &["declare", "--title", title]).trim().to_string()
}

fn ok(data: &Path, args: &[&str]) -> String {
    let (code, out, err) = warroom(data, "alice", "commander", args);
    assert_eq!(code, Some(0), "{args:?}: {err}");
    out
}

/// Marks the impact's start (08:00) and detection (08:04), then resolves ("rolled back").
fn detected_and_resolved(data: &Path, id: &str) {
    let times = [
        "times",
        id,
        "--impact-start",
        "2020-01-01T08:00:00Z",
        "--detected",
        "2020-01-01T08:04:00Z",
    ];
    ok(data, &times);
    ok(
        data,
        &["status", id, "--set", "resolved", "--reason", "rolled back"],
    );
}

#[test]
fn sections_are_written_shown_exported_and_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = declare(data, "Checkout 502s");
    detected_and_resolved(data, &id);
    let causes = data.join("causes.md");
    std::fs::write(
        &causes,
        "- no canary on the new route\n- alert threshold too high\n",
    )
    .unwrap();
    let out = ok(
        data,
        &[
            "postmortem",
            &id,
            "--set",
            "summary=The checkout API returned 502s for 40 minutes after a deploy.",
            "--set",
            &format!("contributing_factors=@{}", causes.display()),
        ],
    );
    assert!(out.contains("postmortem_written"), "{out}");
    assert!(out.contains("## Summary (summary) — alice at"), "{out}");
    assert!(out.contains("- alert threshold too high"), "{out}");
    assert!(
        out.contains("## Impact (impact) — not written yet"),
        "{out}"
    );
    assert!(
        out.contains("Unwritten: impact, detection, root_cause"),
        "{out}"
    );

    // The scribe may write; a responder may not; nothing is written on a refusal.
    let (code, _, err) = warroom(
        data,
        "sam",
        "scribe",
        &[
            "postmortem",
            &id,
            "--set",
            "impact=About 12% of checkouts failed.",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = warroom(
        data,
        "bob",
        "responder",
        &["postmortem", &id, "--set", "root_cause=x"],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("forbidden") || err.contains("may"), "{err}");
    let (code, _, err) = warroom(
        data,
        "alice",
        "commander",
        &["postmortem", &id, "--set", "lessons=x"],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("not a post-mortem section") && err.lines().count() == 1,
        "{err}"
    );
    let huge = format!("root_cause={}", "x".repeat(16_001));
    let (code, _, err) = warroom(
        data,
        "alice",
        "commander",
        &["postmortem", &id, "--set", &huge],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("over 16000 characters"), "{err}");

    let md = read(data, &["export", &id, "--format", "md"]);
    assert!(
        md.contains("The checkout API returned 502s for 40 minutes after a deploy."),
        "{md}"
    );
    assert!(md.contains("About 12% of checkouts failed."));
    assert!(md.contains("- no canary on the new route"));
    assert!(md.contains(&format!(
        "_Not written yet_ (`warroom postmortem {id} --set root_cause=…`)"
    )));
    for section in [
        "summary",
        "impact",
        "contributing_factors",
        "root_cause",
        "detection",
    ] {
        assert!(
            !md.contains(&format!("⟨{section}⟩")),
            "⟨{section}⟩ left in:\n{md}"
        );
    }
    assert!(md.contains("| Time to detect | 4m"), "{md}");
    // Clearing a section: empty text.
    ok(data, &["postmortem", &id, "--set", "impact="]);
    let out = ok(data, &["postmortem", &id]);
    assert!(
        out.contains("## Impact (impact) — not written yet"),
        "{out}"
    );
}

/// Follow-ups (issue 11, item 3 without the tracker): added with one owner and a due
/// date, refused in the past or from a missing entry; marked done or won't do; listed
/// across incidents with filters and as JSON; and they are the post-mortem's
/// remediations.
#[test]
fn followups_are_owned_dated_listed_across_incidents_and_are_the_remediations() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let first = declare(data, "Checkout 502s");
    let second = declare(data, "Token spend runaway");
    let future = (chrono::Utc::now().date_naive() + chrono::Duration::days(14)).to_string();
    let soon = (chrono::Utc::now().date_naive() + chrono::Duration::days(2)).to_string();
    ok(
        data,
        &[
            "followup",
            "add",
            &first,
            "Add a canary for the new route",
            "--owner",
            "bob",
            "--due",
            &future,
            "--priority",
            "P1",
            "--from-entry",
            "1",
        ],
    );
    ok(
        data,
        &[
            "followup",
            "add",
            &first,
            "Lower the 5xx alert threshold",
            "--owner",
            "carol",
            "--due",
            &soon,
        ],
    );
    ok(
        data,
        &[
            "followup",
            "add",
            &second,
            "Cap token spend per tenant",
            "--owner",
            "bob",
            "--due",
            &soon,
            "--priority",
            "P3",
        ],
    );
    ok(data, &["followup", "done", &first, "2"]);

    let (code, _, err) = warroom(
        data,
        "alice",
        "commander",
        &[
            "followup",
            "add",
            &first,
            "x",
            "--owner",
            "bob",
            "--due",
            "2020-01-01",
        ],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("in the past") && err.lines().count() == 1,
        "{err}"
    );
    let (code, _, err) = warroom(
        data,
        "alice",
        "commander",
        &[
            "followup",
            "add",
            &first,
            "x",
            "--owner",
            "bob",
            "--due",
            "next week",
        ],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    let (code, _, err) = warroom(
        data,
        "alice",
        "commander",
        &[
            "followup",
            "add",
            &first,
            "x",
            "--owner",
            "bob",
            "--due",
            &future,
            "--from-entry",
            "999",
        ],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("no timeline entry #999"), "{err}");
    let (code, _, err) = warroom(
        data,
        "alice",
        "commander",
        &["followup", "done", &first, "2"],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("already done"), "{err}");

    let reader = |args: &[&str]| read(data, args);
    let all = reader(&["followups"]);
    assert_eq!(all.lines().count(), 3, "{all}");
    let open_bob = reader(&["followups", "--open", "--owner", "bob"]);
    assert_eq!(open_bob.lines().count(), 2, "{open_bob}");
    assert!(
        open_bob.lines().next().unwrap().contains("Cap token spend"),
        "soonest due first: {open_bob}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&reader(&["followups", "--json", "--open"])).unwrap();
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["incident"], first.as_str());
    assert_eq!(items[1]["number"], 1);
    assert_eq!(items[1]["priority"], "P1");
    assert_eq!(
        items[1]["from"],
        serde_json::json!({"kind": "entry", "id": 1})
    );
    assert_eq!(items[1]["overdue"], false);
    assert_eq!(
        reader(&["followups", "--overdue"]).trim(),
        "no follow-ups match"
    );

    let md = reader(&["export", &first, "--format", "md"]);
    assert!(
        md.contains(&format!(
            "- [ ] Add a canary for the new route — bob — {future} (P1)"
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "- [x] Lower the 5xx alert threshold — carol — {soon} (P2)"
        )),
        "{md}"
    );
}

/// The Markdown export (issue 11, item 4 in part): one timeline (in the ticket), each
/// published update as its first line with where the full text is; `--part` picks the
/// ticket, the post-mortem or the timeline; `--strict` refuses while a section is
/// unwritten, naming them, and writes nothing.
#[test]
fn exports_have_one_timeline_parts_and_a_strict_mode() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = declare(data, "Checkout 502s");
    ok(data, &["note", &id, "rolled back the canary"]);
    ok(
        data,
        &[
            "publish",
            &id,
            "--template",
            "internal_initial",
            "--set",
            "impact=Checkout failing for some tenants",
            "--set",
            "bridge=#inc-checkout",
        ],
    );
    let md = read(data, &["export", &id, "--format", "md"]);
    assert_eq!(
        md.matches("rolled back the canary").count(),
        1,
        "one timeline:\n{md}"
    );
    assert!(md.contains("The timeline is in the ticket above."), "{md}");
    let update = md
        .lines()
        .find(|l| l.contains("Published “"))
        .expect("the update is on the timeline");
    assert!(update.contains("(the full text: update #"), "{update}");

    let ticket = read(data, &["export", &id, "--format", "md", "--part", "ticket"]);
    assert!(
        ticket.contains("rolled back the canary") && !ticket.contains("Post-mortem"),
        "{ticket}"
    );
    let postmortem = read(
        data,
        &["export", &id, "--format", "md", "--part", "postmortem"],
    );
    assert!(postmortem.contains("# Post-mortem") && postmortem.contains("rolled back the canary"));
    let timeline = read(
        data,
        &["export", &id, "--format", "md", "--part", "timeline"],
    );
    assert!(
        timeline.starts_with(&format!("# Timeline: Checkout 502s ({id})")),
        "{timeline}"
    );

    let out = data.join("strict.md");
    let (code, _, err) = cli_support::warroom_in(
        data,
        None,
        &[
            "export",
            &id,
            "--format",
            "md",
            "--strict",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("not finished: summary, impact, detection"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!out.exists(), "nothing written");
    let (code, _, err) =
        cli_support::warroom_in(data, None, &["export", &id, "--part", "appendix"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("ticket, postmortem, timeline or all"), "{err}");
}

/// `warroom postmortem ID` says which unwritten sections have a draft ready: what the
/// incident already knows (marked times, resolution) that the console's editor starts
/// from; a section with nothing known to draft from says only that it is unwritten.
#[test]
fn unwritten_sections_with_a_draft_ready_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = declare(data, "Checkout 502s");
    let out = read(data, &["postmortem", &id]);
    assert!(
        !out.contains("a draft is ready"),
        "nothing known yet:\n{out}"
    );
    assert!(!out.contains("Drafts ready"), "{out}");

    detected_and_resolved(data, &id);
    let out = ok(data, &["postmortem", &id]);
    assert!(
        out.contains("## Detection (detection) — not written yet; a draft is ready"),
        "{out}"
    );
    assert!(
        out.contains("## Summary (summary) — not written yet; a draft is ready"),
        "{out}"
    );
    assert!(
        out.contains("## Attachments (attachments) — not written yet\n"),
        "{out}"
    );
    assert!(
        out.contains("Drafts ready from what the incident knows: summary, impact, detection"),
        "{out}"
    );
}
