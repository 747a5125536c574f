//! One console on one SSH channel: the ordinary console (lobby and incidents) as a
//! client of the hub's loopback WebSocket, drawn onto the channel and fed its keys,
//! ended with a reason when the connection's access is revoked.

use super::revoked::wait_revoked;
use super::{Door, outlet};
use crate::tui::app::Msg;
use crate::tui::start::{Visit, who_and_where};
use crate::tui::terminal::TerminalGuard;
use russh::ChannelWriteHalf;
use russh::server::Msg as ServerMsg;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// A console on one channel.
pub(super) struct ConsoleTask {
    pub(super) door: Arc<Door>,
    pub(super) token: String,
    pub(super) incident: Option<String>,
    pub(super) size: Option<(u16, u16)>,
    pub(super) revoked: watch::Receiver<Option<&'static str>>,
}

impl ConsoleTask {
    pub(super) async fn run(
        mut self,
        write: ChannelWriteHalf<ServerMsg>,
        mut input: mpsc::UnboundedReceiver<Msg>,
    ) {
        let (queue, writer) = outlet::start(&write);
        let code = self.console(&queue, &mut input).await;
        drop(input);
        drop(queue);
        let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
        let _ = write.exit_status(code).await;
        let _ = write.eof().await;
        let _ = write.close().await;
    }

    /// Runs the console; the exit status for the channel.
    async fn console(
        &mut self,
        queue: &mpsc::Sender<Vec<u8>>,
        input: &mut mpsc::UnboundedReceiver<Msg>,
    ) -> u32 {
        let say = |text: String| {
            let _ = queue.try_send(text.replace('\n', "\r\n").into_bytes());
        };
        let Some((width, height)) = self.size else {
            say("warroom: the console needs a terminal: ssh -t …\n".into());
            return 2;
        };
        let url = self.door.hub_url.clone();
        let me = match who_and_where(&url, &self.token, self.incident.as_deref()).await {
            Ok(me) => me,
            Err(error) => {
                say(format!("warroom: {error}\n"));
                return 1;
            }
        };
        let screen = Box::new(outlet::Screen::new(queue.clone()));
        let mut guard = match TerminalGuard::remote(screen, width, height) {
            Ok(guard) => guard,
            Err(error) => {
                say(format!("warroom: {error}\n"));
                return 1;
            }
        };
        let visit = Visit {
            url: &url,
            token: &self.token,
            runbooks: self.door.runbooks.clone(),
            look: &self.door.look,
            me,
            incident: self.incident.take(),
            demo_available: false,
            header: "warroom over SSH".into(),
        };
        let ended = tokio::select! {
            ended = visit.run(&mut guard, input) => ended.err(),
            reason = wait_revoked(&mut self.revoked) => Some(reason.to_string()),
        };
        // Leaving the alternate screen before the last word.
        drop(guard);
        match ended {
            None => 0,
            Some(error) => {
                say(format!("warroom: {error}\n"));
                1
            }
        }
    }
}
