//! Unified users (seed 001 §2–4): one person across the accounts of one WeChat Open Platform,
//! keyed by `unionid`, with a hub-minted `user_id` (seed 001's `userId`) and a phone kept
//! sealed (seed 001's `secretPhone`: personal data). Distinct from seed 000's business `uid`
//! (bindings): a `user_id` is the hub's, a `uid` is the business system's.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::model::AccountId;
use crate::core::{InvalidField, UnionId};

/// A unified user's id: a positive i64, minted by the hub from the time (milliseconds since
/// 2020-01-01, 41 bits) and 22 random bits, so ids sort by creation and never repeat in
/// practice (the store's primary key refuses the rare clash, and the mint is retried).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(try_from = "i64", into = "i64")]
#[schema(value_type = i64)]
pub struct UserId(i64);

/// 2020-01-01T00:00:00Z in milliseconds.
const EPOCH_MS: i64 = 1_577_836_800_000;

impl UserId {
    pub fn new(v: i64) -> Result<Self, InvalidField> {
        if v > 0 {
            Ok(UserId(v))
        } else {
            Err(InvalidField::new("user_id", "must be a positive integer"))
        }
    }

    /// A new id for a user created at `at`.
    pub fn mint(at: DateTime<Utc>) -> Self {
        let ms = (at.timestamp_millis() - EPOCH_MS).clamp(0, (1 << 41) - 1);
        let random = i64::from(rand::random::<u32>() & 0x3F_FFFF);
        UserId((ms << 22) | random | i64::from(ms == 0 && random == 0))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for UserId {
    type Error = InvalidField;
    fn try_from(v: i64) -> Result<Self, InvalidField> {
        UserId::new(v)
    }
}

impl From<UserId> for i64 {
    fn from(u: UserId) -> i64 {
        u.0
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A phone number as given: 5–20 of digits, with an optional leading `+`.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        let digits = s.strip_prefix('+').unwrap_or(s);
        if (5..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Phone(s.to_owned()))
        } else {
            Err(InvalidField::new(
                "phone",
                "must be 5-20 digits, optionally after a '+'",
            ))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Personal data: never printed whole.
impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Phone(***)")
    }
}

/// A unified user.
#[derive(Debug, Clone, PartialEq)]
pub struct UnifiedUser {
    pub user_id: UserId,
    pub unionid: UnionId,
    pub phone: Option<Phone>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new user, or what an import or a repeated add brings for an existing unionid.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub unionid: UnionId,
    pub phone: Option<Phone>,
}

/// Which account, and which application's entry link, a user came through.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Access {
    pub account: AccountId,
    /// The application (its entry link in the business's application list), if known.
    pub app_id: Option<String>,
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_ids_are_positive_and_sort_by_time() {
        let early = UserId::mint(DateTime::from_timestamp(1_700_000_000, 0).unwrap());
        let late = UserId::mint(DateTime::from_timestamp(1_700_000_001, 0).unwrap());
        assert!(early.get() > 0 && early < late);
        assert!(UserId::mint(DateTime::from_timestamp(0, 0).unwrap()).get() > 0);
    }

    #[test]
    fn phones_are_digits_and_never_printed() {
        assert!(Phone::parse("13145738791").is_ok());
        assert!(Phone::parse("+8613145738791").is_ok());
        assert!(Phone::parse("1314-573").is_err());
        assert_eq!(
            format!("{:?}", Phone::parse("13145738791").unwrap()),
            "Phone(***)"
        );
    }
}
