//! Typed identifiers, so an AppID is never passed where an OpenID is expected.

use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }
    };
}

string_id!(
    /// An Official Account's AppID (`wx…`).
    AppId
);
string_id!(
    /// A user's OpenID under one Official Account. Sandbox OpenIDs sort in creation order.
    OpenId
);
string_id!(
    /// A WeCom CorpID (`ww…`).
    CorpId
);

/// A random string of `len` ASCII letters and digits.
pub fn random_alnum(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A new OpenID: 28 characters, `o` + a fixed-width sequence (so BTreeMap order is creation
/// order, which `cgi-bin/user/get` paging relies on) + random filler.
pub fn new_openid(seq: u64) -> OpenId {
    OpenId(format!("oSbx{:010}{}", seq, random_alnum(14)))
}

/// A new UnionID, 28 characters.
pub fn new_unionid(seq: u64) -> String {
    format!("uSbx{:010}{}", seq, random_alnum(14))
}

/// An access token in WeChat's style: long, URL-safe, opaque.
pub fn new_access_token(prefix: &str) -> String {
    format!("{prefix}_{}", random_alnum(120))
}

/// Compares two secrets without an early exit on the first differing byte.
pub fn eq_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openids_sort_in_creation_order() {
        let a = new_openid(9);
        let b = new_openid(10);
        assert!(a < b);
        assert_eq!(a.as_str().len(), 28);
    }
}
