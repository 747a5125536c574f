//! Reloading the `[[responder]]` blocks while the hub runs: on SIGHUP, and when the
//! config file changes (its modification time, length or inode, polled every second —
//! simpler than a file-notification crate, and it also sees editors that replace the
//! file). A config that does not parse, or has gone, keeps the responders in force and
//! says why in one line (file, line, problem). Only responders are reloaded; the other
//! keys take effect at the next start.

use super::auth::Authenticator;
use super::config::HubConfig;
use super::responders::Responders;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// How often the config file is looked at.
pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// What identifies a version of the file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode,
    })
}

/// Reads `path` and swaps in its responders; the line to print either way.
pub fn reload(path: &Path, responders: &Responders, why: &str) -> Result<String, String> {
    if !path.exists() {
        return Err(format!(
            "{}: the file is gone ({why}); kept the responders in force",
            path.display()
        ));
    }
    match HubConfig::load(path) {
        Ok(config) => {
            let count = config.responders.len();
            responders.replace(Authenticator::new(&config.responders));
            Ok(format!(
                "reloaded {count} responder(s) from {} ({why}); sessions of revoked tokens are closed",
                path.display()
            ))
        }
        Err(error) => Err(format!("{error} ({why}); kept the responders in force")),
    }
}

/// Reloads on SIGHUP and whenever the file changes, until `stop` turns true. `report`
/// gets one line per reload: `Ok` when it took effect, `Err` when it was refused.
///
/// The signal handler and the file's first stamp are taken when this is called, not
/// when the task first runs: a SIGHUP or an edit right after the hub says it listens
/// is neither fatal (the default action of SIGHUP) nor missed. Call it in a runtime.
pub fn watch_config(
    path: PathBuf,
    responders: Arc<Responders>,
    mut stop: watch::Receiver<bool>,
    report: impl Fn(Result<String, String>) + Send + 'static,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut last = stamp(&path);
    async move {
        let mut poll = tokio::time::interval(POLL_EVERY);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            #[cfg(unix)]
            let hung_up = async {
                match hangup.as_mut() {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let hung_up = std::future::pending::<Option<()>>();
            let why = tokio::select! {
                _ = poll.tick() => {
                    let now = stamp(&path);
                    if now == last {
                        continue;
                    }
                    last = now;
                    "the file changed"
                }
                _ = hung_up => {
                    last = stamp(&path);
                    "SIGHUP"
                }
                () = super::stopping(&mut stop) => return,
            };
            report(reload(&path, &responders, why));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_or_missing_config_keeps_the_responders_in_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("warroom.toml");
        let responders = Responders::new(Authenticator::default().with_token(
            "t",
            "alice",
            [crate::incident::Role::Commander],
        ));
        let gone = reload(&path, &responders, "SIGHUP").unwrap_err();
        assert!(gone.contains("the file is gone"), "{gone}");
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\n[[responder]]\nname = 3\n").unwrap();
        let broken = reload(&path, &responders, "SIGHUP").unwrap_err();
        assert!(
            broken.contains(&format!("{}:3:", path.display())) && broken.contains("kept"),
            "{broken}"
        );
        assert!(responders.current().authenticate("t").is_some());
        std::fs::write(&path, "").unwrap();
        let done = reload(&path, &responders, "the file changed").unwrap();
        assert!(done.contains("reloaded 0 responder(s)"), "{done}");
        assert!(responders.current().authenticate("t").is_none());
    }
}
