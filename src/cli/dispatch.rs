//! The commands that record to or read an incident, run against any [`Backend`] (a
//! local data directory or a hub): one command in, its events or its view out.
//! `run.rs` picks the backend; the containment actions and deliveries are in `effects`.

use super::args::CliCommand;
use super::backend::{Backend, CliError, parse_value as parse, usage};
use super::output::{emit, write_all};
use super::show;
use crate::incident::blast::BlastAxis;
use crate::incident::export::{ExportFormat, export};
use crate::incident::render::render;
use crate::incident::role::Role;
use crate::incident::runbook::FieldValues;
use crate::incident::{CellState, Command, EntryKind, Event, Runbooks, Severity, Status};
use chrono::{DateTime, Utc};
use std::io::Write;

/// Runs a client command against any backend (local data directory or hub).
pub fn dispatch(
    command: &CliCommand,
    backend: &mut dyn Backend,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let now = Utc::now();
    match command {
        CliCommand::Declare {
            title,
            severity,
            playbook,
            summary,
            ..
        } => {
            let (id, _) = backend.declare(Command::Declare {
                id: String::new(),
                title: title.clone(),
                severity: parse(severity)?,
                playbook: playbook.clone(),
                summary: summary.clone(),
            })?;
            emit(out, &id)?;
        }
        CliCommand::Note {
            incident,
            text,
            kind,
            ..
        } => {
            let kind: EntryKind = parse(kind)?;
            let events = backend.submit(
                incident,
                Command::AddNote {
                    kind,
                    text: text.clone(),
                    typed_at: None,
                },
            )?;
            report(out, &events)?;
        }
        CliCommand::Correct {
            incident,
            entry,
            text,
            ..
        } => submit(
            backend,
            out,
            incident,
            Command::CorrectNote {
                entry: *entry,
                text: text.clone(),
            },
        )?,
        CliCommand::Tick { incident, item, .. } => {
            submit(backend, out, incident, Command::Tick { item: item.clone() })?
        }
        CliCommand::Untick { incident, item, .. } => submit(
            backend,
            out,
            incident,
            Command::Untick { item: item.clone() },
        )?,
        CliCommand::Item {
            incident,
            text,
            owner,
            ..
        } => {
            let role = owner.as_deref().map(parse::<Role>).transpose()?;
            submit(
                backend,
                out,
                incident,
                Command::AddItem {
                    text: text.clone(),
                    role,
                },
            )?
        }
        CliCommand::Playbook {
            incident, playbook, ..
        } => submit(
            backend,
            out,
            incident,
            Command::ApplyPlaybook {
                playbook: playbook.clone(),
            },
        )?,
        CliCommand::Severity {
            incident,
            severity,
            reason,
            ..
        } => {
            let severity: Severity = parse(severity)?;
            submit(
                backend,
                out,
                incident,
                Command::SetSeverity {
                    severity,
                    reason: reason.clone(),
                },
            )?
        }
        CliCommand::Status {
            incident,
            set: Some(status),
            reason,
            ..
        } => {
            let status: Status = parse(status)?;
            // What is still open, read before resolving, said after it succeeded.
            let open = (status == Status::Resolved)
                .then(|| backend.load_state(incident).ok())
                .flatten()
                .and_then(|state| show::still_open(&state, now));
            submit(
                backend,
                out,
                incident,
                Command::SetStatus {
                    status,
                    reason: reason.clone(),
                },
            )?;
            if let Some(warning) = open {
                eprint!("{warning}");
            }
        }
        CliCommand::Status {
            incident,
            set: None,
            json,
            ..
        } => {
            let text = if *json {
                let (state, events, head) = backend.load_with_head(incident)?;
                let runbooks = backend.runbooks();
                export(
                    &state,
                    &events,
                    head.as_ref(),
                    runbooks,
                    ExportFormat::Json,
                    now,
                )
                .map_err(|e| CliError::Failed(e.to_string()))?
            } else {
                let state = backend.load_state(incident)?;
                show::status(&state, backend.runbooks(), now)
            };
            write_all(out, &text)?;
        }
        CliCommand::Assign {
            incident,
            role,
            person,
            ..
        } => {
            let role: Role = parse(role)?;
            submit(
                backend,
                out,
                incident,
                Command::AssignRole {
                    role,
                    person: person.clone(),
                },
            )?
        }
        CliCommand::Blast {
            incident,
            tenant,
            region,
            state,
            ..
        } => {
            let state: CellState = parse(state)?;
            submit(
                backend,
                out,
                incident,
                Command::SetCell {
                    tenant: tenant.clone(),
                    region: region.clone(),
                    state,
                },
            )?
        }
        CliCommand::BlastRename {
            incident,
            what,
            from,
            to,
            ..
        } => {
            let axis: BlastAxis = parse(what)?;
            let command = Command::RenameBlast {
                axis,
                from: from.clone(),
                to: to.clone(),
            };
            submit(backend, out, incident, command)?
        }
        CliCommand::BlastRemove {
            incident,
            what,
            name,
            ..
        } => {
            let axis: BlastAxis = parse(what)?;
            let command = Command::RemoveBlast {
                axis,
                name: name.clone(),
            };
            submit(backend, out, incident, command)?
        }
        CliCommand::Service {
            incident,
            service,
            state,
            ..
        } => {
            let state: CellState = parse(state)?;
            submit(
                backend,
                out,
                incident,
                Command::SetService {
                    service: service.clone(),
                    state,
                },
            )?
        }
        CliCommand::Flag {
            incident,
            flag,
            off,
            aware_at,
            ..
        } => {
            let aware_at = aware_at
                .as_deref()
                .map(|t| {
                    DateTime::parse_from_rfc3339(t)
                        .map(|d| d.with_timezone(&Utc))
                        .map_err(|e| {
                            usage(format!(
                                "--aware-at `{t}`: {e} (use e.g. 2026-11-22T04:15:00Z)"
                            ))
                        })
                })
                .transpose()?;
            submit(
                backend,
                out,
                incident,
                Command::SetFlag {
                    flag: flag.clone(),
                    on: !off,
                    aware_at,
                },
            )?
        }
        CliCommand::Times {
            incident,
            impact_start,
            detected,
            mitigated,
            impact_end,
            ..
        } => {
            let given = super::times::TimesGiven {
                impact_start: impact_start.as_deref(),
                detected: detected.as_deref(),
                mitigated: mitigated.as_deref(),
                impact_end: impact_end.as_deref(),
            };
            super::times::run(backend, out, incident, &given, now)?
        }
        CliCommand::Report {
            since, json, csv, ..
        } => {
            let format = if *json {
                "json"
            } else if *csv {
                "csv"
            } else {
                "text"
            };
            super::report::run(backend, out, since.as_deref(), format, now)?
        }
        CliCommand::Followup { action } => super::followup::act(backend, out, action)?,
        CliCommand::Followups {
            open,
            owner,
            overdue,
            json,
            ..
        } => {
            let filter = super::followup::Filter {
                open: *open,
                owner: owner.as_deref(),
                overdue: *overdue,
            };
            super::followup::across(backend, out, &filter, *json, now)?
        }
        CliCommand::Postmortem { incident, set, .. } => {
            super::postmortem::run(backend, out, incident, set)?
        }
        CliCommand::Met {
            incident,
            clock,
            note,
            ..
        } => submit(
            backend,
            out,
            incident,
            Command::CompleteClock {
                clock: clock.clone(),
                note: note.clone(),
            },
        )?,
        CliCommand::Render {
            incident,
            template,
            set,
            ..
        } => {
            let state = backend.load_state(incident)?;
            let found = backend.runbooks().template(template).ok_or_else(|| {
                usage(format!(
                    "unknown template `{template}`: `warroom templates` lists them"
                ))
            })?;
            let mut fields = FieldValues::new();
            for pair in set {
                let (key, value) = pair
                    .split_once('=')
                    .ok_or_else(|| usage(format!("--set `{pair}`: write KEY=VALUE")))?;
                if !found.fields.contains_key(key) {
                    let known: Vec<&str> = found.fields.keys().map(String::as_str).collect();
                    return Err(usage(format!(
                        "template `{template}` has no field `{key}`; its fields are: {}",
                        known.join(", ")
                    )));
                }
                fields.insert(key.to_string(), value.to_string());
            }
            let rendered = render(found, &state, backend.runbooks(), &fields, now);
            write_all(out, &rendered.text)?;
            if !rendered.text.ends_with('\n') {
                write_all(out, "\n")?;
            }
            if !rendered.missing.is_empty() {
                eprintln!(
                    "warroom: still to fill: {}",
                    found.describe_fields(&rendered.missing)
                );
            }
        }
        CliCommand::List {
            json,
            status,
            since,
            ..
        } => {
            let filter = super::list_filter::ListFilter::parse(status, since.as_deref(), now)?;
            let mut summaries = backend.list()?;
            let any = !summaries.is_empty();
            summaries.retain(|summary| filter.keeps(summary));
            let text = if *json {
                super::output::json_pretty(&summaries)? + "\n"
            } else if any && summaries.is_empty() {
                "No incidents match --status and --since.\n".to_string()
            } else {
                show::list(&summaries)
            };
            write_all(out, &text)?;
        }
        CliCommand::Export {
            incident,
            format,
            part,
            strict,
            output,
            ..
        } => {
            let format: ExportFormat = parse(format)?;
            let part: crate::incident::export::Part = parse(part)?;
            if *strict {
                let unwritten =
                    crate::incident::postmortem::unwritten(&backend.load_state(incident)?);
                if !unwritten.is_empty() {
                    return Err(CliError::Failed(format!(
                        "the post-mortem of {incident} is not finished: {} unwritten (warroom postmortem {incident} --set SECTION=…)",
                        unwritten.join(", ")
                    )));
                }
            }
            match output {
                // The export holds the incident's details: owner-only, like its log.
                Some(path) => {
                    let cannot = |e: std::io::Error| {
                        CliError::Failed(format!("cannot write {}: {e}", path.display()))
                    };
                    let file = crate::store::private::file_options()
                        .write(true)
                        .create(true)
                        .truncate(true)
                        .open(path)
                        .map_err(cannot)?;
                    crate::store::private::restrict(&file).map_err(cannot)?;
                    let mut file = std::io::BufWriter::new(file);
                    backend.export_to(incident, format, part, now, &mut file)?;
                }
                None => backend.export_to(incident, format, part, now, out)?,
            }
        }
        CliCommand::Actions { .. }
        | CliCommand::Act { .. }
        | CliCommand::Approve { .. }
        | CliCommand::Deny { .. }
        | CliCommand::Runs { .. }
        | CliCommand::Publish { .. }
        | CliCommand::Retry { .. } => super::effects::dispatch(command, backend, out)?,
        CliCommand::Playbooks { .. }
        | CliCommand::Templates { .. }
        | CliCommand::Roles
        | CliCommand::Verify { .. }
        | CliCommand::Migrate { .. }
        | CliCommand::Check { .. }
        | CliCommand::Serve { .. }
        | CliCommand::Token { .. }
        | CliCommand::Responder { .. }
        | CliCommand::Tls { .. }
        | CliCommand::Tail { .. }
        | CliCommand::Bench { .. }
        | CliCommand::Demo { .. }
        | CliCommand::Join { .. }
        | CliCommand::Console { .. } => {}
    }
    Ok(())
}

fn submit(
    backend: &mut dyn Backend,
    out: &mut dyn Write,
    incident: &str,
    command: Command,
) -> Result<(), CliError> {
    let events = backend.submit(incident, command)?;
    report(out, &events)
}

/// One line per event the command caused, so a script sees exactly what happened.
fn report(out: &mut dyn Write, events: &[Event]) -> Result<(), CliError> {
    for event in events {
        emit(out, &format!("#{} {}", event.seq, event.kind.name()))?;
    }
    Ok(())
}

/// `warroom playbooks`: id, default severity and title.
pub fn playbooks(runbooks: &Runbooks, out: &mut dyn Write) -> Result<(), CliError> {
    for p in &runbooks.playbooks {
        emit(
            out,
            &format!("{:<32} {}  {}", p.id, p.default_severity, p.title),
        )?;
    }
    Ok(())
}

/// `warroom templates`: id, audience and title.
pub fn templates(runbooks: &Runbooks, out: &mut dyn Write) -> Result<(), CliError> {
    for t in &runbooks.templates {
        let audience = serde_json::to_value(t.audience)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        emit(out, &format!("{:<24} {:<9} {}", t.id, audience, t.title))?;
    }
    Ok(())
}
