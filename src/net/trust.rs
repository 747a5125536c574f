//! Which TLS certificates this process trusts when it connects to a `wss://` (or
//! `https://`) hub: the system's roots unless the command line said otherwise
//! (`--ca FILE` / `$WARROOM_CA`, `--fingerprint` / `$WARROOM_FINGERPRINT`).
//!
//! It is process-wide on purpose: every path to a hub (one-shot CLI commands, `tail`,
//! the console's reconnecting subscription) opens its connections through
//! [`crate::net::HubClient`], and the trust is a property of the person's invocation,
//! like the hub URL's environment variable, not of any one connection.

use crate::tls::TlsError;
use crate::tls::client::Trust;
use rustls::ClientConfig;
use std::sync::{Arc, RwLock};

static CONFIGURED: RwLock<Option<Arc<ClientConfig>>> = RwLock::new(None);

/// Trust `trust` for every TLS connection this process opens from now on.
pub fn set_trust(trust: &Trust) -> Result<(), TlsError> {
    let config = trust.client_config()?;
    if let Ok(mut slot) = CONFIGURED.write() {
        *slot = Some(config);
    }
    Ok(())
}

/// The configuration TLS connections use: the one set, else the system's roots (built
/// once, then kept).
pub fn client_config() -> Result<Arc<ClientConfig>, TlsError> {
    if let Some(config) = CONFIGURED.read().ok().and_then(|slot| slot.clone()) {
        return Ok(config);
    }
    let config = Trust::System.client_config()?;
    if let Ok(mut slot) = CONFIGURED.write() {
        slot.get_or_insert_with(|| config.clone());
    }
    Ok(config)
}
