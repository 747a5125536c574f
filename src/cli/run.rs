//! Runs one parsed command line: routes each command to the module that does it, and
//! for the commands that work on incidents picks the backend (a hub with `--hub`, else
//! the local data directory) from the options the command declared.

use super::args::{Cli, CliCommand};
use super::backend::{CliError, LocalBackend, usage};
use super::options::Route;
use super::remote::RemoteBackend;
use super::{console, dispatch, maintenance, migrate, serve, token};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Runs the command line; returns the exit code for success paths that are not 0.
pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    // Every byte printed for a person is neutralised (see `output`).
    let out = &mut super::output::Safe::new(std::io::stdout().lock());
    let Some(command) = &cli.command else {
        if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
            return console::embedded(&cli.console, None, None);
        }
        return console::overview(&cli.console, out);
    };
    if let Some(route) = route(command) {
        incident_command(command, route, out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let done = Ok(ExitCode::SUCCESS);
    match command {
        CliCommand::Verify { file, head } => maintenance::verify(file, head.as_deref(), out),
        CliCommand::Check { dir } => maintenance::check(dir.as_ref(), out),
        CliCommand::Migrate {
            from,
            to,
            stream,
            replicas,
            creds,
            token_env,
            nats_ca,
        } => migrate::run(
            &migrate::MigrateArgs {
                from,
                to,
                stream,
                replicas: *replicas,
                creds: creds.as_deref(),
                token_env: token_env.as_deref(),
                nats_ca: nats_ca.as_deref(),
            },
            out,
        ),
        CliCommand::Roles => maintenance::print_roles(out).and(done),
        CliCommand::Playbooks { catalog } => dispatch::playbooks(&catalog.load()?, out).and(done),
        CliCommand::Templates { catalog } => dispatch::templates(&catalog.load()?, out).and(done),
        CliCommand::Serve {
            listen,
            ssh,
            config,
            data,
            catalog,
        } => serve::serve(
            *listen,
            *ssh,
            config.clone(),
            data.data.clone(),
            catalog.catalog.clone(),
        )
        .and(done),
        CliCommand::Token { action } => token::run(action, out).and(done),
        CliCommand::Responder { action } => token::responder(action).and(done),
        CliCommand::Tls { action } => serve::tls(action, out).and(done),
        CliCommand::Bench { what } => serve::bench(what).and(done),
        CliCommand::Demo { catalog, look } => console::demo(catalog, look),
        CliCommand::Console {
            incident,
            config,
            console,
        } => console::embedded(console, incident.clone(), config.clone()),
        CliCommand::Join {
            url,
            incident,
            token,
            trust,
            catalog,
            look,
        } => {
            trust.install()?;
            console::join(url, token.as_deref(), incident.clone(), catalog, look)
        }
        CliCommand::Tail {
            incident,
            since,
            json,
            hub,
        } => {
            let (hub, token) = hub.hub_and_token()?.ok_or_else(|| {
                usage(
                    "tail follows a hub: give --hub URL and --token (or $WARROOM_HUB, $WARROOM_TOKEN)",
                )
            })?;
            serve::tail(&hub, &token, incident, *since, *json).and(done)
        }
        // Routed above: `route` names them.
        _ => Err(CliError::Failed(
            "internal error: a command that works on incidents was not routed".into(),
        )),
    }
}

/// A command that works on incidents, on the hub it names or the local data directory.
fn incident_command(
    command: &CliCommand,
    route: Route<'_>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let runbooks = route.catalog.load()?;
    if let Some((hub, token)) = route.hub.hub_and_token()? {
        let mut backend = RemoteBackend::new(hub, token, runbooks)?;
        return dispatch::dispatch(command, &mut backend, out);
    }
    let data = route.data.local_dir()?;
    if super::local_runner::needs_runner(command) {
        return super::local_runner::run(command, data, route.actor()?, runbooks, out);
    }
    let runbooks = super::effects::with_local_actions(command, runbooks)?;
    let mut backend = LocalBackend::new(data, route.actor()?, runbooks);
    dispatch::dispatch(command, &mut backend, out)
}

/// Where a command that works on incidents goes (a local data directory or a hub);
/// `None` for the commands `run` handles on their own. Exhaustive on purpose: a new
/// command must say which it is.
pub(crate) fn route(command: &CliCommand) -> Option<Route<'_>> {
    use CliCommand as C;
    match command {
        C::Declare { client, .. }
        | C::Note { client, .. }
        | C::Correct { client, .. }
        | C::Tick { client, .. }
        | C::Untick { client, .. }
        | C::Item { client, .. }
        | C::Playbook { client, .. }
        | C::Severity { client, .. }
        | C::Status { client, .. }
        | C::Assign { client, .. }
        | C::Blast { client, .. }
        | C::BlastRename { client, .. }
        | C::BlastRemove { client, .. }
        | C::Service { client, .. }
        | C::Flag { client, .. }
        | C::Met { client, .. }
        | C::Times { client, .. }
        | C::Postmortem { client, .. }
        | C::Act { client, .. }
        | C::Approve { client, .. }
        | C::Deny { client, .. }
        | C::Publish { client, .. }
        | C::Retry { client, .. } => Some(client.route()),
        C::Render { client, .. }
        | C::Actions { client, .. }
        | C::Runs { client, .. }
        | C::List { client, .. }
        | C::Export { client, .. }
        | C::Followups { client, .. }
        | C::Report { client, .. } => Some(client.route()),
        C::Followup { action } => Some(action.client().route()),
        C::Playbooks { .. }
        | C::Templates { .. }
        | C::Roles
        | C::Demo { .. }
        | C::Join { .. }
        | C::Console { .. }
        | C::Tail { .. }
        | C::Serve { .. }
        | C::Token { .. }
        | C::Responder { .. }
        | C::Tls { .. }
        | C::Bench { .. }
        | C::Verify { .. }
        | C::Migrate { .. }
        | C::Check { .. } => None,
    }
}
