//! The hub's HTTP/1 server. It accepts connections through [`Admission`] (a connection
//! that finds no room is refused at once with a `503`), serves each with hyper under a
//! header-read timeout and a time limit per request, passes `/ws` upgrades on with their
//! slot, and closes a connection as soon as it is evicted. With TLS, each connection
//! first completes its handshake within the same header-read timeout, still evictable
//! while it does; plain text sent to a TLS port is answered `400` (use https/wss) and
//! closed. Either way one slow or confused client only costs its own task and slot.
//! On shutdown it stops
//! accepting, lets every connection (WebSocket sessions included) finish, and waits for
//! them for a bounded time.

use super::admission::{Admission, Slot};
use super::metrics::Metrics;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::Service as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A request whose handler (body included) takes longer than this gets a `408`.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a stopping hub waits for its connections; each bounds its own ending.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(15);
/// A pause after a failed accept, so a persistent failure does not spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(10);

/// What every connection task needs.
#[derive(Clone)]
pub struct Serving {
    pub router: Router,
    pub admission: Arc<Admission>,
    pub metrics: Arc<Metrics>,
    pub header_timeout: Duration,
    pub stop: watch::Receiver<bool>,
    /// Set when the hub speaks TLS: every connection starts with a handshake.
    pub tls: Option<TlsAcceptor>,
}

/// The first byte of every TLS connection: a handshake record.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;
/// How long a plain-text client at a TLS port gets to read its `400` before the close.
const PLAIN_TEXT_LINGER: Duration = Duration::from_secs(1);

/// Accepts and serves until `stop` turns true, then waits for the connections.
pub async fn serve(listener: TcpListener, serving: Serving) -> std::io::Result<()> {
    // Every connection holds a receiver; the sender sees them all gone.
    let (alive, alive_template) = watch::channel(());
    let mut stop = serving.stop.clone();
    let mut last_warning: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = super::stopping(&mut stop) => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                match serving.admission.admit(peer.ip(), alive_template.clone()) {
                    Some(slot) => spawn_connection(stream, peer, slot, serving.clone()),
                    None => refuse(&stream),
                }
            }
            Err(error) => {
                let out_of_files = out_of_descriptors(&error);
                if out_of_files {
                    // Make room: the oldest idle unauthenticated socket goes.
                    serving.admission.shed_one();
                }
                if last_warning.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
                    last_warning = Some(Instant::now());
                    tracing::warn!(%error, out_of_files, "accepting a connection failed");
                }
                tokio::time::sleep(ACCEPT_PAUSE).await;
            }
        }
    }
    drop(listener);
    drop(alive_template);
    if tokio::time::timeout(SHUTDOWN_WAIT, alive.closed())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still closing when the hub stopped");
    }
    Ok(())
}

/// Answers `503` without reading anything and closes.
fn refuse(stream: &TcpStream) {
    let body = r#"{"error":"the hub is at its connection limit; retry shortly"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // Best effort: a fresh socket's send buffer is empty, so this never blocks.
    let _ = stream.try_write(response.as_bytes());
}

#[cfg(unix)]
fn out_of_descriptors(error: &std::io::Error) -> bool {
    use rustix::io::Errno;
    matches!(
        Errno::from_io_error(error),
        Some(Errno::MFILE | Errno::NFILE)
    )
}

#[cfg(not(unix))]
fn out_of_descriptors(_error: &std::io::Error) -> bool {
    false
}

fn spawn_connection(stream: TcpStream, peer: SocketAddr, slot: Slot, serving: Serving) {
    tokio::spawn(async move {
        let _ = stream.set_nodelay(true);
        match serving.tls.clone() {
            None => serve_connection(TokioIo::new(stream), peer, slot, serving).await,
            Some(acceptor) => {
                if let Some(tls) = handshake(stream, &acceptor, &slot, &serving).await {
                    serve_connection(TokioIo::new(tls), peer, slot, serving).await;
                }
            }
        }
    });
}

/// The TLS handshake, within the header-read timeout, given up if the connection is
/// evicted or the hub stops meanwhile; `None` when the connection is over.
async fn handshake(
    stream: TcpStream,
    acceptor: &TlsAcceptor,
    slot: &Slot,
    serving: &Serving,
) -> Option<TlsStream<TcpStream>> {
    let attempt = async {
        let mut first = [0u8; 1];
        if stream.peek(&mut first).await.ok()? == 0 {
            return None; // connected and hung up
        }
        if first[0] != TLS_HANDSHAKE_RECORD {
            answer_plain_text(stream).await;
            return None;
        }
        match acceptor.accept(stream).await {
            Ok(tls) => Some(tls),
            Err(error) => {
                tracing::debug!(%error, "a TLS handshake failed");
                None
            }
        }
    };
    let mut stop = serving.stop.clone();
    tokio::select! {
        done = tokio::time::timeout(serving.header_timeout, attempt) => match done {
            Ok(tls) => tls,
            Err(_) => {
                serving.metrics.connections_timed_out.fetch_add(1, Ordering::Relaxed);
                None
            }
        },
        () = slot.evicted() => None,
        () = super::stopping(&mut stop) => None,
    }
}

/// Plain text at the TLS port (an `http://` or `ws://` client): a `400` saying to use
/// TLS, then the close. What the client sent is read first, and the socket is drained
/// briefly after, so the close is a FIN the client reads the answer before, not a reset.
async fn answer_plain_text(mut stream: TcpStream) {
    let mut sink = [0u8; 4096];
    // Whatever has arrived (the request head, usually): at most a few reads' worth.
    for _ in 0..16 {
        match stream.try_read(&mut sink) {
            Ok(n) if n > 0 => continue,
            _ => break,
        }
    }
    let body = r#"{"error":"this hub speaks TLS only: connect with https:// or wss://"}"#;
    let response = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
    let drain = async { while let Ok(1..) = stream.read(&mut sink).await {} };
    let _ = tokio::time::timeout(PLAIN_TEXT_LINGER, drain).await;
}

/// Serves HTTP/1 (and `/ws` upgrades) on one admitted connection, plain or TLS.
async fn serve_connection<I>(io: TokioIo<I>, peer: SocketAddr, slot: Slot, serving: Serving)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let router = TowerToHyperService::new(serving.router);
    let request_slot = slot.clone();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request.extensions_mut().insert(request_slot.clone());
        // A connection answering a request is not idle: never evicted meanwhile.
        let busy = request_slot.busy();
        let answering = router.call(request);
        async move {
            let _busy = busy;
            match tokio::time::timeout(REQUEST_TIMEOUT, answering).await {
                Ok(answered) => answered,
                Err(_) => Ok(StatusCode::REQUEST_TIMEOUT.into_response()),
            }
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(serving.header_timeout);
    let connection = builder.serve_connection(io, service).with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let evicted = slot.evicted();
    let mut evicted = std::pin::pin!(evicted);
    let mut stop = serving.stop;
    let mut stopping = false;
    loop {
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(error) = served && error.is_timeout() {
                    serving.metrics.connections_timed_out.fetch_add(1, Ordering::Relaxed);
                }
                break;
            }
            // Dropping the connection closes the socket.
            () = &mut evicted => break,
            () = super::stopping(&mut stop), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
