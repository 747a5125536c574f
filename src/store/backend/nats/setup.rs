//! Connecting to NATS and making sure the stream and the key-value buckets are there as
//! configured: created when missing, refused (with each difference named) when a stream
//! of that name exists with other settings.

use std::time::Duration;

use async_nats::jetstream::{self, kv, stream};
use async_nats::{ConnectOptions, ServerAddr};

use super::bridge::{RETRY_PAUSE, TRY_WAIT};
use super::error::NatsError;
use super::{NatsAuth, NatsConfig};

/// How long JetStream may keep a message id to drop a publish retried after a lost ack.
pub(super) const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// The connected client and what the store uses of it.
pub(super) struct Connected {
    pub(super) client: async_nats::Client,
    pub(super) js: jetstream::Context,
    pub(super) stream: stream::Stream,
    pub(super) snapshots: kv::Store,
    pub(super) summaries: kv::Store,
}

/// The stream's subjects: every incident's subject.
pub(super) fn subjects_of(stream: &str) -> String {
    format!("{stream}.incident.>")
}

/// The stream as warroom wants it: one subject per incident, kept forever (no age,
/// size or count limit: an incident log is never trimmed), messages never deleted or
/// purged, on disk, with the configured replicas.
fn wanted_stream(config: &NatsConfig) -> stream::Config {
    stream::Config {
        name: config.stream.clone(),
        subjects: vec![subjects_of(&config.stream)],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        discard: stream::DiscardPolicy::New,
        num_replicas: config.replicas,
        duplicate_window: DUPLICATE_WINDOW,
        deny_delete: true,
        deny_purge: true,
        ..Default::default()
    }
}

/// Each setting of `found` that is not what warroom wants, in words.
fn differences(found: &stream::Config, wanted: &stream::Config) -> Vec<String> {
    let mut out = Vec::new();
    let mut differ = |setting: &str, found: String, wanted: String| {
        if found != wanted {
            out.push(format!(
                "{setting}: the stream has {found}, the configuration wants {wanted}"
            ));
        }
    };
    differ(
        "subjects",
        format!("{:?}", found.subjects),
        format!("{:?}", wanted.subjects),
    );
    differ(
        "replicas",
        found.num_replicas.to_string(),
        wanted.num_replicas.to_string(),
    );
    differ(
        "storage",
        format!("{:?}", found.storage),
        format!("{:?}", wanted.storage),
    );
    differ(
        "retention",
        format!("{:?}", found.retention),
        format!("{:?}", wanted.retention),
    );
    differ(
        "max_age",
        format!("{:?}", found.max_age),
        format!("{:?}", wanted.max_age),
    );
    for (setting, found, wanted) in [
        ("max_msgs", found.max_messages, wanted.max_messages),
        ("max_bytes", found.max_bytes, wanted.max_bytes),
        (
            "max_msgs_per_subject",
            found.max_messages_per_subject,
            wanted.max_messages_per_subject,
        ),
    ] {
        // JetStream reports "no limit" as -1; a config asking for none says 0.
        let limit = |n: i64| {
            if n <= 0 {
                "no limit".to_owned()
            } else {
                n.to_string()
            }
        };
        differ(setting, limit(found), limit(wanted));
    }
    out
}

/// Connects, then finds or creates the stream and the buckets.
pub(super) async fn connect(config: &NatsConfig) -> Result<Connected, NatsError> {
    let tried = config.servers.join(", ");
    let unreachable = |reason: String| NatsError::Unreachable {
        servers: tried.clone(),
        reason,
    };
    let addrs = config
        .servers
        .iter()
        .map(|s| {
            s.parse::<ServerAddr>()
                .map_err(|e| NatsError::Config(format!("`{s}` is not a NATS server URL: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let options =
        match &config.auth {
            NatsAuth::None => ConnectOptions::new(),
            NatsAuth::Token(token) => ConnectOptions::with_token(token.clone()),
            NatsAuth::CredsFile(path) => ConnectOptions::with_credentials_file(path)
                .await
                .map_err(|e| {
                    NatsError::Config(format!(
                        "cannot read the creds file {}: {e}",
                        path.display()
                    ))
                })?,
        };
    // `tls://` servers: TLS is required (never a silent fall back to plain text), and
    // checked against the configured CA or else the system's roots.
    let mut options = options;
    if config.servers.iter().any(|s| s.starts_with("tls://")) {
        options = options.require_tls(true);
    }
    if let Some(ca) = &config.ca {
        if !ca.is_file() {
            return Err(NatsError::Config(format!(
                "cannot read the NATS CA file {}: no such file",
                ca.display()
            )));
        }
        options = options.add_root_certificates(ca.clone());
    }
    let client = options
        .name("warroom")
        .connection_timeout(config.deadline)
        .request_timeout(Some(config.deadline))
        .connect(addrs)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let js = jetstream::ContextBuilder::new()
        .timeout(config.deadline)
        .build(client.clone());
    // Right after a server's crash the stream's and buckets' leaders may still be being
    // elected: their lookups are tried again (each try bounded) until the deadline. A
    // stream with other settings, or a bad configuration, is final at once.
    let started = std::time::Instant::now();
    let tries_until = config.deadline.saturating_sub(TRY_WAIT);
    loop {
        let failure = match tokio::time::timeout(TRY_WAIT, stream_and_buckets(&js, config)).await {
            Ok(Ok((stream, snapshots, summaries))) => {
                return Ok(Connected {
                    client,
                    js,
                    stream,
                    snapshots,
                    summaries,
                });
            }
            Ok(Err(e @ (NatsError::StreamMismatch { .. } | NatsError::Config(_)))) => {
                return Err(e);
            }
            Ok(Err(e)) => e,
            Err(_) => unavailable(
                "find the stream and its buckets",
                format!("no answer within {} s", TRY_WAIT.as_secs_f32()),
            ),
        };
        if started.elapsed() + RETRY_PAUSE >= tries_until {
            return Err(failure);
        }
        tracing::debug!(error = %failure, "the stream is not ready; trying again");
        tokio::time::sleep(RETRY_PAUSE).await;
    }
}

/// Finds (or creates) the stream, checking its settings, and its two buckets.
async fn stream_and_buckets(
    js: &jetstream::Context,
    config: &NatsConfig,
) -> Result<(stream::Stream, kv::Store, kv::Store), NatsError> {
    let wanted = wanted_stream(config);
    let stream = match js.get_stream(&config.stream).await {
        Ok(mut stream) => {
            let found = stream
                .info()
                .await
                .map_err(|e| refused("read the stream's settings", e))?
                .config
                .clone();
            let differences = differences(&found, &wanted);
            if !differences.is_empty() {
                return Err(NatsError::StreamMismatch {
                    stream: config.stream.clone(),
                    differences: differences.join("; "),
                });
            }
            stream
        }
        Err(e) if is_not_found(&e) => js
            .create_stream(wanted)
            .await
            .map_err(|e| refused(&format!("create the stream `{}`", config.stream), e))?,
        Err(e) => {
            return Err(unavailable(
                &format!("find the stream `{}`", config.stream),
                e,
            ));
        }
    };
    let snapshots = bucket(js, config, "snapshots").await?;
    let summaries = bucket(js, config, "summaries").await?;
    Ok((stream, snapshots, summaries))
}

fn is_not_found(error: &jetstream::context::GetStreamError) -> bool {
    matches!(
        error.kind(),
        jetstream::context::GetStreamErrorKind::JetStream(e)
            if e.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND
    )
}

/// The bucket `<stream>_<what>`, created if missing (one value per key: only the latest
/// snapshot or summary matters).
async fn bucket(
    js: &jetstream::Context,
    config: &NatsConfig,
    what: &str,
) -> Result<kv::Store, NatsError> {
    let name = format!("{}_{what}", config.stream);
    if let Ok(store) = js.get_key_value(&name).await {
        return Ok(store);
    }
    // The bucket's stream, made as the client's `create_key_value` would make it: that
    // call first asks for the account's limits, whose answer from a 2.9 server the
    // client cannot read.
    let config = stream::Config {
        name: format!("KV_{name}"),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: 1,
        max_bytes: -1,
        max_message_size: -1,
        storage: stream::StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        num_replicas: config.replicas,
        discard: stream::DiscardPolicy::New,
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    };
    js.create_stream(config)
        .await
        .map_err(|e| refused(&format!("create the key-value bucket `{name}`"), e))?;
    js.get_key_value(&name)
        .await
        .map_err(|e| refused(&format!("open the key-value bucket `{name}`"), e))
}

pub(super) fn refused(op: &str, error: impl std::fmt::Display) -> NatsError {
    NatsError::Refused {
        op: op.to_owned(),
        reason: error.to_string(),
    }
}

pub(super) fn unavailable(op: &str, error: impl std::fmt::Display) -> NatsError {
    NatsError::Unavailable {
        op: op.to_owned(),
        reason: error.to_string(),
    }
}
