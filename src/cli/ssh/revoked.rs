//! Revocation on the SSH door: a reload that takes a connection's key away (or changes
//! who it names) tells its consoles and commands why, then closes the connection.

use crate::hub::auth::Authenticator;
use crate::incident::Actor;
use russh::keys::ssh_key::public::KeyData;
use russh::server::Handle;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Ends the connection when a reload takes its key away (or changes who it is).
pub(super) struct Revoked {
    pub(super) key: KeyData,
    pub(super) actor: Actor,
    pub(super) responders: watch::Receiver<Arc<Authenticator>>,
}

impl Revoked {
    pub(super) async fn run(mut self, handle: Handle, tell: watch::Sender<Option<&'static str>>) {
        let reason = loop {
            if self.responders.changed().await.is_err() {
                return;
            }
            let now = self.responders.borrow_and_update().by_key(&self.key);
            match now {
                Some(actor) if actor == self.actor => continue,
                Some(_) => break "your name or roles changed on this hub: connect again",
                None => break "your access to this hub was revoked",
            }
        };
        tracing::info!(responder = %self.actor.name, reason, "SSH door: closing a session");
        // Consoles and commands leave their screens and say why, then the connection
        // closes; a client that does not take the goodbye is cut off anyway.
        let _ = tell.send(Some(reason));
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = handle
            .disconnect(
                russh::Disconnect::ByApplication,
                format!("warroom: {reason}"),
                String::new(),
            )
            .await;
    }
}

/// Resolves with the reason once the connection's access is revoked.
pub(super) async fn wait_revoked(
    revoked: &mut watch::Receiver<Option<&'static str>>,
) -> &'static str {
    let reason = revoked
        .wait_for(Option::is_some)
        .await
        .map(|reason| reason.unwrap_or("revoked"));
    match reason {
        Ok(reason) => reason,
        // The connection is gone: nothing more to wait for.
        Err(_) => std::future::pending().await,
    }
}
