//! One WebSocket connection's transport, under the session: sending with time limits,
//! reading while noting how the read side ended, and a real closing handshake. After
//! the hub sends its close frame it keeps reading, and discarding, whatever the client
//! still sends until the client's own close frame arrives, the client hangs up, or a
//! bounded time passes. Dropping a socket with unread input makes the kernel answer with
//! a reset, which can destroy the close frame before the client reads it; the client
//! would then see 1006 instead of the documented code.

use crate::protocol::{CloseReason, HubFrame};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// The upgraded socket as the hub speaks WebSocket over it.
pub type Ws = WebSocketStream<TokioIo<Upgraded>>;

/// A write that takes longer than this means the client stopped reading.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the hub keeps reading after its close frame, waiting for the client's.
pub const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// Why a read failed, as far as the session cares.
pub enum ReadFailure {
    /// Over the frame or message size limit.
    TooBig,
    /// Anything else: a protocol violation or a broken connection.
    Broken,
}

pub struct Connection {
    sink: SplitSink<Ws, Message>,
    stream: SplitStream<Ws>,
    /// The reader hit an error: the stream is out of step with the frames on the wire.
    read_failed: bool,
    /// The client sent its close frame, or hung up.
    peer_closed: bool,
    /// The hub sent its close frame.
    closed_by_us: bool,
}

impl Connection {
    pub fn new(socket: Ws) -> Connection {
        let (sink, stream) = socket.split();
        Connection {
            sink,
            stream,
            read_failed: false,
            peer_closed: false,
            closed_by_us: false,
        }
    }

    /// The next text frame; `Ok(None)` for frames the session may skip (ping, pong);
    /// `Err` when the connection is over for reading. A close frame or a hang-up from
    /// the client ends it with [`ReadFailure::Broken`] and no reply is needed.
    pub async fn recv(&mut self) -> Result<Option<Message>, ReadFailure> {
        match self.stream.next().await {
            Some(Ok(Message::Close(_))) | None => {
                self.peer_closed = true;
                Err(ReadFailure::Broken)
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => Ok(None),
            Some(Ok(message)) => Ok(Some(message)),
            Some(Err(error)) => {
                self.read_failed = true;
                match error {
                    WsError::Capacity(_) => Err(ReadFailure::TooBig),
                    _ => Err(ReadFailure::Broken),
                }
            }
        }
    }

    /// Whether the client has closed its side.
    pub fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// Sends a text frame within `limit`; false if it failed or took too long.
    pub async fn send_within(&mut self, limit: Duration, text: &str) -> Result<(), SendFailure> {
        match tokio::time::timeout(limit, self.sink.send(Message::Text(text.into()))).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(SendFailure::Broken),
            Err(_) => Err(SendFailure::TimedOut),
        }
    }

    /// Sends a text frame (within [`SEND_TIMEOUT`]); false if it could not.
    pub async fn send(&mut self, text: &str) -> bool {
        self.send_within(SEND_TIMEOUT, text).await.is_ok()
    }

    pub async fn send_frame(&mut self, frame: &HubFrame) -> bool {
        match serde_json::to_string(frame) {
            Ok(text) => self.send(&text).await,
            Err(_) => false,
        }
    }

    /// Says why in an `error` frame, then sends the close frame with the matching code.
    /// The closing handshake itself is [`Connection::finish`].
    pub async fn close(&mut self, reason: CloseReason, message: &str) {
        let error = HubFrame::Error {
            code: reason,
            message: message.to_string(),
        };
        let _ = self.send_frame(&error).await;
        // Close reasons are limited to 123 bytes by the protocol.
        let short: String = message.chars().take(100).collect();
        let frame = CloseFrame {
            code: reason.code().into(),
            reason: short.into(),
        };
        let close = self.sink.send(Message::Close(Some(frame)));
        self.closed_by_us = matches!(tokio::time::timeout(SEND_TIMEOUT, close).await, Ok(Ok(())));
    }

    /// Ends the connection. After the hub's close frame: reads and discards until the
    /// client's close frame or hang-up, for at most [`CLOSE_LINGER`]; when the frames
    /// can no longer be told apart (after a read error, e.g. an oversize frame whose
    /// payload is still unread) it half-closes and discards raw bytes instead. After the
    /// client's close frame: sends the reply. Otherwise (a broken connection): drops it.
    pub async fn finish(mut self) {
        let deadline = Instant::now() + CLOSE_LINGER;
        if self.peer_closed {
            // The library queued the reply to the client's close frame: send it.
            let _ = tokio::time::timeout_at(deadline, self.sink.flush()).await;
            return;
        }
        if !self.closed_by_us {
            return;
        }
        while !self.read_failed {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                // The client's close frame: the next read ends the stream.
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_))) => self.read_failed = true,
                Ok(None) | Err(_) => return,
            }
        }
        let Ok(mut socket) = self.stream.reunite(self.sink) else {
            return; // invariant: both halves come from the same split
        };
        let raw = socket.get_mut();
        // Our close frame is out; a half-close tells the client nothing more follows,
        // so it can reply and hang up at once.
        let _ = tokio::time::timeout_at(deadline, raw.shutdown()).await;
        let mut discard = [0u8; 16 * 1024];
        loop {
            match tokio::time::timeout_at(deadline, raw.read(&mut discard)).await {
                Ok(Ok(0) | Err(_)) | Err(_) => return,
                Ok(Ok(_)) => {}
            }
        }
    }
}

/// Why a send failed.
pub enum SendFailure {
    /// The client stopped reading and the socket stayed full.
    TimedOut,
    Broken,
}
