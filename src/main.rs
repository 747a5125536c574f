//! The `warroom` binary: parse the command line, run it, turn errors into one clear line
//! and an exit code. Everything else lives in the library.

use std::process::ExitCode;
use warroom::cli::{Cli, CliError, run};
use warroom::incident::safe_text::neutralise;

fn main() -> ExitCode {
    // Panics still get color-eyre's report; ordinary errors are one line each.
    if let Err(error) = color_eyre::install() {
        eprintln!("warroom: could not install the error reporter: {error}");
    }
    let cli = Cli::parse_args();
    match run(cli) {
        Ok(code) => code,
        // Messages may quote what someone typed, or what a hub answered.
        Err(CliError::Usage(message)) => {
            eprintln!("warroom: {}", neutralise(&message));
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("warroom: {}", neutralise(&error.to_string()));
            ExitCode::FAILURE
        }
    }
}
