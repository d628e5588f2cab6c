//! Storage of the tags capability: each account's copy of its WeChat follower tags (id,
//! name, followers), replaced whole by every sync. The trait only; no SQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::accounts::model::AccountId;
use crate::store::StoreError;
use crate::tags::model::{Tag, TagList};

#[async_trait]
pub trait TagStore: Send + Sync + 'static {
    /// Replaces the account's copy with `tags` as WeChat listed them at `at`, in one
    /// transaction, unless a copy read later than `at` is stored already (two syncs that
    /// overlap never leave the older list). Whether it was stored.
    async fn replace(
        &self,
        account: &AccountId,
        tags: &[Tag],
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// The account's copy in tag id order; `None` when it was never synced.
    async fn list(&self, account: &AccountId) -> Result<Option<TagList>, StoreError>;
}
