//! Publishable keys: what a web page puts in seed 000's JSONP route (`key=`) instead of a
//! bearer it cannot send. A key is its caller's, good only for temporary codes of that
//! caller's `source`, and only from pages on its own domains (`Origin`, else `Referer`).
//! It is shown once; the store keeps its SHA-256, like every other credential.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::callers::model::{check_domain, ClientId};
use crate::core::InvalidField;

crate::ulid_id!(
    /// `pk_<ulid>`: a publishable key's public id (the key itself is `wxpk_…`).
    PublishableKeyId, "pk_", "key_id"
);

/// The prefix of every publishable key.
pub const KEY_PREFIX: &str = "wxpk_";

/// The page domains a key is good on: `example.com`, `*.example.com`, `localhost:3000`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(transparent)]
pub struct KeyDomains(Vec<String>);

impl KeyDomains {
    pub const MAX: usize = 50;

    pub fn new(domains: &[String]) -> Result<Self, InvalidField> {
        if domains.is_empty() || domains.len() > Self::MAX {
            return Err(InvalidField::new(
                "domains",
                format!(
                    "list 1-{} page domains the key may be used from (example.com, *.example.com)",
                    Self::MAX
                ),
            ));
        }
        let mut checked = domains
            .iter()
            .map(|d| check_domain("domains", d))
            .collect::<Result<Vec<_>, _>>()?;
        checked.sort();
        checked.dedup();
        Ok(KeyDomains(checked))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// A publishable key as listed (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PublishableKey {
    pub id: PublishableKeyId,
    pub client_id: ClientId,
    pub domains: KeyDomains,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_host_names_sorted_once_each() {
        let d = |v: &[&str]| KeyDomains::new(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            d(&["Shop.Example.com", "*.example.com", "shop.example.com"]).map(|k| k.0),
            Ok(vec![
                "*.example.com".to_string(),
                "shop.example.com".to_string()
            ])
        );
        assert!(d(&[]).is_err());
        assert!(d(&["https://example.com"]).is_err());
        assert!(d(&["exa mple.com"]).is_err());
    }
}
