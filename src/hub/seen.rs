//! When each responder was last seen by the hub (connected or disconnected), for
//! `warroom token list`. Kept in memory and written to `responders-seen.json` in the
//! data directory (owner-only) at most once a minute per responder — the first sighting
//! at once, later ones by a flush every minute and at shutdown — never on every frame.
//! A lost or damaged file only loses these dates: it is never needed to run.

use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The file's name in the data directory.
pub const SEEN_FILE: &str = "responders-seen.json";
/// A responder's date is written at most this often.
pub const WRITE_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
struct Book {
    seen: BTreeMap<String, DateTime<Utc>>,
    /// When each name's date was last written to the file.
    written: HashMap<String, Instant>,
    /// Dates newer than the file's.
    dirty: bool,
}

#[derive(Debug, Default)]
pub struct SeenBook {
    path: Option<PathBuf>,
    book: Mutex<Book>,
}

/// The dates in a file written by [`SeenBook`]; empty if it is missing or unreadable.
pub fn read(path: &Path) -> BTreeMap<String, DateTime<Utc>> {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

impl SeenBook {
    /// A book kept in `path`, starting from what it holds.
    pub fn open(path: PathBuf) -> SeenBook {
        let seen = read(&path);
        SeenBook {
            path: Some(path),
            book: Mutex::new(Book {
                seen,
                ..Book::default()
            }),
        }
    }

    /// A book that writes nothing (embedded hubs, tests).
    pub fn in_memory() -> SeenBook {
        SeenBook::default()
    }

    /// `name` was seen at `now`. Writes the file if `name` has not been written within
    /// [`WRITE_EVERY`]; otherwise the next flush does.
    pub fn saw(&self, name: &str, now: DateTime<Utc>) {
        let Ok(mut book) = self.book.lock() else {
            return;
        };
        book.seen.insert(name.to_string(), now);
        book.dirty = true;
        let due = book
            .written
            .get(name)
            .is_none_or(|at| at.elapsed() >= WRITE_EVERY);
        if due {
            self.write(&mut book);
        }
    }

    /// Writes the file if any date is newer than it.
    pub fn flush(&self) {
        if let Ok(mut book) = self.book.lock()
            && book.dirty
        {
            self.write(&mut book);
        }
    }

    /// Flushes every [`WRITE_EVERY`] until `stop` turns true.
    pub async fn flush_every(
        self: std::sync::Arc<Self>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut tick = tokio::time::interval(WRITE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => self.flush(),
                () = super::stopping(&mut stop) => return,
            }
        }
    }

    fn write(&self, book: &mut Book) {
        let Some(path) = &self.path else {
            book.dirty = false;
            return;
        };
        let dates: BTreeMap<&str, String> = book
            .seen
            .iter()
            .map(|(name, at)| (name.as_str(), at.to_rfc3339_opts(SecondsFormat::Secs, true)))
            .collect();
        let Ok(json) = serde_json::to_vec_pretty(&dates) else {
            return;
        };
        // Written beside and renamed over, so a reader never sees half a file.
        let tmp = path.with_extension("json.tmp");
        let written =
            crate::store::private::write(&tmp, &json).and_then(|()| std::fs::rename(&tmp, path));
        match written {
            Ok(()) => {
                let now = Instant::now();
                let names: Vec<String> = book.seen.keys().cloned().collect();
                for name in names {
                    book.written.insert(name, now);
                }
                book.dirty = false;
            }
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "cannot record when responders were last seen");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_sighting_is_written_at_once_later_ones_at_most_every_minute() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SEEN_FILE);
        let book = SeenBook::open(path.clone());
        let first = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .to_utc();
        book.saw("alice", first);
        assert_eq!(read(&path).get("alice"), Some(&first));
        let later = first + chrono::Duration::seconds(30);
        book.saw("alice", later);
        assert_eq!(
            read(&path).get("alice"),
            Some(&first),
            "not written again within a minute"
        );
        book.flush();
        assert_eq!(read(&path).get("alice"), Some(&later));
        // A new book starts from the file.
        assert_eq!(
            SeenBook::open(path.clone()).book.lock().unwrap().seen.len(),
            1
        );
        std::fs::write(&path, "garbage").unwrap();
        assert!(read(&path).is_empty());
    }
}
