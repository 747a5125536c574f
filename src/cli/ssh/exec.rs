//! Commands over the SSH door (`ssh hub note INC-… "text"`): the words are parsed by
//! the CLI's own parser and run by its dispatch against this hub (a `RemoteBackend` on
//! the loopback WebSocket, as the logged-in responder) — never against the hub's files.
//! Only the commands that work on incidents, and `tail`, are offered: `serve`,
//! `token`, `tls` and the like run on the hub's host only, and `export --output` would
//! write a file there, so it is refused. Output goes to the channel (errors to its
//! stderr) and the exit status is sent as `warroom` would exit.

use super::outlet;
use crate::cli::args::{Cli, CliCommand};
use crate::cli::backend::CliError;
use crate::cli::output::Safe;
use crate::cli::remote::RemoteBackend;
use crate::incident::Runbooks;
use clap::{CommandFactory, Parser};
use russh::ChannelWriteHalf;
use russh::server::Msg as ServerMsg;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

/// True when `word` names a warroom command (else `ssh -t hub WORD` opens incident WORD).
pub fn is_command(word: &str) -> bool {
    Cli::command()
        .get_subcommands()
        .any(|c| c.get_name() == word || c.get_all_aliases().any(|a| a == word))
}

pub struct Command {
    pub hub_url: String,
    pub token: String,
    pub runbooks: Arc<Runbooks>,
    /// The words of the command line; `None` when its quoting did not parse.
    pub words: Option<Vec<String>>,
}

/// How a command ended: the exit status and what to say on stderr.
struct Ended {
    status: u32,
    error: Option<String>,
}

fn failed(error: CliError) -> Ended {
    let status = if matches!(error, CliError::Usage(_)) {
        2
    } else {
        1
    };
    Ended {
        status,
        error: Some(format!("warroom: {error}")),
    }
}

/// ssh joins its arguments with spaces, so `ssh hub note INC some text` arrives as
/// several words: a note's text is the rest of the line when no option follows.
fn note_words(mut words: Vec<String>) -> Vec<String> {
    let plain = words.iter().skip(2).all(|w| !w.starts_with('-'));
    if words.first().is_some_and(|w| w == "note") && words.len() > 3 && plain {
        let text = words.split_off(2).join(" ");
        words.push(text);
    }
    words
}

impl Command {
    pub async fn run(
        self,
        write: ChannelWriteHalf<ServerMsg>,
        mut revoked: watch::Receiver<Option<&'static str>>,
    ) {
        let (queue, writer) = outlet::start(&write);
        let ended = tokio::select! {
            ended = self.execute(queue) => ended,
            reason = super::revoked::wait_revoked(&mut revoked) => Ended {
                status: 1,
                error: Some(format!("warroom: {reason}")),
            },
        };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), writer).await;
        if let Some(error) = ended.error {
            let mut stderr = write.make_writer_ext(Some(1));
            let _ = stderr.write_all(format!("{error}\n").as_bytes()).await;
            let _ = stderr.flush().await;
        }
        let _ = write.exit_status(ended.status).await;
        let _ = write.eof().await;
        let _ = write.close().await;
    }

    async fn execute(self, queue: tokio::sync::mpsc::Sender<Vec<u8>>) -> Ended {
        let Some(words) = self.words.clone() else {
            return failed(CliError::Usage(
                "the command's quoting does not parse (an unclosed quote?)".into(),
            ));
        };
        if words.is_empty() {
            return failed(CliError::Usage(
                "give a command (note, status, list, tail, export, …), or use ssh -t for the console".into(),
            ));
        }
        let argv = std::iter::once("warroom".to_string()).chain(note_words(words));
        let cli = match Cli::try_parse_from(argv) {
            Ok(cli) => cli,
            Err(error) => {
                let text = error.render().to_string();
                return if error.use_stderr() {
                    Ended {
                        status: 2,
                        error: Some(text.trim_end().to_string()),
                    }
                } else {
                    let _ = queue.send(text.replace('\n', "\r\n").into_bytes()).await;
                    Ended {
                        status: 0,
                        error: None,
                    }
                };
            }
        };
        let Some(command) = cli.command else {
            return failed(CliError::Usage("give a command".into()));
        };
        if let CliCommand::Tail {
            incident,
            since,
            json,
            ..
        } = &command
        {
            return self.tail(&queue, incident, *since, *json).await;
        }
        if crate::cli::run::route(&command).is_none() {
            return failed(CliError::Usage(
                "over SSH: the incident commands (note, status, list, export, declare, …) and tail; the others run on the hub's host".into(),
            ));
        }
        if let CliCommand::Export {
            output: Some(_), ..
        } = &command
        {
            return failed(CliError::Usage(
                "over SSH an export goes to your side: drop --output and redirect, e.g. ssh hub export INC > file".into(),
            ));
        }
        let (url, token, runbooks) = (self.hub_url, self.token, (*self.runbooks).clone());
        // The CLI's backend blocks on its own runtime: a blocking thread of its own.
        let ran = tokio::task::spawn_blocking(move || {
            let mut out = Safe::new(outlet::Blocking::new(queue));
            let mut backend = RemoteBackend::new(url, token, runbooks)?;
            crate::cli::dispatch::dispatch(&command, &mut backend, &mut out)
        })
        .await;
        match ran {
            Ok(Ok(())) => Ended {
                status: 0,
                error: None,
            },
            Ok(Err(error)) => failed(error),
            Err(error) => failed(CliError::Failed(format!("the command failed: {error}"))),
        }
    }

    async fn tail(
        &self,
        queue: &tokio::sync::mpsc::Sender<Vec<u8>>,
        incident: &str,
        since: u64,
        json: bool,
    ) -> Ended {
        // A client that stops reading holds only this command up.
        let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
        let print = |line: String| lines_tx.send(line).is_ok();
        let follow = crate::cli::serve::follow(
            &self.hub_url,
            &self.token,
            incident,
            since,
            json,
            print,
            |_| {},
        );
        tokio::pin!(follow);
        loop {
            tokio::select! {
                done = &mut follow => {
                    return match done {
                        Ok(()) => Ended { status: 0, error: None },
                        Err(error) => failed(error),
                    };
                }
                Some(line) = lines.recv() => {
                    if queue.send(format!("{line}\n").into_bytes()).await.is_err() {
                        return Ended { status: 0, error: None };
                    }
                }
            }
        }
    }
}
