//! `warroom migrate`: copies every incident between a file data directory and a NATS
//! JetStream stream, either way. Each log is copied as its stored bytes (the event JSON
//! as hashed, re-chained by the shared batch encoding into the same hashes), its chain
//! verified on the source before and on the destination after; the snapshot comes
//! along and the summary is written again from the copy. Re-running is safe: an
//! incident already there with the same head is skipped, one cut short by an earlier
//! run is finished, and one with another history is refused and left untouched.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::de::Error as _;
use serde_json::value::RawValue;

use super::backend::{CliError, usage};
use super::output::emit;
use crate::engine::DataDir;
use crate::incident::safe_text::neutralise;
use crate::store::{
    AnyLog, AnyStore, Head, IncidentLog, IncidentStore, LogRecord, MAX_RANGE, NatsAuth, NatsConfig,
    NatsStore, StoreError, StoredEvent,
};

/// What `warroom migrate` was told.
pub(super) struct MigrateArgs<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub stream: &'a str,
    pub replicas: usize,
    pub creds: Option<&'a Path>,
    /// The name of an environment variable holding a NATS token.
    pub token_env: Option<&'a str>,
    /// The CA of tls:// servers.
    pub nats_ca: Option<&'a Path>,
}

/// Most events in one append: a batch is one JetStream message, which must stay under
/// the servers' `max_payload` (1 MiB by default).
const BATCH_EVENTS: usize = 1024;
/// Most bytes of event JSON in one append, for the same reason (lines add ~150 bytes
/// of chain each, counted too).
const BATCH_BYTES: usize = 256 * 1024;

/// One end of the copy.
enum End {
    Dir(PathBuf),
    Nats(Vec<String>),
}

impl End {
    fn parse(text: &str) -> Result<End, CliError> {
        let is_url = |s: &str| s.starts_with("nats://") || s.starts_with("tls://");
        if !is_url(text) {
            return Ok(End::Dir(PathBuf::from(text)));
        }
        let servers: Vec<String> = text.split(',').map(|s| s.trim().to_owned()).collect();
        if let Some(bad) = servers
            .iter()
            .find(|s| !is_url(s) || s.split_once("://").is_none_or(|(_, h)| h.is_empty()))
        {
            return Err(usage(format!(
                "`{bad}` is not a NATS server URL: write nats://HOST:PORT (several comma-separated)"
            )));
        }
        Ok(End::Nats(servers))
    }

    fn describe(&self) -> String {
        match self {
            End::Dir(path) => path.display().to_string(),
            End::Nats(servers) => servers.join(","),
        }
    }
}

/// How one incident fared.
enum Moved {
    Copied {
        events: u64,
        head: Head,
        snapshot: Option<u64>,
    },
    Finished {
        from: u64,
        head: Head,
        snapshot: Option<u64>,
    },
    AlreadyThere {
        head: Head,
    },
    /// The destination holds the source's whole history and more (an older backup
    /// copied back): nothing to do.
    Ahead {
        head: Head,
        source: Head,
    },
}

/// Runs the copy; exits non-zero if any incident failed.
pub(super) fn run(
    args: &MigrateArgs<'_>,
    out: &mut dyn std::io::Write,
) -> Result<ExitCode, CliError> {
    let from = End::parse(args.from)?;
    let to = End::parse(args.to)?;
    let nats_ends = [&from, &to]
        .iter()
        .filter(|e| matches!(e, End::Nats(_)))
        .count();
    if nats_ends != 1 {
        return Err(usage(
            "migrate copies between a data directory and NATS: exactly one of --from and --to must be nats://HOST:PORT",
        ));
    }
    if args.replicas == 0 || args.replicas > 5 {
        return Err(usage("--replicas must be 1 to 5"));
    }
    let source = open_end(&from, args, false)?;
    let destination = open_end(&to, args, true)?;
    let ids = source.ids()?;
    emit(
        out,
        &neutralise(&format!(
            "migrating {} incident(s) from {} to {}",
            ids.len(),
            from.describe(),
            to.describe()
        )),
    )?;
    let (mut copied, mut there, mut failed) = (0, 0, 0);
    for id in &ids {
        let line = match migrate_one(&source, &destination, id) {
            Ok(Moved::Copied {
                events,
                head,
                snapshot,
            }) => {
                copied += 1;
                format!(
                    "{id}: copied {events} events, head {head}{}",
                    snapshot_note(snapshot)
                )
            }
            Ok(Moved::Finished {
                from,
                head,
                snapshot,
            }) => {
                copied += 1;
                format!(
                    "{id}: extended the copy there from seq {from}, head {head}{}",
                    snapshot_note(snapshot)
                )
            }
            Ok(Moved::AlreadyThere { head }) => {
                there += 1;
                format!("{id}: already there, head {head}")
            }
            Ok(Moved::Ahead { head, source }) => {
                there += 1;
                format!(
                    "{id}: already there and further on, head {head} (the source ends at {source}); left as it is"
                )
            }
            Err(why) => {
                failed += 1;
                format!("{id}: FAILED: {why}")
            }
        };
        emit(out, &neutralise(&line))?;
    }
    emit(
        out,
        &format!(
            "{} incident(s): {copied} copied, {there} already there, {failed} failed",
            ids.len()
        ),
    )?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn snapshot_note(snapshot: Option<u64>) -> String {
    snapshot.map_or(String::new(), |seq| format!(", snapshot at seq {seq}"))
}

/// The data directory (or stream) at `end`. A directory a hub serves is refused: the
/// hub is its only writer.
fn open_end(end: &End, args: &MigrateArgs<'_>, destination: bool) -> Result<DataDir, CliError> {
    match end {
        End::Dir(path) => {
            let dir = DataDir::new(path);
            dir.check_no_hub()?;
            let incidents = dir.incidents_dir();
            if destination {
                crate::store::private::create_dir_all(&incidents).map_err(|cause| {
                    CliError::Failed(format!("cannot create {}: {cause}", incidents.display()))
                })?;
            } else if !incidents.is_dir() {
                return Err(CliError::Failed(format!(
                    "{} holds no incidents/ directory: is it a warroom data directory?",
                    path.display()
                )));
            }
            Ok(dir)
        }
        End::Nats(servers) => {
            let mut config = NatsConfig::new(servers.clone());
            config.stream = args.stream.to_owned();
            config.replicas = args.replicas;
            config.ca = args.nats_ca.map(Path::to_path_buf);
            if let Some(creds) = args.creds {
                config.auth = NatsAuth::CredsFile(creds.to_owned());
            } else if let Some(name) = args.token_env {
                // Named, never given: a token on the command line would be in `ps`.
                let token = std::env::var(name)
                    .map_err(|_| usage(format!("--token-env names ${name}, which is not set")))?;
                config.auth = NatsAuth::Token(token);
            }
            let store = NatsStore::connect(&config)
                .map_err(|e| CliError::Failed(format!("cannot open the NATS stream: {e}")))?;
            // The directory is not used: every incident is in the stream.
            Ok(DataDir::new(PathBuf::new()).with_nats(store))
        }
    }
}

/// Copies incident `id`, or says why not (in words, for its line of output).
fn migrate_one(source: &DataDir, destination: &DataDir, id: &str) -> Result<Moved, String> {
    crate::incident::limits::check_incident_id(id)
        .map_err(|_| "its name is not a valid incident id; left where it is".to_string())?;
    let from_store = source.store();
    let to_store = destination.store();
    // The incident the log holds must be the one its name says (a copied file is not).
    // Dropped at once: a file log is locked while open, and it is opened again below.
    drop(
        source
            .open(id)
            .map_err(|e| format!("the source cannot be opened: {e}"))?,
    );
    // The whole chain, checked line by line before anything is copied.
    let verified = from_store
        .open_replaying::<RawEvent>(id, None, &mut |_| {})
        .map_err(|e| format!("the source failed verification: {e}"))?;
    let src_log = verified.log;
    let src_head = IncidentLog::head(&src_log);
    if src_head.seq == 0 {
        return Err("its log is empty (a declare that never completed); nothing to copy".into());
    }

    let there = to_store
        .stored_head(id)
        .map_err(|e| format!("cannot read the destination: {e}"))?;
    let (mut dst_log, start) = match there {
        Some(head) if head == src_head => return Ok(Moved::AlreadyThere { head }),
        Some(head) if head.seq < src_head.seq && hash_at(&src_log, head.seq)? == head.hash => {
            // An earlier run stopped part-way: the destination is a prefix of the
            // source. Verify it, then go on from its head.
            let resumed = to_store
                .open_replaying::<RawEvent>(id, None, &mut |_| {})
                .map_err(|e| format!("the destination's partial copy failed verification: {e}"))?;
            (Some(resumed.log), head.seq)
        }
        Some(head)
            if head.seq > src_head.seq
                && to_store
                    .open_replaying::<RawEvent>(id, Some(&src_head), &mut |_| {})
                    .is_ok() =>
        {
            return Ok(Moved::Ahead {
                head,
                source: src_head,
            });
        }
        Some(head) => {
            return Err(format!(
                "the destination already holds a different history of it (there: head {head}; here: head {src_head}); nothing was overwritten"
            ));
        }
        None => (None, 0),
    };
    if dst_log.is_none()
        && matches!(&destination.store(), AnyStore::Nats(store) if store.contains(id).unwrap_or(true))
    {
        return Err(
            "the destination's subject for it holds something unreadable; nothing was overwritten"
                .into(),
        );
    }

    let mut seq = start;
    while seq < src_head.seq {
        let to = (seq + MAX_RANGE).min(src_head.seq);
        let page = src_log
            .read_range(seq + 1, to)
            .map_err(|e| format!("cannot read the source at seq {}: {e}", seq + 1))?;
        for batch in batches(&page) {
            let raw = batch
                .iter()
                .map(RawEvent::of)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("the source's event {seq} cannot be copied: {e}"))?;
            dst_log = Some(match dst_log.take() {
                None => to_store
                    .create(id, &raw)
                    .map(|(log, _)| log)
                    .map_err(|e| write_failed(id, &e))?,
                Some(mut log) => {
                    let expected = IncidentLog::head(&log);
                    log.append(&expected, &raw)
                        .map_err(|e| write_failed(id, &e))?;
                    log
                }
            });
        }
        seq = to;
    }
    drop(dst_log);

    // The copy, checked as the source was: every line of the chain, and the same head.
    let copy = to_store
        .open_replaying::<RawEvent>(id, None, &mut |_| {})
        .map_err(|e| format!("the copy failed verification: {e}"))?;
    let mut copy_log = copy.log;
    let copy_head = IncidentLog::head(&copy_log);
    if copy_head != src_head {
        return Err(format!(
            "the copy ends at {copy_head}, not at the source's head {src_head}"
        ));
    }
    let snapshot = copy_snapshot(&from_store, &mut copy_log, id);
    drop(copy_log);
    // Opening the copy through the engine checks it holds this incident (from the
    // snapshot just copied, which is therefore checked too) and writes its summary.
    let mut incident = destination
        .open(id)
        .map_err(|e| format!("the copy cannot be opened: {e}"))?;
    incident.write_summary();
    Ok(if start == 0 {
        Moved::Copied {
            events: src_head.seq,
            head: src_head,
            snapshot,
        }
    } else {
        Moved::Finished {
            from: start,
            head: src_head,
            snapshot,
        }
    })
}

fn write_failed(id: &str, error: &StoreError) -> String {
    format!("cannot write {id} to the destination: {error}")
}

/// The chain hash of event `seq` in `log`.
fn hash_at(log: &AnyLog, seq: u64) -> Result<String, String> {
    if seq == 0 {
        return Ok(crate::store::GENESIS_PREV.to_owned());
    }
    log.read_range(seq, seq)
        .map_err(|e| format!("cannot read the source at seq {seq}: {e}"))?
        .pop()
        .map(|event| event.hash)
        .ok_or_else(|| format!("the source has no event {seq}"))
}

/// Copies the source's snapshot, if it has a usable one: its seq. A snapshot that does
/// not decode is left behind (opening the copy replays and may write a new one).
fn copy_snapshot(from: &AnyStore, to: &mut AnyLog, id: &str) -> Option<u64> {
    let pinned = from.read_snapshot_of(id).ok().flatten()?;
    crate::incident::snapshot::decode(&pinned.bytes).ok()?;
    match to.write_snapshot(&pinned) {
        Ok(()) => Some(pinned.head.seq),
        Err(error) => {
            tracing::warn!(incident = %id, %error, "the snapshot was not copied; the copy replays its log");
            None
        }
    }
}

/// `page` cut into appends small enough for one JetStream message each.
fn batches(page: &[StoredEvent]) -> Vec<&[StoredEvent]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, event) in page.iter().enumerate() {
        let size = event.json.len() + 160;
        if i > start && (i - start >= BATCH_EVENTS || bytes + size > BATCH_BYTES) {
            out.push(&page[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < page.len() {
        out.push(&page[start..]);
    }
    out
}

/// An event as stored, carried as its exact JSON: serializing it writes those bytes
/// back unchanged, so the destination hashes what the source hashed. Copying through
/// the domain's `Event` would re-serialize it, and any difference (a field an older
/// version wrote) would change the hash.
#[derive(Debug)]
struct RawEvent {
    seq: u64,
    json: Box<RawValue>,
}

impl RawEvent {
    fn of(stored: &StoredEvent) -> Result<RawEvent, serde_json::Error> {
        let json = RawValue::from_string(stored.json.to_string())?;
        Ok(RawEvent {
            seq: stored.seq,
            json,
        })
    }
}

impl LogRecord for RawEvent {
    fn seq(&self) -> u64 {
        self.seq
    }
}

impl serde::Serialize for RawEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for RawEvent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<RawEvent, D::Error> {
        #[derive(serde::Deserialize)]
        struct SeqOnly {
            seq: u64,
        }
        let json = Box::<RawValue>::deserialize(deserializer)?;
        let SeqOnly { seq } = serde_json::from_str(json.get()).map_err(D::Error::custom)?;
        Ok(RawEvent { seq, json })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn stored(seq: u64, json: &str) -> StoredEvent {
        StoredEvent {
            seq,
            hash: String::new(),
            json: Arc::from(json),
        }
    }

    #[test]
    fn a_raw_event_serializes_to_its_exact_stored_bytes() {
        // Key order and spacing a re-serialization of the domain type would not keep.
        let json = r#"{"seq":7,"zeta":1,"alpha":"x\u00e9"}"#;
        let raw = RawEvent::of(&stored(7, json)).unwrap();
        assert_eq!(serde_json::to_string(&raw).unwrap(), json);
        let back: RawEvent = serde_json::from_str(json).unwrap();
        assert_eq!(back.seq, 7);
        assert_eq!(back.json.get(), json);
    }

    #[test]
    fn batches_stay_under_the_message_size_and_keep_every_event_in_order() {
        let big = "x".repeat(100 * 1024);
        let page: Vec<StoredEvent> = (1..=5)
            .map(|seq| stored(seq, &format!(r#"{{"seq":{seq},"t":"{big}"}}"#)))
            .chain((6..=3000).map(|seq| stored(seq, &format!(r#"{{"seq":{seq}}}"#))))
            .collect();
        let cut = batches(&page);
        assert!(cut.len() > 3, "{} batches", cut.len());
        let seqs: Vec<u64> = cut.iter().flat_map(|b| b.iter().map(|e| e.seq)).collect();
        assert_eq!(seqs, (1..=3000).collect::<Vec<_>>());
        for batch in cut {
            let bytes: usize = batch.iter().map(|e| e.json.len() + 160).sum();
            assert!(batch.len() <= BATCH_EVENTS);
            assert!(batch.len() == 1 || bytes <= BATCH_BYTES, "{bytes}");
        }
    }

    #[test]
    fn an_end_is_a_directory_unless_it_is_a_nats_url() {
        assert!(matches!(End::parse("/var/lib/warroom"), Ok(End::Dir(_))));
        match End::parse("nats://a:4222,nats://b:4222") {
            Ok(End::Nats(servers)) => assert_eq!(servers, ["nats://a:4222", "nats://b:4222"]),
            _ => panic!("two servers"),
        }
        assert!(End::parse("nats://a:4222,/tmp/x").is_err());
        assert!(End::parse("nats://").is_err());
    }
}
