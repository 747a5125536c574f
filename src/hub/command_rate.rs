//! One connection's command rate: `COMMANDS_PER_SECOND` sustained, `COMMAND_BURST` at
//! once (a token bucket, `governor`'s), counting the refusals in a row so a client that
//! keeps pushing without a pause can be told it is flooding and closed.

use crate::protocol::{COMMAND_BURST, COMMANDS_PER_SECOND};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;

// The fallbacks below are never taken: a zero here would not compile.
const _: () = assert!(COMMANDS_PER_SECOND > 0 && COMMAND_BURST > 0);

pub struct CommandRate {
    limiter: DefaultDirectRateLimiter,
    /// Requests refused since the last one allowed.
    pub strikes: u32,
}

impl CommandRate {
    pub fn new() -> CommandRate {
        // invariant: both protocol constants are non-zero (checked at compile time).
        let per_second = NonZeroU32::new(COMMANDS_PER_SECOND).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(COMMAND_BURST).unwrap_or(NonZeroU32::MIN);
        CommandRate {
            limiter: RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst)),
            strikes: 0,
        }
    }

    /// Whether one more request fits the rate now.
    pub fn allow(&mut self) -> bool {
        if self.limiter.check().is_ok() {
            self.strikes = 0;
            true
        } else {
            self.strikes += 1;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burst_passes_then_requests_are_refused_and_counted() {
        let mut rate = CommandRate::new();
        let allowed = (0..COMMAND_BURST + 20).filter(|_| rate.allow()).count();
        // The burst, plus what refilled while the loop ran (a few at most).
        assert!(
            (COMMAND_BURST as usize..COMMAND_BURST as usize + 5).contains(&allowed),
            "{allowed}"
        );
        assert!(rate.strikes >= 15, "{}", rate.strikes);
    }
}
