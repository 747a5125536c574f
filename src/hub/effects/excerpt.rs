//! What the hub keeps of a response body or a process's output: a bounded excerpt with
//! every secret value that was used replaced by `${NAME}` (in each form `redact`
//! lists), and error messages that never carry a URL (a URL may be, or contain, a
//! secret).

use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// At most this many characters go into the log.
pub const EXCERPT_CHARS: usize = 2_000;
/// At most this many bytes of a body or an output stream are read into memory; the
/// rest is drained and dropped so a chatty process never blocks on a full pipe.
pub const READ_CAP: usize = 16 * 1024;

use super::redact::cut_partial;
pub use super::redact::{Secrets, redact};

/// The excerpt kept in the log: redacted, then at most [`EXCERPT_CHARS`] characters.
/// `truncated`: the raw bytes stopped at [`READ_CAP`].
pub fn excerpt(raw: &[u8], truncated: bool, secrets: &Secrets) -> String {
    let mut text = redact(&String::from_utf8_lossy(raw), secrets);
    if truncated {
        cut_partial(&mut text, secrets);
    }
    clip(&text, EXCERPT_CHARS)
}

/// At most `max` characters, marked with `…` when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// An error and its causes on one line. reqwest errors name their URL: call
/// `without_url()` before passing one here.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// "2 s", "1.5 s".
pub fn seconds(limit: Duration) -> String {
    let ms = limit.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", limit.as_secs_f64())
    }
}

/// Reads at most [`READ_CAP`] bytes into `into`, then drains the rest. Returns whether
/// anything was dropped.
pub async fn read_capped(
    mut from: impl AsyncRead + Unpin,
    into: &std::sync::Mutex<Vec<u8>>,
) -> bool {
    let mut buffer = [0u8; 4096];
    let mut dropped = false;
    loop {
        match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return dropped,
            Ok(n) => {
                let Ok(mut kept) = into.lock() else {
                    return dropped;
                };
                let room = READ_CAP.saturating_sub(kept.len()).min(n);
                kept.extend_from_slice(&buffer[..room]);
                dropped |= room < n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Vec<(String, String)> {
        vec![
            ("TOKEN".into(), "s3cr3t-value".into()),
            ("LONG".into(), "s3cr3t-value-and-more".into()),
        ]
    }

    #[test]
    fn secret_values_become_names_longest_first() {
        let text = "a s3cr3t-value-and-more b s3cr3t-value c";
        assert_eq!(redact(text, &secrets()), "a ${LONG} b ${TOKEN} c");
    }

    #[test]
    fn a_secret_cut_at_the_read_limit_leaves_no_trace() {
        let out = excerpt(b"ok s3cr3t-va", true, &secrets());
        assert_eq!(out, "ok ");
        // Not truncated: the same bytes are plain text, kept as they are.
        assert_eq!(excerpt(b"ok s3cr", false, &secrets()), "ok s3cr");
    }

    #[test]
    fn excerpts_are_bounded() {
        let long = "x".repeat(5_000);
        let out = excerpt(long.as_bytes(), false, &[]);
        assert_eq!(out.chars().count(), EXCERPT_CHARS);
        assert!(out.ends_with('…'));
    }
}
