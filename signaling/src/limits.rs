//! Per-connection limits, pure: a token bucket for message rate (time is an input).

use jiff::Timestamp;

/// Largest text frame accepted, in bytes. SDP offers with simulcast stay well under 16 KiB.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// A token bucket: `burst` messages at once, refilled at `per_second`.
#[derive(Debug, Clone)]
pub struct RateLimit {
    burst: f64,
    per_second: f64,
    tokens: f64,
    last: Option<Timestamp>,
}

impl RateLimit {
    pub fn new(burst: u32, per_second: u32) -> RateLimit {
        RateLimit { burst: f64::from(burst), per_second: f64::from(per_second), tokens: f64::from(burst), last: None }
    }

    /// Takes one token; false means the message must be refused.
    pub fn allow(&mut self, now: Timestamp) -> bool {
        if let Some(last) = self.last {
            let elapsed = now.duration_since(last).as_secs_f64().max(0.0);
            self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        }
        self.last = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Default for RateLimit {
    /// Trickle ICE sends a burst of candidates at the start; chat and state changes are slow.
    fn default() -> RateLimit {
        RateLimit::new(60, 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    #[test]
    fn a_burst_then_the_refill_rate() {
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let mut r = RateLimit::new(3, 2);
        assert!((0..3).all(|_| r.allow(t0)));
        assert!(!r.allow(t0), "the burst is spent");
        assert!(r.allow(t0 + SignedDuration::from_millis(500)), "one token after half a second at 2/s");
        assert!(!r.allow(t0 + SignedDuration::from_millis(500)));
        assert!((0..3).all(|_| r.allow(t0 + SignedDuration::from_secs(60))), "refills to the burst, no more");
        assert!(!r.allow(t0 + SignedDuration::from_secs(60)));
    }
}
