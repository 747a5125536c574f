//! The commands that look after warroom itself rather than an incident: `verify` (a
//! log's hash chain), `check` (a catalog directory) and `roles` (who may do what).

use super::backend::CliError;
use super::output::emit;
use crate::catalog;
use crate::incident::role::PERMISSIONS;
use crate::incident::safe_text::neutralise;
use crate::store;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

pub(super) fn verify(
    file: &std::path::Path,
    head: Option<&str>,
    out: &mut dyn Write,
) -> Result<ExitCode, CliError> {
    let recorded = head
        .map(str::parse::<store::Head>)
        .transpose()
        .map_err(CliError::Usage)?;
    let checked = match &recorded {
        None => store::verify(file).map(|log| (log, None)),
        Some(head) => store::verify_head(file, head).map(|r| (r.log, Some(r.after))),
    };
    let (report, after) = match checked {
        Ok(checked) => checked,
        Err(error) => {
            let message = format!("{}: {error}", file.display());
            eprintln!("warroom: {}", neutralise(&message));
            return Ok(ExitCode::FAILURE);
        }
    };
    let range = match (&report.first_at, &report.last_at) {
        (Some(first), Some(last)) => format!(", {first} … {last}"),
        _ => String::new(),
    };
    let head = store::Head {
        seq: report.last_seq.unwrap_or(0),
        hash: report.head_hash.clone(),
    };
    emit(
        out,
        &format!(
            "ok: {} — {} events, chain intact{range}\nhead {head}",
            file.display(),
            report.events,
        ),
    )?;
    if let (Some(recorded), Some(after)) = (&recorded, after) {
        let beyond = match after {
            0 => "it ends there".to_string(),
            1 => "1 event after it is vouched for by no witness yet".to_string(),
            n => format!("{n} events after it are vouched for by no witness yet"),
        };
        emit(
            out,
            &format!(
                "extends the recorded head {recorded} unchanged: every event up to seq {} is as the witness saw it; {beyond}",
                recorded.seq
            ),
        )?;
    }
    match crate::engine::check_snapshot(file) {
        None => {}
        Some(crate::engine::SnapshotCheck::Matches { seq }) => emit(
            out,
            &format!("snapshot at seq {seq}: matches the log (the state the log gives there)"),
        )?,
        Some(crate::engine::SnapshotCheck::Unusable { reason }) => emit(
            out,
            &neutralise(&format!(
                "note: the snapshot is not used ({reason}); opening replays the log and writes a new one"
            )),
        )?,
        Some(crate::engine::SnapshotCheck::Disagrees { seq }) => {
            eprintln!(
                "warroom: {}: the snapshot at seq {seq} does not hold the state the log gives there; the log is the record: delete {} and the next open rebuilds it",
                neutralise(&file.display().to_string()),
                neutralise(&file.with_extension("snapshot").display().to_string())
            );
            return Ok(ExitCode::FAILURE);
        }
    }
    if let Some(torn) = report.torn_tail {
        emit(
            out,
            &format!(
                "note: line {} is an unfinished write ({} bytes) from a crash; it was never acknowledged and is cut off when the incident is next opened",
                torn.line, torn.bytes
            ),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn check(dir: Option<&PathBuf>, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    if let Some(named) = dir.filter(|d| !d.is_dir()) {
        eprintln!(
            "warroom: {} is not a directory: name a catalog directory (with severity.toml, playbooks/, …)",
            named.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    let dir = match dir.cloned().or_else(catalog::default_user_dir) {
        Some(dir) if dir.exists() => dir,
        Some(dir) if dir.as_os_str().is_empty() => dir,
        other => {
            // No override directory: check the built-in catalog on its own.
            return match catalog::embedded() {
                Ok(r) => {
                    let shown = other.map_or("none".into(), |d| d.display().to_string());
                    emit(
                        out,
                        &format!(
                            "ok: built-in catalog — {} checklists, {} playbooks, {} templates, {} regulations (no override directory at {shown})",
                            r.checklists.len(),
                            r.playbooks.len(),
                            r.templates.len(),
                            r.clocks.regulation.len()
                        ),
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{e}");
                    Ok(ExitCode::FAILURE)
                }
            };
        }
    };
    match catalog::check(&dir) {
        Ok(s) => {
            emit(
                out,
                &format!(
                    "ok: {} — {} files; catalog now has {} checklists, {} playbooks, {} templates, {} regulations",
                    dir.display(),
                    s.files,
                    s.checklists,
                    s.playbooks,
                    s.templates,
                    s.regulations
                ),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!(
                "warroom: {} problem(s) in {}",
                errors.0.len(),
                dir.display()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

pub(super) fn print_roles(out: &mut dyn Write) -> Result<(), CliError> {
    emit(
        out,
        "Who may do what to the incident record (a responder's roles: those their token grants, plus seats held in the incident)\n",
    )?;
    for (permission, roles) in PERMISSIONS {
        let names: Vec<&str> = roles.iter().map(|r| r.id()).collect();
        emit(
            out,
            &format!("  {:<58} {}", permission.describe(), names.join(", ")),
        )?;
    }
    emit(
        out,
        "\nContainment actions (request, approve, deny) touch production: each action names its own roles, and only the roles your token grants count — seats never do.\nObservers are read-only and can never be seated. Anyone but an observer may take command when nobody holds it; whoever declares an incident takes command of its record.",
    )
}
