//! The hub's TLS configuration from its `tls_cert` and `tls_key` files, checked before
//! the hub starts so that every problem is one line naming the file: unreadable, not
//! PEM, no certificate or key, a key that does not belong to the certificate, a
//! certificate not yet valid or expired.

use super::{TlsError, fingerprint, provider, read_certificates, read_private_key, validity};
use chrono::{DateTime, Utc};
use rustls::ServerConfig;
use rustls::sign::CertifiedKey;
use std::path::Path;
use std::sync::Arc;

/// A hub's TLS, ready to serve: its configuration and its certificate's fingerprint.
#[derive(Clone)]
pub struct ServerTls {
    pub config: Arc<ServerConfig>,
    /// `SHA256:…` of the hub's own certificate (what clients pin).
    pub fingerprint: String,
    /// When the certificate expires.
    pub not_after: DateTime<Utc>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// Loads and checks `cert` (the hub's certificate first, then any intermediates) and
/// `key`, as of `now`.
pub fn load(cert: &Path, key: &Path, now: DateTime<Utc>) -> Result<ServerTls, TlsError> {
    let certs = read_certificates(cert)?;
    let private = read_private_key(key)?;
    let cert_error = |problem: String| TlsError::Invalid {
        path: cert.display().to_string(),
        problem,
    };
    let (not_before, not_after) = validity(&certs[0])
        .ok_or_else(|| cert_error("the first certificate is not an X.509 certificate".into()))?;
    let day = |at: DateTime<Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
    if not_after < now {
        return Err(cert_error(format!(
            "the certificate expired on {}: make a new one (warroom tls self-signed …)",
            day(not_after)
        )));
    }
    if now < not_before {
        return Err(cert_error(format!(
            "the certificate is not valid before {} (check this machine's clock)",
            day(not_before)
        )));
    }
    let provider = provider();
    let key_error = |problem: String| TlsError::Invalid {
        path: key.display().to_string(),
        problem,
    };
    let signing = provider
        .key_provider
        .load_private_key(private.clone_key())
        .map_err(|e| key_error(format!("not a usable private key ({e})")))?;
    // Checked here, before rustls does the same, to say which file is at fault.
    let certified = CertifiedKey::new(certs.clone(), signing);
    if let Err(error) = certified.keys_match() {
        return Err(key_error(match error {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => format!(
                "this key does not belong to the certificate in {}",
                cert.display()
            ),
            other => format!(
                "cannot check it against the certificate in {} ({other})",
                cert.display()
            ),
        }));
    }
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Other(format!("TLS versions: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs.clone(), private)
        .map_err(|e| key_error(format!("cannot be used with the certificate ({e})")))?;
    // HTTP/1.1 only: the hub's server speaks nothing else.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(ServerTls {
        config: Arc::new(config),
        fingerprint: fingerprint(&certs[0]),
        not_after,
    })
}
