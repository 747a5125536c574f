//! The `warroom` binary: parse the command line, run it, turn errors into one clear line
//! and an exit code. Everything else lives in the library.

use clap::Parser;
use std::process::ExitCode;
use warroom::cli::{Cli, CliError, run};

fn main() -> ExitCode {
    // Panics still get color-eyre's report; ordinary errors are one line each.
    if let Err(error) = color_eyre::install() {
        eprintln!("warroom: could not install the error reporter: {error}");
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(CliError::Usage(message)) => {
            eprintln!("warroom: {message}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("warroom: {error}");
            ExitCode::FAILURE
        }
    }
}
