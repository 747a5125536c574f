//! Signed deliveries: HMAC-SHA256 of the raw body with a shared secret read from the
//! hub's environment (`${NAME}` in the config), compared in constant time. A header
//! may carry several signatures separated by commas (PagerDuty does while a secret is
//! rotated): any one that matches is enough. The secret is never logged or shown.

use super::Refusal;
use crate::hub::config::secret_name;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The value of the `${NAME}` a config setting refers to, from the hub's environment.
/// A variable that is not set is the hub's fault, not the sender's: `503`, naming the
/// variable (never a value), so the sender retries once it is set.
pub fn secret(reference: &str) -> Result<Vec<u8>, Refusal> {
    let unavailable = |message: String| {
        tracing::error!("{message}");
        Refusal::new(StatusCode::SERVICE_UNAVAILABLE, "unconfigured", message)
    };
    let name =
        secret_name(reference).map_err(|why| unavailable(format!("the signing secret {why}")))?;
    match std::env::var(&name) {
        Ok(value) if !value.is_empty() => Ok(value.into_bytes()),
        _ => Err(unavailable(format!(
            "the hub has no `{name}` in its environment, so it cannot check signatures: set it where the hub runs"
        ))),
    }
}

/// HMAC-SHA256 of `body` with `key`.
pub fn hmac_sha256(key: &[u8], body: &[u8]) -> [u8; 32] {
    // invariant: HMAC takes a key of any length (longer ones are hashed first).
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return [0; 32];
    };
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// Whether any comma-separated signature in `header`, each `prefix` + hex digits (in
/// either case), is the HMAC-SHA256 of `body` with `key`. Every candidate is compared
/// in constant time.
pub fn any_matches(key: &[u8], body: &[u8], header: &str, prefix: &str) -> bool {
    let expected = hmac_sha256(key, body);
    let mut matched = subtle::Choice::from(0);
    for candidate in header.split(',').map(str::trim) {
        let Some(hex) = candidate.strip_prefix(prefix) else {
            continue;
        };
        let Some(given) = from_hex(hex) else {
            continue;
        };
        matched |= given.as_slice().ct_eq(expected.as_slice());
    }
    bool::from(matched)
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks the signature header `name` of a delivery: `401` when it is missing or none
/// of its signatures match (nothing about the expected value is said).
pub fn verify(
    headers: &HeaderMap,
    name: &str,
    prefix: &str,
    key: &[u8],
    body: &[u8],
) -> Result<(), Refusal> {
    let Some(value) = headers.get(name).and_then(|v| v.to_str().ok()) else {
        return Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            "unsigned",
            format!("the delivery has no `{name}` header: it must be signed"),
        ));
    };
    if any_matches(key, body, value, prefix) {
        return Ok(());
    }
    Err(Refusal::new(
        StatusCode::UNAUTHORIZED,
        "bad_signature",
        format!("no signature in `{name}` matches the body: check the signing secret the hub has"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let body = br#"{"event":{}}"#;
        let good = format!("v1={}", hex(&hmac_sha256(b"secret", body)));
        let other = format!("v1={}", hex(&hmac_sha256(b"old", body)));
        assert!(any_matches(b"secret", body, &good, "v1="));
        assert!(any_matches(
            b"secret",
            body,
            &format!("{other}, {good}"),
            "v1="
        ));
        assert!(any_matches(
            b"secret",
            body,
            &good.to_uppercase().replace("V1=", "v1="),
            "v1="
        ));
        assert!(!any_matches(b"secret", body, &other, "v1="));
        assert!(!any_matches(
            b"secret",
            body,
            &good.replace("v1=", "v0="),
            "v1="
        ));
        assert!(!any_matches(b"secret", b"{}", &good, "v1="), "another body");
        assert!(!any_matches(b"secret", body, "v1=zz,v1=", "v1="));
    }
}
