//! Storage of the tokens the proxy issues to SDKs (`proxy::sdk`): the trait (no SQL).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::accounts::model::AccountId;
use crate::callers::model::ClientId;
use crate::store::StoreError;

/// Whom a proxy token was issued to, for which account, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyGrant {
    pub client_id: ClientId,
    pub account: AccountId,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait ProxyTokenStore: Send + Sync + 'static {
    /// Records an issued token by its hash.
    async fn insert(&self, token_hash: &str, grant: &ProxyGrant) -> Result<(), StoreError>;

    /// The grant of an unexpired token.
    async fn find(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ProxyGrant>, StoreError>;

    /// Deletes tokens that expired before `now`; returns how many.
    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}
