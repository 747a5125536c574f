//! What one token may do how often, hub-wide: declares (over WebSocket, which is also
//! how the CLI reaches a hub) and Alertmanager deliveries, each a token bucket per
//! responder name (`governor`'s keyed GCRA limiter). Over the limit, the answer says
//! when to try again; the per-connection command limit lives with the session.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::num::NonZeroU32;
use std::time::Duration;

/// The limits and the idle time of a hub, from its configuration (`warroom.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubLimits {
    /// An incident nobody follows and nothing waits on is closed after this long (its
    /// thread ends and its file is closed); the next request opens it again.
    pub incident_idle: Duration,
    pub declares_per_minute: NonZeroU32,
    pub declare_burst: NonZeroU32,
    pub alerts_per_minute: NonZeroU32,
    pub alert_burst: NonZeroU32,
}

pub const DEFAULT_IDLE_SECONDS: u64 = 300;
pub const DEFAULT_DECLARES_PER_MINUTE: u32 = 30;
pub const DEFAULT_DECLARE_BURST: u32 = 10;
pub const DEFAULT_ALERTS_PER_MINUTE: u32 = 120;
pub const DEFAULT_ALERT_BURST: u32 = 60;

/// `value` as a NonZeroU32, or 1 for 0 (config parsing refuses 0 before this).
pub fn at_least_one(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).unwrap_or(NonZeroU32::MIN)
}

impl Default for HubLimits {
    fn default() -> Self {
        HubLimits {
            incident_idle: Duration::from_secs(DEFAULT_IDLE_SECONDS),
            declares_per_minute: at_least_one(DEFAULT_DECLARES_PER_MINUTE),
            declare_burst: at_least_one(DEFAULT_DECLARE_BURST),
            alerts_per_minute: at_least_one(DEFAULT_ALERTS_PER_MINUTE),
            alert_burst: at_least_one(DEFAULT_ALERT_BURST),
        }
    }
}

/// A token bucket per responder name. Names come from the hub's configuration, so the
/// number of buckets is bounded by the number of responders.
pub struct PerToken {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    per_minute: NonZeroU32,
    what: &'static str,
}

impl PerToken {
    pub fn new(what: &'static str, per_minute: NonZeroU32, burst: NonZeroU32) -> PerToken {
        PerToken {
            limiter: DefaultKeyedRateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            ),
            clock: DefaultClock::default(),
            per_minute,
            what,
        }
    }

    /// Takes one from `name`'s bucket, or says how long until one is there.
    pub fn check(&self, name: &str) -> Result<(), RateLimited> {
        self.limiter
            .check_key(&name.to_string())
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(self.clock.now());
                RateLimited {
                    // At least 1 ms, so a client never reads "retry in 0".
                    retry_after: wait.max(Duration::from_millis(1)),
                    message: format!(
                        "over {} {} per minute for `{name}`: re-send in {} s",
                        self.per_minute,
                        self.what,
                        wait.as_secs() + 1
                    ),
                }
            })
    }
}

/// Refused for going too fast: when to try again, and a sentence saying so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimited {
    pub retry_after: Duration,
    pub message: String,
}

impl RateLimited {
    /// The hint in milliseconds, as the `reject` frame carries it.
    pub fn retry_after_ms(&self) -> u64 {
        u64::try_from(self.retry_after.as_millis()).unwrap_or(u64::MAX)
    }

    /// The `Retry-After` header's value: whole seconds, rounded up.
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0)
    }
}

/// The hub's per-token limiters.
pub struct Limiters {
    pub declares: PerToken,
    pub alerts: PerToken,
    /// Deliveries per intake source (PagerDuty, Grafana, each `[[intake]]`), at the
    /// Alertmanager rate: a source signs, or shares one token, so it has one bucket.
    pub intake: PerToken,
}

impl Limiters {
    pub fn new(limits: &HubLimits) -> Limiters {
        Limiters {
            declares: PerToken::new("declares", limits.declares_per_minute, limits.declare_burst),
            alerts: PerToken::new(
                "Alertmanager deliveries",
                limits.alerts_per_minute,
                limits.alert_burst,
            ),
            intake: PerToken::new("deliveries", limits.alerts_per_minute, limits.alert_burst),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_per_name_with_a_retry_hint() {
        let limiter = PerToken::new("declares", at_least_one(1), at_least_one(2));
        assert!(limiter.check("alice").is_ok());
        assert!(limiter.check("alice").is_ok());
        let refused = limiter.check("alice").unwrap_err();
        assert!(refused.retry_after > Duration::from_secs(50), "{refused:?}");
        assert!(
            refused.retry_after <= Duration::from_secs(60),
            "{refused:?}"
        );
        assert!(Duration::from_secs(refused.retry_after_secs()) >= refused.retry_after);
        assert!(refused.message.contains("declares per minute for `alice`"));
        assert!(
            limiter.check("bob").is_ok(),
            "another name has its own bucket"
        );
    }
}
