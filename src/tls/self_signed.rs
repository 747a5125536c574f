//! `warroom tls self-signed`: a certificate and key for a hub without a CA, made with
//! rcgen. The key is written owner-only (0600); the fingerprint it returns is what
//! clients pin with `--fingerprint`.

use super::{TlsError, fingerprint};
use chrono::{DateTime, Datelike, Utc};
use std::path::{Path, PathBuf};

/// What `self_signed` wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub fingerprint: String,
    pub not_after: DateTime<Utc>,
}

/// A new key and a certificate for `hosts` (DNS names or IP addresses), valid from a day
/// before `now` (clock skew) for `days` days, written as `cert.pem` and `key.pem` in
/// `out` (created owner-only if missing). Refuses to overwrite either file.
pub fn write(
    hosts: &[String],
    days: u32,
    out: &Path,
    now: DateTime<Utc>,
) -> Result<Written, TlsError> {
    if hosts.is_empty() || hosts.iter().any(|h| h.trim().is_empty()) {
        return Err(TlsError::Other(
            "give the names clients connect by: --host NAME (repeat for several)".into(),
        ));
    }
    let cert_path = out.join("cert.pem");
    let key_path = out.join("key.pem");
    for path in [&cert_path, &key_path] {
        if path.exists() {
            return Err(TlsError::Invalid {
                path: path.display().to_string(),
                problem: "already exists: remove it or choose another --out (a new certificate has a new fingerprint)".into(),
            });
        }
    }
    let invalid = |e: rcgen::Error| TlsError::Other(format!("cannot make the certificate: {e}"));
    let mut params = rcgen::CertificateParams::new(
        hosts
            .iter()
            .map(|h| h.trim().to_string())
            .collect::<Vec<_>>(),
    )
    .map_err(invalid)?;
    let ymd = |at: DateTime<Utc>| {
        // invariant: a chrono month (1..=12) and day (1..=31) fit in u8.
        rcgen::date_time_ymd(at.year(), at.month() as u8, at.day() as u8)
    };
    let from = now - chrono::Duration::days(1);
    let to = now + chrono::Duration::days(i64::from(days.max(1)));
    params.not_before = ymd(from);
    params.not_after = ymd(to);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, hosts[0].trim());
    let key = rcgen::KeyPair::generate().map_err(invalid)?;
    let cert = params.self_signed(&key).map_err(invalid)?;
    let write_error = |path: &Path| {
        let path = path.display().to_string();
        move |cause| TlsError::Write { path, cause }
    };
    crate::store::private::create_dir_all(out).map_err(write_error(out))?;
    crate::store::private::write(&key_path, key.serialize_pem().as_bytes())
        .map_err(write_error(&key_path))?;
    std::fs::write(&cert_path, cert.pem()).map_err(write_error(&cert_path))?;
    let not_after = to
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map_or(to, |at| at.and_utc());
    Ok(Written {
        fingerprint: fingerprint(cert.der()),
        cert: cert_path,
        key: key_path,
        not_after,
    })
}
