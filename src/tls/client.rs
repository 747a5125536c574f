//! What a client trusts when it connects to a hub over TLS: the system's roots (the
//! default), a private CA or a hub's self-signed certificate (`--ca FILE`), or one exact
//! certificate pinned by its SHA-256 (`--fingerprint SHA256:…`). A pinned certificate
//! is compared byte for byte, and the handshake's signatures are still verified with
//! its key, so only the holder of the pinned certificate's key gets through.

use super::{TlsError, digest, format_fingerprint, provider, read_certificates};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::Path;
use std::sync::Arc;

/// Whom a client believes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Trust {
    /// The operating system's root certificates.
    #[default]
    System,
    /// These certificates only (a private CA, or the hub's self-signed certificate).
    Authorities(Vec<CertificateDer<'static>>),
    /// Exactly the certificate with this SHA-256.
    Pinned([u8; 32]),
}

impl Trust {
    /// The certificates in a PEM file (`--ca`).
    pub fn from_ca_file(path: &Path) -> Result<Trust, TlsError> {
        Ok(Trust::Authorities(read_certificates(path)?))
    }

    /// A pinned fingerprint (`--fingerprint`).
    pub fn pinned(text: &str) -> Result<Trust, TlsError> {
        super::parse_fingerprint(text)
            .map(Trust::Pinned)
            .map_err(TlsError::Other)
    }

    /// The rustls client configuration for this trust.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, TlsError> {
        let provider = provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Other(format!("TLS versions: {e}")))?;
        let config = match self {
            Trust::System => {
                let verifier = rustls_platform_verifier::Verifier::new(provider)
                    .map_err(|e| TlsError::Other(format!("the system's root certificates: {e}")))?;
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(verifier))
                    .with_no_client_auth()
            }
            Trust::Authorities(certs) => {
                let mut roots = RootCertStore::empty();
                for cert in certs {
                    roots
                        .add(cert.clone())
                        .map_err(|e| TlsError::Other(format!("a --ca certificate: {e}")))?;
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            Trust::Pinned(expected) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(PinnedCertificate {
                    expected: *expected,
                    provider,
                }))
                .with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }
}

/// Accepts exactly one certificate, by its SHA-256. Names and dates are not checked:
/// pinning says "this certificate", which a person compared with what the hub printed.
#[derive(Debug)]
struct PinnedCertificate {
    expected: [u8; 32],
    provider: Arc<CryptoProvider>,
}

/// The text of the error a pin mismatch gives; the client turns it into its one line.
pub const PIN_MISMATCH: &str = "the certificate's fingerprint is";

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = digest(end_entity);
        if presented == self.expected {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "{PIN_MISMATCH} {}, not the pinned {}",
                format_fingerprint(&presented),
                format_fingerprint(&self.expected)
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A failed TLS handshake with `host`, as one line: what did not match and what to do.
pub fn explain(host: &str, error: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    use rustls::Error as E;
    let advice =
        "give --ca FILE (or $WARROOM_CA) or --fingerprint SHA256:… (or $WARROOM_FINGERPRINT)";
    match error {
        E::General(text) if text.starts_with(PIN_MISMATCH) => {
            format!("TLS with {host} failed: {text}")
        }
        E::InvalidCertificate(
            C::UnknownIssuer
            | C::BadSignature
            | C::UnsupportedSignatureAlgorithmContext { .. }
            | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. },
        ) => format!(
            "TLS with {host} failed: its certificate is not signed by an authority this client trusts; {advice}"
        ),
        E::InvalidCertificate(named @ C::NotValidForNameContext { .. }) => format!(
            "TLS with {host} failed: {named} (connect by one of those names, or pin it with --fingerprint)"
        ),
        E::InvalidCertificate(C::NotValidForName) => format!(
            "TLS with {host} failed: its certificate is not valid for the name {host} (connect by a name it lists, or pin it with --fingerprint)"
        ),
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            format!("TLS with {host} failed: its certificate has expired")
        }
        E::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            format!("TLS with {host} failed: its certificate is not valid yet (check the clocks)")
        }
        E::InvalidCertificate(other) => {
            format!("TLS with {host} failed: its certificate was refused ({other}); {advice}")
        }
        E::InvalidMessage(_)
        | E::InappropriateHandshakeMessage { .. }
        | E::InappropriateMessage { .. } => format!(
            "TLS with {host} failed: it does not speak TLS there (a plain-text hub? then use http:// or ws://)"
        ),
        other => format!("TLS with {host} failed: {other}"),
    }
}
