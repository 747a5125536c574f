//! TLS for the hub and its clients, with rustls (the aws-lc-rs provider reqwest already
//! builds): reading PEM certificates and keys with errors that name the file, the
//! SHA-256 fingerprint people compare and pin (`SHA256:AB:CD:…`), the validity dates of
//! a certificate, the hub's server configuration (`server`), the client's trust — system
//! roots, a private CA or a pinned fingerprint (`client`) — and self-signed certificates
//! for hubs without a CA (`self_signed`). Depends only on `store::private` (files
//! owner-only).

pub mod client;
mod der;
pub mod self_signed;
pub mod server;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

pub use der::validity;

/// Everything that can be wrong with TLS material, each naming the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: cannot read it: {cause}")]
    Read { path: String, cause: std::io::Error },
    #[error("{path}: {problem}")]
    Invalid { path: String, problem: String },
    #[error("cannot write {path}: {cause}")]
    Write { path: String, cause: std::io::Error },
    #[error("{0}")]
    Other(String),
}

/// The crypto provider every TLS configuration here uses (aws-lc-rs, already built for
/// reqwest: no second crypto library).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The SHA-256 of a certificate's DER bytes.
pub fn digest(cert: &[u8]) -> [u8; 32] {
    Sha256::digest(cert).into()
}

/// `SHA256:` and the digest as colon-separated upper-case hex, the way
/// `openssl x509 -fingerprint -sha256` prints it.
pub fn fingerprint(cert: &[u8]) -> String {
    format_fingerprint(&digest(cert))
}

pub fn format_fingerprint(digest: &[u8; 32]) -> String {
    let hex: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
    format!("SHA256:{}", hex.join(":"))
}

/// Reads a pinned fingerprint: `SHA256:` (optional, any case) then 64 hex digits, with
/// or without colons, any case.
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32], String> {
    let trimmed = text.trim();
    let body = trimmed
        .get(..7)
        .filter(|prefix| prefix.eq_ignore_ascii_case("sha256:"))
        .map_or(trimmed, |_| &trimmed[7..]);
    let hex: String = body.chars().filter(|c| *c != ':').collect();
    let bad = || {
        format!(
            "`{trimmed}` is not a SHA-256 fingerprint: expected SHA256: and 64 hex digits (colons optional), as the hub prints at start"
        )
    };
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|cause| TlsError::Read {
        path: path.display().to_string(),
        cause,
    })
}

/// Every certificate in a PEM file, in order (the first is the hub's own).
pub fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let invalid = |problem: String| TlsError::Invalid {
        path: path.display().to_string(),
        problem,
    };
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("not a readable PEM certificate file ({e})")))?;
    if certs.is_empty() {
        return Err(invalid(
            "holds no certificate (expected -----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(certs)
}

/// The private key in a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| TlsError::Invalid {
        path: path.display().to_string(),
        problem: match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "holds no private key (expected -----BEGIN PRIVATE KEY-----)".into()
            }
            other => format!("not a readable PEM private key ({other})"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_print_and_parse_back_in_every_spelling() {
        let digest = digest(b"certificate bytes");
        let printed = format_fingerprint(&digest);
        assert!(printed.starts_with("SHA256:") && printed.len() == 7 + 64 + 31);
        assert_eq!(parse_fingerprint(&printed), Ok(digest));
        let bare: String = printed[7..].chars().filter(|c| *c != ':').collect();
        assert_eq!(parse_fingerprint(&bare.to_lowercase()), Ok(digest));
        assert_eq!(parse_fingerprint(&format!("sha256:{bare}")), Ok(digest));
        for bad in [
            "",
            "SHA256:",
            "SHA256:abc",
            &format!("{bare}00"),
            &bare.replace('A', "G"),
        ] {
            assert!(parse_fingerprint(bad).is_err(), "{bad}");
        }
    }
}
