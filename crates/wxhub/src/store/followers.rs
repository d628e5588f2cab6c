//! Storage for follower records: what follow/unfollow callbacks leave (inside the event
//! batch), the profile WeChat's `user/info` gives (the identity capability's profile fetcher
//! and follower sync), and the follower list a sync reads from `user/get`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::accounts::model::AccountId;
use crate::identity::model::{FetchedUser, FollowerChange};
use crate::jobs::model::InstanceId;
use crate::store::StoreError;

/// A follower record. The profile fields (WeChat's `user/info` names) are `None` until WeChat's
/// answer is stored, and again once the user unfollows.
#[derive(Debug, Clone, PartialEq)]
pub struct Follower {
    pub account: AccountId,
    pub openid: String,
    pub subscribed: bool,
    pub nickname: Option<String>,
    pub sex: Option<u8>,
    pub language: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub country: Option<String>,
    pub headimgurl: Option<String>,
    /// Kept after an unfollow (it names the person, not the follow).
    pub unionid: Option<String>,
    pub remark: Option<String>,
    pub groupid: Option<i64>,
    pub tagid_list: Option<Vec<u32>>,
    pub subscribe_scene: Option<String>,
    /// WeChat's `qr_scene`: from its answer, or, until then, what the follow callback implies
    /// ([`qr_scene_of_event`](crate::identity::model::followers::qr_scene_of_event)).
    pub qr_scene: Option<u64>,
    pub qr_scene_str: Option<String>,
    /// How the last follow came, as its callback said: `qr_scene` or `plain`.
    pub scene: Option<String>,
    pub qr_source: Option<u8>,
    /// The scene value the last follow callback carried.
    pub event_scene: Option<String>,
    /// The last follow (WeChat's `subscribe_time`, once its answer is stored).
    pub subscribed_at: Option<DateTime<Utc>>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
    /// When WeChat's `user/info` was last stored.
    pub profile_fetched_at: Option<DateTime<Utc>>,
}

/// Which of an account's followers a list returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowerFilter {
    /// Only followers in this state; `None` = subscribed or not.
    pub subscribed: Option<bool>,
    /// Only openids after this one (the cursor of the previous page).
    pub after_openid: Option<String>,
}

/// Followers of one account whose profile is due, leased to the instance that reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueProfiles {
    pub account: AccountId,
    pub openids: Vec<String>,
}

#[async_trait]
pub trait FollowerStore: Send + Sync + 'static {
    /// Applies the changes in order, in one transaction.
    async fn apply(&self, changes: &[FollowerChange]) -> Result<(), StoreError>;
    async fn get(&self, account: &AccountId, openid: &str) -> Result<Option<Follower>, StoreError>;
    /// The follower of `account` with `unionid` (seed 001's user resolved to an openid).
    async fn by_unionid(
        &self,
        account: &AccountId,
        unionid: &str,
    ) -> Result<Option<Follower>, StoreError>;
    /// Up to `limit` of `account`'s followers, ordered by openid.
    async fn list(
        &self,
        account: &AccountId,
        filter: &FollowerFilter,
        limit: u32,
    ) -> Result<Vec<Follower>, StoreError>;
    /// How many of `account`'s followers are in this state (`None`: all of them).
    async fn count(&self, account: &AccountId, subscribed: Option<bool>)
        -> Result<u64, StoreError>;
    /// The account setting "unfollow also unbinds" (default off), for the identity capability.
    async fn unfollow_unbinds(&self, account: &AccountId) -> Result<bool, StoreError>;
    async fn set_unfollow_unbinds(&self, account: &AccountId, on: bool) -> Result<(), StoreError>;

    /// Records the openids a page of WeChat's follower list (`user/get`, asked at `asked_at`)
    /// showed, in one transaction: each is subscribed and confirmed at `asked_at` — unless an
    /// unfollow callback at or after `asked_at` says otherwise. One not known before (or
    /// whose profile an unfollow cleared) is due a profile at `due_at`. Safe to repeat.
    async fn record_listed(
        &self,
        account: &AccountId,
        openids: &[String],
        asked_at: DateTime<Utc>,
        due_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Stores WeChat's `user/info` answers, asked at `asked_at`, in one transaction. A
    /// follower's profile replaces the stored one unless an unfollow callback came at or after
    /// `asked_at`; an answer that the user does not follow marks a subscribed record
    /// unsubscribed (profile cleared, record kept) unless a follow was confirmed at or after
    /// `asked_at`. The profile is read again at `next_due` (`None`: not unless a follow asks).
    /// Records that do not exist are left alone. Frees the profile lease.
    async fn store_profiles(
        &self,
        account: &AccountId,
        users: &[FetchedUser],
        asked_at: DateTime<Utc>,
        now: DateTime<Utc>,
        next_due: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// Up to `limit` subscribed followers of `account` confirmed at or after `since` whose
    /// profile was not stored since then, after `after` in openid order.
    async fn unread_since(
        &self,
        account: &AccountId,
        since: DateTime<Utc>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>, StoreError>;

    /// Marks up to `limit` subscribed followers of `account` that nothing confirmed at or
    /// after `since` unsubscribed at `at` (profile cleared, record kept); returns how many.
    async fn unsubscribe_unconfirmed(
        &self,
        account: &AccountId,
        since: DateTime<Utc>,
        at: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError>;

    /// Subscribed followers of `account` confirmed at or after `since`.
    async fn count_confirmed_since(
        &self,
        account: &AccountId,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Leases to `owner`, until `lease_until`, up to `limit` followers of one account whose
    /// profile is due at `now` (the longest due first); `None` when none is due.
    async fn claim_due_profiles(
        &self,
        owner: &InstanceId,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Option<DueProfiles>, StoreError>;

    /// Sets when these followers' profiles are due (`None`: not at all) and frees their lease.
    async fn set_profile_due(
        &self,
        account: &AccountId,
        openids: &[String],
        due: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;
}
