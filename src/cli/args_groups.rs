//! The subcommands of `warroom`'s command groups, as clap types: `bench`, `followup`,
//! `responder`, `token` and `tls`. Split from `args.rs` (the top-level commands), which
//! re-exports them.

use super::options::ClientOptions;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// The hub on loopback against a bare WebSocket broadcast, same libraries, same run.
    Hub {
        /// Subscriber counts to measure, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "10,100,500")]
        clients: Vec<usize>,
        /// Notes the latency writer sends (5 ms apart).
        #[arg(long, default_value_t = 200)]
        commands: usize,
        /// Writer connections in the throughput run.
        #[arg(long, default_value_t = 100)]
        writers: usize,
        /// Notes each throughput writer pipelines (the per-connection burst is 200).
        #[arg(long, default_value_t = 200)]
        per_writer: usize,
        /// Keep the hub's incidents in NATS JetStream at these servers (comma-separated
        /// nats:// URLs; a fresh stream per run) instead of files.
        #[arg(long, value_delimiter = ',', value_name = "URL")]
        nats: Vec<String>,
        /// The stream's replicas with --nats (3 for a three-server cluster).
        #[arg(long, default_value_t = 1)]
        nats_replicas: usize,
        /// With --nats: hubs sharing the stream in the latency run, subscribers dealt
        /// out across them, the writer on the first.
        #[arg(long, default_value_t = 1)]
        hubs: usize,
    },
    /// A large data directory built through the engine: time and peak memory of verify,
    /// status, list and serve (as child processes of this binary).
    Store {
        /// Events in the big incident (BENCH-BIG).
        #[arg(long, default_value_t = 100_000)]
        events: u64,
        /// Incidents in all, the big one included.
        #[arg(long, default_value_t = 100)]
        incidents: usize,
        /// Events in each of the other incidents.
        #[arg(long, default_value_t = 1_000)]
        each: u64,
        /// Build the data directory here and keep it (reused if it already holds
        /// BENCH-BIG); a temporary directory otherwise.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Runs warroom ARGS and prints its peak memory and wall time (used by `bench store`).
    #[command(hide = true)]
    Peak {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// A headless console joining an incident (used by `bench store`).
    #[command(hide = true)]
    JoinProbe {
        /// The hub's URL (not `--hub`: this is no client command).
        #[arg(long)]
        url: String,
        incident: String,
    },
    /// The console with a very long timeline: frame time, bytes written, memory.
    Console {
        #[arg(long, default_value_t = 100_000)]
        entries: usize,
        #[arg(long, default_value_t = 160)]
        width: u16,
        #[arg(long, default_value_t = 48)]
        height: u16,
    },
}

/// `warroom followup …`: one incident's follow-ups.
#[derive(Debug, Subcommand)]
pub enum FollowupAction {
    /// Add a follow-up with one owner and a due date (YYYY-MM-DD, not in the past).
    Add {
        incident: String,
        text: String,
        #[arg(long)]
        owner: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        due: String,
        #[arg(long, value_name = "P1|P2|P3|P4", default_value = "P2")]
        priority: String,
        /// The timeline entry (its #seq) it comes from.
        #[arg(long, value_name = "SEQ", conflicts_with = "from_item")]
        from_entry: Option<u64>,
        /// The checklist item (its id) it comes from.
        #[arg(long, value_name = "ITEM")]
        from_item: Option<String>,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Mark follow-up N done.
    Done {
        incident: String,
        number: u32,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Mark follow-up N as won't do.
    Wont {
        incident: String,
        number: u32,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Open follow-up N again.
    Reopen {
        incident: String,
        number: u32,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Send follow-up N to an issue tracker of the hub (`[[tracker]]`) and record the
    /// created issue's URL on it; waits for the outcome.
    Send {
        incident: String,
        number: u32,
        /// Which tracker (may be left out when the hub has exactly one).
        #[arg(long, value_name = "NAME")]
        tracker: Option<String>,
        #[command(flatten)]
        client: ClientOptions,
    },
}

impl FollowupAction {
    pub fn client(&self) -> &ClientOptions {
        match self {
            FollowupAction::Add { client, .. }
            | FollowupAction::Done { client, .. }
            | FollowupAction::Wont { client, .. }
            | FollowupAction::Reopen { client, .. }
            | FollowupAction::Send { client, .. } => client,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ResponderAction {
    /// Let a responder in through the SSH door with a public key (an OpenSSH `.pub`
    /// file). A running hub picks it up within a second.
    AddKey {
        /// The responder's name (as in `warroom token list`).
        name: String,
        /// Their public key file, e.g. ~/.ssh/id_ed25519.pub.
        #[arg(value_name = "FILE.pub")]
        key: PathBuf,
        /// The hub configuration (default as for `token new`).
        #[arg(long, value_name = "FILE", default_value_os_t = crate::hub::config::default_path())]
        config: PathBuf,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum TokenAction {
    /// Create a token for a responder: prints it once, stores only its SHA-256 in the config.
    #[command(
        after_help = "A running hub picks the new responder up within a second (it watches its \
                      configuration file; SIGHUP reloads it too). Give the printed token to the \
                      responder (they set WARROOM_TOKEN); it is never shown again."
    )]
    New {
        /// The responder's name: the actor on every event they cause, and how others name
        /// them (e.g. `warroom assign INC scribe NAME`). Not empty, not starting `system:`.
        #[arg(long)]
        name: String,
        /// commander, scribe, comms, ops, security, responder or observer; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Also let them in through the SSH door with this public key (an OpenSSH
        /// `.pub` file: `ssh-ed25519 AAAA… alice@laptop`).
        #[arg(long = "ssh-key", value_name = "FILE.pub")]
        ssh_key: Option<PathBuf>,
        /// The hub configuration to add the responder to (created if missing): the file
        /// `warroom serve --config` reads. Default: $WARROOM_CONFIG, else warroom/warroom.toml
        /// in the user config directory (~/.config on Linux), shown here.
        #[arg(long, value_name = "FILE", default_value_os_t = crate::hub::config::default_path())]
        config: PathBuf,
    },
    /// List the responders: name, roles, when their token was made, when the hub last
    /// saw them. Never a token or its hash.
    List {
        /// The hub configuration (default as for `token new`).
        #[arg(long, value_name = "FILE", default_value_os_t = crate::hub::config::default_path())]
        config: PathBuf,
        /// The hub's data directory, where it keeps when each responder was last seen
        /// (default: the config's `data`, else as for `serve`).
        #[arg(long, env = "WARROOM_DATA", value_name = "DIR")]
        data: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a responder: remove every token of NAME from the configuration. A running
    /// hub reloads it and closes their sessions within a second.
    Revoke {
        name: String,
        /// The hub configuration (default as for `token new`).
        #[arg(long, value_name = "FILE", default_value_os_t = crate::hub::config::default_path())]
        config: PathBuf,
    },
    /// Give a responder a new token (printed once; only its SHA-256 is stored): the old
    /// one stops working, and a running hub closes its sessions within a second.
    Rotate {
        name: String,
        /// The hub configuration (default as for `token new`).
        #[arg(long, value_name = "FILE", default_value_os_t = crate::hub::config::default_path())]
        config: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum TlsAction {
    /// Make a certificate and key for a hub without a CA: cert.pem and key.pem (0600) in
    /// --out, and print the SHA-256 fingerprint clients pin with --fingerprint.
    #[command(
        after_help = "Then, in the hub configuration: tls_cert = \"DIR/cert.pem\" and \
                      tls_key = \"DIR/key.pem\". Clients connect with --hub https://NAME:PORT and \
                      --fingerprint (or --ca DIR/cert.pem)."
    )]
    SelfSigned {
        /// A name or IP address clients connect by; repeat for several.
        #[arg(long = "host", value_name = "NAME", required = true)]
        hosts: Vec<String>,
        /// The directory to write cert.pem and key.pem into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// How many days the certificate is valid.
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
}
