//! One connection to a hub: hello/welcome, then frames in and out. Commands get a fresh
//! random id; answers for other commands and events that arrive meanwhile are kept in
//! order for the caller. The hub's `catalog` (its actions and channels) is kept as it
//! arrives, in [`HubClient::catalog`]. `wss://` (and `https://`) hubs are reached over
//! TLS verified as `net::trust` says; a failed verification is an error naming the host
//! and what did not match, never a retry in plain text.

use crate::engine::IncidentSummary;
use crate::incident::export::LogHead;
use crate::incident::{Command, Event, State};
use crate::protocol::{
    Catalog, ClientFrame, CloseReason, HubFrame, Identity, PROTOCOL_VERSION, RejectReason,
};
use futures_util::{SinkExt, StreamExt};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The byte stream under the WebSocket: plain TCP, or TLS over it.
trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for T {}

type Socket = WebSocketStream<Box<dyn Transport>>;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot reach the hub at {url}: {cause}")]
    Connect { url: String, cause: String },
    #[error("the hub closed the connection ({}): {message}", reason.map_or("no reason".to_string(), |r| format!("{r:?}")))]
    Closed {
        reason: Option<CloseReason>,
        message: String,
    },
    #[error("rejected ({}): {message}", code.id())]
    Rejected { code: RejectReason, message: String },
    #[error("the connection failed: {0}")]
    Io(String),
    #[error("the hub sent something unexpected: {0}")]
    Protocol(String),
    /// TLS could not be set up or the hub's certificate was not trusted: a person must
    /// act (give --ca or --fingerprint, fix the name), so it is never retried.
    #[error("{0}")]
    Tls(String),
}

impl NetError {
    /// Worth reconnecting after (as opposed to a bad token or a rejected command).
    pub fn is_retryable(&self) -> bool {
        match self {
            NetError::Connect { .. } | NetError::Io(_) => true,
            NetError::Closed { reason, .. } => reason.is_none_or(CloseReason::is_retryable),
            NetError::Rejected { .. } | NetError::Protocol(_) | NetError::Tls(_) => false,
        }
    }
}

/// Why a connection attempt failed, in the words the header shows: refused (nothing
/// listens: the hub is down or restarting), unreachable, timed out, or the name does
/// not resolve; anything else as the library says it.
fn connect_cause(error: &tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    match error {
        Error::Io(io) => io_cause(io),
        Error::Http(response) => {
            // The hub's own refusals carry a JSON `error` saying what to do.
            let said = response
                .body()
                .as_deref()
                .and_then(|body| serde_json::from_slice::<serde_json::Value>(body).ok())
                .and_then(|body| body.get("error")?.as_str().map(str::to_string));
            match said {
                Some(said) => format!("the hub answered HTTP {}: {said}", response.status()),
                None => format!("the hub answered HTTP {}", response.status()),
            }
        }
        other => other.to_string(),
    }
}

/// [`connect_cause`] for a failed TCP connect.
fn io_cause(io: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match io.kind() {
        ErrorKind::ConnectionRefused => {
            "refused: nothing listens there (is the hub running?)".into()
        }
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
            "unreachable: no route to the hub's host".into()
        }
        ErrorKind::TimedOut => "timed out: the hub's host does not answer".into(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            "the connection was cut while opening".into()
        }
        _ if io.to_string().contains("failed to lookup") => "the host name does not resolve".into(),
        _ => io.to_string(),
    }
}

/// Opens the WebSocket at `url` (`ws://` or `wss://`): TCP, then TLS for `wss://`
/// (verified as `net::trust` says), then the upgrade.
async fn open(url: &str) -> Result<Socket, NetError> {
    let unreachable = |cause: String| NetError::Connect {
        url: url.to_string(),
        cause,
    };
    let request = url
        .into_client_request()
        .map_err(|e| unreachable(format!("not a hub URL ({e})")))?;
    let secure = request.uri().scheme_str() == Some("wss");
    let host = request
        .uri()
        .host()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
        .ok_or_else(|| unreachable("the URL names no host".into()))?;
    let port = request
        .uri()
        .port_u16()
        .unwrap_or(if secure { 443 } else { 80 });
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| unreachable(io_cause(&e)))?;
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Transport> = if secure {
        Box::new(tls_handshake(&host, tcp).await?)
    } else {
        Box::new(tcp)
    };
    let (socket, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .map_err(|e| unreachable(connect_cause(&e)))?;
    Ok(socket)
}

/// TLS with the hub at `host` over `tcp`; a refusal says what did not match.
async fn tls_handshake(
    host: &str,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, NetError> {
    let config = crate::net::trust::client_config().map_err(|e| NetError::Tls(e.to_string()))?;
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| NetError::Tls(format!("TLS with {host}: not a usable host name ({e})")))?;
    tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|error| {
            let tls = error
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>());
            match tls {
                Some(tls) => NetError::Tls(crate::tls::client::explain(host, tls)),
                None => NetError::Tls(format!(
                    "TLS with {host} failed: {} (does it speak TLS there?)",
                    io_cause(&error)
                )),
            }
        })
}

/// `http://host:port`, `ws://host:port` or `host:port` → `ws://host:port/ws`.
pub fn ws_url(hub: &str) -> String {
    let trimmed = hub.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("ws://"))
        .map(|r| ("ws://", r))
        .or_else(|| {
            trimmed
                .strip_prefix("https://")
                .or_else(|| trimmed.strip_prefix("wss://"))
                .map(|r| ("wss://", r))
        });
    let (scheme, host) = rest.unwrap_or(("ws://", trimmed));
    if host.ends_with("/ws") {
        format!("{scheme}{host}")
    } else {
        format!("{scheme}{host}/ws")
    }
}

/// A fresh command id: 128 random bits, hex.
pub fn new_command_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // Fall back to time-based uniqueness; collisions only cost idempotency.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        return format!("t{nanos:x}");
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hubs a `--hub` value names: several may be given, comma-separated (hubs
/// sharing one replicated store), tried in order; blanks are ignored.
pub fn hub_list(hub: &str) -> Vec<String> {
    let mut hubs: Vec<String> = Vec::new();
    for one in hub.split(',').map(str::trim).filter(|h| !h.is_empty()) {
        if !hubs.iter().any(|h| h == one) {
            hubs.push(one.to_string());
        }
    }
    hubs
}

/// How long one hub may take to accept a connection before the next one is tried (a
/// machine that died answers nothing at all, and the system's own wait is minutes).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct HubClient {
    socket: Socket,
    /// The hub this client reached, as it was named (one of a `--hub` list).
    pub hub: String,
    pub you: Identity,
    /// The hub's containment actions and delivery channels: the `catalog` frame, once
    /// read (see [`HubClient::wait_catalog`]).
    pub catalog: Option<Catalog>,
    /// Frames read while waiting for something else, in arrival order.
    held: VecDeque<HubFrame>,
}

impl HubClient {
    /// Connects, says hello (optionally subscribing from `since_seq`), waits for welcome.
    pub async fn connect(
        hub: &str,
        token: &str,
        incident: Option<&str>,
        since_seq: u64,
    ) -> Result<HubClient, NetError> {
        HubClient::connect_watching(hub, token, incident, since_seq, false, false).await
    }

    /// [`HubClient::connect`], also asking (`watch_incidents`) for an
    /// `incident_changed` frame whenever any incident on the hub is declared or changes
    /// title, severity or status; and with `snapshot` (and `since_seq` 0), starting
    /// from a `snapshot` frame of the incident's state rather than every event.
    pub async fn connect_watching(
        hub: &str,
        token: &str,
        incident: Option<&str>,
        since_seq: u64,
        watch_incidents: bool,
        snapshot: bool,
    ) -> Result<HubClient, NetError> {
        let hubs = hub_list(hub);
        let mut failures: Vec<String> = Vec::new();
        let mut last: Option<NetError> = None;
        for one in &hubs {
            let attempt = tokio::time::timeout(
                CONNECT_TIMEOUT,
                HubClient::connect_one(one, token, incident, since_seq, watch_incidents, snapshot),
            )
            .await
            .unwrap_or_else(|_| {
                Err(NetError::Connect {
                    url: ws_url(one),
                    cause: format!("no answer within {}s", CONNECT_TIMEOUT.as_secs()),
                })
            });
            match attempt {
                Ok(client) => return Ok(client),
                // A refused token or a protocol mismatch is the same at every hub.
                Err(error) if !error.is_retryable() => return Err(error),
                Err(error) => {
                    failures.push(error.to_string());
                    last = Some(error);
                }
            }
        }
        match (last, hubs.len()) {
            (Some(error), 1) => Err(error),
            (Some(_), _) => Err(NetError::Connect {
                url: hubs.join(", "),
                cause: format!("no hub answered: {}", failures.join("; ")),
            }),
            (None, _) => Err(NetError::Connect {
                url: hub.to_string(),
                cause: "no hub URL given".to_string(),
            }),
        }
    }

    /// [`HubClient::connect_watching`] to one hub.
    async fn connect_one(
        hub: &str,
        token: &str,
        incident: Option<&str>,
        since_seq: u64,
        watch_incidents: bool,
        snapshot: bool,
    ) -> Result<HubClient, NetError> {
        let url = ws_url(hub);
        let socket = open(&url).await?;
        let mut client = HubClient {
            socket,
            hub: hub.to_string(),
            you: Identity {
                name: String::new(),
                roles: Default::default(),
            },
            catalog: None,
            held: VecDeque::new(),
        };
        client
            .send(&ClientFrame::Hello {
                protocol: PROTOCOL_VERSION,
                token: token.to_string(),
                incident: incident.map(str::to_string),
                since_seq,
                snapshot,
                watch_incidents,
            })
            .await?;
        match client.read().await? {
            HubFrame::Welcome { you, .. } => client.you = you,
            other => {
                return Err(NetError::Protocol(format!(
                    "expected welcome, got {other:?}"
                )));
            }
        }
        Ok(client)
    }

    pub async fn send(&mut self, frame: &ClientFrame) -> Result<(), NetError> {
        let text = serde_json::to_string(frame).map_err(|e| NetError::Protocol(e.to_string()))?;
        self.socket
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| NetError::Io(e.to_string()))
    }

    /// The next frame from the hub (held ones first). A close becomes `NetError::Closed`
    /// with the hub's reason.
    pub async fn next(&mut self) -> Result<HubFrame, NetError> {
        match self.held.pop_front() {
            Some(frame) => Ok(frame),
            None => self.read().await,
        }
    }

    async fn read(&mut self) -> Result<HubFrame, NetError> {
        let mut last_error: Option<(CloseReason, String)> = None;
        loop {
            let message = self.socket.next().await;
            match message {
                Some(Ok(Message::Text(text))) => {
                    // A frame type from a newer hub is skipped: new frames are additive.
                    let Some(frame) = HubFrame::parse(&text)
                        .map_err(|e| NetError::Protocol(format!("{e}: {text}")))?
                    else {
                        continue;
                    };
                    if let HubFrame::Error { code, message } = frame {
                        last_error = Some((code, message));
                        continue;
                    }
                    if let HubFrame::Catalog {
                        actions,
                        channels,
                        trackers,
                    } = &frame
                    {
                        self.catalog = Some(Catalog {
                            actions: actions.clone(),
                            channels: channels.clone(),
                            trackers: trackers.clone(),
                        });
                    }
                    return Ok(frame);
                }
                Some(Ok(Message::Close(close))) => {
                    let (reason, message) = match (close, last_error) {
                        (_, Some((code, message))) => (Some(code), message),
                        (Some(frame), None) => (
                            CloseReason::from_code(u16::from(frame.code)),
                            frame.reason.to_string(),
                        ),
                        (None, None) => (None, String::new()),
                    };
                    return Err(NetError::Closed { reason, message });
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(NetError::Io(e.to_string())),
                None => {
                    let (reason, message) = last_error
                        .map_or((None, "connection ended".to_string()), |(c, m)| {
                            (Some(c), m)
                        });
                    return Err(NetError::Closed { reason, message });
                }
            }
        }
    }

    /// Sends `command` with id `id` and waits for its ack (returns incident id and last
    /// seq) or reject. Other frames are held for [`HubClient::next`].
    pub async fn command_with_id(
        &mut self,
        id: &str,
        incident: Option<&str>,
        command: Command,
    ) -> Result<(String, u64), NetError> {
        self.send(&ClientFrame::Command {
            id: id.to_string(),
            incident: incident.map(str::to_string),
            command,
        })
        .await?;
        loop {
            match self.read().await? {
                HubFrame::Ack {
                    id: acked,
                    incident,
                    seq,
                    ..
                } if acked == id => return Ok((incident, seq)),
                HubFrame::Reject {
                    id: rejected,
                    code,
                    message,
                    ..
                } if rejected == id => {
                    return Err(NetError::Rejected { code, message });
                }
                other => self.held.push_back(other),
            }
        }
    }

    pub async fn command(
        &mut self,
        incident: Option<&str>,
        command: Command,
    ) -> Result<(String, u64), NetError> {
        self.command_with_id(&new_command_id(), incident, command)
            .await
    }

    /// Subscribes to `incident` from the start and returns every event up to `synced`.
    pub async fn load(&mut self, incident: &str) -> Result<Vec<Event>, NetError> {
        Ok(self.load_with_head(incident).await?.0)
    }

    /// [`HubClient::load`], with the log head the hub read them at (`None` from a hub
    /// too old to say).
    pub async fn load_with_head(
        &mut self,
        incident: &str,
    ) -> Result<(Vec<Event>, Option<LogHead>), NetError> {
        self.send(&ClientFrame::Subscribe {
            incident: incident.to_string(),
            since_seq: 0,
            snapshot: false,
        })
        .await?;
        let mut events = Vec::new();
        loop {
            match self.read().await? {
                HubFrame::Event {
                    incident: from,
                    event,
                } if from == incident => events.push(event),
                HubFrame::Synced {
                    incident: from,
                    seq,
                    head,
                } if from == incident => {
                    return Ok((events, head.map(|hash| LogHead { seq, hash })));
                }
                HubFrame::Reject { code, message, .. } => {
                    return Err(NetError::Rejected { code, message });
                }
                _ => {}
            }
        }
    }

    /// The incident's state now, from a `snapshot` frame (a hub that predates them sends
    /// every event instead, which are replayed): what a status or a console needs,
    /// without the incident's history.
    pub async fn load_state(&mut self, incident: &str) -> Result<State, NetError> {
        self.send(&ClientFrame::Subscribe {
            incident: incident.to_string(),
            since_seq: 0,
            snapshot: true,
        })
        .await?;
        let mut state = State::default();
        loop {
            match self.read().await? {
                HubFrame::Snapshot {
                    incident: from,
                    state: encoded,
                    ..
                } if from == incident => {
                    state = crate::incident::snapshot::decode_value(encoded)
                        .map_err(|e| NetError::Protocol(format!("the hub's snapshot: {e}")))?;
                }
                HubFrame::Event {
                    incident: from,
                    event,
                } if from == incident => state.apply(&event),
                HubFrame::Synced { incident: from, .. } if from == incident => return Ok(state),
                HubFrame::Reject { code, message, .. } => {
                    return Err(NetError::Rejected { code, message });
                }
                _ => {}
            }
        }
    }

    /// The hub's catalog. The hub sends it right after `welcome`, before reading
    /// anything, and only when it has actions or channels; so the answer to a `list`
    /// sent now arriving first means it has neither. Other frames read meanwhile are
    /// held for [`HubClient::next`].
    pub async fn wait_catalog(&mut self) -> Result<Catalog, NetError> {
        if let Some(catalog) = &self.catalog {
            return Ok(catalog.clone());
        }
        self.send(&ClientFrame::List).await?;
        loop {
            match self.read().await? {
                HubFrame::Catalog {
                    actions,
                    channels,
                    trackers,
                } => {
                    return Ok(Catalog {
                        actions,
                        channels,
                        trackers,
                    });
                }
                HubFrame::Incidents { .. } => {
                    return Ok(self.catalog.clone().unwrap_or_default());
                }
                other => self.held.push_back(other),
            }
        }
    }

    pub async fn list(&mut self) -> Result<Vec<IncidentSummary>, NetError> {
        self.send(&ClientFrame::List).await?;
        loop {
            match self.read().await? {
                HubFrame::Incidents { items } => return Ok(items),
                other => self.held.push_back(other),
            }
        }
    }

    /// Closes politely: sends a close frame and waits (at most 2 s) for the hub's reply
    /// and its hang-up, so the hub has let go of the connection when this returns.
    pub async fn close(mut self) {
        let _ = self
            .socket
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into(),
            }))
            .await;
        let hang_up = async { while let Some(Ok(_)) = self.socket.next().await {} };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), hang_up).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_urls_normalise() {
        assert_eq!(ws_url("http://127.0.0.1:7420"), "ws://127.0.0.1:7420/ws");
        assert_eq!(ws_url("ws://h:1/ws"), "ws://h:1/ws");
        assert_eq!(ws_url("h:1/"), "ws://h:1/ws");
        assert_eq!(ws_url("https://hub.example"), "wss://hub.example/ws");
    }
}
