//! Money: integer fen (1/100 yuan), never floating point.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::InvalidField;

/// An amount of money in fen. Never negative.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(try_from = "i64", into = "i64")]
#[schema(value_type = i64)]
pub struct Fen(i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn new(fen: i64) -> Result<Self, InvalidField> {
        if fen >= 0 {
            Ok(Fen(fen))
        } else {
            Err(InvalidField::new("amount", "must not be negative (fen)"))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// The sum, unless it overflows.
    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }
}

impl TryFrom<i64> for Fen {
    type Error = InvalidField;
    fn try_from(v: i64) -> Result<Self, InvalidField> {
        Fen::new(v)
    }
}

impl From<Fen> for i64 {
    fn from(f: Fen) -> i64 {
        f.0
    }
}

impl std::fmt::Display for Fen {
    /// As yuan with two decimals: `12.05`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_are_whole_and_never_negative() {
        assert_eq!(Fen::new(1205).map(|f| f.to_string()), Ok("12.05".into()));
        assert!(Fen::new(-1).is_err());
        assert!(serde_json::from_str::<Fen>("1.5").is_err());
        assert_eq!(
            Fen::new(i64::MAX).ok().and_then(|f| f.checked_add(Fen(1))),
            None
        );
    }
}
