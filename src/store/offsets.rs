//! The seq → byte offset index of one log, so a page of old events or the events after
//! a snapshot are read without reading the log from its start. Sparse: the start of
//! every [`STRIDE`]th line (seq 1, 1 + STRIDE, …), kept in memory (8 bytes per stride:
//! 8 KB for a million events) and beside the log in `<id>.offsets` (little-endian u64s).
//!
//! The file is a cache, never trusted: its last entry must start a line with the seq it
//! claims, or the whole index is rebuilt by counting lines; entries missing at its end
//! (an index write lost in a crash, a log from before the index) are added by counting
//! the lines after the last one. Counting lines reads bytes, not JSON: a 350 MB log
//! takes a fraction of a second, once. It is written without fsync for the same reason.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::chain::line_head;

/// One entry every this many lines.
pub(crate) const STRIDE: u64 = 1024;

/// The index of one log (see the module doc).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Offsets {
    /// `starts[i]` is where line `i * STRIDE + 1` starts.
    starts: Vec<u64>,
}

/// Where the index of the log at `log` is kept.
pub(crate) fn path_for(log: &Path) -> PathBuf {
    log.with_extension("offsets")
}

impl Offsets {
    /// The index of `file` (the log at `log`, whose complete lines end at or before
    /// `len`), from its `.offsets` file where that is sound, completed by counting lines.
    /// Returns it with the number of complete lines up to `len`.
    pub(crate) fn load(log: &Path, file: &mut File, len: u64) -> io::Result<(Offsets, u64)> {
        let saved = read_saved(&path_for(log));
        let mut offsets = Offsets { starts: saved };
        if !offsets.last_entry_is_sound(file, len) {
            offsets.starts.clear();
        }
        let known = offsets.starts.len();
        let lines = offsets.extend_by_counting(file, len)?;
        if offsets.starts.len() != known || known == 0 {
            // Best effort: a missing index file is only rebuilt again next time.
            let _ = offsets.save(log);
        }
        Ok((offsets, lines))
    }

    /// Where the nearest indexed line at or before `seq` starts: (its seq, its offset).
    pub(crate) fn at_or_before(&self, seq: u64) -> (u64, u64) {
        let index = usize::try_from(seq.saturating_sub(1) / STRIDE).unwrap_or(usize::MAX);
        let index = index.min(self.starts.len().saturating_sub(1));
        match self.starts.get(index) {
            Some(&offset) => (index as u64 * STRIDE + 1, offset),
            None => (1, 0),
        }
    }

    /// Records that line `seq` starts at `offset`, if `seq` is an indexed line not yet
    /// known; returns whether it was recorded (the caller then appends it to the file).
    pub(crate) fn record(&mut self, seq: u64, offset: u64) -> bool {
        let next = self.starts.len() as u64 * STRIDE + 1;
        if seq != next {
            return false;
        }
        self.starts.push(offset);
        true
    }

    /// Appends the entries from `from_index` on to the file (a best-effort cache).
    pub(crate) fn append_to_file(&self, log: &Path, from_index: usize) {
        let bytes: Vec<u8> = self
            .starts
            .iter()
            .skip(from_index)
            .flat_map(|o| o.to_le_bytes())
            .collect();
        let path = path_for(log);
        let appended = crate::store::private::file_options()
            .append(true)
            .create(true)
            .open(&path)
            .and_then(|mut file| file.write_all(&bytes));
        if appended.is_err() {
            // A short or missing index is completed by counting at the next open.
            let _ = std::fs::remove_file(&path);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    fn save(&self, log: &Path) -> io::Result<()> {
        let path = path_for(log);
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let bytes: Vec<u8> = self.starts.iter().flat_map(|o| o.to_le_bytes()).collect();
        let mut file = crate::store::private::file_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        file.write_all(&bytes)?;
        std::fs::rename(&tmp, &path)
    }

    /// True if the last entry starts a line with the seq it claims, before `len`.
    fn last_entry_is_sound(&self, file: &mut File, len: u64) -> bool {
        let Some((&last, before)) = self.starts.split_last() else {
            return true;
        };
        let increasing = before.windows(2).all(|w| w[0] < w[1])
            && before.last().is_none_or(|&b| b < last)
            && self.starts.first() == Some(&0);
        if !increasing || last >= len {
            return false;
        }
        let claimed = (self.starts.len() as u64 - 1) * STRIDE + 1;
        match read_line_at(file, last, len) {
            Ok(Some(line)) => line_head(&line).is_some_and(|(seq, _)| seq == claimed),
            _ => false,
        }
    }

    /// Counts the complete lines after the last entry up to `len`, recording each indexed
    /// one; returns the number of complete lines in the file.
    fn extend_by_counting(&mut self, file: &mut File, len: u64) -> io::Result<u64> {
        let (mut seq, mut offset) = match self.starts.last() {
            Some(&last) => ((self.starts.len() as u64 - 1) * STRIDE + 1, last),
            None => (1, 0),
        };
        if self.starts.is_empty() && len > 0 {
            self.starts.push(0);
        }
        file.seek(SeekFrom::Start(offset))?;
        let mut reader = BufReader::with_capacity(1 << 20, file.take(len.saturating_sub(offset)));
        loop {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let read = buf.len();
            // Each '\n' ends line `seq`; the next line starts right after it.
            for (i, _) in buf.iter().enumerate().filter(|(_, b)| **b == b'\n') {
                seq += 1;
                let start = offset + i as u64 + 1;
                if start < len {
                    self.record(seq, start);
                }
            }
            offset += read as u64;
            reader.consume(read);
        }
        // An entry for a line that never ended (a torn tail) is not a line.
        let lines = seq - 1;
        let whole = usize::try_from(lines.div_ceil(STRIDE)).unwrap_or(usize::MAX);
        self.starts.truncate(whole);
        Ok(lines)
    }
}

/// The saved entries, cut to whole ones; empty if there is no file.
fn read_saved(path: &Path) -> Vec<u64> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    bytes
        .chunks_exact(8)
        .map(|chunk| {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            u64::from_le_bytes(word)
        })
        .collect()
}

/// The line starting at `offset` (without its `\n`), if it ends before `len`.
pub(crate) fn read_line_at(file: &mut File, offset: u64, len: u64) -> io::Result<Option<Vec<u8>>> {
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = BufReader::new(file.take(len.saturating_sub(offset)));
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    Ok(line.strip_suffix(b"\n").map(<[u8]>::to_vec))
}
