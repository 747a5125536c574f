//! The file store's side files beside a log (`<id>.snapshot`, `<id>.summary`): opaque
//! bytes under a one-line header naming the format version, the head they cover and a
//! SHA-256 of the bytes, so a damaged or foreign file is recognised rather than
//! trusted. Written to a temporary file (0600) and renamed over the old one, so a reader
//! sees the old file or the new one, whole; a snapshot is also fsync'd (file, then
//! directory), a summary is not (see [`Sync::Lazy`]).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::Pinned;
use crate::store::Head;
use crate::store::chain::chain_hash;
use crate::store::error::StoreError;
use crate::store::event_log::{io_error, sync_parent};

/// The header's first word and version; another version is ignored, never guessed at.
const MAGIC: &str = "warroom-pinned/1";

/// A checksum of the bytes, with the same hash the chain uses (over a fixed prefix).
fn checksum(bytes: &[u8]) -> String {
    chain_hash(MAGIC, bytes)
}

/// Whether a side file's write waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sync {
    /// fsync'd before and after the rename: it survives a machine crash.
    Durable,
    /// Renamed into place without waiting for the disk. For a summary, written after
    /// every commit: after a machine crash it may be the old one or damaged, which its
    /// pinned head and checksum reveal and its reader rebuilds from the log; it can never
    /// claim more than the log holds, because the log was fsync'd before it was written.
    /// Waiting would double the cost of a commit (measured: 0.47 ms per summary against
    /// 0.48 ms per one-event append).
    Lazy,
}

/// Writes `pinned` to `path` atomically (see the module doc).
pub(super) fn write(path: &Path, pinned: &Pinned, sync: Sync) -> Result<(), StoreError> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let encoded = encode(pinned);
    let written = (|| -> io::Result<()> {
        let mut file = crate::store::private::file_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        crate::store::private::restrict(&file)?;
        file.write_all(&encoded)?;
        if sync == Sync::Durable {
            file.sync_all()?;
        }
        fs::rename(&tmp, path)
    })();
    if let Err(cause) = written {
        // Best effort: a leftover temporary file is only overwritten by the next write.
        let _ = fs::remove_file(&tmp);
        return Err(io_error("write", path)(cause));
    }
    match sync {
        Sync::Durable => sync_parent(path),
        Sync::Lazy => Ok(()),
    }
}

/// Reads the file at `path`: `None` if there is none, [`StoreError::BadSidecar`] if it is
/// damaged or of another version.
pub(super) fn read(path: &Path, what: &'static str) -> Result<Option<Pinned>, StoreError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(cause) => return Err(io_error("read", path)(cause)),
    };
    decode(&bytes, what, path).map(Some)
}

/// The bytes of a side file (or of a key-value entry) for `pinned`: the header line,
/// then the bytes.
pub(super) fn encode(pinned: &Pinned) -> Vec<u8> {
    let header = format!(
        "{MAGIC} {} {} {}\n",
        pinned.head.seq,
        pinned.head.hash,
        checksum(&pinned.bytes)
    );
    let mut out = Vec::with_capacity(header.len() + pinned.bytes.len());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&pinned.bytes);
    out
}

/// Reads what [`encode`] wrote; [`StoreError::BadSidecar`] (naming `path`) if it is
/// damaged or of another version.
pub(super) fn decode(bytes: &[u8], what: &'static str, path: &Path) -> Result<Pinned, StoreError> {
    let bad = |reason: &str| StoreError::BadSidecar {
        what,
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let newline = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| bad("no header line"))?;
    let header = std::str::from_utf8(&bytes[..newline]).map_err(|_| bad("header is not text"))?;
    let body = &bytes[newline + 1..];
    let mut words = header.split(' ');
    if words.next() != Some(MAGIC) {
        return Err(bad("not a snapshot of this warroom version"));
    }
    let (Some(seq), Some(hash), Some(sum), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(bad("malformed header"));
    };
    let head: Head = format!("{seq}:{hash}")
        .parse()
        .map_err(|e: String| bad(&e))?;
    if checksum(body) != sum {
        return Err(bad("its contents do not match their checksum"));
    }
    Ok(Pinned {
        head,
        bytes: body.to_vec(),
    })
}
