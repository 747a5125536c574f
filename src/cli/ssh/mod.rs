//! The SSH door: `warroom serve --ssh ADDR` (or `ssh_listen`) runs an SSH server in the
//! hub process (russh), so a responder needs only `ssh`. Public keys only: a key in a
//! `[[responder]]` block's `ssh_keys` logs in as that responder with their roles;
//! passwords are not offered, unknown keys are refused.
//!
//! Each SSH connection gets a session credential minted into the hub's
//! [`SshSessions`](crate::hub::auth::SshSessions), honoured only while its key still
//! names a responder. With it, a shell (`ssh -t hub`, or `ssh -t hub INC-…`) runs the
//! ordinary console — lobby and incidents, `tui::start::Visit` — as a normal client of
//! the hub's own loopback WebSocket, on a terminal whose screen is the channel
//! (`outlet`) and whose keys are read from the channel's bytes (`tui::keys_in`);
//! a command (`ssh hub note INC "text"`) runs the CLI's dispatch against the same hub
//! (`exec`). A reload that takes the key away ends the connection within a second,
//! saying why.

mod console;
mod exec;
pub mod host_key;
mod outlet;
mod revoked;

use console::ConsoleTask;
use revoked::Revoked;

use crate::hub::responders::Responders;
use crate::incident::{Actor, Runbooks};
use crate::tui::app::Msg;
use crate::tui::keys_in::KeyReader;
use crate::tui::run::Look;
use russh::keys::ssh_key::public::KeyData;
use russh::server::{Auth, Msg as ServerMsg, Server, Session};
use russh::{Channel, ChannelId, ChannelWriteHalf, MethodKind, MethodSet, Pty};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// What the door needs from the hub it opens onto.
pub struct DoorOptions {
    pub listen: SocketAddr,
    /// The hub's own WebSocket, as consoles and commands reach it (loopback).
    pub hub_url: String,
    pub responders: Arc<Responders>,
    pub runbooks: Runbooks,
    pub host_key: PathBuf,
}

/// A running door: where it listens, its host key's fingerprint.
pub struct RunningDoor {
    pub addr: SocketAddr,
    pub fingerprint: String,
    stop: russh::server::RunningServerHandle,
}

impl RunningDoor {
    /// Stops accepting and disconnects every session.
    pub fn shutdown(&self) {
        self.stop.shutdown("the hub is shutting down".into());
    }
}

/// Opens the door for `serve`: onto `hub`'s own WebSocket over loopback (trusting its
/// certificate by the fingerprint `pinned`, when it speaks TLS), with the host key in
/// the data directory; prints where it listens and the key's fingerprint.
pub async fn open(
    listen: SocketAddr,
    hub: &crate::hub::RunningHub,
    pinned: Option<&str>,
    runbooks: Runbooks,
    data: &crate::engine::DataDir,
) -> Result<RunningDoor, String> {
    let mut loopback = hub.addr;
    if loopback.ip().is_unspecified() {
        loopback.set_ip(match loopback.ip() {
            std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let scheme = match pinned {
        Some(fingerprint) => {
            // This process is a hub, not a client of others: its own certificate is
            // the one TLS connection it opens.
            let digest = crate::tls::parse_fingerprint(fingerprint)?;
            crate::net::trust::set_trust(&crate::tls::client::Trust::Pinned(digest))
                .map_err(|e| e.to_string())?;
            "https"
        }
        None => "http",
    };
    let door = start(DoorOptions {
        listen,
        hub_url: format!("{scheme}://{loopback}"),
        responders: hub.responders(),
        runbooks,
        host_key: data.root().join(host_key::HOST_KEY_FILE),
    })
    .await?;
    eprintln!(
        "warroom SSH door listening on ssh://{} (host key {} in {}; ED25519 key fingerprint is {}). Responders: ssh -t -p {} HOST",
        door.addr,
        host_key::HOST_KEY_FILE,
        data.root().display(),
        door.fingerprint,
        door.addr.port()
    );
    Ok(door)
}

/// What every connection shares.
struct Door {
    hub_url: String,
    responders: Arc<Responders>,
    runbooks: Arc<Runbooks>,
    look: Look,
}

/// Binds `options.listen` and serves SSH there until shut down.
pub async fn start(options: DoorOptions) -> Result<RunningDoor, String> {
    let key = host_key::load_or_create(&options.host_key)?;
    let fingerprint = host_key::fingerprint(&key);
    let config = russh::server::Config {
        methods: MethodSet::from(&[MethodKind::PublicKey][..]),
        keys: vec![key],
        auth_rejection_time: Duration::from_millis(500),
        auth_rejection_time_initial: Some(Duration::ZERO),
        // A dead peer is found by keepalives; an idle console is not a dead peer.
        inactivity_timeout: None,
        keepalive_interval: Some(Duration::from_secs(30)),
        keepalive_max: 3,
        nodelay: true,
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| format!("cannot listen for SSH on {}: {e}", options.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot listen for SSH on {}: {e}", options.listen))?;
    let door = Arc::new(Door {
        hub_url: options.hub_url,
        responders: options.responders,
        runbooks: Arc::new(options.runbooks),
        look: Look::default(),
    });
    let config = Arc::new(config);
    let (handle_tx, handle_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        // The server future borrows the listener and the server: both live here.
        let mut server = DoorServer { door };
        let running = server.run_on_socket(config, &listener);
        let _ = handle_tx.send(running.handle());
        if let Err(error) = running.await {
            tracing::error!(%error, "the SSH door stopped");
        }
    });
    let stop = handle_rx
        .await
        .map_err(|_| "the SSH door did not start".to_string())?;
    Ok(RunningDoor {
        addr,
        fingerprint,
        stop,
    })
}

struct DoorServer {
    door: Arc<Door>,
}

impl Server for DoorServer {
    type Handler = Connection;

    fn new_client(&mut self, peer: Option<SocketAddr>) -> Connection {
        Connection {
            door: self.door.clone(),
            peer,
            who: None,
            channels: HashMap::new(),
            revoked: watch::channel(None).0,
        }
    }
}

/// Who logged in on a connection, and the credential minted for them.
struct Login {
    key: KeyData,
    actor: Actor,
    token: String,
}

/// One channel's state: its writer, its terminal, where its keys go.
struct ChannelState {
    write: Option<ChannelWriteHalf<ServerMsg>>,
    pty: Option<(u16, u16)>,
    input: Option<mpsc::UnboundedSender<Msg>>,
    keys: KeyReader,
}

/// One SSH connection.
pub struct Connection {
    door: Arc<Door>,
    peer: Option<SocketAddr>,
    who: Option<Login>,
    channels: HashMap<ChannelId, ChannelState>,
    /// Set to the reason when a reload takes this responder's access away.
    revoked: watch::Sender<Option<&'static str>>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(login) = &self.who {
            self.door
                .responders
                .current()
                .ssh_sessions()
                .forget(&login.token);
        }
    }
}

/// The error type of the handler: russh's own (a failure ends the connection).
type Failure = russh::Error;

fn dims(width: u32, height: u32) -> (u16, u16) {
    let clamp = |v: u32| u16::try_from(v).unwrap_or(u16::MAX).max(1);
    (clamp(width), clamp(height))
}

impl russh::server::Handler for Connection {
    type Error = Failure;

    async fn authentication_banner(&mut self) -> Result<Option<String>, Failure> {
        Ok(Some(
            "warroom SSH door: the public keys of this hub's responders only (an admin adds yours: warroom responder add-key NAME FILE.pub)\n".into(),
        ))
    }

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: russh::server::PublicKeyOffer<'_>,
    ) -> Result<Auth, Failure> {
        let known = self
            .door
            .responders
            .current()
            .by_key(offer.public_key.key_data())
            .is_some();
        Ok(if known { Auth::Accept } else { Auth::reject() })
    }

    async fn auth_publickey(
        &mut self,
        _user: &str,
        key: russh::server::VerifiedPublicKey<'_>,
    ) -> Result<Auth, Failure> {
        let auth = self.door.responders.current();
        let key = key.public_key.key_data().clone();
        let Some(actor) = auth.by_key(&key) else {
            tracing::info!(peer = ?self.peer, "SSH door: an unknown key was refused");
            return Ok(Auth::reject());
        };
        let Ok(token) = auth.ssh_sessions().mint(&key) else {
            return Ok(Auth::reject());
        };
        tracing::info!(peer = ?self.peer, responder = %actor.name, "SSH door: logged in");
        self.who = Some(Login { key, actor, token });
        Ok(Auth::Accept)
    }

    async fn auth_succeeded(&mut self, session: &mut Session) -> Result<(), Failure> {
        if let Some(login) = &self.who {
            let watch = Revoked {
                key: login.key.clone(),
                actor: login.actor.clone(),
                responders: self.door.responders.watch(),
            };
            tokio::spawn(watch.run(session.handle(), self.revoked.clone()));
        }
        Ok(())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<ServerMsg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Failure> {
        let id = channel.id();
        let (mut read, write) = channel.split();
        // Inbound data reaches the handler's callbacks; the channel's own queue is
        // drained so it never holds the connection up.
        tokio::spawn(async move { while read.wait().await.is_some() {} });
        self.channels.insert(
            id,
            ChannelState {
                write: Some(write),
                pty: None,
                input: None,
                keys: KeyReader::default(),
            },
        );
        reply.accept().await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        width: u32,
        height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Failure> {
        match self.channels.get_mut(&channel) {
            Some(state) => {
                state.pty = Some(dims(width, height));
                session.channel_success(channel)
            }
            None => session.channel_failure(channel),
        }
    }

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        width: u32,
        height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Failure> {
        if let Some(state) = self.channels.get_mut(&channel) {
            let (w, h) = dims(width, height);
            state.pty = Some((w, h));
            if let Some(input) = &state.input {
                let _ = input.send(Msg::Resize(w, h));
            }
        }
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Failure> {
        session.channel_success(channel)?;
        self.open_console(channel, None);
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Failure> {
        session.channel_success(channel)?;
        let line = String::from_utf8_lossy(data).into_owned();
        // Quotes group words as a shell would; an apostrophe in plain text ("it's
        // fine") leaves the quoting unbalanced, and then the words are what spaces part.
        let words = Some(
            shlex::split(&line)
                .unwrap_or_else(|| line.split_whitespace().map(str::to_string).collect()),
        );
        // `ssh -t hub INC-…`: one word that is not a command opens that incident.
        if let Some([word]) = words.as_deref()
            && !exec::is_command(word)
            && self.channels.get(&channel).is_some_and(|c| c.pty.is_some())
        {
            self.open_console(channel, Some(word.clone()));
            return Ok(());
        }
        self.run_command(channel, words);
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Failure> {
        if let Some(state) = self.channels.get_mut(&channel)
            && let Some(input) = &state.input
        {
            for msg in state.keys.feed(data) {
                let _ = input.send(msg);
            }
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Failure> {
        // The console ends when its input does.
        if let Some(state) = self.channels.get_mut(&channel) {
            state.input = None;
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Failure> {
        self.channels.remove(&channel);
        Ok(())
    }
}

impl Connection {
    /// The writer half of `channel` and who is logged in, for a task to take.
    fn take(&mut self, channel: ChannelId) -> Option<(ChannelWriteHalf<ServerMsg>, String)> {
        let token = self.who.as_ref()?.token.clone();
        let write = self.channels.get_mut(&channel)?.write.take()?;
        Some((write, token))
    }

    fn open_console(&mut self, channel: ChannelId, incident: Option<String>) {
        let Some((write, token)) = self.take(channel) else {
            return;
        };
        let Some(state) = self.channels.get_mut(&channel) else {
            return;
        };
        let (input_tx, input) = mpsc::unbounded_channel();
        let size = state.pty;
        state.input = Some(input_tx);
        let console = ConsoleTask {
            door: self.door.clone(),
            token,
            incident,
            size,
            revoked: self.revoked.subscribe(),
        };
        tokio::spawn(console.run(write, input));
    }

    fn run_command(&mut self, channel: ChannelId, words: Option<Vec<String>>) {
        let Some((write, token)) = self.take(channel) else {
            return;
        };
        let command = exec::Command {
            hub_url: self.door.hub_url.clone(),
            token,
            runbooks: self.door.runbooks.clone(),
            words,
        };
        tokio::spawn(command.run(write, self.revoked.subscribe()));
    }
}
