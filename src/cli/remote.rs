//! The `Backend` for `--hub URL --token T`: each command goes to the hub over the
//! protocol and comes back as the same events a local data directory would produce.

use super::backend::{Backend, CliError, Loaded};
use crate::engine::IncidentSummary;
use crate::incident::{Command, Event, Runbooks, State};
use crate::net::{HubClient, NetError, new_command_id};
use crate::protocol::{Catalog, HubFrame};

pub struct RemoteBackend {
    runtime: tokio::runtime::Runtime,
    hub: String,
    token: String,
    runbooks: Runbooks,
}

fn net(error: NetError) -> CliError {
    CliError::Failed(error.to_string())
}

impl RemoteBackend {
    pub fn new(hub: String, token: String, runbooks: Runbooks) -> Result<RemoteBackend, CliError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::Failed(format!("cannot start the network runtime: {e}")))?;
        Ok(RemoteBackend {
            runtime,
            hub,
            token,
            runbooks,
        })
    }
}

impl Backend for RemoteBackend {
    fn runbooks(&self) -> &Runbooks {
        &self.runbooks
    }

    fn declare(&mut self, command: Command) -> Result<(String, Vec<Event>), CliError> {
        self.runtime.block_on(async {
            let mut client = HubClient::connect(&self.hub, &self.token, None, 0)
                .await
                .map_err(net)?;
            let (id, _) = client.command(None, command).await.map_err(net)?;
            client.close().await;
            Ok((id, Vec::new()))
        })
    }

    fn submit(&mut self, incident: &str, command: Command) -> Result<Vec<Event>, CliError> {
        self.runtime.block_on(async {
            // Subscribe from "now" (a seq past the end), so only the live events come.
            let mut client = HubClient::connect(&self.hub, &self.token, Some(incident), u64::MAX)
                .await
                .map_err(net)?;
            let id = new_command_id();
            let (_, last_seq) = client
                .command_with_id(&id, Some(incident), command)
                .await
                .map_err(net)?;
            let mut events = Vec::new();
            // The command's events arrive on the same connection; collect them up to the
            // acknowledged seq (a duplicate ack has none newer to wait for).
            while events.last().is_none_or(|e: &Event| e.seq < last_seq) {
                match tokio::time::timeout(std::time::Duration::from_secs(5), client.next()).await {
                    Ok(Ok(HubFrame::Event { event, .. })) => {
                        if event.command_id.as_deref() == Some(id.as_str()) {
                            events.push(event);
                        }
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return Err(net(e)),
                    Err(_) => break,
                }
            }
            client.close().await;
            Ok(events)
        })
    }

    fn load_state(&mut self, incident: &str) -> Result<State, CliError> {
        self.runtime.block_on(async {
            let mut client = HubClient::connect(&self.hub, &self.token, None, 0)
                .await
                .map_err(net)?;
            let state = client.load_state(incident).await.map_err(net)?;
            client.close().await;
            Ok(state)
        })
    }

    fn load_with_head(&mut self, incident: &str) -> Result<Loaded, CliError> {
        self.runtime.block_on(async {
            let mut client = HubClient::connect(&self.hub, &self.token, None, 0)
                .await
                .map_err(net)?;
            let (events, head) = client.load_with_head(incident).await.map_err(net)?;
            client.close().await;
            Ok((State::replay(&events), events, head))
        })
    }

    fn catalog(&mut self) -> Result<Catalog, CliError> {
        self.runtime.block_on(async {
            let mut client = HubClient::connect(&self.hub, &self.token, None, 0)
                .await
                .map_err(net)?;
            let catalog = client.wait_catalog().await.map_err(net)?;
            client.close().await;
            Ok(catalog)
        })
    }

    fn is_hub(&self) -> bool {
        true
    }

    fn list(&mut self) -> Result<Vec<IncidentSummary>, CliError> {
        self.runtime.block_on(async {
            let mut client = HubClient::connect(&self.hub, &self.token, None, 0)
                .await
                .map_err(net)?;
            let items = client.list().await.map_err(net)?;
            client.close().await;
            Ok(items)
        })
    }
}
