//! One attempt of an `exec` action: argv[0] started directly with the other elements
//! as its arguments (no shell, so a parameter is always exactly one argument), an
//! empty environment plus only the allowlisted variables, killed at the time limit.
//! Exit 0 is success; a non-zero exit is a failure (not retried); a kill at the limit
//! may be retried (idempotent actions only, decided by the caller).

use super::excerpt::{Secrets, excerpt, read_capped, seconds};
use super::run::{Attempt, Verdict};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long output is still collected after the process ended: a grandchild that kept
/// the pipes open must not hold the run.
const OUTPUT_GRACE: Duration = Duration::from_secs(1);

type Reader = (Arc<Mutex<Vec<u8>>>, tokio::task::JoinHandle<bool>);

fn reader(pipe: Option<impl tokio::io::AsyncRead + Unpin + Send + 'static>) -> Option<Reader> {
    let pipe = pipe?;
    let kept = Arc::new(Mutex::new(Vec::new()));
    let into = kept.clone();
    let task = tokio::spawn(async move { read_capped(pipe, &into).await });
    Some((kept, task))
}

/// What a reader kept, and whether it dropped anything.
async fn collect(reader: Option<Reader>) -> (Vec<u8>, bool) {
    let Some((kept, mut task)) = reader else {
        return (Vec::new(), false);
    };
    let truncated = match tokio::time::timeout(OUTPUT_GRACE, &mut task).await {
        Ok(Ok(truncated)) => truncated,
        _ => {
            task.abort();
            true
        }
    };
    let bytes = kept.lock().map(|k| k.clone()).unwrap_or_default();
    (bytes, truncated)
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return format!("killed by signal {signal}");
    }
    format!("ended with {status}")
}

/// `env`: the allowlisted variables with their values, already read from the hub's
/// environment by the caller; `secrets`: the values redacted from the output.
pub(super) async fn attempt(
    argv: &[String],
    cwd: Option<&str>,
    env: &Secrets,
    secrets: &Secrets,
    limit: Duration,
) -> Attempt {
    let Some((program, args)) = argv.split_first() else {
        return Attempt::failed("argv is empty".to_string());
    };
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Dropping the child (a cancelled run, a hub shutting down) kills it.
        .kill_on_drop(true);
    if let Some(cwd) = cwd {
        command.current_dir(cwd);
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => return Attempt::failed(format!("cannot start {program}: {error}")),
    };
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let (verdict, status, note) = match tokio::time::timeout(limit, child.wait()).await {
        Ok(Ok(status)) => match status.code() {
            Some(0) => (Verdict::Succeeded, Some(0), None),
            Some(code) => (
                Verdict::Failed,
                Some(i64::from(code)),
                Some(format!("exited with status {code}")),
            ),
            None => (Verdict::Failed, None, Some(describe_exit(status))),
        },
        Ok(Err(error)) => (
            Verdict::Failed,
            None,
            Some(format!("cannot wait for {program}: {error}")),
        ),
        Err(_) => {
            let _ = child.kill().await;
            (
                Verdict::Retryable { maybe_acted: true },
                None,
                Some(format!(
                    "killed after {}: it may have acted before it was stopped",
                    seconds(limit)
                )),
            )
        }
    };
    // Each stream redacted on its own: a stream cut at the read limit may end in the
    // start of a secret, which must go before the two are joined.
    let (out, out_cut) = collect(stdout).await;
    let (err, err_cut) = collect(stderr).await;
    let mut output = excerpt(&out, out_cut, secrets);
    let errors = excerpt(&err, err_cut, secrets);
    if !errors.is_empty() {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str("[stderr]\n");
        output.push_str(&errors);
    }
    Attempt {
        verdict,
        status,
        note,
        output,
    }
}
