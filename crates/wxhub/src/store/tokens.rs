//! Storage of the token centre's credentials (no SQL here): the durable copy every
//! instance shares, read when the cache misses (after a restart, or when Redis is down).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// One stored credential. `value` holds at least 512 characters, as WeChat asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredToken {
    /// The namespaced cache key (per AppID, or per CorpID + AgentID, and kind).
    pub cache_key: String,
    /// The hub account it belongs to, so the refresher can find its credentials.
    pub account_id: String,
    pub kind: String,
    pub value: String,
    pub expires_at: DateTime<Utc>,
    pub refresh_at: DateTime<Utc>,
    pub fetched_at: DateTime<Utc>,
    pub fence: u64,
}

#[async_trait]
pub trait TokenStore: Send + Sync + 'static {
    async fn get(&self, cache_key: &str) -> Result<Option<StoredToken>, StoreError>;

    /// Inserts or replaces the row unless the stored row has a higher fence.
    /// Returns whether it was written.
    async fn put_fenced(&self, token: &StoredToken) -> Result<bool, StoreError>;

    /// Marks the row expired if it still holds `value` (compare-and-expire).
    async fn expire_if(&self, cache_key: &str, value: &str) -> Result<bool, StoreError>;

    /// Rows still valid at `now` whose `refresh_at` is before `due_before`, soonest first:
    /// what the proactive refresher renews.
    async fn list_due(
        &self,
        now: DateTime<Utc>,
        due_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<StoredToken>, StoreError>;

    /// Forgets every credential of an account (when it is removed or its secret rotated).
    async fn delete_account(&self, account_id: &str) -> Result<u64, StoreError>;
}
