//! The commands that act on the world through the hub: `actions`, `act`, `approve`,
//! `deny`, `runs`, `publish` and `retry`. Each goes through a [`Backend`]. Only a hub
//! runs actions and delivers updates; against a local data directory the requests are
//! sent through a short-lived hub in this process (see `local_runner`), so they run.

use super::args::CliCommand;
use super::backend::{Backend, CliError, usage};
use super::output::emit;
use super::show::{self, describe, joined};
use crate::hub::config::{HubConfig, default_path};
use crate::incident::action::{ActionError, ActionSpec};
use crate::incident::render::render_for_publish;
use crate::incident::runbook::FieldValues;
use crate::incident::template::Audience;
use crate::incident::{Command, Event, Runbooks};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

/// The hub configuration local mode reads the actions file from.
fn config_path(config: &Option<PathBuf>) -> PathBuf {
    config.clone().unwrap_or_else(default_path)
}

/// For `actions` and `act` in local mode: the runbooks with the actions file named in
/// the hub configuration. Other commands are left alone, so a broken actions file never
/// stops a note from being written.
pub fn with_local_actions(
    command: &CliCommand,
    mut runbooks: Runbooks,
) -> Result<Runbooks, CliError> {
    let (CliCommand::Actions { config, .. } | CliCommand::Act { config, .. }) = command else {
        return Ok(runbooks);
    };
    let failed = |e: crate::hub::config::ConfigError| CliError::Failed(e.to_string());
    let config = HubConfig::load(&config_path(config)).map_err(failed)?;
    config.apply_to(&mut runbooks).map_err(failed)?;
    Ok(runbooks)
}

/// Runs one of this module's commands; any other command is left to the caller.
pub fn dispatch(
    command: &CliCommand,
    backend: &mut dyn Backend,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let submit = |backend: &mut dyn Backend, out: &mut dyn Write, incident: &str, command| {
        let events = backend.submit(incident, command)?;
        report(out, incident, &events, backend.is_hub())
    };
    match command {
        CliCommand::Actions { config, json, .. } => list(backend, out, config, *json),
        CliCommand::Act {
            incident,
            action,
            params,
            dry_run,
            config,
            ..
        } => act(backend, out, incident, action, params, *dry_run, config),
        CliCommand::Approve { incident, run, .. } => {
            submit(backend, out, incident, Command::ApproveAction { run: *run })
        }
        CliCommand::Deny {
            incident,
            run,
            reason,
            ..
        } => {
            let reason = reason.clone();
            submit(
                backend,
                out,
                incident,
                Command::DenyAction { run: *run, reason },
            )
        }
        CliCommand::Runs { incident, json, .. } => runs(backend, out, incident, *json),
        CliCommand::Publish {
            incident,
            template,
            set,
            channels,
            public_title,
            ..
        } => {
            if let Some(title) = public_title {
                let state = backend.load_state(incident)?;
                if state.public_title.as_deref() != Some(title.trim()) {
                    let command = Command::SetPublicTitle {
                        title: title.clone(),
                    };
                    submit(backend, out, incident, command)?;
                }
            }
            let text = publishable(backend, incident, template, set, Utc::now())?;
            let command = Command::Publish {
                template: template.clone(),
                text,
                channels: channels.clone(),
            };
            submit(backend, out, incident, command)
        }
        CliCommand::Retry {
            incident,
            published,
            channel,
            ..
        } => {
            let command = Command::RetryDelivery {
                published: *published,
                channel: channel.clone(),
            };
            submit(backend, out, incident, command)
        }
        _ => Ok(()),
    }
}

/// Why there are no actions, and what to do about it.
fn no_actions(hub: bool, config: &Option<PathBuf>) -> String {
    if hub {
        return "this hub has no containment actions configured: its operator names an actions file in the hub configuration (see docs/ACTIONS.md)".into();
    }
    format!(
        "no containment actions: {} names no actions file. Add actions = \"/path/to/actions.toml\" to it (docs/ACTIONS.md; assets/actions.example.toml is a start)",
        config_path(config).display()
    )
}

fn list(
    backend: &mut dyn Backend,
    out: &mut dyn Write,
    config: &Option<PathBuf>,
    json: bool,
) -> Result<(), CliError> {
    let catalog = backend.catalog()?;
    if json {
        return emit(out, &super::output::json_pretty(&catalog)?);
    }
    if catalog.actions.is_empty() {
        return emit(out, &no_actions(backend.is_hub(), config));
    }
    emit(
        out,
        &format!(
            "{:<24} {:<5} {:<10} {:<26} TITLE",
            "ACTION", "KIND", "TWO-PERSON", "ROLES"
        ),
    )?;
    for spec in &catalog.actions {
        let kind = serde_json::to_value(spec.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let two = if spec.two_person { "yes" } else { "no" };
        let roles = joined(&spec.roles);
        emit(
            out,
            &format!(
                "{:<24} {kind:<5} {two:<10} {roles:<26} {}",
                spec.id, spec.title
            ),
        )?;
        for param in &spec.params {
            emit(
                out,
                &format!("    --param {}=…  {}", param.name, param.description),
            )?;
        }
    }
    let channels = match catalog.channels.is_empty() {
        true => "none".to_string(),
        false => catalog.channels.join(", "),
    };
    emit(out, &format!("\ndelivery channels: {channels}"))?;
    if !backend.is_hub() {
        let path = config_path(config);
        let loaded = HubConfig::load(&path).map_err(|e| CliError::Failed(e.to_string()))?;
        let from = (loaded.actions.as_ref()).map(|a| loaded.base_dir.join(a));
        let from = from.map_or(String::new(), |p| format!("from {}; ", p.display()));
        emit(
            out,
            &format!(
                "({from}without --hub, `act` runs them through a short-lived hub in this process)"
            ),
        )?;
    }
    Ok(())
}

/// `NAME=VALUE` pairs, each name once.
fn pairs(items: &[String], flag: &str) -> Result<BTreeMap<String, String>, CliError> {
    let mut map = BTreeMap::new();
    for item in items {
        let (key, value) = item
            .split_once('=')
            .ok_or_else(|| usage(format!("{flag} `{item}`: write NAME=VALUE")))?;
        if map.insert(key.to_string(), value.to_string()).is_some() {
            return Err(usage(format!("{flag} {key} is given twice")));
        }
    }
    Ok(map)
}

/// The action's own check, worded for the command line: every message names the
/// parameter and says what it wants.
fn check_params(spec: &ActionSpec, params: &BTreeMap<String, String>) -> Result<(), CliError> {
    let takes = || {
        let names: Vec<String> = spec
            .params
            .iter()
            .map(|p| format!("{} ({})", p.name, p.description))
            .collect();
        match names.is_empty() {
            true => "it takes no parameters".to_string(),
            false => format!("it takes: {}", names.join("; ")),
        }
    };
    match spec.validate(params) {
        Ok(()) => Ok(()),
        Err(ActionError::MissingParam(name)) => {
            let description = spec.param(&name).map_or("", |p| p.description.as_str());
            Err(usage(format!(
                "{}: parameter `{name}` is missing ({description}): add --param {name}=…",
                spec.id
            )))
        }
        Err(ActionError::UnknownParam(name)) => Err(usage(format!(
            "{}: `{name}` is not one of its parameters; {}",
            spec.id,
            takes()
        ))),
        Err(other) => Err(usage(format!("{}: {other}", spec.id))),
    }
}

fn act(
    backend: &mut dyn Backend,
    out: &mut dyn Write,
    incident: &str,
    action: &str,
    params: &[String],
    dry_run: bool,
    config: &Option<PathBuf>,
) -> Result<(), CliError> {
    let catalog = backend.catalog()?;
    let Some(spec) = catalog.actions.iter().find(|a| a.id == action) else {
        if catalog.actions.is_empty() {
            return Err(usage(no_actions(backend.is_hub(), config)));
        }
        return Err(usage(format!(
            "unknown action `{action}`: `warroom actions` lists them"
        )));
    };
    let params = pairs(params, "--param")?;
    check_params(spec, &params)?;
    let command = Command::RequestAction {
        action: action.to_string(),
        params,
        dry_run,
    };
    let events = backend.submit(incident, command)?;
    if events.is_empty() {
        return emit(
            out,
            &format!("requested; `warroom runs {incident}` shows where it stands"),
        );
    }
    report(out, incident, &events, backend.is_hub())
}

/// One block per event the command caused: what happened and what comes next.
fn report(
    out: &mut dyn Write,
    incident: &str,
    events: &[Event],
    hub: bool,
) -> Result<(), CliError> {
    for event in events {
        emit(out, &describe(event, incident, hub))?;
    }
    Ok(())
}

fn runs(
    backend: &mut dyn Backend,
    out: &mut dyn Write,
    incident: &str,
    json: bool,
) -> Result<(), CliError> {
    let state = backend.load_state(incident)?;
    if json {
        return emit(out, &super::output::json_pretty(&state.action_runs)?);
    }
    emit(out, show::runs(&state.action_runs, incident).trim_end())
}

/// The template rendered for the incident with `set`, or a refusal naming every field
/// still to fill, with its prompt.
fn publishable(
    backend: &mut dyn Backend,
    incident: &str,
    template: &str,
    set: &[String],
    now: DateTime<Utc>,
) -> Result<String, CliError> {
    let state = backend.load_state(incident)?;
    let runbooks = backend.runbooks();
    let found = runbooks.template(template).ok_or_else(|| {
        usage(format!(
            "unknown template `{template}`: `warroom templates` lists them"
        ))
    })?;
    let fields: FieldValues = pairs(set, "--set")?;
    if let Some(key) = fields.keys().find(|k| !found.fields.contains_key(*k)) {
        let known: Vec<&str> = found.fields.keys().map(String::as_str).collect();
        return Err(usage(format!(
            "template `{template}` has no field `{key}`; its fields are: {}",
            known.join(", ")
        )));
    }
    // Times ({now}, {next_update_at}) are stamped by whoever publishes, at that moment.
    let rendered = render_for_publish(found, &state, runbooks, &fields, now);
    // The public title is not a field of the template: it has its own option.
    let missing: Vec<String> = (rendered.missing.iter())
        .filter(|name| *name != "public_title")
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(usage(format!(
            "not published: fill {} with --set NAME=VALUE",
            found.describe_fields(&missing)
        )));
    }
    if found.audience == Audience::Public && state.public_title.is_none() {
        return Err(usage(
            "not published: public updates never carry the internal title; give one with --public-title TEXT",
        ));
    }
    Ok(rendered.text.trim_end().to_string())
}
