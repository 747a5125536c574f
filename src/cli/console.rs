//! The commands that open the console — `console`, `demo`, `join`, and `warroom` alone
//! in a terminal — and the summary `warroom` alone prints when it is not in one.

use super::backend::{Backend, CliError, LocalBackend, usage};
use super::options::{CatalogOptions, ConsoleOptions, LookOptions, reader};
use super::output::{emit, write_all};
use super::show;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// The console on an embedded hub over the local data directory.
pub fn embedded(
    options: &ConsoleOptions,
    incident: Option<String>,
    config: Option<PathBuf>,
) -> Result<ExitCode, CliError> {
    let runbooks = options.catalog.load()?;
    crate::tui::start::embedded(crate::tui::start::EmbeddedOptions {
        data: options.data.local_dir()?,
        runbooks,
        config,
        look: options.look.look(),
        incident,
        token: options.identity.token.clone(),
        user: options.identity.user.clone(),
    })
    .map_err(CliError::Failed)?;
    Ok(ExitCode::SUCCESS)
}

/// The console on a throw-away demo incident.
pub fn demo(catalog: &CatalogOptions, look: &LookOptions) -> Result<ExitCode, CliError> {
    let runbooks = catalog.load()?;
    crate::tui::start::demo(runbooks, look.look()).map_err(CliError::Failed)?;
    Ok(ExitCode::SUCCESS)
}

/// The console on a remote hub.
pub fn join(
    url: &str,
    token: Option<&str>,
    incident: Option<String>,
    catalog: &CatalogOptions,
    look: &LookOptions,
) -> Result<ExitCode, CliError> {
    let token = token.ok_or_else(|| usage("join needs a token: --token T or $WARROOM_TOKEN"))?;
    let runbooks = catalog.load()?;
    crate::tui::start::join(url, token, runbooks, look.look(), incident)
        .map_err(CliError::Failed)?;
    Ok(ExitCode::SUCCESS)
}

/// `warroom` alone, not in a terminal: the incidents here and the next commands to try.
pub fn overview(options: &ConsoleOptions, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let runbooks = options.catalog.load()?;
    let data = options.data.local_dir()?;
    let root = data.root().display().to_string();
    let mut backend = LocalBackend::new(data, reader(), runbooks);
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
