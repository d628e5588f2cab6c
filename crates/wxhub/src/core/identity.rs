//! Who a WeChat user is, in each namespace the hub deals with. Distinct types, so an openid is
//! never passed where a unionid or a WeCom userid is meant.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ids::made_of;
use super::InvalidField;

fn wechat_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

crate::slug_id!(
    /// A user's id within one Official Account (or mini program): WeChat's `openid`, 28
    /// characters today; 1–64 of `A-Za-z0-9_-` accepted.
    OpenId,
    "openid",
    |s| made_of(s, 64, wechat_token),
    "must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'"
);

crate::slug_id!(
    /// A user's id across the Official Accounts and apps of one WeChat Open Platform account:
    /// WeChat's `unionid`.
    UnionId,
    "unionid",
    |s| made_of(s, 64, wechat_token),
    "must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'"
);

crate::slug_id!(
    /// A member of a WeCom corporation: WeCom's `userid` (1–64 of letters, digits, `_-.@`).
    CorpUserId,
    "userid",
    |s| made_of(s, 64, |b| wechat_token(b) || b == b'.' || b == b'@'),
    "must be 1-64 characters of A-Z, a-z, 0-9, '_', '-', '.' and '@'"
);

/// A business system's own user id (seed 000's `uid`), bound to WeChat identities by the
/// identity capability. Positive.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(try_from = "i64", into = "i64")]
#[schema(value_type = i64)]
pub struct Uid(i64);

impl Uid {
    pub fn new(v: i64) -> Result<Self, InvalidField> {
        if v > 0 {
            Ok(Uid(v))
        } else {
            Err(InvalidField::new("uid", "must be a positive integer"))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Uid {
    type Error = InvalidField;
    fn try_from(v: i64) -> Result<Self, InvalidField> {
        Uid::new(v)
    }
}

impl From<Uid> for i64 {
    fn from(u: Uid) -> i64 {
        u.0
    }
}

impl std::fmt::Display for Uid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_namespace_checks_its_own_rule() {
        assert!(OpenId::parse("o6_bmjrPTlm6_2sgVt7hMZOPfL2M").is_ok());
        assert!(OpenId::parse("o@x").is_err());
        assert!(UnionId::parse("").is_err());
        assert!(CorpUserId::parse("zhang.san@corp").is_ok());
        assert!(CorpUserId::parse("zhang san").is_err());
        assert_eq!(Uid::new(42).map(Uid::get), Ok(42));
        assert!(Uid::new(0).is_err());
        assert!(serde_json::from_str::<Uid>("-1").is_err());
    }
}
