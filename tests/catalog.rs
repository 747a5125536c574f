//! The runbook catalog: the embedded one is complete and valid; overrides replace by
//! id; every kind of mistake is an error that names file, line and what to fix.

use std::fs;
use std::path::Path;
use warroom::catalog;

fn write(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn errors_for(relative: &str, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), relative, text);
    catalog::check(dir.path())
        .expect_err("the catalog must be refused")
        .to_string()
}

const PLAYBOOK: &str = r#"id = "llm_provider_outage"
title = "Our own provider runbook"
default_severity = "SEV3"
[[step]]
phase = "triage"
text = "Check the provider's status page."
"#;

#[test]
fn embedded_catalog_covers_the_runbooks() {
    let rb = catalog::embedded().unwrap();
    assert!(rb.playbooks.len() >= 12, "{} playbooks", rb.playbooks.len());
    for id in [
        "cross_tenant_exposure",
        "prompt_injection_tool_exploit",
        "llm_provider_outage",
        "cost_runaway",
        "credential_compromise",
        "pii_data_breach",
    ] {
        assert!(rb.playbook(id).is_some(), "missing playbook {id}");
    }
    for id in [
        "status_identified",
        "status_monitoring",
        "status_resolved",
        "support_macro",
        "internal_initial",
        "internal_update",
        "internal_resolution",
        "incident_ticket",
        "postmortem",
    ] {
        assert!(rb.template(id).is_some(), "missing template {id}");
    }
    assert_eq!(
        rb.checklist_on_declare().map(|c| c.id.as_str()),
        Some("first_15_minutes")
    );
    assert_eq!(rb.severity.default, Some(warroom::incident::Severity::Sev2));
    for flag in [
        "personal_data_breach",
        "nis2_significant",
        "ai_act_serious_incident",
        "sec_material",
        "hipaa_phi_breach",
    ] {
        assert!(rb.is_known_flag(flag), "missing regulatory flag {flag}");
    }
    for playbook in &rb.playbooks {
        assert!(
            !playbook.triggers.is_empty(),
            "{} has no triggers",
            playbook.id
        );
    }
}

#[test]
fn a_user_file_replaces_the_embedded_one_with_the_same_id_and_adds_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "playbooks/mine.toml", PLAYBOOK);
    write(
        dir.path(),
        "playbooks/new.toml",
        &PLAYBOOK.replace("llm_provider_outage", "warehouse_fire"),
    );
    let embedded = catalog::embedded().unwrap();
    let rb = catalog::load(Some(dir.path())).unwrap();
    assert_eq!(rb.playbooks.len(), embedded.playbooks.len() + 1);
    let replaced = rb.playbook("llm_provider_outage").unwrap();
    assert_eq!(replaced.title, "Our own provider runbook");
    assert!(rb.playbook("warehouse_fire").is_some());
}

#[test]
fn toml_syntax_errors_name_file_line_and_column() {
    let err = errors_for(
        "playbooks/bad.toml",
        "id = \"x\"\ntitle = \"t\"\ndefault_severity = SEV1\n",
    );
    assert!(err.contains("bad.toml:3:"), "{err}");
}

#[test]
fn unknown_keys_are_errors_not_silently_dropped() {
    let err = errors_for(
        "playbooks/typo.toml",
        &PLAYBOOK.replace("title =", "titel ="),
    );
    assert!(err.contains("typo.toml:") && err.contains("titel"), "{err}");
}

#[test]
fn unknown_template_placeholder_is_a_load_error() {
    let text =
        "id = \"x\"\ntitle = \"X\"\naudience = \"public\"\nbody = \"Hello {customer_name}\"\n";
    let err = errors_for("templates/x.toml", text);
    assert!(
        err.contains("x.toml") && err.contains("customer_name") && err.contains("[fields]"),
        "{err}"
    );
}

#[test]
fn semantic_errors_point_at_the_offending_line() {
    let err = errors_for(
        "clocks.toml",
        "[[regulation]]\nid = \"r\"\nflag = \"f\"\ntitle = \"R\"\n[[regulation.deadline]]\nlabel = \"Both\"\nhours = 1\ndays = 1\n",
    );
    assert!(
        err.contains("clocks.toml:6:") && err.contains("exactly one of"),
        "{err}"
    );

    let err = errors_for(
        "playbooks/flag.toml",
        &PLAYBOOK.replace("[[step]]", "flags = [\"gdrp\"]\n[[step]]"),
    );
    assert!(
        err.contains("flag.toml:4:") && err.contains("gdrp"),
        "{err}"
    );

    let err = errors_for(
        "severity.toml",
        "[[level]]\ncode = \"SEV1\"\nalias = \"P0\"\nname = \"Critical\"\n",
    );
    assert!(
        err.contains("severity.toml:1:") && err.contains("SEV2"),
        "{err}"
    );

    let second = "id = \"also_first\"\ntitle = \"T\"\napply_on_declare = true\n[[item]]\nid = \"a\"\ntext = \"A\"\n";
    let err = errors_for("checklists/also.toml", second);
    assert!(
        err.contains("also.toml:3:") && err.contains("only one checklist"),
        "{err}"
    );

    let dup = "id = \"dup\"\ntitle = \"T\"\n[[item]]\nid = \"a\"\ntext = \"A\"\n[[item]]\nid = \"a\"\ntext = \"B\"\n";
    let err = errors_for("checklists/dup.toml", dup);
    assert!(
        err.contains("dup.toml") && err.contains("used twice"),
        "{err}"
    );
}

#[test]
fn check_refuses_a_missing_directory() {
    let err = catalog::check(Path::new("/definitely/not/here"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a directory"), "{err}");
}
