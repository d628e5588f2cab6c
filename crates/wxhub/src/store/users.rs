//! Storage of unified users and their access log (`identity::service::users`): the trait,
//! no SQL. The phone is stored sealed; the store never sees it in the clear.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::accounts::model::AccountId;
use crate::core::UnionId;
use crate::identity::model::{Access, UserId};
use crate::store::StoreError;

/// A stored unified user.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub user_id: UserId,
    pub unionid: UnionId,
    pub phone_sealed: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One user to add or update: a fresh id to use if the unionid is new.
#[derive(Debug, Clone)]
pub struct UserUpsert {
    pub candidate_id: UserId,
    pub unionid: UnionId,
    /// `None` keeps a stored phone.
    pub phone_sealed: Option<String>,
}

#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Adds each user, or updates the one its unionid names (idempotent on unionid), all in
    /// one transaction; returns the stored records in input order and how many were new.
    async fn upsert(
        &self,
        users: &[UserUpsert],
        at: DateTime<Utc>,
    ) -> Result<(Vec<UserRecord>, u64), StoreError>;

    async fn get(&self, user_id: UserId) -> Result<Option<UserRecord>, StoreError>;

    async fn by_unionid(&self, unionid: &UnionId) -> Result<Option<UserRecord>, StoreError>;

    /// Records that the user came through `account` (and `app_id`'s entry link);
    /// [`StoreError::MissingReference`] for an unknown user.
    async fn record_access(
        &self,
        user_id: UserId,
        account: &AccountId,
        app_id: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The latest access of the user.
    async fn last_access(&self, user_id: UserId) -> Result<Option<Access>, StoreError>;
}
