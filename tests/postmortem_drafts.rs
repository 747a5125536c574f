//! `warroom postmortem ID` says which unwritten sections have a draft ready: what the
//! incident already knows (marked times, resolution) that the console's editor starts
//! from; a section with nothing known to draft from says only that it is unwritten.

mod cli_support;

use cli_support::{read, warroom_in};
use std::path::Path;

fn ok(data: &Path, args: &[&str]) -> String {
    let (code, out, err) = warroom_in(data, Some(("alice", "commander")), args);
    assert_eq!(code, Some(0), "{args:?}: {err}");
    out
}

#[test]
fn unwritten_sections_with_a_draft_ready_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let id = ok(data, &["declare", "--title", "Checkout 502s"])
        .trim()
        .to_string();
    let out = read(data, &["postmortem", &id]);
    assert!(
        !out.contains("a draft is ready"),
        "nothing known yet:\n{out}"
    );
    assert!(!out.contains("Drafts ready"), "{out}");

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
