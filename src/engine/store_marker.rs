//! The note a hub leaves in its data directory when its incidents live in a NATS
//! JetStream stream (`<data>/store.json`: the store as `/health` reports it, never a
//! credential). A local command (no `--hub`) reads a data directory's files; pointed
//! at such a directory it would find none and say "no incidents" in the middle of one.
//! With the note it says where the incidents are and how to reach them instead.

use std::path::PathBuf;

use super::DataDir;

impl DataDir {
    fn store_note_path(&self) -> PathBuf {
        self.root().join("store.json")
    }

    /// Leaves (for a NATS store) or clears (for the file store) the note. Called by
    /// the hub at start; a failure is only logged by the caller: the note is a help.
    pub fn note_store(&self) -> std::io::Result<()> {
        let path = self.store_note_path();
        if !self.is_shared() {
            return match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            };
        }
        let mut health = self.store_health();
        if let Some(fields) = health.as_object_mut() {
            fields.remove("connected"); // a moment's state, not where the incidents are
        }
        crate::store::private::create_dir_all(self.root())?;
        crate::store::private::write(&path, format!("{health:#}\n").as_bytes())
    }

    /// Why a local command must not read this directory's files (its hub keeps the
    /// incidents in a stream), naming the stream and the servers; `None` if it may.
    pub fn kept_elsewhere(&self) -> Option<String> {
        if self.is_shared() {
            return None;
        }
        let text = std::fs::read_to_string(self.store_note_path()).ok()?;
        let note: serde_json::Value = serde_json::from_str(&text).ok()?;
        if note["kind"] != "nats" {
            return None;
        }
        let stream = note["stream"].as_str().unwrap_or("?");
        let servers: Vec<&str> = note["servers"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
            .unwrap_or_default();
        Some(format!(
            "the incidents of {} are kept by its hub in the NATS stream `{stream}` ({}), not in files: run this through a hub (--hub URL or $WARROOM_HUB, with your token), or copy them out first with `warroom migrate --from {} --to DIR`",
            self.root().display(),
            servers.join(", "),
            servers.join(","),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_without_a_note_or_with_the_file_store_is_read_locally() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        assert_eq!(data.kept_elsewhere(), None);
        std::fs::write(dir.path().join("store.json"), r#"{"kind":"file"}"#).unwrap();
        assert_eq!(data.kept_elsewhere(), None);
        data.note_store().unwrap();
        assert!(
            !dir.path().join("store.json").exists(),
            "the file store clears it"
        );
    }

    #[test]
    fn a_note_of_a_stream_names_it_and_the_way_in() {
        let dir = tempfile::tempdir().unwrap();
        let note =
            r#"{"kind":"nats","servers":["nats://a:4222","nats://b:4222"],"stream":"warroom"}"#;
        std::fs::write(dir.path().join("store.json"), note).unwrap();
        let why = DataDir::new(dir.path()).kept_elsewhere().unwrap();
        assert!(
            why.contains("NATS stream `warroom` (nats://a:4222, nats://b:4222)"),
            "{why}"
        );
        assert!(why.contains("--hub URL"), "{why}");
        assert!(
            why.contains("warroom migrate --from nats://a:4222,nats://b:4222 --to DIR"),
            "{why}"
        );
    }
}
