//! What can go wrong talking to NATS JetStream, in words a responder can act on. Every
//! variant carries its cause as text (the client's error types are not ours to expose).

use thiserror::Error;

/// Why the NATS store could not do what it was asked.
#[derive(Debug, Error)]
pub enum NatsError {
    /// No server of the list answered (at start, or every reconnect failed).
    #[error("cannot reach NATS (tried {servers}): {reason}")]
    Unreachable {
        /// The servers tried, comma-separated, as configured.
        servers: String,
        /// The client's last error.
        reason: String,
    },
    /// The configuration cannot be used as given (a creds file that cannot be read, a
    /// token variable that is not set, a stream name NATS would refuse).
    #[error("NATS store configuration: {0}")]
    Config(String),
    /// The stream exists with settings other than the configured ones: refused, never
    /// changed behind the operator's back.
    #[error(
        "the JetStream stream `{stream}` exists with other settings than warroom's \
         configuration: {differences}; change the configuration or the stream (`nats stream edit`)"
    )]
    StreamMismatch {
        /// The stream's name.
        stream: String,
        /// Each difference, `setting: stream has X, configuration wants Y`.
        differences: String,
    },
    /// JetStream did not answer in time, has no leader, or lost its quorum: nothing was
    /// acknowledged, and the same request can be tried again once it is back.
    #[error(
        "the NATS JetStream store is unavailable ({op}: {reason}); nothing was \
         acknowledged: try again"
    )]
    Unavailable {
        /// What was being done, e.g. `"append to warroom.incident.INC-1"`.
        op: String,
        /// What the client or server said.
        reason: String,
    },
    /// JetStream refused the request for another reason.
    #[error("NATS JetStream refused to {op}: {reason}")]
    Refused {
        /// What was being done.
        op: String,
        /// What the server said.
        reason: String,
    },
    /// A batch larger than the servers accept in one message.
    #[error(
        "a batch of {bytes} bytes is more than NATS accepts in one message ({max} bytes, \
         the servers' max_payload): nothing was written"
    )]
    TooLarge {
        /// The batch's size as published.
        bytes: usize,
        /// The servers' limit.
        max: usize,
    },
    /// A message on an incident's subject that is not a batch of warroom log lines (the
    /// subject was written by something else).
    #[error(
        "message {stream_seq} on {subject} is not a warroom batch ({reason}): something \
         else wrote to the incident's subject"
    )]
    Malformed {
        /// The incident's subject.
        subject: String,
        /// The message's stream sequence.
        stream_seq: u64,
        /// What is wrong with it.
        reason: String,
    },
}

impl NatsError {
    /// True for errors worth retrying as they are (the store is unavailable for now).
    pub fn is_retryable(&self) -> bool {
        matches!(self, NatsError::Unavailable { .. })
    }
}
