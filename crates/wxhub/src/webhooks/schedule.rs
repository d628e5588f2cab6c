//! The retry schedule: Svix's, with jitter, and `Retry-After` honoured within a cap.
//!
//! Attempt 1 is immediate; after a failure the next attempt waits 5 s, 5 min, 30 min, 2 h, 5 h,
//! 10 h, 10 h (eight attempts in all), each delay moved by up to ±20 % so that endpoints
//! coming back up are not hit by every queued delivery at once. A receiver's `Retry-After`
//! can only lengthen a wait (never shorten it below the schedule) and is capped, so a hostile
//! header cannot park a delivery forever.

use std::time::Duration;

/// Delays before attempts 2, 3, … (attempt 1 is immediate).
pub const RETRY_DELAYS: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// Jitter is ±this fraction of the scheduled delay.
pub const JITTER: f64 = 0.2;

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Try again after this long; `step` is the schedule index of that attempt.
    RetryAfter { delay: Duration, step: usize },
    /// The schedule is exhausted: dead-letter.
    GiveUp,
}

/// The retry policy of one hub.
#[derive(Debug, Clone)]
pub struct Schedule {
    delays: Vec<Duration>,
    max_retry_after: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule::new(RETRY_DELAYS.to_vec(), Duration::from_secs(10 * 3600))
    }
}

impl Schedule {
    pub fn new(delays: Vec<Duration>, max_retry_after: Duration) -> Self {
        Schedule {
            delays,
            max_retry_after,
        }
    }

    /// Attempts in all, the immediate one included.
    pub fn attempts(&self) -> usize {
        self.delays.len() + 1
    }

    /// After the attempt at schedule index `step` (0 = the immediate one) failed: when to try
    /// again. `jitter` is a number in [-1, 1] (random in production, fixed in tests);
    /// `retry_after` is the receiver's `Retry-After`, if it sent one.
    pub fn after_failure(&self, step: usize, jitter: f64, retry_after: Option<Duration>) -> Next {
        let Some(base) = self.delays.get(step) else {
            return Next::GiveUp;
        };
        let factor = 1.0 + JITTER * jitter.clamp(-1.0, 1.0);
        let jittered = base.mul_f64(factor);
        let delay = match retry_after {
            Some(asked) => jittered.max(asked.min(self.max_retry_after)),
            None => jittered,
        };
        Next::RetryAfter {
            delay,
            step: step + 1,
        }
    }
}

/// A random jitter in [-1, 1].
pub fn random_jitter() -> f64 {
    use rand::Rng;
    rand::thread_rng().gen_range(-1.0..=1.0)
}

/// Parses `Retry-After` as delay-seconds (the HTTP-date form is ignored: receivers behind our
/// hub answer in seconds, and a date would depend on their clock).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_svix_schedule_without_jitter() {
        let s = Schedule::default();
        let mut step = 0;
        let mut delays = vec![];
        while let Next::RetryAfter { delay, step: next } = s.after_failure(step, 0.0, None) {
            delays.push(delay.as_secs());
            step = next;
        }
        assert_eq!(delays, vec![5, 300, 1800, 7200, 18000, 36000, 36000]);
        assert_eq!(s.attempts(), 8);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let s = Schedule::default();
        let low = s.after_failure(1, -1.0, None);
        let high = s.after_failure(1, 1.0, None);
        let wild = s.after_failure(1, 7.0, None);
        assert_eq!(
            low,
            Next::RetryAfter {
                delay: Duration::from_secs(240),
                step: 2
            }
        );
        assert_eq!(
            high,
            Next::RetryAfter {
                delay: Duration::from_secs(360),
                step: 2
            }
        );
        assert_eq!(wild, high);
    }

    #[test]
    fn retry_after_lengthens_but_is_capped_and_never_shortens() {
        let s = Schedule::default();
        let longer = s.after_failure(0, 0.0, Some(Duration::from_secs(120)));
        assert_eq!(
            longer,
            Next::RetryAfter {
                delay: Duration::from_secs(120),
                step: 1
            }
        );
        let huge = s.after_failure(0, 0.0, Some(Duration::from_secs(999_999)));
        assert_eq!(
            huge,
            Next::RetryAfter {
                delay: Duration::from_secs(36000),
                step: 1
            }
        );
        let shorter = s.after_failure(2, 0.0, Some(Duration::from_secs(1)));
        assert_eq!(
            shorter,
            Next::RetryAfter {
                delay: Duration::from_secs(1800),
                step: 3
            }
        );
    }

    #[test]
    fn retry_after_header_forms() {
        assert_eq!(parse_retry_after(" 30 "), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-5"), None);
    }
}
