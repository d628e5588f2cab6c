//! Time as a dependency.
//!
//! Services never call `Utc::now()` themselves; they ask the [`Clock`] they were built with, so
//! tests can move time forward (token expiry, quota windows) without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, SubsecRound, Utc};

/// Where "now" comes from.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The clock every service holds.
pub type SharedClock = Arc<dyn Clock>;

/// Wall-clock time, truncated to milliseconds: the precision both stores keep (SQLite stores
/// UTC milliseconds, PostgreSQL microseconds), so a value read back equals the value written.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(3)
    }
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Debug, Clone)]
pub struct TestClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl TestClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        TestClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves time forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }

    pub fn set(&self, to: DateTime<Utc>) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now = to;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Wall-clock time plus an offset that only grows: what `WXHUB_TEST_CLOCK=1` gives a running
/// hub, so an outside test suite can move time forward (token expiry, windows, quotas) over
/// HTTP. Never in production. Clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct AdjustableClock {
    offset_micros: Arc<AtomicI64>,
}

impl AdjustableClock {
    /// Moves time forward by `by` (negative durations are ignored: time never goes back).
    pub fn advance(&self, by: Duration) -> DateTime<Utc> {
        let micros = by.num_microseconds().unwrap_or(i64::MAX).max(0);
        self.offset_micros.fetch_add(micros, Ordering::SeqCst);
        self.now()
    }
}

impl Clock for AdjustableClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = Duration::microseconds(self.offset_micros.load(Ordering::SeqCst));
        (SystemClock.now() + offset).trunc_subsecs(3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_clock_moves_only_when_advanced() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let clock = TestClock::new(start);
        let shared: SharedClock = Arc::new(clock.clone());
        assert_eq!(shared.now(), start);
        clock.advance(Duration::seconds(90));
        assert_eq!(shared.now(), start + Duration::seconds(90));
    }

    #[test]
    fn the_adjustable_clock_runs_ahead_of_the_wall_clock() {
        let clock = AdjustableClock::default();
        let before = SystemClock.now();
        let after = clock.advance(Duration::hours(3));
        assert!(after >= before + Duration::hours(3));
        assert!(clock.clone().now() >= after, "clones share the offset");
        clock.advance(Duration::seconds(-60));
        assert!(clock.now() >= after, "never back");
    }
}
