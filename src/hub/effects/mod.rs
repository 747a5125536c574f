//! The hub acting on the world. After each commit an incident actor hands the runner a
//! job for every action run that became ready and every delivery that became due
//! ([`jobs_for`]); the runner (one tokio task, a task per job) runs the action or
//! delivers the update or sends a follow-up to an issue tracker (`tracker`) and
//! reports back as `system:runner` through the registry, so
//! every start, outcome and delivery is an event in the log like anything else.
//!
//! Order is the safety argument: `ActionStarted` is fsync'd before a byte is sent, so
//! a crash leaves a run that [`recover`] settles as "outcome unknown" at the next start
//! — never one that silently runs twice.

mod deliver;
mod excerpt;
mod exec;
mod http;
mod jobs;
mod pagerduty;
mod redact;
mod run;
mod tracker;

pub(crate) use excerpt::chain as error_chain;
pub use jobs::{
    AcknowledgeJob, DeliveryJob, Job, PageJob, RunJob, TrackerJob, Update, jobs_for, recover,
};

use super::chat::Bridge;
use super::config::{ChannelConfig, SlackConfig, TrackerConfig};
use super::reply::CommandReply;
use crate::engine::Submission;
use crate::incident::decide_effects::RUNNER;
use crate::incident::{Actor, Command, Role};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

/// What the runner needs beyond the runbooks: the hub's delivery channels and issue
/// trackers, its `public_url`, and the Slack bridge's `[slack]` (mirroring is on when
/// it names a bot token and a channel; only `warroom serve` sets it).
#[derive(Debug, Clone, Default)]
pub struct Effects {
    pub channels: Vec<ChannelConfig>,
    pub trackers: Vec<TrackerConfig>,
    /// The hub config's `public_url`: pagerduty triggers link to the incident there.
    pub public_url: Option<String>,
    pub slack: Option<SlackConfig>,
}

/// Unbounded because an actor thread must never block or drop a job: jobs are few (one
/// per run or delivery) and each was already committed as an event.
pub type JobSender = mpsc::UnboundedSender<Queued>;
pub type JobReceiver = mpsc::UnboundedReceiver<Queued>;

/// A job on its way to the runner, and the mark that keeps its incident open until the
/// runner has finished with it (an incident is never released with work in flight).
pub struct Queued {
    pub job: Job,
    pub in_flight: InFlight,
}

/// One unit of an incident's in-flight count, given back however the job ends
/// (finished, failed, abandoned at shutdown, or never sent).
pub struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    pub fn new(counter: Arc<AtomicUsize>) -> InFlight {
        counter.fetch_add(1, Ordering::AcqRel);
        InFlight(counter)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

pub fn channel() -> (JobSender, JobReceiver) {
    mpsc::unbounded_channel()
}

/// How long a graceful shutdown waits for runs and deliveries in flight. Whatever is
/// abandoned is settled (unknown / failed) at the next start.
const DRAIN: Duration = Duration::from_secs(10);

/// What the runner (and the chat bridge) need of the hub: to submit outcomes as
/// commands, the runbooks the actions were checked against, and the metrics. The
/// registry is the one implementation; the runner never names it, so the registry and
/// its actors can depend on this module without a circle.
pub trait Outcomes: Send + Sync + 'static {
    fn submit<'a>(
        &'a self,
        incident: &'a str,
        submission: Submission,
    ) -> futures_util::future::BoxFuture<'a, CommandReply>;
    fn runbooks(&self) -> &crate::incident::Runbooks;
    fn metrics(&self) -> Arc<super::metrics::Metrics>;
}

/// Shared by every job.
pub(crate) struct Runner {
    registry: Arc<dyn Outcomes>,
    effects: Effects,
    /// `Err` when the HTTP client could not be built (no TLS roots, …): every HTTP job
    /// then fails with this reason instead of the hub refusing to start.
    client: Result<reqwest::Client, String>,
}

impl Runner {
    fn new(registry: Arc<dyn Outcomes>, effects: Effects) -> Runner {
        // No redirects: a secret header must never follow a redirect to a host the
        // actions file did not name.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("the hub cannot make HTTP requests: {}", excerpt::chain(&e)));
        Runner {
            registry,
            effects,
            client,
        }
    }

    /// Submits `command` as the runner (opening the incident if it was released). `id`
    /// makes a re-submission harmless.
    async fn submit(&self, incident: &str, command: Command, id: String) -> CommandReply {
        let submission = Submission {
            actor: Actor::new(RUNNER, [Role::Responder]),
            command,
            command_id: Some(id),
        };
        self.registry.submit(incident, submission).await
    }

    async fn handle(self: Arc<Self>, queued: Queued) {
        // Held until the outcome is recorded, so the incident stays open meanwhile.
        let Queued { job, in_flight } = queued;
        match job {
            Job::Run(job) => run::run(&self, job).await,
            Job::Deliver(job) => deliver::deliver(&self, job).await,
            Job::Tracker(job) => tracker::send(&self, job).await,
            Job::Acknowledge(job) => deliver::acknowledge(&self, job).await,
            Job::Page(job) => deliver::page_on_declare(&self, job).await,
            // Routed to the bridge by `spawn`, in order; never run as a task.
            Job::Mirror(_) => {}
        }
        drop(in_flight);
    }
}

/// The hub environment variables `spec` needs that are not set here: its `${NAME}`
/// secrets and its exec `env` allowlist. For a dry run's report (`docs/ACTIONS.md`);
/// names only, never values.
pub fn missing_variables(spec: &crate::incident::action::ActionSpec) -> Vec<String> {
    use crate::incident::action::{Piece, parse};
    let templates = spec
        .url
        .iter()
        .chain(spec.headers.values())
        .chain(&spec.routing_key);
    let secrets = templates
        .flat_map(|t| parse(t))
        .filter_map(|piece| match piece {
            Piece::Secret(name) => Some(name),
            _ => None,
        });
    let mut missing: Vec<String> = secrets
        .chain(spec.env.iter().cloned())
        .filter(|name| std::env::var_os(name).is_none())
        .collect();
    missing.sort();
    missing.dedup();
    missing
}

/// Only `https://`, or plain `http://` to a loopback address (for testing): checked
/// again on the URL as sent, because a `${NAME}` secret can hold a whole URL.
pub(crate) fn url_allowed(url: &str) -> Result<(), String> {
    let refused = || Err("the url must be https:// (plain http only to loopback)".to_string());
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Err("the url is not a valid URL".to_string());
    };
    let loopback = match parsed.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    };
    match parsed.scheme() {
        "https" if parsed.host_str().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        _ => refused(),
    }
}

/// Refuses a URL the HTTP client would send with another path or query than the one
/// rendered, previewed and confirmed: the client resolves `.`/`..` segments, encodes
/// characters a URL may not hold and drops a `#fragment`. Parameter values can no
/// longer cause that (they are escaped and dot segments are refused), so this catches
/// a template or a `${NAME}` URL that would. The message never repeats the URL.
pub(crate) fn sent_as_shown(url: &str) -> Result<(), String> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Err("the url is not a valid URL".to_string());
    };
    let changed = || {
        Err("the request would be sent to another path than the one shown and confirmed (the HTTP client rewrites this URL); nothing was sent".to_string())
    };
    if parsed.fragment().is_some() {
        return changed();
    }
    let path = crate::incident::action::url_path(url);
    // The fragment was refused above, so the query runs to the end.
    let shown_query = url.split_once('?').map(|(_, query)| query);
    let shown_path = if path.is_empty() { "/" } else { path };
    if parsed.path() != shown_path || parsed.query() != shown_query {
        return changed();
    }
    Ok(())
}

/// Starts the runner. It stops taking jobs when `stop` turns true, waits up to
/// [`DRAIN`] for jobs in flight, and abandons the rest.
pub fn spawn(
    registry: Arc<dyn Outcomes>,
    effects: Effects,
    mut jobs: JobReceiver,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let bridge = effects
            .slack
            .as_ref()
            .and_then(|slack| Bridge::new(slack, registry.clone()));
        let runner = Arc::new(Runner::new(registry, effects));
        let mut running = JoinSet::new();
        loop {
            tokio::select! {
                job = jobs.recv() => match job {
                    // Handed over here, not in a task, so an incident's entries reach
                    // the bridge in commit order. Without a bridge they are dropped.
                    Some(Queued { job: Job::Mirror(mirror), in_flight }) => {
                        if let Some(bridge) = &bridge {
                            bridge.enqueue(mirror, in_flight, &mut running);
                        }
                    }
                    Some(job) => {
                        running.spawn(runner.clone().handle(job));
                    }
                    None => break,
                },
                Some(done) = running.join_next(), if !running.is_empty() => {
                    if let Err(error) = done {
                        tracing::error!(%error, "a runner job ended abnormally");
                    }
                }
                // A dropped sender means the hub is gone: stop as well.
                _ = stop.wait_for(|stopping| *stopping) => break,
            }
        }
        let drained = tokio::time::timeout(DRAIN, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                abandoned = running.len(),
                "stopping with actions or deliveries in flight; they are settled at the next start"
            );
            running.abort_all();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{missing_variables, sent_as_shown, url_allowed};
    use crate::incident::action::ActionSpec;

    #[test]
    fn a_dry_run_can_name_the_variables_the_hub_lacks() {
        let fields = "id = \"a\"\ntitle = \"A\"\ndescription = \"D\"\nroles = [\"ops\"]\n\
                      confirm = true\ntwo_person = false\nidempotent = true\ntimeout_seconds = 1\n";
        let http: ActionSpec = toml::from_str(&format!(
            "{fields}kind = \"http\"\nurl = \"https://x/${{WR_UNIT_UNSET_URL}}\"\n\
             headers = {{ A = \"${{WR_UNIT_UNSET_URL}}\", B = \"${{PATH}}\" }}\n"
        ))
        .unwrap();
        assert_eq!(missing_variables(&http), ["WR_UNIT_UNSET_URL"]);
        let exec: ActionSpec = toml::from_str(&format!(
            "{fields}kind = \"exec\"\nargv = [\"/bin/true\"]\nenv = [\"PATH\", \"WR_UNIT_UNSET_ENV\"]\n"
        ))
        .unwrap();
        assert_eq!(missing_variables(&exec), ["WR_UNIT_UNSET_ENV"]);
        let page: ActionSpec = toml::from_str(&format!(
            "{fields}kind = \"pagerduty\"\nrouting_key = \"${{WR_UNIT_UNSET_PD}}\"\nsummary = \"s\"\n"
        ))
        .unwrap();
        assert_eq!(missing_variables(&page), ["WR_UNIT_UNSET_PD"]);
    }

    #[test]
    fn what_is_sent_is_the_url_as_shown() {
        for same in [
            "https://p.example/clamp/acme.eu/budget",
            "https://p.example/t/a.b%20c?note=a%2Fb&x=..",
            "https://p.example",
            "https://p.example?x=1",
        ] {
            assert_eq!(sent_as_shown(same), Ok(()), "{same}");
        }
        for rewritten in [
            "https://p.example/clamp/../budget",
            "https://p.example/clamp/%2e%2e/budget",
            "https://p.example/a/./b",
            "https://p.example/a b",
            "https://p.example/a\\b",
            "https://p.example/a#frag",
        ] {
            let refused = sent_as_shown(rewritten).expect_err(rewritten);
            assert!(!refused.contains("p.example"), "{refused}");
        }
    }

    #[test]
    fn every_shipped_example_url_is_sent_as_shown() {
        use crate::incident::action::{Piece, parse};
        #[derive(serde::Deserialize)]
        struct File {
            action: Vec<ActionSpec>,
        }
        let file: File =
            toml::from_str(include_str!("../../../assets/actions.example.toml")).unwrap();
        for url in file.action.iter().filter_map(|a| a.url.as_deref()) {
            let filled: String = parse(url)
                .into_iter()
                .map(|piece| match piece {
                    Piece::Text(text) => text,
                    Piece::Placeholder(_) | Piece::Secret(_) => "acme-eu".to_string(),
                })
                .collect();
            assert_eq!(sent_as_shown(&filled), Ok(()), "{filled}");
        }
    }

    #[test]
    fn only_https_or_plain_http_to_loopback() {
        for ok in [
            "https://hooks.example/x",
            "http://127.0.0.1:9/x",
            "http://localhost/x",
            "http://[::1]:8/x",
        ] {
            assert_eq!(url_allowed(ok), Ok(()), "{ok}");
        }
        for refused in [
            "http://127.0.0.1.evil.example/",
            "http://localhost.evil.example/",
            "http://hooks.example/x",
            "ftp://127.0.0.1/x",
            "not a url",
        ] {
            assert!(url_allowed(refused).is_err(), "{refused}");
        }
    }
}
