//! The command line, as clap types. Parsing only; `run.rs` does the work. Each
//! subcommand declares the option groups it uses (see `options.rs`), after its name:
//! nothing is global, so `warroom COMMAND --help` offers only what that command reads.

use super::options::{
    CatalogOptions, ClientOptions, ConsoleOptions, DataOptions, HubTarget, HubTrust, LookOptions,
    ReaderOptions,
};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

pub use super::args_groups::{BenchWhat, FollowupAction, ResponderAction, TlsAction, TokenAction};

#[derive(Debug, Parser)]
#[command(
    name = "warroom",
    version,
    about = "A terminal war-room console for incident response",
    long_about = "A terminal war-room console for incident response on multi-tenant AI/agent \
                  platforms. Declare an incident, keep a UTC timeline, work the checklist and \
                  playbooks, track the blast radius and regulatory clocks, and export the \
                  ticket and post-mortem, all from an SSH session.",
    after_help = "Data lives in --data DIR, $WARROOM_DATA, or the user data directory \
                  (~/.local/share/warroom on Linux). Options go after the command they \
                  belong to (`warroom note ID TEXT --data DIR`); `warroom COMMAND --help` \
                  lists each command's. `warroom roles` shows who may do what.",
    // The options here are `warroom` alone's: given before a command they would be
    // silently ignored by it, so clap refuses them (see `Cli::parse_args`).
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// With no command: the console's options.
    #[command(flatten)]
    pub console: ConsoleOptions,
    /// With no command: the console on an embedded hub (in a terminal), or a summary of
    /// the incidents (when output is not a terminal).
    #[command(subcommand)]
    pub command: Option<CliCommand>,
}

impl Cli {
    /// Parses the process's arguments; on an error, prints it and exits (2).
    pub fn parse_args() -> Cli {
        Cli::try_parse()
            .map_err(with_placement_tip)
            .unwrap_or_else(|error| error.exit())
    }
}

/// An option given before a command belongs to `warroom` alone: say where it goes.
pub fn with_placement_tip(mut error: clap::Error) -> clap::Error {
    if error.kind() != ErrorKind::ArgumentConflict {
        return error;
    }
    let Some(ContextValue::String(command)) = error.get(ContextKind::InvalidSubcommand) else {
        return error;
    };
    // The option as clap shows it (`--data <DIR>`); the first when there are several.
    let option = match error.get(ContextKind::PriorArg) {
        Some(ContextValue::String(one)) => one.clone(),
        Some(ContextValue::Strings(many)) => many.first().cloned().unwrap_or_default(),
        _ => String::new(),
    };
    let option = if option.is_empty() {
        "OPTIONS"
    } else {
        &option
    };
    let tip = format!(
        "options go after the command they belong to: `warroom {command} … {option}`; \
         `warroom {command} --help` lists its options"
    );
    error.insert(
        ContextKind::Suggested,
        ContextValue::StyledStrs(vec![tip.into()]),
    );
    error
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Declare a new incident and print its id.
    Declare {
        #[arg(long)]
        title: String,
        /// SEV1..SEV5 or P0..P4; if unsure, SEV2.
        #[arg(long, default_value = "SEV2")]
        severity: String,
        /// Apply a playbook right away (`warroom playbooks` lists them).
        #[arg(long)]
        playbook: Option<String>,
        #[arg(long)]
        summary: Option<String>,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Add a UTC-stamped entry to the timeline.
    Note {
        incident: String,
        text: String,
        /// note, decision or action.
        #[arg(long, default_value = "note")]
        kind: String,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Supersede a timeline entry's text (the original stays in the log).
    Correct {
        incident: String,
        /// The entry's number (#seq in `warroom status`).
        entry: u64,
        text: String,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Tick a checklist item (by number, id, or id suffix).
    Tick {
        incident: String,
        item: String,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Untick a checklist item.
    Untick {
        incident: String,
        item: String,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Add an ad-hoc checklist item.
    Item {
        incident: String,
        text: String,
        /// The role that owns it (commander, scribe, comms, ops, security, …). Not
        /// `--role`: that names your own roles in local mode.
        #[arg(long, value_name = "ROLE")]
        owner: Option<String>,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Apply a playbook's steps to the checklist.
    Playbook {
        incident: String,
        playbook: String,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Change the severity.
    Severity {
        incident: String,
        severity: String,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Show an incident; with --set, move it through its lifecycle.
    Status {
        incident: String,
        /// investigating, identified, monitoring or resolved.
        #[arg(long)]
        set: Option<String>,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Seat someone in a role (commander, scribe, comms, ops, security).
    Assign {
        incident: String,
        role: String,
        person: String,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Set a tenant × region cell of the blast radius.
    Blast {
        incident: String,
        tenant: String,
        region: String,
        /// unknown, healthy, suspected, degraded, down, isolated, recovered.
        state: String,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Rename a tenant, region or service in the blast radius (a typo, a better name).
    BlastRename {
        incident: String,
        /// tenant, region or service.
        what: String,
        from: String,
        to: String,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Take a tenant, region or service named by mistake off the blast radius (the log
    /// keeps the history).
    BlastRemove {
        incident: String,
        /// tenant, region or service.
        what: String,
        name: String,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Set an affected service's state.
    Service {
        incident: String,
        service: String,
        state: String,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Switch a regulatory flag (and its clocks) on or off.
    Flag {
        incident: String,
        flag: String,
        #[arg(long)]
        off: bool,
        /// When you became aware (RFC 3339, UTC), if earlier than now.
        #[arg(long)]
        aware_at: Option<String>,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Set when the impact started, was detected, mitigated or ended (RFC 3339 or HH:MM
    /// UTC today), and show those times with the response metrics.
    Times {
        incident: String,
        #[arg(long, value_name = "TIME")]
        impact_start: Option<String>,
        #[arg(long, value_name = "TIME")]
        detected: Option<String>,
        #[arg(long, value_name = "TIME")]
        mitigated: Option<String>,
        #[arg(long, value_name = "TIME")]
        impact_end: Option<String>,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Write post-mortem sections (--set SECTION=TEXT or SECTION=@FILE) and show them,
    /// with what is still unwritten.
    Postmortem {
        incident: String,
        #[arg(long = "set", value_name = "SECTION=TEXT")]
        set: Vec<String>,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Add a follow-up, or mark one done, won't do or open again.
    Followup {
        #[command(subcommand)]
        action: FollowupAction,
    },
    /// Follow-ups across every incident (open ones with --open, one owner's, overdue).
    Followups {
        #[arg(long)]
        open: bool,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        overdue: bool,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        client: ReaderOptions,
    },
    /// The incidents of a period together: counts by severity and status, p50/p90 of
    /// time to acknowledge, mitigate and resolve, deadlines, clocks and post-mortems
    /// missed, follow-ups by owner.
    Report {
        /// Only incidents declared within this long, e.g. 90d, 4w.
        #[arg(long, value_name = "AGE")]
        since: Option<String>,
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        #[arg(long)]
        csv: bool,
        #[command(flatten)]
        client: ReaderOptions,
    },
    /// Mark a clock (e.g. a regulatory notification) as met.
    Met {
        incident: String,
        clock: String,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Render a comms template for an incident (fill fields with --set k=v).
    Render {
        incident: String,
        template: String,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        client: ReaderOptions,
    },
    /// List the containment actions (the hub's with --hub; else the actions file named in
    /// the hub configuration).
    Actions {
        /// The hub configuration naming the actions file (local mode; default as for `serve`).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The actions and channels as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        client: ReaderOptions,
    },
    /// Request a containment action; the hub runs it (--dry-run: only show what it would send).
    Act {
        incident: String,
        /// The action's id (`warroom actions` lists them).
        action: String,
        /// A parameter value; repeat for each parameter.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Validate and show the exact request (secrets as ${NAME}); send nothing.
        #[arg(long)]
        dry_run: bool,
        /// The hub configuration naming the actions file (local mode).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Approve a two-person action run requested by someone else.
    Approve {
        incident: String,
        /// The run's number (#N in `warroom runs`).
        run: u64,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Deny a two-person action run.
    Deny {
        incident: String,
        run: u64,
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// List an incident's containment action runs and where each stands.
    Runs {
        incident: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        client: ReaderOptions,
    },
    /// Render a comms template for the incident and publish it (refuses unfilled fields).
    Publish {
        incident: String,
        /// The template's id (`warroom templates` lists them).
        #[arg(long)]
        template: String,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Deliver to this hub channel; repeat for several (default: the template's).
        #[arg(long = "channel", value_name = "NAME")]
        channels: Vec<String>,
        /// The title public updates carry instead of the internal one (required before
        /// the first public update; kept for later ones).
        #[arg(long, value_name = "TEXT")]
        public_title: Option<String>,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// Retry a failed delivery of a published update (#N in `warroom status`) to a channel.
    Retry {
        incident: String,
        published: u64,
        channel: String,
        #[command(flatten)]
        client: ClientOptions,
    },
    /// List incidents (from the summary kept beside each log: no replay).
    List {
        #[arg(long)]
        json: bool,
        /// Which incidents: open (not resolved), resolved, or all.
        #[arg(long, value_name = "open|resolved|all", default_value = "all")]
        status: String,
        /// Only incidents declared within this long, e.g. 30d, 12h, 45m, 2w.
        #[arg(long, value_name = "AGE")]
        since: Option<String>,
        #[command(flatten)]
        client: ReaderOptions,
    },
    /// List playbooks: id and title.
    Playbooks {
        #[command(flatten)]
        catalog: CatalogOptions,
    },
    /// List comms templates: id, audience and title.
    Templates {
        #[command(flatten)]
        catalog: CatalogOptions,
    },
    /// Show who may do what.
    Roles,
    /// Export the incident ticket and post-mortem (md, or html: one self-contained page),
    /// everything (json), or the timeline (csv).
    Export {
        incident: String,
        #[arg(long, default_value = "md")]
        format: String,
        /// With md or html: the ticket, the post-mortem, the timeline alone, or all (the
        /// timeline once, in the ticket).
        #[arg(
            long,
            value_name = "ticket|postmortem|timeline|all",
            default_value = "all"
        )]
        part: String,
        /// Fail, writing nothing, while a post-mortem section is unwritten (and say which).
        #[arg(long)]
        strict: bool,
        /// Write to a file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        client: ReaderOptions,
    },
    /// Open the console on a throw-away demo incident (a SEV1 PII leak across tenants).
    Demo {
        #[command(flatten)]
        catalog: CatalogOptions,
        #[command(flatten)]
        look: LookOptions,
    },
    /// Open the console on a remote hub.
    Join {
        /// The hub, e.g. http://hub.internal:7420 or https://hub.internal:7420 (TLS);
        /// several hubs sharing a replicated store, comma-separated: the console moves to
        /// the next when the one it is on goes away, and its header names the one in use.
        url: String,
        /// Open this incident directly instead of the lobby.
        #[arg(long)]
        incident: Option<String>,
        /// Your responder token (prefer $WARROOM_TOKEN: arguments show in `ps`).
        #[arg(
            long,
            env = "WARROOM_TOKEN",
            value_name = "TOKEN",
            hide_env_values = true
        )]
        token: Option<String>,
        #[command(flatten)]
        trust: HubTrust,
        #[command(flatten)]
        catalog: CatalogOptions,
        #[command(flatten)]
        look: LookOptions,
    },
    /// Open the console on an embedded hub (what `warroom` alone does in a terminal).
    Console {
        /// Open this incident directly instead of the lobby.
        #[arg(long)]
        incident: Option<String>,
        /// Hub configuration with teammates' tokens (default as for `serve`).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        console: ConsoleOptions,
    },
    /// Stream an incident's events as they happen, until interrupted (needs --hub).
    Tail {
        incident: String,
        /// Start after this seq (0: the whole history).
        #[arg(long, default_value_t = 0)]
        since: u64,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        hub: HubTarget,
    },
    /// Run the hub: the single writer that responders' consoles and CLIs connect to.
    Serve {
        /// Address to listen on (default from the config, else 127.0.0.1:7420). Port 0
        /// picks a free port; the address actually bound is printed when the hub starts.
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// Also open the SSH door on this address (default: the config's `ssh_listen`, else
        /// none). Responders log in with the public keys in their `ssh_keys`; port 0 picks
        /// a free port, printed at start.
        #[arg(long = "ssh", value_name = "ADDR")]
        ssh: Option<std::net::SocketAddr>,
        /// The hub configuration (default $WARROOM_CONFIG or ~/.config/warroom/warroom.toml).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        data: DataOptions,
        #[command(flatten)]
        catalog: CatalogOptions,
    },
    /// Manage responder tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Responders' SSH keys for the hub's SSH door.
    Responder {
        #[command(subcommand)]
        action: ResponderAction,
    },
    /// TLS for the hub: a self-signed certificate.
    Tls {
        #[command(subcommand)]
        action: TlsAction,
    },
    /// Measure the hub or the console (see docs/PERFORMANCE.md).
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
    /// Verify an incident log's hash chain; with --head, that it extends a head recorded
    /// earlier (printed by `verify`, stated in every export and delivered update).
    Verify {
        file: PathBuf,
        /// A head recorded earlier, as SEQ:HASH: the log must contain it unchanged.
        #[arg(long, value_name = "SEQ:HASH")]
        head: Option<String>,
    },
    /// Validate a catalog directory (defaults to your override directory).
    Check { dir: Option<PathBuf> },
    /// Copy every incident between a data directory and a NATS JetStream stream (either
    /// way), each chain verified on both sides; re-running skips what is already there.
    Migrate {
        /// Where the incidents are: a data directory, or nats://HOST:PORT[,…].
        #[arg(long, value_name = "DIR|URLS")]
        from: String,
        /// Where they go: a data directory, or nats://HOST:PORT[,…].
        #[arg(long, value_name = "DIR|URLS")]
        to: String,
        /// The JetStream stream (as the hubs' `[store] stream`).
        #[arg(long, default_value = "warroom")]
        stream: String,
        /// How many NATS servers keep each message (1 for a single server).
        #[arg(long, default_value_t = 3)]
        replicas: usize,
        /// A NATS creds file (user JWT and nkey seed).
        #[arg(long, value_name = "FILE")]
        creds: Option<PathBuf>,
        /// The name of an environment variable holding a NATS token (as the hubs'
        /// `[store] token = "${NAME}"`).
        #[arg(long, value_name = "NAME", conflicts_with = "creds")]
        token_env: Option<String>,
        /// For tls:// servers signed by a private CA: that CA (PEM), as the hubs'
        /// `[store] ca`.
        #[arg(long, value_name = "FILE")]
        nats_ca: Option<PathBuf>,
    },
}
