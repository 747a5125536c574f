//! Runs one parsed command line against a backend and prints the result.

use super::args::{Cli, CliCommand};
use super::backend::{Backend, CliError, LocalBackend};
use super::remote::RemoteBackend;
use super::serve;
use super::show;
use crate::catalog;
use crate::engine::DataDir;
use crate::incident::blast::BlastAxis;
use crate::incident::export::{ExportFormat, export};
use crate::incident::render::render;
use crate::incident::role::Role;
use crate::incident::runbook::FieldValues;
use crate::incident::{Actor, CellState, Command, EntryKind, Event, Runbooks, Severity, Status};
use chrono::{DateTime, Utc};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

fn usage(error: impl std::fmt::Display) -> CliError {
    CliError::Usage(error.to_string())
}

fn parse<T: std::str::FromStr>(text: &str) -> Result<T, CliError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(usage)
}

fn load_runbooks(dir: Option<&PathBuf>) -> Result<Runbooks, CliError> {
    // A directory someone named must exist; the default one is optional.
    if let Some(named) = dir.filter(|d| !d.is_dir()) {
        return Err(usage(format!(
            "catalog directory {} does not exist (from --catalog or $WARROOM_CATALOG)",
            named.display()
        )));
    }
    let user_dir = dir.cloned().or_else(catalog::default_user_dir);
    catalog::load(user_dir.as_deref()).map_err(|e| {
        CliError::Failed(format!(
            "the runbook catalog has errors (run `warroom check` for all of them):\n{e}"
        ))
    })
}

fn local_actor(cli: &Cli) -> Result<Actor, CliError> {
    let name = cli
        .global
        .user
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| std::env::var("USER").ok())
        .filter(|n| !n.trim().is_empty())
        .or_else(|| std::env::var("LOGNAME").ok())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "local".to_string());
    if name.starts_with("system:") {
        return Err(usage(
            "names starting with `system:` are reserved for automations",
        ));
    }
    let roles = cli
        .global
        .roles
        .iter()
        .map(|r| parse::<Role>(r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Actor::new(name.trim(), roles))
}

/// `--hub` and `--token` together, or neither.
fn hub_and_token(cli: &Cli) -> Result<Option<(String, String)>, CliError> {
    match (&cli.global.hub, &cli.global.token) {
        (Some(hub), Some(token)) => Ok(Some((hub.clone(), token.clone()))),
        (Some(_), None) => Err(usage(
            "--hub needs a token: --token T or $WARROOM_TOKEN (`warroom token new` makes one)",
        )),
        (None, _) => Ok(None),
    }
}

/// Runs the command line; returns the exit code for success paths that are not 0.
pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    // Every byte printed for a person is neutralised (see `output`).
    let out = &mut super::output::Safe::new(std::io::stdout().lock());
    let Some(command) = &cli.command else {
        if std::io::IsTerminal::is_terminal(&std::io::stdout())
            && std::io::IsTerminal::is_terminal(&std::io::stdin())
        {
            return console(&cli, None, None);
        }
        return overview(&cli, out);
    };
    match command {
        CliCommand::Verify { file, head } => {
            return super::maintenance::verify(file, head.as_deref(), out);
        }
        CliCommand::Check { dir } => return super::maintenance::check(dir.as_ref(), out),
        CliCommand::Roles => {
            super::maintenance::print_roles(out)?;
            return Ok(ExitCode::SUCCESS);
        }
        CliCommand::Serve { listen, config } => {
            serve::serve(
                *listen,
                config.clone(),
                cli.global.data.clone(),
                cli.global.catalog.clone(),
            )?;
            return Ok(ExitCode::SUCCESS);
        }
        CliCommand::Token { action } => {
            serve::token(action)?;
            return Ok(ExitCode::SUCCESS);
        }
        CliCommand::Demo => {
            let runbooks = load_runbooks(cli.global.catalog.as_ref())?;
            crate::tui::start::demo(runbooks, look(&cli)).map_err(CliError::Failed)?;
            return Ok(ExitCode::SUCCESS);
        }
        CliCommand::Console { incident, config } => {
            return console(&cli, incident.clone(), config.clone());
        }
        CliCommand::Join { url, incident } => {
            let token = cli
                .global
                .token
                .clone()
                .ok_or_else(|| usage("join needs a token: --token T or $WARROOM_TOKEN"))?;
            let runbooks = load_runbooks(cli.global.catalog.as_ref())?;
            crate::tui::start::join(url, &token, runbooks, look(&cli), incident.clone())
                .map_err(CliError::Failed)?;
            return Ok(ExitCode::SUCCESS);
        }
        CliCommand::Bench { what } => {
            serve::bench(what)?;
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let runbooks = load_runbooks(cli.global.catalog.as_ref())?;
    if let CliCommand::Tail {
        incident,
        since,
        json,
    } = command
    {
        let (hub, token) = hub_and_token(&cli)?.ok_or_else(|| {
            usage(
                "tail follows a hub: give --hub URL and --token (or $WARROOM_HUB, $WARROOM_TOKEN)",
            )
        })?;
        serve::tail(&hub, &token, incident, *since, *json, &runbooks)?;
        return Ok(ExitCode::SUCCESS);
    }
    match hub_and_token(&cli)? {
        Some((hub, token)) => {
            let mut backend = RemoteBackend::new(hub, token, runbooks)?;
            dispatch(command, &mut backend, out)?;
        }
        None => {
            let data = DataDir::new(
                cli.global
                    .data
                    .clone()
                    .unwrap_or_else(DataDir::default_root),
            );
            if super::local_runner::needs_runner(command) {
                super::local_runner::run(command, data, local_actor(&cli)?, runbooks, out)?;
                return Ok(ExitCode::SUCCESS);
            }
            let runbooks = super::effects::with_local_actions(command, runbooks)?;
            let mut backend = LocalBackend::new(data, local_actor(&cli)?, runbooks);
            dispatch(command, &mut backend, out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn look(cli: &Cli) -> crate::tui::run::Look {
    crate::tui::run::Look {
        theme: cli.global.theme.clone(),
        layout: cli.global.layout.clone(),
    }
}

/// The console on an embedded hub over the local data directory.
fn console(
    cli: &Cli,
    incident: Option<String>,
    config: Option<PathBuf>,
) -> Result<ExitCode, CliError> {
    let runbooks = load_runbooks(cli.global.catalog.as_ref())?;
    let data = DataDir::new(
        cli.global
            .data
            .clone()
            .unwrap_or_else(DataDir::default_root),
    );
    crate::tui::start::embedded(crate::tui::start::EmbeddedOptions {
        data,
        runbooks,
        config,
        look: look(cli),
        incident,
        token: cli.global.token.clone(),
        user: cli.global.user.clone(),
    })
    .map_err(CliError::Failed)?;
    Ok(ExitCode::SUCCESS)
}

/// `warroom` alone: the incidents here and the next commands to try.
fn overview(cli: &Cli, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let runbooks = load_runbooks(cli.global.catalog.as_ref())?;
    let data = DataDir::new(
        cli.global
            .data
            .clone()
            .unwrap_or_else(DataDir::default_root),
    );
    let root = data.root().display().to_string();
    let mut backend = LocalBackend::new(data, local_actor(cli)?, runbooks);
    let summaries = backend.list()?;
    emit(
        out,
        &format!("warroom {} — data in {root}\n", env!("CARGO_PKG_VERSION")),
    )?;
    write_all(out, &show::list(&summaries))?;
    emit(
        out,
        "\nNext:\n  warroom declare --title \"…\" --severity SEV2 [--playbook ID]\n  warroom playbooks | warroom status ID | warroom note ID \"text\"\n  warroom --help for every command",
    )?;
    Ok(ExitCode::SUCCESS)
}

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
        } => submit(
            backend,
            out,
            incident,
            Command::CorrectNote {
                entry: *entry,
                text: text.clone(),
            },
        )?,
        CliCommand::Tick { incident, item } => {
            submit(backend, out, incident, Command::Tick { item: item.clone() })?
        }
        CliCommand::Untick { incident, item } => submit(
            backend,
            out,
            incident,
            Command::Untick { item: item.clone() },
        )?,
        CliCommand::Item {
            incident,
            text,
            role,
        } => {
            let role = role.as_deref().map(parse::<Role>).transpose()?;
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
        CliCommand::Playbook { incident, playbook } => submit(
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
                .then(|| backend.load(incident).ok())
                .flatten()
                .and_then(|(state, _)| show::still_open(&state, now));
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
            let (state, events, head) = backend.load_with_head(incident)?;
            let text = if *json {
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
                show::status(&state, backend.runbooks(), now)
            };
            write_all(out, &text)?;
        }
        CliCommand::Assign {
            incident,
            role,
            person,
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
        CliCommand::Met {
            incident,
            clock,
            note,
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
        } => {
            let (state, _) = backend.load(incident)?;
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
        CliCommand::List { json } => {
            let summaries = backend.list()?;
            let text = if *json {
                super::output::json_pretty(&summaries)? + "\n"
            } else {
                show::list(&summaries)
            };
            write_all(out, &text)?;
        }
        CliCommand::Playbooks => {
            for p in &backend.runbooks().playbooks {
                emit(
                    out,
                    &format!("{:<32} {}  {}", p.id, p.default_severity, p.title),
                )?;
            }
        }
        CliCommand::Templates => {
            for t in &backend.runbooks().templates {
                let audience = serde_json::to_value(t.audience)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                emit(out, &format!("{:<24} {:<9} {}", t.id, audience, t.title))?;
            }
        }
        CliCommand::Export {
            incident,
            format,
            output,
        } => {
            let format: ExportFormat = parse(format)?;
            let (state, events, head) = backend.load_with_head(incident)?;
            let text = export(
                &state,
                &events,
                head.as_ref(),
                backend.runbooks(),
                format,
                now,
            )
            .map_err(|e| CliError::Failed(e.to_string()))?;
            match output {
                // The export holds the incident's details: owner-only, like its log.
                Some(path) => crate::store::private::write(path, text.as_bytes()).map_err(|e| {
                    CliError::Failed(format!("cannot write {}: {e}", path.display()))
                })?,
                None => write_all(out, &text)?,
            }
        }
        CliCommand::Actions { .. }
        | CliCommand::Act { .. }
        | CliCommand::Approve { .. }
        | CliCommand::Deny { .. }
        | CliCommand::Runs { .. }
        | CliCommand::Publish { .. }
        | CliCommand::Retry { .. } => super::effects::dispatch(command, backend, out)?,
        CliCommand::Roles
        | CliCommand::Verify { .. }
        | CliCommand::Check { .. }
        | CliCommand::Serve { .. }
        | CliCommand::Token { .. }
        | CliCommand::Tail { .. }
        | CliCommand::Bench { .. }
        | CliCommand::Demo
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

pub(super) fn emit(out: &mut dyn Write, line: &str) -> Result<(), CliError> {
    writeln!(out, "{line}").map_err(|e| CliError::Failed(format!("cannot write output: {e}")))
}

fn write_all(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    out.write_all(text.as_bytes())
        .map_err(|e| CliError::Failed(format!("cannot write output: {e}")))
}
