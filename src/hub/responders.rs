//! The responders a running hub accepts, replaceable while it runs: a reload (SIGHUP,
//! or the config file changing: `reload`) swaps in a new [`Authenticator`], and every
//! WebSocket session watching it checks at once that its token still names the same
//! responder with the same roles, closing with 4003 `revoked` if not.

use super::auth::Authenticator;
use crate::incident::Actor;
use std::sync::Arc;
use tokio::sync::watch;

/// The current [`Authenticator`], and news of each replacement.
#[derive(Debug)]
pub struct Responders {
    current: watch::Sender<Arc<Authenticator>>,
}

impl Responders {
    pub fn new(auth: Authenticator) -> Responders {
        Responders {
            current: watch::Sender::new(Arc::new(auth)),
        }
    }

    /// Who is accepted now.
    pub fn current(&self) -> Arc<Authenticator> {
        self.current.borrow().clone()
    }

    /// Accept these from now on; sessions whose token no longer matches close.
    pub fn replace(&self, auth: Authenticator) {
        let auth = auth.keeping_sessions_of(&self.current());
        self.current.send_replace(Arc::new(auth));
    }

    /// A receiver that wakes on every replacement (it starts at the current one).
    pub fn watch(&self) -> watch::Receiver<Arc<Authenticator>> {
        self.current.subscribe()
    }
}

/// What one session watches: whether its token still names the same responder.
pub struct Revocation {
    token: String,
    actor: Actor,
    responders: watch::Receiver<Arc<Authenticator>>,
}

impl Revocation {
    /// Watches `token` (which authenticated as `actor`) from `responders`' version
    /// `actor` was found in.
    pub fn new(
        token: String,
        actor: Actor,
        responders: watch::Receiver<Arc<Authenticator>>,
    ) -> Revocation {
        Revocation {
            token,
            actor,
            responders,
        }
    }

    /// Resolves, with the reason to give, once a reload takes this session's access
    /// away or changes its name or roles; never while they stay. Cancel-safe.
    pub async fn revoked(&mut self) -> &'static str {
        loop {
            if self.responders.changed().await.is_err() {
                // The hub is gone; its shutdown closes the session.
                return std::future::pending().await;
            }
            let now = self
                .responders
                .borrow_and_update()
                .authenticate(&self.token);
            match now {
                Some(actor) if actor == self.actor => continue,
                Some(_) => return "your name or roles changed on this hub: reconnect",
                None => return "your token was revoked on this hub",
            }
        }
    }
}
