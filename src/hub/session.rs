//! One WebSocket connection: the hello handshake and authentication, then a loop that
//! forwards the subscribed incident's events, takes commands (rate-limited, answered
//! with ack/reject as they complete, possibly out of order), and closes with a reason
//! code when something is wrong. A slow or hostile client only ever hurts itself.

use super::HubState;
use super::Unavailable;
use super::actor::{Broadcast, CommandReply};
use crate::engine::Submission;
use crate::incident::{Actor, Command};
use crate::protocol::{
    COMMAND_BURST, COMMANDS_PER_SECOND, ClientFrame, CloseReason, HubFrame, Identity,
    MAX_COMMAND_ID_CHARS, MAX_FRAME_BYTES, PROTOCOL_VERSION, RejectReason,
};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::{FuturesUnordered, SplitSink, StreamExt};
use futures_util::{SinkExt, future::BoxFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// A write that takes longer than this means the client stopped reading.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// For the event stream the bound is tighter: a subscriber whose socket stays full this
/// long is dropped as too slow (it resyncs by seq), so it holds nothing up.
const EVENT_SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a shutting-down hub waits to answer commands already in flight.
const SHUTDOWN_DRAIN: Duration = Duration::from_secs(5);
/// Malformed frames tolerated before the connection is closed.
const MAX_MALFORMED: u32 = 20;
/// Rate-limited commands tolerated (without a pause) before the connection is closed.
const MAX_RATE_LIMITED: u32 = 500;

type Sink = SplitSink<WebSocket, Message>;

/// Keeps the connection gauge honest however the session ends.
struct ConnectionGauge(Arc<HubState>);
impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        self.0.metrics.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A token bucket: `COMMANDS_PER_SECOND` sustained, `COMMAND_BURST` at once.
struct RateLimit {
    tokens: f64,
    last: Instant,
    strikes: u32,
}

impl RateLimit {
    fn new() -> RateLimit {
        RateLimit {
            tokens: f64::from(COMMAND_BURST),
            last: Instant::now(),
            strikes: 0,
        }
    }
    fn allow(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * f64::from(COMMANDS_PER_SECOND);
        self.tokens = (self.tokens + refill).min(f64::from(COMMAND_BURST));
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.strikes = 0;
            true
        } else {
            self.strikes += 1;
            false
        }
    }
}

async fn send(sink: &mut Sink, text: impl Into<Utf8Bytes>) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Text(text.into()))).await,
        Ok(Ok(()))
    )
}

async fn send_frame(sink: &mut Sink, frame: &HubFrame) -> bool {
    match serde_json::to_string(frame) {
        Ok(text) => send(sink, text).await,
        Err(_) => false,
    }
}

/// Says why in an `error` frame, then closes with the matching code.
async fn close(sink: &mut Sink, reason: CloseReason, message: &str) {
    let _ = send_frame(
        sink,
        &HubFrame::Error {
            code: reason,
            message: message.to_string(),
        },
    )
    .await;
    // Close reasons are limited to 123 bytes by the protocol.
    let short: String = message.chars().take(100).collect();
    let frame = CloseFrame {
        code: reason.code(),
        reason: short.into(),
    };
    let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
    let _ = tokio::time::timeout(SEND_TIMEOUT, sink.close()).await;
}

struct Live {
    incident: String,
    receiver: broadcast::Receiver<Broadcast>,
    last_seq: u64,
}

async fn next_live(live: &mut Option<Live>) -> (Result<Broadcast, RecvError>, u64) {
    match live {
        Some(live) => (live.receiver.recv().await, live.last_seq),
        None => std::future::pending().await,
    }
}

pub async fn run(socket: WebSocket, peer: SocketAddr, hub: Arc<HubState>) {
    hub.metrics.connections.fetch_add(1, Ordering::Relaxed);
    let _gauge = ConnectionGauge(hub.clone());
    let (mut sink, mut stream) = socket.split();
    let mut shutdown = hub.shutdown.clone();

    let first = tokio::time::timeout(HELLO_TIMEOUT, stream.next()).await;
    let Ok(Some(Ok(Message::Text(text)))) = first else {
        close(
            &mut sink,
            CloseReason::HelloExpected,
            "send a hello frame first",
        )
        .await;
        return;
    };
    let Ok(ClientFrame::Hello {
        protocol,
        token,
        incident,
        since_seq,
        watch_incidents,
    }) = serde_json::from_str::<ClientFrame>(&text)
    else {
        close(
            &mut sink,
            CloseReason::HelloExpected,
            "the first frame must be a valid hello",
        )
        .await;
        return;
    };
    if protocol != PROTOCOL_VERSION {
        let message = format!(
            "this hub speaks protocol {PROTOCOL_VERSION}, the client {protocol}: upgrade the older side"
        );
        close(&mut sink, CloseReason::ProtocolMismatch, &message).await;
        return;
    }
    let Some(actor) = hub.auth.authenticate(&token) else {
        hub.metrics.auth_failures.fetch_add(1, Ordering::Relaxed);
        let delay = hub.throttle.fail(peer.ip());
        tracing::warn!(%peer, "refused a connection with an invalid token");
        tokio::time::sleep(delay).await;
        close(&mut sink, CloseReason::Unauthorized, "invalid token").await;
        return;
    };
    hub.throttle.succeed(peer.ip());
    tracing::info!(%peer, name = %actor.name, "responder connected");
    let welcome = HubFrame::Welcome {
        protocol: PROTOCOL_VERSION,
        you: Identity {
            name: actor.name.clone(),
            roles: actor.roles.clone(),
        },
        hub_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    if !send_frame(&mut sink, &welcome).await {
        return;
    }
    if let Some(id) = incident.as_deref()
        && let Err(why) = hub.registry.check(id)
    {
        close(&mut sink, close_reason(&why), &why.message(id)).await;
        return;
    }
    // What this hub can run and deliver to (secret names only, never values), before
    // any other frame; a hub with neither sends none.
    let runbooks = hub.registry.runbooks();
    if !runbooks.actions.is_empty() || !runbooks.channels.is_empty() {
        let catalog = HubFrame::Catalog {
            actions: runbooks.actions.clone(),
            channels: runbooks.channels.clone(),
        };
        if !send_frame(&mut sink, &catalog).await {
            return;
        }
    }

    // Watching starts before the subscription, so nothing declared meanwhile is missed.
    let mut announcements = watch_incidents.then(|| hub.registry.announcer.watch());
    let mut live: Option<Live> = None;
    if let Some(id) = incident {
        match subscribe(&hub, &mut sink, &actor.name, &id, since_seq).await {
            Ok(subscription) => live = Some(subscription),
            Err(why) => {
                close(&mut sink, close_reason(&why), &why.message(&id)).await;
                return;
            }
        }
    }

    let mut pending: FuturesUnordered<BoxFuture<'static, HubFrame>> = FuturesUnordered::new();
    let mut rate = RateLimit::new();
    let mut malformed = 0u32;
    loop {
        tokio::select! {
            _ = shutdown.changed() => {
                // Commands already handed to an incident still complete: answer them so
                // the client knows what was applied, then say goodbye.
                let drain = async {
                    while let Some(frame) = pending.next().await {
                        if !send_frame(&mut sink, &frame).await {
                            break;
                        }
                    }
                };
                let _ = tokio::time::timeout(SHUTDOWN_DRAIN, drain).await;
                close(&mut sink, CloseReason::ShuttingDown, "the hub is shutting down; reconnect shortly").await;
                break;
            }
            message = stream.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Binary(_))) => {
                        malformed += 1;
                        hub.metrics.rejected(RejectReason::Malformed);
                        let _ = send_frame(&mut sink, &reject("", RejectReason::Malformed, "binary frames are not part of the protocol: send JSON text")).await;
                        if malformed > MAX_MALFORMED {
                            close(&mut sink, CloseReason::Malformed, "too many malformed frames").await;
                            break;
                        }
                        continue;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Err(error)) => {
                        let text = error.to_string();
                        if text.contains("too long") || text.contains("too big") || text.contains("Space limit") {
                            hub.metrics.rejected(RejectReason::TooLarge);
                            close(&mut sink, CloseReason::TooBig, &format!("frames are limited to {MAX_FRAME_BYTES} bytes")).await;
                        }
                        break;
                    }
                };
                match handle_frame(&hub, &actor, &text, &mut sink, &mut live, &mut rate).await {
                    Handled::Ok => {}
                    Handled::Pending(future) => pending.push(future),
                    Handled::Malformed => {
                        malformed += 1;
                        if malformed > MAX_MALFORMED {
                            close(&mut sink, CloseReason::Malformed, "too many malformed frames").await;
                            break;
                        }
                    }
                    Handled::Close(reason, message) => {
                        close(&mut sink, reason, &message).await;
                        break;
                    }
                }
            }
            Some(frame) = pending.next(), if !pending.is_empty() => {
                if !send_frame(&mut sink, &frame).await {
                    break;
                }
            }
            frame = super::announce::next(&mut announcements) => {
                if !send(&mut sink, frame.as_ref()).await {
                    break;
                }
            }
            (item, last_seq) = next_live(&mut live) => match item {
                Ok(broadcast) => {
                    if broadcast.seq != 0 && broadcast.seq <= last_seq {
                        continue;
                    }
                    let sent = tokio::time::timeout(
                        EVENT_SEND_TIMEOUT,
                        sink.send(Message::Text(broadcast.frame.as_ref().into())),
                    )
                    .await;
                    match sent {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => break,
                        Err(_) => {
                            // The client stopped reading and its socket is full: it cannot
                            // keep up. Count it, and try (briefly) to say why.
                            hub.metrics.slow_clients_dropped.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(%peer, name = %actor.name, "dropped a connection that stopped reading");
                            let message = format!("stopped reading; reconnect with since_seq={last_seq}");
                            let _ = tokio::time::timeout(Duration::from_secs(1), close(&mut sink, CloseReason::TooSlow, &message)).await;
                            break;
                        }
                    }
                    hub.metrics.fanout.observe(broadcast.committed.elapsed());
                    if let Some(live) = live.as_mut()
                        && broadcast.seq != 0
                    {
                        live.last_seq = broadcast.seq;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    hub.metrics.slow_clients_dropped.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(%peer, name = %actor.name, missed, "dropped a connection that fell behind");
                    let message = format!("fell {missed} events behind; reconnect with since_seq={last_seq}");
                    close(&mut sink, CloseReason::TooSlow, &message).await;
                    break;
                }
                Err(RecvError::Closed) => live = None,
            },
        }
    }
    if let Some(live) = &live {
        hub.registry
            .presence(&live.incident, &actor.name, false)
            .await;
    }
    tracing::info!(%peer, name = %actor.name, "responder disconnected");
}

enum Handled {
    Ok,
    Pending(BoxFuture<'static, HubFrame>),
    Malformed,
    Close(CloseReason, String),
}

fn reject(id: &str, code: RejectReason, message: impl Into<String>) -> HubFrame {
    HubFrame::Reject {
        id: id.to_string(),
        code,
        message: message.into(),
        retry_after_ms: None,
    }
}

/// How a connection that asked for an unavailable incident in its `hello` is closed.
fn close_reason(why: &Unavailable) -> CloseReason {
    match why {
        Unavailable::ShuttingDown | Unavailable::OpenFailed(_) => CloseReason::ShuttingDown,
        Unavailable::NoIncident | Unavailable::Quarantined(_) => CloseReason::UnknownIncident,
    }
}

/// Sends `subscribed`, the backlog and `synced`; why not if the incident is unavailable.
async fn subscribe(
    hub: &Arc<HubState>,
    sink: &mut Sink,
    name: &str,
    incident: &str,
    since_seq: u64,
) -> Result<Live, Unavailable> {
    let subscription = hub.registry.subscribe(incident, since_seq).await?;
    let header = HubFrame::Subscribed {
        incident: incident.to_string(),
        from_seq: subscription.from_seq,
        to_seq: subscription.to_seq,
    };
    let mut ok = send_frame(sink, &header).await;
    for frame in &subscription.backlog {
        if !ok {
            break;
        }
        ok = send(sink, frame.as_ref()).await;
    }
    hub.registry.presence(incident, name, true).await;
    let synced = HubFrame::Synced {
        incident: incident.to_string(),
        seq: subscription.to_seq,
        head: Some(subscription.head.clone()),
    };
    if ok {
        send_frame(sink, &synced).await;
    }
    Ok(Live {
        incident: incident.to_string(),
        receiver: subscription.live,
        last_seq: subscription.to_seq,
    })
}

async fn handle_frame(
    hub: &Arc<HubState>,
    actor: &Actor,
    text: &str,
    sink: &mut Sink,
    live: &mut Option<Live>,
    rate: &mut RateLimit,
) -> Handled {
    let frame = match serde_json::from_str::<ClientFrame>(text) {
        Ok(frame) => frame,
        Err(error) => {
            hub.metrics.rejected(RejectReason::Malformed);
            let id = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string))
                .unwrap_or_default();
            let _ = send_frame(
                sink,
                &reject(
                    &id,
                    RejectReason::Malformed,
                    format!("not a valid frame: {error}"),
                ),
            )
            .await;
            return Handled::Malformed;
        }
    };
    match frame {
        ClientFrame::Hello { .. } => {
            let _ = send_frame(
                sink,
                &reject("", RejectReason::Malformed, "hello was already received"),
            )
            .await;
            Handled::Malformed
        }
        ClientFrame::List => {
            let _ = send_frame(
                sink,
                &HubFrame::Incidents {
                    items: hub.registry.list(),
                },
            )
            .await;
            Handled::Ok
        }
        ClientFrame::Subscribe {
            incident,
            since_seq,
        } => {
            match subscribe(hub, sink, &actor.name, &incident, since_seq).await {
                Ok(subscription) => {
                    if let Some(old) = live.replace(subscription) {
                        hub.registry
                            .presence(&old.incident, &actor.name, false)
                            .await;
                    }
                }
                Err(why) => {
                    let code = match &why {
                        Unavailable::NoIncident | Unavailable::Quarantined(_) => {
                            RejectReason::NotFound
                        }
                        other => other.reject_reason(),
                    };
                    let _ = send_frame(sink, &reject("", code, why.message(&incident))).await;
                }
            }
            Handled::Ok
        }
        ClientFrame::Command {
            id,
            incident,
            command,
        } => {
            if id.is_empty() || id.chars().count() > MAX_COMMAND_ID_CHARS {
                hub.metrics.rejected(RejectReason::Malformed);
                let _ = send_frame(
                    sink,
                    &reject(
                        &id,
                        RejectReason::Malformed,
                        format!("a command id must be 1-{MAX_COMMAND_ID_CHARS} characters"),
                    ),
                )
                .await;
                return Handled::Malformed;
            }
            if !rate.allow() {
                hub.metrics.rejected(RejectReason::RateLimited);
                if rate.strikes > MAX_RATE_LIMITED {
                    return Handled::Close(
                        CloseReason::Flooding,
                        "far over the command rate".into(),
                    );
                }
                let message =
                    format!("over {COMMANDS_PER_SECOND} commands per second: re-send later");
                let _ = send_frame(sink, &reject(&id, RejectReason::RateLimited, message)).await;
                return Handled::Ok;
            }
            Handled::Pending(Box::pin(execute(
                hub.clone(),
                actor.clone(),
                id,
                incident,
                command,
            )))
        }
    }
}

async fn execute(
    hub: Arc<HubState>,
    actor: Actor,
    id: String,
    incident: Option<String>,
    command: Command,
) -> HubFrame {
    if let Some(refused) = hub.auth.refuse(&command) {
        let code = RejectReason::from(refused.code);
        hub.metrics.rejected(code);
        return reject(&id, code, refused.message);
    }
    let submission = Submission {
        actor,
        command,
        command_id: Some(id.clone()),
    };
    let (incident, reply) = match (&submission.command, incident) {
        (Command::Declare { .. }, _) => {
            // A re-sent declare that was applied is answered as a duplicate, whatever
            // the rate; every other declare takes one from the token's bucket.
            if !hub.registry.is_declared(&id)
                && let Err(limited) = hub.limiters.declares.check(&submission.actor.name)
            {
                hub.metrics.rejected(RejectReason::RateLimited);
                return HubFrame::Reject {
                    id,
                    code: RejectReason::RateLimited,
                    message: limited.message.clone(),
                    retry_after_ms: Some(limited.retry_after_ms()),
                };
            }
            match hub.registry.declare(submission).await {
                Ok(result) => result,
                Err(error) => {
                    tracing::error!(%error, "declare failed");
                    hub.metrics.rejected(RejectReason::StorageFailed);
                    return reject(&id, RejectReason::StorageFailed, error.to_string());
                }
            }
        }
        (_, None) => {
            hub.metrics.rejected(RejectReason::Invalid);
            return reject(
                &id,
                RejectReason::Invalid,
                "name the incident this command is for",
            );
        }
        (_, Some(incident)) => {
            let reply = hub.registry.submit(&incident, submission).await;
            (incident, reply)
        }
    };
    match reply {
        CommandReply::Applied { seq } => HubFrame::Ack {
            id,
            incident,
            seq,
            duplicate: false,
        },
        CommandReply::Duplicate { seq } => HubFrame::Ack {
            id,
            incident,
            seq,
            duplicate: true,
        },
        CommandReply::Rejected(rejection) => {
            let code = RejectReason::from(rejection.code);
            hub.metrics.rejected(code);
            reject(&id, code, rejection.message)
        }
        CommandReply::StorageFailed(message) => {
            hub.metrics.rejected(RejectReason::StorageFailed);
            reject(&id, RejectReason::StorageFailed, message)
        }
        // Never `no_incident` for one that exists: shutting down is retryable.
        CommandReply::Unavailable(why) => {
            let code = why.reject_reason();
            hub.metrics.rejected(code);
            reject(&id, code, why.message(&incident))
        }
    }
}
