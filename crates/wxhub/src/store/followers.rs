//! Storage for follower records as follow/unfollow callbacks leave them (issue 6). The
//! identity capability owns profiles and sync; this is the minimal record it builds on.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::accounts::model::AccountId;
use crate::identity::model::FollowerChange;
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq)]
pub struct Follower {
    pub account: AccountId,
    pub openid: String,
    pub subscribed: bool,
    pub nickname: Option<String>,
    pub scene: Option<String>,
    pub qr_source: Option<u8>,
    pub qr_scene: Option<String>,
    pub subscribed_at: Option<DateTime<Utc>>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
}

/// Which of an account's followers a list returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowerFilter {
    /// Only followers in this state; `None` = subscribed or not.
    pub subscribed: Option<bool>,
    /// Only openids after this one (the cursor of the previous page).
    pub after_openid: Option<String>,
}

#[async_trait]
pub trait FollowerStore: Send + Sync + 'static {
    /// Applies the changes in order, in one transaction.
    async fn apply(&self, changes: &[FollowerChange]) -> Result<(), StoreError>;
    async fn get(&self, account: &AccountId, openid: &str) -> Result<Option<Follower>, StoreError>;
    /// Up to `limit` of `account`'s followers, ordered by openid.
    async fn list(
        &self,
        account: &AccountId,
        filter: &FollowerFilter,
        limit: u32,
    ) -> Result<Vec<Follower>, StoreError>;
    /// The account setting "unfollow also unbinds" (default off), for the identity capability.
    async fn unfollow_unbinds(&self, account: &AccountId) -> Result<bool, StoreError>;
    async fn set_unfollow_unbinds(&self, account: &AccountId, on: bool) -> Result<(), StoreError>;
}
