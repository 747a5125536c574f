//! One WebSocket session: the hello handshake and authentication, then a loop that
//! forwards the subscribed incident's events, takes commands (rate-limited, answered
//! with ack/reject as they complete, possibly out of order), and closes with a reason
//! code when something is wrong, after answering every command it already handed to an
//! incident. A slow or hostile client only ever hurts itself. The transport under it
//! (time limits, the closing handshake) is `connection`.

use super::HubState;
use super::Unavailable;
use super::admission::Slot;
use super::command_rate::CommandRate;
use super::connection::{Connection, ReadFailure, SendFailure, Ws};
use super::execute::{execute, reject};
use super::responders::Revocation;
use super::subscribe::{Live, next_live, subscribe};
use crate::incident::Actor;
use crate::protocol::{
    COMMANDS_PER_SECOND, ClientFrame, CloseReason, HubFrame, Identity, MAX_COMMAND_ID_CHARS,
    MAX_FRAME_BYTES, PROTOCOL_VERSION, RejectReason,
};
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::tungstenite::Message;

/// For the event stream the bound is tighter than for other frames: a subscriber whose
/// socket stays full this long is dropped as too slow (it resyncs by seq), so it holds
/// nothing up.
const EVENT_SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a closing connection waits to answer the commands it already handed to an
/// incident (they complete whether or not anyone waits).
const ANSWER_DRAIN: Duration = Duration::from_secs(5);
/// How long an evicted connection gets to say why before it is dropped.
const EVICTION_NOTICE: Duration = Duration::from_millis(100);
/// Malformed frames tolerated before the connection is closed.
const MAX_MALFORMED: u32 = 20;
/// Rate-limited commands tolerated (without a pause) before the connection is closed.
const MAX_RATE_LIMITED: u32 = 500;

/// Keeps the connection gauge honest however the session ends.
struct ConnectionGauge(Arc<HubState>);
impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        self.0.metrics.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

type Pending = FuturesUnordered<BoxFuture<'static, HubFrame>>;

/// Answers every command already handed to an incident (for a bounded time), then
/// closes: a client learns the fate of everything the hub read before the close.
async fn close_after_answers(
    conn: &mut Connection,
    pending: &mut Pending,
    reason: CloseReason,
    message: &str,
) {
    let answer = async {
        while let Some(frame) = pending.next().await {
            if !conn.send_frame(&frame).await {
                return false;
            }
        }
        true
    };
    if let Ok(false) = tokio::time::timeout(ANSWER_DRAIN, answer).await {
        return; // the connection broke: nobody to say goodbye to
    }
    conn.close(reason, message).await;
}

/// Whether the connection's ending deserves the closing handshake.
enum Ending {
    Handshake,
    /// Evicted: the place it held is for someone else, now.
    Drop,
}

pub async fn run(socket: Ws, peer: SocketAddr, hub: Arc<HubState>, slot: Slot) {
    let mut conn = Connection::new(socket);
    let ending = {
        // The session is over once it has said why, even if the handshake lingers.
        hub.metrics.connections.fetch_add(1, Ordering::Relaxed);
        let _gauge = ConnectionGauge(hub.clone());
        session(&mut conn, peer, &hub, &slot).await
    };
    if let Ending::Handshake = ending {
        conn.finish().await;
    }
}

async fn session(
    conn: &mut Connection,
    peer: SocketAddr,
    hub: &Arc<HubState>,
    slot: &Slot,
) -> Ending {
    let mut shutdown = hub.shutdown.clone();
    let hello_timeout = hub.limits.hello_timeout;
    let first = tokio::select! {
        first = tokio::time::timeout(hello_timeout, conn.recv()) => first,
        () = slot.evicted() => {
            let message = "the hub is at its connection limit and this connection sent no hello: retry, and send the hello at once";
            let _ = tokio::time::timeout(EVICTION_NOTICE, conn.close(CloseReason::Busy, message)).await;
            return Ending::Drop;
        }
        () = super::stopping(&mut shutdown) => {
            conn.close(CloseReason::ShuttingDown, "the hub is shutting down; reconnect shortly").await;
            return Ending::Handshake;
        }
    };
    let text = match first {
        Ok(Ok(Some(Message::Text(text)))) => text,
        Ok(Err(ReadFailure::Broken)) if conn.peer_closed() => return Ending::Handshake,
        Ok(Err(ReadFailure::TooBig)) => {
            hub.metrics.rejected(RejectReason::TooLarge);
            let message = format!(
                "the first frame must be a hello (and frames are limited to {MAX_FRAME_BYTES} bytes)"
            );
            conn.close(CloseReason::HelloExpected, &message).await;
            return Ending::Handshake;
        }
        Err(_) => {
            hub.metrics
                .connections_timed_out
                .fetch_add(1, Ordering::Relaxed);
            let message = format!("no hello within {} s", hello_timeout.as_secs_f64());
            conn.close(CloseReason::HelloExpected, &message).await;
            return Ending::Handshake;
        }
        _ => {
            conn.close(CloseReason::HelloExpected, "send a hello frame first")
                .await;
            return Ending::Handshake;
        }
    };
    // Checking the hello (and the failed-login delay) is work in progress: not evictable.
    let checking = slot.busy();
    let Ok(ClientFrame::Hello {
        protocol,
        token,
        incident,
        since_seq,
        snapshot,
        watch_incidents,
    }) = serde_json::from_str::<ClientFrame>(&text)
    else {
        conn.close(
            CloseReason::HelloExpected,
            "the first frame must be a valid hello",
        )
        .await;
        return Ending::Handshake;
    };
    if protocol != PROTOCOL_VERSION {
        let message = format!(
            "this hub speaks protocol {PROTOCOL_VERSION}, the client {protocol}: upgrade the older side"
        );
        conn.close(CloseReason::ProtocolMismatch, &message).await;
        return Ending::Handshake;
    }
    // Watching starts before the check, so a reload right after it is not missed.
    let responders = hub.auth.watch();
    let authenticated = responders.borrow().authenticate(&token);
    let Some(actor) = authenticated else {
        hub.metrics.auth_failures.fetch_add(1, Ordering::Relaxed);
        let delay = hub.throttle.fail(peer.ip());
        tracing::warn!(%peer, "refused a connection with an invalid token");
        tokio::time::sleep(delay).await;
        conn.close(CloseReason::Unauthorized, "invalid token").await;
        return Ending::Handshake;
    };
    hub.throttle.succeed(peer.ip());
    if !slot.authenticated() {
        // Evicted in the instant before the hello was read.
        conn.close(
            CloseReason::Busy,
            "the hub is at its connection limit: retry shortly",
        )
        .await;
        return Ending::Handshake;
    }
    drop(checking);
    tracing::info!(%peer, name = %actor.name, "responder connected");
    hub.seen.saw(&actor.name, chrono::Utc::now());
    let mut revocation = Revocation::new(token, actor.clone(), responders);
    let welcome = HubFrame::Welcome {
        protocol: PROTOCOL_VERSION,
        you: Identity {
            name: actor.name.clone(),
            roles: actor.roles.clone(),
        },
        hub_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    if !conn.send_frame(&welcome).await {
        return Ending::Handshake;
    }
    if let Some(id) = incident.as_deref() {
        hub.registry.discover(id).await;
    }
    if let Some(id) = incident.as_deref()
        && let Err(why) = hub.registry.check(id)
    {
        conn.close(close_reason(&why), &why.message(id)).await;
        return Ending::Handshake;
    }
    // What this hub can run and deliver to (secret names only, never values), before
    // any other frame; a hub with neither sends none.
    let runbooks = hub.registry.runbooks();
    let has_any = !runbooks.actions.is_empty()
        || !runbooks.channels.is_empty()
        || !runbooks.trackers.is_empty();
    if has_any {
        let catalog = HubFrame::Catalog {
            actions: runbooks.actions.clone(),
            channels: runbooks.channels.clone(),
            trackers: runbooks.trackers.clone(),
        };
        if !conn.send_frame(&catalog).await {
            return Ending::Handshake;
        }
    }

    // Watching starts before the subscription, so nothing declared meanwhile is missed.
    let mut announcements = watch_incidents.then(|| hub.registry.announcer.watch());
    let mut live: Option<Live> = None;
    if let Some(id) = incident {
        match subscribe(hub, conn, &actor.name, &id, since_seq, snapshot).await {
            Ok(subscription) => live = Some(subscription),
            Err(why) => {
                conn.close(close_reason(&why), &why.message(&id)).await;
                return Ending::Handshake;
            }
        }
    }
    serve(
        conn,
        peer,
        hub,
        &actor,
        &mut revocation,
        &mut live,
        &mut announcements,
    )
    .await;
    hub.seen.saw(&actor.name, chrono::Utc::now());
    if let Some(live) = &live {
        hub.registry
            .presence(&live.incident, &actor.name, false)
            .await;
    }
    tracing::info!(%peer, name = %actor.name, "responder disconnected");
    Ending::Handshake
}

/// The authenticated loop, until the client leaves or the hub closes the connection.
async fn serve(
    conn: &mut Connection,
    peer: SocketAddr,
    hub: &Arc<HubState>,
    actor: &Actor,
    revocation: &mut Revocation,
    live: &mut Option<Live>,
    announcements: &mut Option<tokio::sync::broadcast::Receiver<Arc<str>>>,
) {
    let mut shutdown = hub.shutdown.clone();
    let mut pending = Pending::new();
    let mut rate = CommandRate::new();
    let mut malformed = 0u32;
    loop {
        tokio::select! {
            () = super::stopping(&mut shutdown) => {
                // Commands already handed to an incident still complete: answer them so
                // the client knows what was applied, then say goodbye.
                let message = "the hub is shutting down; reconnect shortly";
                close_after_answers(conn, &mut pending, CloseReason::ShuttingDown, message).await;
                return;
            }
            why = revocation.revoked() => {
                tracing::info!(%peer, name = %actor.name, why, "closed a session after a reload");
                close_after_answers(conn, &mut pending, CloseReason::Revoked, why).await;
                return;
            }
            message = conn.recv() => {
                let text = match message {
                    Ok(Some(Message::Text(text))) => text,
                    Ok(Some(Message::Binary(_))) => {
                        malformed += 1;
                        hub.metrics.rejected(RejectReason::Malformed);
                        let _ = conn.send_frame(&reject("", RejectReason::Malformed, "binary frames are not part of the protocol: send JSON text")).await;
                        if malformed > MAX_MALFORMED {
                            close_after_answers(conn, &mut pending, CloseReason::Malformed, "too many malformed frames").await;
                            return;
                        }
                        continue;
                    }
                    Ok(_) => continue,
                    Err(ReadFailure::TooBig) => {
                        hub.metrics.rejected(RejectReason::TooLarge);
                        let message = format!("frames are limited to {MAX_FRAME_BYTES} bytes");
                        close_after_answers(conn, &mut pending, CloseReason::TooBig, &message).await;
                        return;
                    }
                    // The client closed, or the connection broke.
                    Err(ReadFailure::Broken) => return,
                };
                match handle_frame(hub, actor, &text, conn, live, &mut rate).await {
                    Handled::Ok => {}
                    Handled::Pending(future) => pending.push(future),
                    Handled::Malformed => {
                        malformed += 1;
                        if malformed > MAX_MALFORMED {
                            close_after_answers(conn, &mut pending, CloseReason::Malformed, "too many malformed frames").await;
                            return;
                        }
                    }
                    Handled::Close(reason, message) => {
                        close_after_answers(conn, &mut pending, reason, &message).await;
                        return;
                    }
                }
            }
            Some(frame) = pending.next(), if !pending.is_empty() => {
                if !conn.send_frame(&frame).await {
                    return;
                }
            }
            frame = super::announce::next(announcements) => {
                if !conn.send(frame.as_ref()).await {
                    return;
                }
            }
            (item, last_seq) = next_live(live) => match item {
                Ok(broadcast) => {
                    if broadcast.seq != 0 && broadcast.seq <= last_seq {
                        continue;
                    }
                    match conn.send_within(EVENT_SEND_TIMEOUT, &broadcast.frame).await {
                        Ok(()) => {}
                        Err(SendFailure::Broken) => return,
                        Err(SendFailure::TimedOut) => {
                            // The client stopped reading and its socket is full: it cannot
                            // keep up. Count it, and try (briefly) to say why.
                            hub.metrics.slow_clients_dropped.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(%peer, name = %actor.name, "dropped a connection that stopped reading");
                            let message = format!("stopped reading; reconnect with since_seq={last_seq}");
                            let _ = tokio::time::timeout(Duration::from_secs(1), conn.close(CloseReason::TooSlow, &message)).await;
                            return;
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
                    close_after_answers(conn, &mut pending, CloseReason::TooSlow, &message).await;
                    return;
                }
                Err(RecvError::Closed) => *live = None,
            },
        }
    }
}

enum Handled {
    Ok,
    Pending(BoxFuture<'static, HubFrame>),
    Malformed,
    Close(CloseReason, String),
}

/// How a connection that asked for an unavailable incident in its `hello` is closed.
fn close_reason(why: &Unavailable) -> CloseReason {
    match why {
        Unavailable::ShuttingDown | Unavailable::OpenFailed(_) => CloseReason::ShuttingDown,
        Unavailable::NoIncident | Unavailable::Quarantined(_) => CloseReason::UnknownIncident,
    }
}

async fn handle_frame(
    hub: &Arc<HubState>,
    actor: &Actor,
    text: &str,
    conn: &mut Connection,
    live: &mut Option<Live>,
    rate: &mut CommandRate,
) -> Handled {
    let frame = match serde_json::from_str::<ClientFrame>(text) {
        Ok(frame) => frame,
        Err(error) => {
            hub.metrics.rejected(RejectReason::Malformed);
            let id = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string))
                .unwrap_or_default();
            let _ = conn
                .send_frame(&reject(
                    &id,
                    RejectReason::Malformed,
                    format!("not a valid frame: {error}"),
                ))
                .await;
            return Handled::Malformed;
        }
    };
    match frame {
        ClientFrame::Hello { .. } => {
            let _ = conn
                .send_frame(&reject(
                    "",
                    RejectReason::Malformed,
                    "hello was already received",
                ))
                .await;
            Handled::Malformed
        }
        ClientFrame::List => {
            // On a shared store, incidents other hubs declared since are listed too.
            hub.registry.discover_all().await;
            let _ = conn
                .send_frame(&HubFrame::Incidents {
                    items: hub.registry.list(),
                })
                .await;
            Handled::Ok
        }
        ClientFrame::Subscribe {
            incident,
            since_seq,
            snapshot,
        } => {
            // A subscription costs the incident a snapshot or a backlog: rated too.
            if let Some(refused) = over_rate(hub, conn, rate, "").await {
                return refused;
            }
            match subscribe(hub, conn, &actor.name, &incident, since_seq, snapshot).await {
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
                    let _ = conn
                        .send_frame(&reject("", code, why.message(&incident)))
                        .await;
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
                let _ = conn
                    .send_frame(&reject(
                        &id,
                        RejectReason::Malformed,
                        format!("a command id must be 1-{MAX_COMMAND_ID_CHARS} characters"),
                    ))
                    .await;
                return Handled::Malformed;
            }
            if let Some(refused) = over_rate(hub, conn, rate, &id).await {
                return refused;
            }
            Handled::Pending(Box::pin(execute(
                hub.clone(),
                actor.clone(),
                id,
                incident,
                command,
            )))
        }
        // Reads of old timeline hold the incident's thread while they read: they count
        // against the same per-connection rate as commands, so a flood of searches
        // cannot keep an incident from deciding.
        ClientFrame::Page {
            id,
            incident,
            before_seq,
            limit,
        } => match over_rate(hub, conn, rate, &id).await {
            Some(refused) => refused,
            None => Handled::Pending(Box::pin(super::pages::answer_page(
                hub.clone(),
                id,
                incident,
                before_seq,
                limit,
            ))),
        },
        ClientFrame::Search {
            id,
            incident,
            query,
            before_seq,
        } => match over_rate(hub, conn, rate, &id).await {
            Some(refused) => refused,
            None => Handled::Pending(Box::pin(super::pages::answer_search(
                hub.clone(),
                id,
                incident,
                query,
                before_seq,
            ))),
        },
    }
}

/// `None` if request `id` is within the connection's rate; else its refusal, answered
/// (every request read gets its answer, the last one before a 4009 too), and whether
/// the connection goes on or is closed for flooding.
async fn over_rate(
    hub: &Arc<HubState>,
    conn: &mut Connection,
    rate: &mut CommandRate,
    id: &str,
) -> Option<Handled> {
    if rate.allow() {
        return None;
    }
    hub.metrics.rejected(RejectReason::RateLimited);
    let message = format!("over {COMMANDS_PER_SECOND} commands per second: re-send later");
    let _ = conn
        .send_frame(&reject(id, RejectReason::RateLimited, message))
        .await;
    if rate.strikes > MAX_RATE_LIMITED {
        return Some(Handled::Close(
            CloseReason::Flooding,
            "far over the command rate".into(),
        ));
    }
    Some(Handled::Ok)
}
