//! What the runner is asked to do, built by an incident actor from the events it has
//! just committed, and what start-up does with work a previous hub left unfinished.
//! A job carries everything it needs (copied from the log), so the runner never reads
//! an incident's state, which only its actor thread owns.

use crate::engine::{EngineError, Incident, Outcome, Submission};
use crate::incident::action::Request;
use crate::incident::decide_effects::RUNNER;
use crate::incident::export::LogHead;
use crate::incident::followup::{SendOutcome, TrackerLink};
use crate::incident::safe_text::neutralise;
use crate::incident::state::{RunOutcome, RunStatus, Status};
use crate::incident::template::Audience;
use crate::incident::{Actor, Command, Event, EventKind, Role, Runbooks, Severity};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// The excerpt of a run the hub was in the middle of when it stopped.
pub const STOPPED_IN_FLIGHT: &str =
    "the hub stopped while this action was in flight; check the target before running it again";
/// The excerpt of a run that was ready but had not started when the hub stopped.
pub const STOPPED_BEFORE_START: &str = "the hub stopped before this action started; nothing was sent. Request it again if it is still needed";
/// The detail of a delivery that was pending when the hub stopped.
pub const STOPPED_BEFORE_DELIVERY: &str = "the hub stopped before delivering; retry it";
/// The detail of a follow-up that was being sent to a tracker when the hub stopped.
pub const STOPPED_SENDING_FOLLOWUP: &str = "the hub stopped while sending this follow-up: the issue may have been created. Check the tracker before sending it again";

#[derive(Debug, Clone)]
pub enum Job {
    Run(RunJob),
    Deliver(DeliveryJob),
    Acknowledge(AcknowledgeJob),
    Page(PageJob),
    Tracker(TrackerJob),
    /// Entries for the incident's chat thread (`hub::chat`).
    Mirror(crate::hub::chat::MirrorJob),
}

/// One follow-up to send to one issue tracker, with the values of the body's fields as
/// they were when it was asked for.
#[derive(Debug, Clone)]
pub struct TrackerJob {
    pub incident: String,
    pub number: u32,
    /// The seq of the `followup_send_requested` event.
    pub requested: u64,
    pub tracker: String,
    /// `title`, `text`, `owner`, … (see `hub::config::TRACKER_FIELDS`), inert.
    pub fields: BTreeMap<String, String>,
}

/// One action run, exactly as requested (and approved).
#[derive(Debug, Clone)]
pub struct RunJob {
    pub incident: String,
    pub run: u64,
    pub action: String,
    pub params: BTreeMap<String, String>,
    pub fingerprint: String,
    pub requested_by: String,
    /// `{severity}` as it was when the run was requested (what the preview showed).
    pub severity: String,
    /// The request as previewed and confirmed, secrets as `${NAME}`.
    pub preview: Request,
}

/// One update to deliver to one channel.
#[derive(Debug, Clone)]
pub struct DeliveryJob {
    pub channel: String,
    /// The seq of the event that asked for this delivery (publish or retry): it makes
    /// the runner's command id unique per attempt.
    pub trigger: u64,
    pub update: Update,
}

/// A person's first acknowledgement of an incident, told to one channel that has
/// carried an update of it (the runner acts on `pagerduty` channels only: they keep an
/// alert that the on-call's escalation policy is working through).
#[derive(Debug, Clone)]
pub struct PageJob {
    pub incident: String,
    pub title: String,
    pub severity: Option<Severity>,
    pub declared_by: String,
    /// The seq of the event that asked for it: it makes the runner's command id unique.
    pub trigger: u64,
    /// `None`: page on every `page_on_declare` channel (an automation declared).
    /// `Some`: resolve the open pages on these channels (the incident was resolved).
    pub resolve: Option<Vec<String>>,
}

/// One channel to acknowledge the incident on: the first acknowledgement came while it
/// may hold an open alert (see [`jobs_for`]).
#[derive(Debug, Clone)]
pub struct AcknowledgeJob {
    pub incident: String,
    pub channel: String,
    /// The seq of the `acknowledged` event: it makes the runner's command id unique.
    pub trigger: u64,
}

/// A published update and the incident's headline when it was published: the body a
/// `webhook` channel receives, with `head`, the log's head just after the event that
/// asked for this delivery (the publish, or a retry) was committed. It is at or after
/// the publish itself, so a receiver holding it can prove with
/// `warroom verify LOG --head SEQ:HASH` that a log copy contains this update unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Update {
    pub incident: String,
    pub title: String,
    pub severity: Option<Severity>,
    pub status: Status,
    pub template: String,
    pub audience: Audience,
    pub text: String,
    pub published_at: DateTime<Utc>,
    pub by: String,
    pub head: LogHead,
    /// The publish event's seq.
    #[serde(skip)]
    pub seq: u64,
}

fn run_job(incident: &Incident, run: u64) -> Option<Job> {
    let state = incident.state();
    let found = state.run(run)?;
    // The severity at the request is what its preview was rendered with.
    let severity = found.severity;
    Some(Job::Run(RunJob {
        incident: state.id.clone(),
        run,
        action: found.action.clone(),
        params: found.params.clone(),
        fingerprint: found.fingerprint.clone(),
        requested_by: found.requested_by.clone(),
        severity: severity.map_or("SEV?", |s| s.code()).to_string(),
        preview: found.preview.clone(),
    }))
}

fn delivery_job(incident: &Incident, published: u64, channel: &str, trigger: u64) -> Option<Job> {
    let state = incident.state();
    let found = state.published_at_seq(published)?;
    let headline = found.headline.clone();
    // A public update never carries the internal title, which may name customers:
    // `decide` refuses a public publish until a public title is set.
    let title = match found.audience {
        Audience::Public => headline.public_title.unwrap_or_default(),
        _ => headline.title,
    };
    let (severity, status) = (headline.severity, headline.status);
    Some(Job::Deliver(DeliveryJob {
        channel: channel.to_string(),
        trigger,
        update: Update {
            incident: state.id.clone(),
            // What people typed leaves the hub inert on every channel (a Slack message,
            // a webhook's JSON, an outbox file someone will `cat`); the log keeps it
            // verbatim.
            title: neutralise(&title).into_owned(),
            severity,
            status,
            template: found.template.clone(),
            audience: found.audience,
            text: neutralise(&found.text).into_owned(),
            published_at: found.at,
            by: found.by.clone(),
            head: incident.head(),
            seq: published,
        },
    }))
}

/// An issue's title: the follow-up's first line, at most 200 characters.
fn issue_title(text: &str) -> String {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    super::excerpt::clip(first.unwrap_or(text), 200)
}

fn tracker_job(incident: &Incident, number: u32, tracker: &str, requested: u64) -> Option<Job> {
    let state = incident.state();
    let followup = state.followups.iter().find(|f| f.number == number)?;
    // What people typed leaves the hub inert (like a delivery); the log keeps it verbatim.
    // Issue bodies are Markdown on the usual trackers: typed text there is made inert
    // as Markdown too (no image that calls home, no link, no HTML), with a `_plain`
    // twin for trackers whose bodies are not Markdown. Titles are plain text everywhere.
    let inert = |text: &str| neutralise(text).into_owned();
    let markdown = |text: &str| crate::incident::markdown::text(&neutralise(text)).into_owned();
    let fields = [
        ("title", inert(&issue_title(&followup.text))),
        ("text", markdown(&followup.text)),
        ("text_plain", inert(&followup.text)),
        ("owner", markdown(&followup.owner)),
        ("due", followup.due.to_string()),
        ("priority", followup.priority.to_string()),
        ("number", followup.number.to_string()),
        ("incident", state.id.clone()),
        ("incident_title", markdown(&state.title)),
        ("incident_title_plain", inert(&state.title)),
        (
            "severity",
            state.severity.map_or("SEV?", |s| s.code()).to_string(),
        ),
    ];
    Some(Job::Tracker(TrackerJob {
        incident: state.id.clone(),
        number,
        requested,
        tracker: tracker.to_string(),
        fields: fields
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect(),
    }))
}

/// One acknowledge job per channel whose latest update before `acknowledged` (the
/// seq of the incident's first acknowledgement) did not resolve it: those channels may
/// hold an open alert. A channel first used after the acknowledgement is a deliberate
/// page by a person who is already on the incident, and is left to page.
fn acknowledge_jobs(incident: &Incident, acknowledged: u64) -> Vec<Job> {
    let state = incident.state();
    let mut latest: BTreeMap<&str, Status> = BTreeMap::new();
    for update in state.published.iter().filter(|p| p.seq < acknowledged) {
        for channel in &update.channels {
            latest.insert(channel, update.headline.status);
        }
    }
    // Pages sent when the incident was declared are open until it resolves.
    for channel in &state.paged {
        latest.insert(channel, Status::Investigating);
    }
    latest
        .into_iter()
        .filter(|(_, status)| *status != Status::Resolved)
        .map(|(channel, _)| {
            Job::Acknowledge(AcknowledgeJob {
                incident: state.id.clone(),
                channel: channel.to_string(),
                trigger: acknowledged,
            })
        })
        .collect()
}

fn page_job(incident: &Incident, event: &Event, resolve: Option<Vec<String>>) -> Job {
    let state = incident.state();
    Job::Page(PageJob {
        incident: state.id.clone(),
        title: neutralise(&state.title).into_owned(),
        severity: state.severity,
        declared_by: state.declared_by.clone(),
        trigger: event.seq,
        resolve,
    })
}

/// The jobs `events` (just committed to `incident`) call for: a run that needs no
/// approval, an approved run, each channel of a publish or a retry, a follow-up to
/// send to a tracker, the acknowledge of the incident's first acknowledgement
/// (`decide` emits it once), and last the entries for the incident's chat thread.
pub fn jobs_for<'a>(
    incident: &Incident,
    events: impl IntoIterator<Item = &'a Event> + Clone,
) -> Vec<Job> {
    let mut jobs = Vec::new();
    for event in events.clone() {
        match &event.kind {
            // Judged by the event itself, not the state after the batch: a two-person
            // request approved in the same batch must yield one job, not two.
            EventKind::ActionRequested {
                dry_run: false,
                two_person: false,
                ..
            } => jobs.extend(run_job(incident, event.seq)),
            EventKind::ActionApproved { run } => jobs.extend(run_job(incident, *run)),
            EventKind::CommsPublished { channels, .. } => {
                for channel in channels {
                    jobs.extend(delivery_job(incident, event.seq, channel, event.seq));
                }
            }
            EventKind::DeliveryRetryRequested { published, channel } => {
                jobs.extend(delivery_job(incident, *published, channel, event.seq));
            }
            EventKind::FollowupSendRequested { number, tracker } => {
                jobs.extend(tracker_job(incident, *number, tracker, event.seq));
            }
            EventKind::Acknowledged => jobs.extend(acknowledge_jobs(incident, event.seq)),
            // An alert opened it: the `page_on_declare` channels page the on-call.
            EventKind::Declared { .. } if event.actor.starts_with("system:") => {
                jobs.push(page_job(incident, event, None));
            }
            EventKind::StatusChanged {
                to: Status::Resolved,
                ..
            } if !incident.state().paged.is_empty() => {
                let open = incident.state().paged.iter().cloned().collect();
                jobs.push(page_job(incident, event, Some(open)));
            }
            _ => {}
        }
    }
    jobs.extend(crate::hub::chat::mirror_job(incident, events).map(Job::Mirror));
    jobs
}

/// Settles what a previous hub left unfinished, before the incident is served: a run
/// that had started gets outcome unknown (the target may have acted; it is never run
/// again), a run that was ready but never started failed (nothing was sent: `Started`
/// is always on disk first), a pending delivery failed, so a person can retry it, and
/// a follow-up being sent to a tracker gets outcome unknown (the issue may exist; it is
/// never sent again without a person asking).
/// Returns how many were settled.
pub fn recover(incident: &mut Incident, runbooks: &Runbooks) -> Result<usize, EngineError> {
    let state = incident.state();
    let mut commands = Vec::new();
    for run in &state.action_runs {
        let (outcome, excerpt) = match run.status {
            RunStatus::Running => (RunOutcome::Unknown, STOPPED_IN_FLIGHT),
            RunStatus::Ready => (RunOutcome::Failed, STOPPED_BEFORE_START),
            _ => continue,
        };
        tracing::warn!(incident = %state.id, action = %run.action, run = run.run, ?outcome, "settled a run left unfinished by the previous hub");
        commands.push(Command::RecordActionResult {
            run: run.run,
            outcome,
            status: None,
            duration_ms: 0,
            excerpt: excerpt.to_string(),
        });
    }
    for update in &state.published {
        for (channel, delivery) in &update.deliveries {
            if delivery.ok.is_none() {
                tracing::warn!(incident = %state.id, published = update.seq, %channel, "a delivery was pending when the previous hub stopped");
                commands.push(Command::RecordDelivery {
                    published: update.seq,
                    channel: channel.clone(),
                    ok: false,
                    detail: STOPPED_BEFORE_DELIVERY.to_string(),
                });
            }
        }
    }
    for followup in &state.followups {
        if let Some(TrackerLink::Sending { tracker, requested }) = &followup.issue {
            tracing::warn!(incident = %state.id, followup = followup.number, %tracker, "a follow-up was being sent to a tracker when the previous hub stopped");
            commands.push(Command::RecordFollowupSend {
                number: followup.number,
                requested: *requested,
                outcome: SendOutcome::Unknown,
                url: None,
                status: None,
                detail: STOPPED_SENDING_FOLLOWUP.to_string(),
            });
        }
    }
    if commands.is_empty() {
        return Ok(0);
    }
    let submissions: Vec<Submission> = commands
        .into_iter()
        .map(|command| Submission {
            actor: Actor::new(RUNNER, [Role::Responder]),
            command,
            command_id: None,
        })
        .collect();
    let committed = incident.execute(&submissions, Utc::now(), runbooks)?;
    let mut settled = 0;
    for outcome in committed.outcomes {
        match outcome {
            Outcome::Applied(_) => settled += 1,
            Outcome::Rejected(rejection) => {
                tracing::error!(incident = %incident.state().id, reason = %rejection.message, "could not settle unfinished work");
            }
            Outcome::Duplicate { .. } => {}
        }
    }
    Ok(settled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::DataDir;
    use crate::incident::action::ActionSpec;
    use serde_json::json;

    /// The events of every applied outcome of `committed`, in order.
    fn applied(committed: crate::engine::Committed) -> Vec<Event> {
        committed
            .outcomes
            .into_iter()
            .flat_map(|o| match o {
                Outcome::Applied(events) => events,
                _ => Vec::new(),
            })
            .collect()
    }

    fn submit(command: serde_json::Value) -> Submission {
        Submission {
            actor: Actor::new("alice", [Role::Commander]),
            command: serde_json::from_value(command).unwrap(),
            command_id: None,
        }
    }

    fn runbooks() -> Runbooks {
        let mut runbooks = crate::catalog::embedded().unwrap();
        let spec: ActionSpec = toml::from_str(
            r#"id = "pair"
title = "Pair"
description = "Two-person, prints the severity."
roles = ["commander", "ops"]
confirm = true
two_person = true
idempotent = true
timeout_seconds = 5
kind = "exec"
argv = ["/usr/bin/printf", "{severity}"]"#,
        )
        .unwrap();
        runbooks.actions = vec![spec];
        runbooks
    }

    #[test]
    fn a_job_renders_with_the_severity_of_its_request_and_is_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let runbooks = runbooks();
        let declare = json!({"type": "declare", "title": "T", "severity": "SEV3"});
        let mut incident = DataDir::new(dir.path())
            .declare(submit(declare), Utc::now(), &runbooks)
            .unwrap();
        let run = incident.state().seq + 1;
        let mut carol = submit(json!({"type": "approve_action", "run": run}));
        carol.actor = Actor::new("carol", [Role::Ops]);
        let batch = [
            submit(json!({"type": "request_action", "action": "pair"})),
            carol,
            submit(json!({"type": "set_severity", "severity": "SEV1"})),
        ];
        let committed = incident.execute(&batch, Utc::now(), &runbooks).unwrap();
        let events = applied(committed);
        let jobs: Vec<Job> = jobs_for(&incident, &events)
            .into_iter()
            .filter(|job| matches!(job, Job::Run(_)))
            .collect();
        assert_eq!(jobs.len(), 1, "request + approval in one batch: one run");
        let Some(Job::Run(job)) = jobs.first() else {
            panic!("a run job")
        };
        assert_eq!((job.run, job.severity.as_str()), (run, "SEV3"));
    }

    #[test]
    fn the_first_acknowledgement_goes_to_each_channel_whose_alert_may_be_open() {
        let dir = tempfile::tempdir().unwrap();
        let mut runbooks = runbooks();
        runbooks.channels = vec!["open".into(), "closed".into(), "later".into()];
        let bot = |command: serde_json::Value| {
            let mut submission = submit(command);
            submission.actor = Actor::new("system:monitor", [Role::Commander]);
            submission
        };
        let publish = |channel: &str| json!({"type": "publish", "template": "internal_update", "text": "t", "channels": [channel]});
        let declare = json!({"type": "declare", "title": "T", "severity": "SEV3"});
        let mut incident = DataDir::new(dir.path())
            .declare(bot(declare), Utc::now(), &runbooks)
            .unwrap();
        let batch = [
            bot(publish("open")),
            bot(publish("closed")),
            bot(json!({"type": "set_status", "status": "resolved"})),
            bot(publish("closed")),
        ];
        let committed = incident.execute(&batch, Utc::now(), &runbooks).unwrap();
        assert!(
            committed
                .outcomes
                .iter()
                .all(|o| matches!(o, Outcome::Applied(_)))
        );
        // A person's first command: acknowledged, then a publish to a channel not used
        // before (a deliberate page, left to page).
        let person = [
            submit(json!({"type": "set_status", "status": "investigating"})),
            submit(publish("later")),
        ];
        let committed = incident.execute(&person, Utc::now(), &runbooks).unwrap();
        let events = applied(committed);
        let acknowledged: Vec<String> = jobs_for(&incident, &events)
            .into_iter()
            .filter_map(|job| match job {
                Job::Acknowledge(job) => Some(job.channel),
                _ => None,
            })
            .collect();
        assert_eq!(acknowledged, ["open"]);
        let again = [submit(json!({"type": "add_note", "text": "n"}))];
        let committed = incident.execute(&again, Utc::now(), &runbooks).unwrap();
        let events = applied(committed);
        assert!(jobs_for(&incident, &events).is_empty(), "once");
    }

    #[test]
    fn the_summary_says_unsettled_exactly_until_recover_settles_it() {
        let dir = tempfile::tempdir().unwrap();
        let runbooks = runbooks();
        let declare = json!({"type": "declare", "title": "T", "severity": "SEV3"});
        let mut incident = DataDir::new(dir.path())
            .declare(submit(declare), Utc::now(), &runbooks)
            .unwrap();
        let facts = crate::engine::LoadFacts::of;
        assert!(!facts(&incident).unsettled, "nothing in flight");
        let run = incident.state().seq + 1;
        let request = submit(json!({"type": "request_action", "action": "pair"}));
        incident.execute(&[request], Utc::now(), &runbooks).unwrap();
        assert!(
            !facts(&incident).unsettled,
            "awaiting approval: not the hub's to settle"
        );
        let mut carol = submit(json!({"type": "approve_action", "run": run}));
        carol.actor = Actor::new("carol", [Role::Ops]);
        incident.execute(&[carol], Utc::now(), &runbooks).unwrap();
        assert!(facts(&incident).unsettled, "ready: the hub would start it");
        assert_eq!(recover(&mut incident, &runbooks).unwrap(), 1);
        assert!(!facts(&incident).unsettled, "settled");
    }
}
