//! Group commit with rollback: write a batch, fsync it, and on any failure truncate the
//! file back to its last good length, so a failed batch leaves no partial line. The file
//! operations sit behind a small trait so the failure paths are tested with a fake.

use std::fs::File;
use std::io::{self, Write};

/// The three file operations a commit needs; a trait so tests can make them fail.
pub(crate) trait Durable {
    fn write_bytes(&mut self, buf: &[u8]) -> io::Result<()>;
    fn sync(&mut self) -> io::Result<()>;
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

impl Durable for File {
    fn write_bytes(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write_all(buf)
    }
    fn sync(&mut self) -> io::Result<()> {
        // Data plus the new length; other metadata (mtime) does not matter for replay.
        self.sync_data()
    }
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }
}

#[derive(Debug)]
pub(crate) enum CommitError {
    /// The batch failed and the file is back at its last good length.
    RolledBack(io::Error),
    /// The batch failed and the file could not be put back.
    Unrecoverable {
        write: io::Error,
        rollback: io::Error,
    },
}

/// Writes and syncs `buf`; on failure truncates back to `good_len` and syncs that, so a
/// failed batch leaves no partial line (after a failed fsync the page cache cannot be
/// trusted, hence the second sync rather than assuming the truncation stuck).
pub(crate) fn commit(
    file: &mut impl Durable,
    good_len: u64,
    buf: &[u8],
) -> Result<(), CommitError> {
    let Err(write) = file.write_bytes(buf).and_then(|()| file.sync()) else {
        return Ok(());
    };
    match file.truncate(good_len).and_then(|()| file.sync()) {
        Ok(()) => Err(CommitError::RolledBack(write)),
        Err(rollback) => Err(CommitError::Unrecoverable { write, rollback }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An in-memory file whose operations fail on demand.
    #[derive(Default)]
    struct FakeFile {
        data: Vec<u8>,
        /// Bytes of the next write to store before failing it.
        fail_write_after: Option<usize>,
        fail_syncs: usize,
        fail_truncate: bool,
    }

    fn fault() -> io::Error {
        io::Error::other("injected fault")
    }

    impl Durable for FakeFile {
        fn write_bytes(&mut self, buf: &[u8]) -> io::Result<()> {
            match self.fail_write_after.take() {
                Some(n) => {
                    self.data.extend_from_slice(&buf[..n.min(buf.len())]);
                    Err(fault())
                }
                None => {
                    self.data.extend_from_slice(buf);
                    Ok(())
                }
            }
        }
        fn sync(&mut self) -> io::Result<()> {
            if self.fail_syncs > 0 {
                self.fail_syncs -= 1;
                return Err(fault());
            }
            Ok(())
        }
        fn truncate(&mut self, len: u64) -> io::Result<()> {
            if self.fail_truncate {
                return Err(fault());
            }
            self.data.truncate(usize::try_from(len).unwrap());
            Ok(())
        }
    }

    fn file_with(data: &[u8]) -> FakeFile {
        FakeFile {
            data: data.to_vec(),
            ..FakeFile::default()
        }
    }

    #[test]
    fn successful_commit_keeps_the_batch() {
        let mut file = file_with(b"old\n");
        commit(&mut file, 4, b"new\n").unwrap();
        assert_eq!(file.data, b"old\nnew\n");
    }

    #[test]
    fn partial_write_is_rolled_back() {
        let mut file = file_with(b"old\n");
        file.fail_write_after = Some(2);
        let err = commit(&mut file, 4, b"new\n").unwrap_err();
        assert!(matches!(err, CommitError::RolledBack(_)));
        assert_eq!(file.data, b"old\n");
    }

    #[test]
    fn failed_fsync_is_rolled_back() {
        let mut file = file_with(b"old\n");
        file.fail_syncs = 1;
        let err = commit(&mut file, 4, b"new\n").unwrap_err();
        assert!(matches!(err, CommitError::RolledBack(_)));
        assert_eq!(file.data, b"old\n");
    }

    #[test]
    fn failed_rollback_is_unrecoverable() {
        let mut file = file_with(b"old\n");
        file.fail_syncs = 1;
        file.fail_truncate = true;
        let err = commit(&mut file, 4, b"new\n").unwrap_err();
        assert!(matches!(err, CommitError::Unrecoverable { .. }));

        let mut file = file_with(b"old\n");
        file.fail_syncs = 2; // the batch's fsync, then the rollback's
        let err = commit(&mut file, 4, b"new\n").unwrap_err();
        assert!(matches!(err, CommitError::Unrecoverable { .. }));
    }
}
