//! The post-mortem written as events (issue 11, item 2, and the export of item 4 in
//! part): sections set from the CLI (text or @FILE) by the commander, scribe or comms
//! lead, shown with what is unwritten; refused for an unknown section, a responder, or
//! over the size limit; the Markdown export carries them and says plainly what is not
//! written yet, never a ⟨placeholder⟩ for them.

use std::path::Path;
use std::process::Command;

fn warroom(data: &Path, who: &str, role: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .args([
            "--data",
            data.to_str().unwrap(),
            "--as",
            who,
            "--role",
            role,
        ])
        .env_remove("WARROOM_HUB")
        .env_remove("WARROOM_TOKEN")
        .env_remove("WARROOM_CATALOG")
        .env("XDG_CONFIG_HOME", data.join("config"))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(data: &Path, args: &[&str]) -> String {
    let (code, out, err) = warroom(data, "alice", "commander", args);
    assert_eq!(code, Some(0), "{args:?}: {err}");
    out
}

#[test]
fn sections_are_written_shown_exported_and_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = ok(data, &["declare", "--title", "Checkout 502s"])
        .trim()
        .to_string();
    ok(
        data,
        &[
            "times",
            &id,
            "--impact-start",
            "2020-01-01T08:00:00Z",
            "--detected",
            "2020-01-01T08:04:00Z",
        ],
    );
    ok(
        data,
        &[
            "status",
            &id,
            "--set",
            "resolved",
            "--reason",
            "rolled back",
        ],
    );
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

    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "export",
            &id,
            "--format",
            "md",
            "--data",
            data.to_str().unwrap(),
        ])
        .env_remove("WARROOM_HUB")
        .env_remove("WARROOM_CATALOG")
        .env("XDG_CONFIG_HOME", data.join("config"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8(out.stdout).unwrap();
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
