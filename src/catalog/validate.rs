//! Parses catalog files and checks what TOML alone cannot: the severity matrix is
//! complete, ids are unique and well-formed, flags exist, deadlines have one unit.
//! Later files (user overrides) replace earlier ones with the same id.

use super::error::{CatalogError, CatalogErrors};
use super::source::CatalogFile;
use crate::incident::role::Role;
use crate::incident::runbook::{
    Checklist, ClockRules, Playbook, RoleInfo, Runbooks, SeverityMatrix,
};
use crate::incident::severity::Severity;
use crate::incident::template::Template;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// Templates the exports render; a catalog without them is incomplete.
const REQUIRED_TEMPLATES: [&str; 2] = ["incident_ticket", "postmortem"];

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesFile {
    role: Vec<RoleInfo>,
}

/// Parses `file` as `T`, turning a TOML error into one that names line and column.
fn parse<T: DeserializeOwned>(file: &CatalogFile) -> Result<T, CatalogError> {
    toml::from_str(&file.text).map_err(|e| {
        let message = e.message().trim().to_string();
        let error = CatalogError::new(&file.display, message);
        match e.span() {
            Some(span) => error.at(&file.text, span.start),
            None => error,
        }
    })
}

fn is_id(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Items from the one-per-file directories, keyed by id, remembering their file.
struct Keyed<'a, T> {
    items: BTreeMap<String, (T, &'a CatalogFile)>,
}

impl<'a, T> Keyed<'a, T> {
    fn new() -> Self {
        Keyed {
            items: BTreeMap::new(),
        }
    }
}

pub fn build(files: &[CatalogFile]) -> Result<Runbooks, CatalogErrors> {
    let mut errors = Vec::new();
    let last = |name: &str| files.iter().rev().find(|f| f.relative == name);

    let severity = match last("severity.toml") {
        Some(file) => parse::<SeverityMatrix>(file)
            .and_then(|m| check_severity(m, file))
            .map_err(|e| errors.push(e))
            .ok(),
        None => {
            errors.push(CatalogError::new(
                "severity.toml",
                "missing: the catalog needs a severity matrix",
            ));
            None
        }
    };
    let roles = match last("roles.toml") {
        Some(file) => parse::<RolesFile>(file)
            .and_then(|r| check_roles(r.role, file))
            .map_err(|e| errors.push(e))
            .ok(),
        None => Some(Vec::new()),
    };
    let clocks = match last("clocks.toml") {
        Some(file) => parse::<ClockRules>(file)
            .and_then(|c| check_clocks(c, file))
            .map_err(|e| errors.push(e))
            .ok(),
        None => Some(ClockRules::default()),
    };

    let mut checklists: Keyed<Checklist> = Keyed::new();
    let mut playbooks: Keyed<Playbook> = Keyed::new();
    let mut templates: Keyed<Template> = Keyed::new();
    for file in files {
        let result = if file.relative.starts_with("checklists/") {
            parse::<Checklist>(file).map(|c| {
                checklists.items.insert(c.id.clone(), (c, file));
            })
        } else if file.relative.starts_with("playbooks/") {
            parse::<Playbook>(file).map(|p| {
                playbooks.items.insert(p.id.clone(), (p, file));
            })
        } else if file.relative.starts_with("templates/") {
            parse::<Template>(file).map(|t| {
                templates.items.insert(t.id.clone(), (t, file));
            })
        } else {
            Ok(())
        };
        if let Err(e) = result {
            errors.push(e);
        }
    }

    for (checklist, file) in checklists.items.values() {
        errors.extend(check_checklist(checklist, file));
    }
    let mut declared: Vec<_> = checklists
        .items
        .values()
        .filter(|(c, _)| c.apply_on_declare)
        .collect();
    // Blame a user file over an embedded one: that is the file the user can change.
    declared.sort_by_key(|(_, file)| file.origin == super::source::Origin::User);
    if let [first, .., culprit] = declared.as_slice() {
        errors.push(
            CatalogError::new(
                &culprit.1.display,
                format!(
                    "only one checklist may set apply_on_declare = true; `{}` and `{}` both do",
                    first.0.id, culprit.0.id
                ),
            )
            .near(&culprit.1.text, "apply_on_declare"),
        );
    }
    let flags: Vec<String> = clocks
        .as_ref()
        .map(|c| c.regulation.iter().map(|r| r.flag.clone()).collect())
        .unwrap_or_default();
    for (playbook, file) in playbooks.items.values() {
        errors.extend(check_playbook(playbook, file, &flags));
    }
    for (template, file) in templates.items.values() {
        if !is_id(&template.id) {
            errors.push(bad_id(file, &template.id));
        }
    }
    for required in REQUIRED_TEMPLATES {
        if !templates.items.contains_key(required) {
            errors.push(CatalogError::new(
                format!("templates/{required}.toml"),
                "missing: exports need this template",
            ));
        }
    }

    match (severity, roles, clocks) {
        (Some(severity), Some(roles), Some(clocks)) if errors.is_empty() => Ok(Runbooks {
            severity,
            roles,
            clocks,
            checklists: checklists.items.into_values().map(|(c, _)| c).collect(),
            playbooks: playbooks.items.into_values().map(|(p, _)| p).collect(),
            templates: templates.items.into_values().map(|(t, _)| t).collect(),
            actions: Vec::new(),
            channels: Vec::new(),
            trackers: Vec::new(),
        }),
        _ => Err(CatalogErrors(errors)),
    }
}

fn bad_id(file: &CatalogFile, id: &str) -> CatalogError {
    CatalogError::new(
        &file.display,
        format!("id `{id}` must be lowercase letters, digits and `_`"),
    )
    .near(&file.text, &format!("\"{id}\""))
}

fn check_severity(
    matrix: SeverityMatrix,
    file: &CatalogFile,
) -> Result<SeverityMatrix, CatalogError> {
    let codes: Vec<Severity> = matrix.level.iter().map(|l| l.code).collect();
    if codes != Severity::ALL {
        let got: Vec<&str> = codes.iter().map(|s| s.code()).collect();
        return Err(CatalogError::new(
            &file.display,
            format!(
                "[[level]] must list SEV1, SEV2, SEV3, SEV4, SEV5 once each, in order; found {}",
                if got.is_empty() {
                    "none".to_string()
                } else {
                    got.join(", ")
                }
            ),
        )
        .near(&file.text, "[[level]]"));
    }
    for level in &matrix.level {
        if level.alias != level.code.alias() {
            return Err(CatalogError::new(
                &file.display,
                format!(
                    "{} must have alias \"{}\", not \"{}\"",
                    level.code,
                    level.code.alias(),
                    level.alias
                ),
            )
            .near(&file.text, &format!("alias = \"{}\"", level.alias)));
        }
    }
    Ok(matrix)
}

fn check_roles(roles: Vec<RoleInfo>, file: &CatalogFile) -> Result<Vec<RoleInfo>, CatalogError> {
    for role in Role::ALL {
        let count = roles.iter().filter(|r| r.id == role).count();
        if count != 1 {
            return Err(CatalogError::new(
                &file.display,
                format!("role `{role}` must appear exactly once, found {count}"),
            ));
        }
    }
    Ok(roles)
}

fn check_clocks(clocks: ClockRules, file: &CatalogFile) -> Result<ClockRules, CatalogError> {
    let mut seen = Vec::new();
    for regulation in &clocks.regulation {
        if !is_id(&regulation.id) {
            return Err(bad_id(file, &regulation.id));
        }
        if seen.contains(&regulation.id) {
            return Err(CatalogError::new(
                &file.display,
                format!("regulation id `{}` is used twice", regulation.id),
            )
            .near(&file.text, &format!("\"{}\"", regulation.id)));
        }
        seen.push(regulation.id.clone());
        for deadline in &regulation.deadline {
            if deadline.span().is_none() {
                return Err(CatalogError::new(
                    &file.display,
                    format!(
                        "deadline `{}` of `{}` needs exactly one of minutes, hours, days, business_days",
                        deadline.label, regulation.id
                    ),
                )
                .near(&file.text, &format!("\"{}\"", deadline.label)));
            }
        }
    }
    Ok(clocks)
}

fn check_checklist(checklist: &Checklist, file: &CatalogFile) -> Vec<CatalogError> {
    let mut errors = Vec::new();
    if !is_id(&checklist.id) {
        errors.push(bad_id(file, &checklist.id));
    }
    let mut seen = Vec::new();
    for item in &checklist.item {
        if !is_id(&item.id) {
            errors.push(bad_id(file, &item.id));
        } else if seen.contains(&&item.id) {
            errors.push(
                CatalogError::new(
                    &file.display,
                    format!("item id `{}` is used twice", item.id),
                )
                .near(&file.text, &format!("\"{}\"", item.id)),
            );
        }
        seen.push(&item.id);
    }
    errors
}

fn check_playbook(playbook: &Playbook, file: &CatalogFile, flags: &[String]) -> Vec<CatalogError> {
    let mut errors = Vec::new();
    if !is_id(&playbook.id) {
        errors.push(bad_id(file, &playbook.id));
    }
    if playbook.step.is_empty() {
        errors.push(CatalogError::new(
            &file.display,
            "a playbook needs at least one [[step]]",
        ));
    }
    for flag in &playbook.flags {
        if !flags.contains(flag) {
            errors.push(
                CatalogError::new(
                    &file.display,
                    format!(
                        "flag `{flag}` is not switched on by any regulation in clocks.toml: use one of {}",
                        flags.join(", ")
                    ),
                )
                .near(&file.text, &format!("\"{flag}\"")),
            );
        }
    }
    errors
}
