//! The sandbox clock: real time plus an offset that `POST /sandbox/clock/advance` moves.
//!
//! Every expiry in the sandbox (tokens, QR tickets, OAuth codes, the 48-hour window, quotas)
//! reads this clock, so tests move time forward instead of sleeping. Network timeouts
//! (the 5-second callback rule) use real time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds in a day, and Beijing's offset from UTC: WeChat's daily quotas reset at
/// midnight China time.
const DAY: i64 = 86_400;
const CHINA_OFFSET: i64 = 8 * 3600;

#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: AtomicI64,
}

impl Clock {
    pub fn new(offset_secs: i64) -> Self {
        Self {
            offset_secs: AtomicI64::new(offset_secs),
        }
    }

    /// Unix seconds, sandbox time.
    pub fn now(&self) -> i64 {
        real_now() + self.offset_secs.load(Ordering::Relaxed)
    }

    /// Moves sandbox time forward by `secs` (negative values are refused by the driver).
    pub fn advance(&self, secs: i64) -> i64 {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
        self.now()
    }

    pub fn offset(&self) -> i64 {
        self.offset_secs.load(Ordering::Relaxed)
    }

    /// The China-time day number of `now()`, for daily quotas.
    pub fn day(&self) -> i64 {
        day_of(self.now())
    }
}

pub fn day_of(ts: i64) -> i64 {
    (ts + CHINA_OFFSET).div_euclid(DAY)
}

fn real_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now_forward() {
        let c = Clock::default();
        let before = c.now();
        c.advance(7200);
        assert!(c.now() >= before + 7200);
    }

    #[test]
    fn china_day_changes_at_16_utc() {
        // 2024-01-01T15:59:59Z is 23:59:59 in Beijing; one second later is the next day.
        let t = 1_704_124_799;
        assert_eq!(day_of(t) + 1, day_of(t + 1));
    }
}
