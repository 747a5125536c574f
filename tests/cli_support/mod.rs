//! Running the real `warroom` binary on a data directory, for tests: as a responder
//! (`--as`, `--role`) for commands that record, or bare for those that only read,
//! always with nothing from the caller's environment (no hub, no catalog, no identity).

use std::path::Path;
use std::process::Command;

/// `warroom ARGS --data DATA [--as WHO --role ROLE]`: exit code, stdout, stderr.
pub fn warroom_in(
    data: &Path,
    identity: Option<(&str, &str)>,
    args: &[&str],
) -> (Option<i32>, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_warroom"));
    command
        .args(args)
        .args(["--data", data.to_str().expect("utf-8 path")]);
    if let Some((who, role)) = identity {
        command.args(["--as", who, "--role", role]);
    }
    let out = command
        .env_remove("WARROOM_HUB")
        .env_remove("WARROOM_TOKEN")
        .env_remove("WARROOM_CATALOG")
        .env_remove("WARROOM_DATA")
        .env("XDG_CONFIG_HOME", data.join("config"))
        .output()
        .expect("run warroom");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A command that only reads, which must succeed: its stdout.
pub fn read(data: &Path, args: &[&str]) -> String {
    let (code, out, err) = warroom_in(data, None, args);
    assert_eq!(code, Some(0), "{args:?}: {err}");
    out
}
