//! [`RateLimit`]: a rate in requests (or calls) per second plus a burst, checked when built.
//!
//! One type for every limit the hub enforces (a caller's requests, an account's calls to
//! WeChat), so the limiter in `cache::ratelimit` and the domain rules agree on what a limit is.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::InvalidField;

/// The largest `per_second` a limit may have.
pub const MAX_PER_SECOND: u32 = 10_000;
/// The largest `burst` a limit may have.
pub const MAX_BURST: u32 = 100_000;

/// `per_second` requests a second on average, up to `burst` at once (GCRA: a full bucket
/// holds `burst`, one comes back every `1 / per_second` s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub struct RateLimit {
    /// Sustained rate, 1–10000 a second.
    per_second: u32,
    /// At most this many at once, 1–100000.
    burst: u32,
}

/// A limit as a request gives it, nothing checked yet (numbers as JSON gives them, so a
/// negative or huge value is answered with the field's name, not a parse error).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitInput {
    pub per_second: i64,
    pub burst: i64,
}

impl RateLimit {
    /// Checks both numbers; an error names `fields.0` or `fields.1`.
    pub fn new(
        per_second: i64,
        burst: i64,
        fields: (&'static str, &'static str),
    ) -> Result<Self, InvalidField> {
        let check = |v: i64, max: u32, field| match u32::try_from(v) {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(InvalidField::new(
                field,
                format!("must be a whole number from 1 to {max}"),
            )),
        };
        Ok(RateLimit {
            per_second: check(per_second, MAX_PER_SECOND, fields.0)?,
            burst: check(burst, MAX_BURST, fields.1)?,
        })
    }

    /// A limit from config or the store, where `0` means none.
    pub fn from_parts(per_second: u32, burst: u32) -> Option<Self> {
        (per_second > 0 && burst > 0).then_some(RateLimit {
            per_second: per_second.min(MAX_PER_SECOND),
            burst: burst.min(MAX_BURST),
        })
    }

    pub fn per_second(self) -> u32 {
        self.per_second
    }

    pub fn burst(self) -> u32 {
        self.burst
    }

    /// How long after its last use a bucket is full again (so forgetting it changes nothing).
    pub fn refill_time(self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(f64::from(self.burst) / f64::from(self.per_second))
    }
}

impl RateLimitInput {
    /// The checked limit; an error names `fields.0` or `fields.1`.
    pub fn parse(self, fields: (&'static str, &'static str)) -> Result<RateLimit, InvalidField> {
        RateLimit::new(self.per_second, self.burst, fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: (&str, &str) = ("rate_limit.per_second", "rate_limit.burst");

    #[test]
    fn both_numbers_are_positive_and_bounded() {
        let limit = RateLimit::new(5, 10, F).expect("valid");
        assert_eq!((limit.per_second(), limit.burst()), (5, 10));
        assert_eq!(
            RateLimit::new(0, 10, F).expect_err("zero").field,
            "rate_limit.per_second"
        );
        assert_eq!(
            RateLimit::new(1, -1, F).expect_err("negative").field,
            "rate_limit.burst"
        );
        assert!(RateLimit::new(10_001, 1, F).is_err());
        assert!(RateLimit::new(1, 100_001, F).is_err());
        assert!(RateLimit::new(i64::MAX, 1, F).is_err());
    }

    #[test]
    fn zero_in_config_means_no_limit() {
        assert_eq!(RateLimit::from_parts(0, 10), None);
        assert_eq!(RateLimit::from_parts(10, 0), None);
        assert!(RateLimit::from_parts(1, 1).is_some());
    }
}
