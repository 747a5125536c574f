//! The command line, as clap types. Parsing only; `run.rs` does the work.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

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
                  (~/.local/share/warroom on Linux). `warroom roles` shows who may do what."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// With no command: the console on an embedded hub (in a terminal), or a summary of
    /// the incidents (when output is not a terminal).
    #[command(subcommand)]
    pub command: Option<CliCommand>,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The data directory holding incidents/<id>.jsonl.
    #[arg(long, global = true, env = "WARROOM_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// A catalog directory that overrides or extends the built-in runbooks.
    #[arg(long, global = true, env = "WARROOM_CATALOG", value_name = "DIR")]
    pub catalog: Option<PathBuf>,
    /// Your name on the timeline (local mode).
    #[arg(long = "as", global = true, env = "WARROOM_USER", value_name = "NAME")]
    pub user: Option<String>,
    /// Send commands to this hub instead of a local data directory.
    #[arg(long, global = true, env = "WARROOM_HUB", value_name = "URL")]
    pub hub: Option<String>,
    /// Your responder token for --hub (prefer $WARROOM_TOKEN: arguments show in `ps`).
    #[arg(
        long,
        global = true,
        env = "WARROOM_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Console layout: commander, scribe, comms, oncall, compact (default: by your role).
    #[arg(long, global = true, value_name = "NAME")]
    pub layout: Option<String>,
    /// Console theme: default, light, high-contrast, monochrome (NO_COLOR forces monochrome).
    #[arg(long, global = true, env = "WARROOM_THEME", value_name = "NAME")]
    pub theme: Option<String>,
    /// Your role(s) in local mode; repeat for several.
    #[arg(
        long = "role",
        global = true,
        value_name = "ROLE",
        default_value = "commander"
    )]
    pub roles: Vec<String>,
}

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

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token for a responder: prints it once, stores only its SHA-256 in the config.
    #[command(
        after_help = "The hub reads its configuration when it starts: restart it to let the new \
                      responder in. Give the printed token to the responder (they set \
                      WARROOM_TOKEN); it is never shown again."
    )]
    New {
        /// The responder's name: the actor on every event they cause, and how others name
        /// them (e.g. `warroom assign INC scribe NAME`). Not empty, not starting `system:`.
        #[arg(long)]
        name: String,
        /// commander, scribe, comms, ops, security, responder or observer; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The hub configuration to add the responder to (created if missing): the file
        /// `warroom serve --config` reads. Default: $WARROOM_CONFIG, else warroom/warroom.toml
        /// in the user config directory (~/.config on Linux), shown here.
        #[arg(long, value_name = "FILE", default_value_os_t = crate::hub::config::default_path())]
        config: PathBuf,
    },
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
    },
    /// Add a UTC-stamped entry to the timeline.
    Note {
        incident: String,
        text: String,
        /// note, decision or action.
        #[arg(long, default_value = "note")]
        kind: String,
    },
    /// Supersede a timeline entry's text (the original stays in the log).
    Correct {
        incident: String,
        /// The entry's number (#seq in `warroom status`).
        entry: u64,
        text: String,
    },
    /// Tick a checklist item (by number, id, or id suffix).
    Tick { incident: String, item: String },
    /// Untick a checklist item.
    Untick { incident: String, item: String },
    /// Add an ad-hoc checklist item.
    Item {
        incident: String,
        text: String,
        /// The role that owns it.
        #[arg(long)]
        role: Option<String>,
    },
    /// Apply a playbook's steps to the checklist.
    Playbook { incident: String, playbook: String },
    /// Change the severity.
    Severity {
        incident: String,
        severity: String,
        #[arg(long)]
        reason: Option<String>,
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
    },
    /// Seat someone in a role (commander, scribe, comms, ops, security).
    Assign {
        incident: String,
        role: String,
        person: String,
    },
    /// Set a tenant × region cell of the blast radius.
    Blast {
        incident: String,
        tenant: String,
        region: String,
        /// unknown, healthy, suspected, degraded, down, isolated, recovered.
        state: String,
    },
    /// Rename a tenant, region or service in the blast radius (a typo, a better name).
    BlastRename {
        incident: String,
        /// tenant, region or service.
        what: String,
        from: String,
        to: String,
    },
    /// Take a tenant, region or service named by mistake off the blast radius (the log
    /// keeps the history).
    BlastRemove {
        incident: String,
        /// tenant, region or service.
        what: String,
        name: String,
    },
    /// Set an affected service's state.
    Service {
        incident: String,
        service: String,
        state: String,
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
    },
    /// Mark a clock (e.g. a regulatory notification) as met.
    Met {
        incident: String,
        clock: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Render a comms template for an incident (fill fields with --set k=v).
    Render {
        incident: String,
        template: String,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
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
    },
    /// Approve a two-person action run requested by someone else.
    Approve {
        incident: String,
        /// The run's number (#N in `warroom runs`).
        run: u64,
    },
    /// Deny a two-person action run.
    Deny {
        incident: String,
        run: u64,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// List an incident's containment action runs and where each stands.
    Runs {
        incident: String,
        #[arg(long)]
        json: bool,
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
    },
    /// Retry a failed delivery of a published update (#N in `warroom status`) to a channel.
    Retry {
        incident: String,
        published: u64,
        channel: String,
    },
    /// List incidents.
    List {
        #[arg(long)]
        json: bool,
    },
    /// List playbooks: id and title.
    Playbooks,
    /// List comms templates: id, audience and title.
    Templates,
    /// Show who may do what.
    Roles,
    /// Export the incident ticket and post-mortem (md), everything (json), or the timeline (csv).
    Export {
        incident: String,
        #[arg(long, default_value = "md")]
        format: String,
        /// Write to a file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Open the console on a throw-away demo incident (a SEV1 PII leak across tenants).
    Demo,
    /// Open the console on a remote hub.
    Join {
        /// The hub, e.g. http://hub.internal:7420.
        url: String,
        /// Open this incident directly instead of the lobby.
        #[arg(long)]
        incident: Option<String>,
    },
    /// Open the console on an embedded hub (what `warroom` alone does in a terminal).
    Console {
        /// Open this incident directly instead of the lobby.
        #[arg(long)]
        incident: Option<String>,
        /// Hub configuration with teammates' tokens (default as for `serve`).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
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
    },
    /// Run the hub: the single writer that responders' consoles and CLIs connect to.
    Serve {
        /// Address to listen on (default from the config, else 127.0.0.1:7420). Port 0
        /// picks a free port; the address actually bound is printed when the hub starts.
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// The hub configuration (default $WARROOM_CONFIG or ~/.config/warroom/warroom.toml).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Manage responder tokens.
    Token {
        #[command(subcommand)]
        action: TokenAction,
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
}
