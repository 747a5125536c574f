//! The `[connections]` block of `warroom.toml`: the caps and timeouts that keep idle or
//! unauthenticated sockets from exhausting the hub (docs/PROTOCOL.md §14). Every key is
//! optional; the defaults suit a hub for a few hundred responders.

use crate::hub::admission::ConnectionLimits;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectionsConfig {
    /// Open connections of any kind (lowered to what the open-file limit allows).
    pub max_connections: usize,
    /// Connections from one address that have not yet authenticated (IPv6: per /64).
    pub max_unauthenticated_per_ip: usize,
    /// Time for a client to send a complete HTTP request head.
    pub header_timeout_seconds: u64,
    /// Time from the WebSocket upgrade to a complete `hello` frame.
    pub hello_timeout_seconds: u64,
}

impl Default for ConnectionsConfig {
    fn default() -> Self {
        let limits = ConnectionLimits::default();
        ConnectionsConfig {
            max_connections: limits.max_connections,
            max_unauthenticated_per_ip: limits.max_unauthenticated_per_ip,
            header_timeout_seconds: limits.header_timeout.as_secs(),
            hello_timeout_seconds: limits.hello_timeout.as_secs(),
        }
    }
}

impl ConnectionsConfig {
    pub fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: self.max_connections,
            max_unauthenticated_per_ip: self.max_unauthenticated_per_ip,
            header_timeout: Duration::from_secs(self.header_timeout_seconds),
            hello_timeout: Duration::from_secs(self.hello_timeout_seconds),
        }
    }

    /// What is wrong with the values, if anything: a zero would refuse everyone.
    pub fn check(&self) -> Option<String> {
        [
            ("max_connections", self.max_connections as u64),
            (
                "max_unauthenticated_per_ip",
                self.max_unauthenticated_per_ip as u64,
            ),
            ("header_timeout_seconds", self.header_timeout_seconds),
            ("hello_timeout_seconds", self.hello_timeout_seconds),
        ]
        .into_iter()
        .find(|(_, value)| *value == 0)
        .map(|(key, _)| format!("[connections] {key} must be at least 1"))
    }
}
