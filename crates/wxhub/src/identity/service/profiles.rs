//! Followers' profiles from WeChat: [`ProfileReader`] reads `user/info/batchget` (100 openids
//! a call, a few calls in flight) and `user/get` pages for an account, through
//! `Api::for_account` (so every call counts against the account's WeChat call limit, and
//! waits its turn when the limit is reached); [`ProfileFetcher`] is the background loop that
//! completes the record a follow callback left, and refreshes profiles once they are
//! `followers.profile_max_age_secs` old.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::{self, StreamExt, TryStreamExt};

use crate::accounts::model::{AccountApp, AccountId};
use crate::accounts::{AccountError, AccountService};
use crate::core::clock::SharedClock;
use crate::identity::config::FollowersConfig;
use crate::identity::model::{FetchedUser, FollowerProfile, UserInfo};
use crate::jobs::model::InstanceId;
use crate::jobs::periodic::StepError;
use crate::jobs::{Next, Periodic};
use crate::store::followers::FollowerStore;
use crate::store::StoreError;
use crate::tokens::{AccountTokens, TokenError, TokenService};
use crate::wechat::call::{Api, CallError};
use crate::wechat::mp::user::{self, BatchGetUserInfo, GetUserInfo, ListFollowers, UserRef};
use crate::wechat::{WeChatClient, WeChatError};

/// Openids per `user/info/batchget` (WeChat's maximum).
pub const BATCH: usize = 100;
/// A call refused by the account's WeChat call limit waits its turn at most this long in all.
const MAX_THROTTLED_WAIT: Duration = Duration::from_secs(120);
/// The fetcher's lease on the profiles it reads; a failed read is tried again after it.
const LEASE: Duration = Duration::from_secs(60);
/// Errcode of an openid WeChat does not know for this account.
const INVALID_OPENID: i64 = 40003;

/// Why profiles could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("account {0} not found")]
    AccountGone(AccountId),
    #[error("account {0} is not an Official Account: it has no followers")]
    NotMp(AccountId),
    #[error("reading the account failed")]
    Account(#[source] AccountError),
    #[error("wechat: {0}")]
    WeChat(String),
    #[error("follower storage failed")]
    Store(#[from] StoreError),
}

impl ReadError {
    /// Will never work for this account (retrying is pointless).
    pub fn is_permanent(&self) -> bool {
        matches!(self, ReadError::AccountGone(_) | ReadError::NotMp(_))
    }
}

fn wechat_error(e: CallError<TokenError>) -> ReadError {
    ReadError::WeChat(match e {
        CallError::Token(e) => format!("getting the access token: {e}"),
        CallError::Call(e) => e.to_string(),
        e => e.to_string(),
    })
}

/// At most this many followers per import call.
pub const MAX_IMPORT: usize = 1000;

/// What WeChat's `user/info` says, as the model holds it.
pub fn user_info(info: user::UserInfo) -> FetchedUser {
    let openid = info.openid.clone();
    let info = if info.follows() {
        UserInfo::Follows(Box::new(FollowerProfile {
            nickname: info.nickname,
            sex: info.sex,
            language: info.language,
            city: info.city,
            province: info.province,
            country: info.country,
            headimgurl: info.headimgurl,
            subscribe_time: info.subscribe_time,
            unionid: info.unionid.filter(|u| !u.is_empty()),
            remark: info.remark,
            groupid: info.groupid,
            tagid_list: info.tagid_list,
            subscribe_scene: info.subscribe_scene,
            qr_scene: info.qr_scene,
            qr_scene_str: info.qr_scene_str,
        }))
    } else {
        UserInfo::DoesNotFollow {
            unionid: info.unionid.filter(|u| !u.is_empty()),
        }
    };
    FetchedUser { openid, info }
}

/// One account's side of WeChat, for reading followers.
struct AccountApi {
    account: AccountId,
    api_base: String,
    tokens: AccountTokens,
}

/// Reads followers and their profiles from WeChat for an account, and stores profiles.
#[derive(Clone)]
pub struct ProfileReader {
    store: Arc<dyn FollowerStore>,
    accounts: AccountService,
    tokens: TokenService,
    client: WeChatClient,
    clock: SharedClock,
    settings: FollowersConfig,
}

impl ProfileReader {
    pub fn new(
        store: Arc<dyn FollowerStore>,
        accounts: AccountService,
        tokens: TokenService,
        client: WeChatClient,
        clock: SharedClock,
        settings: FollowersConfig,
    ) -> Self {
        ProfileReader {
            store,
            accounts,
            tokens,
            client,
            clock,
            settings,
        }
    }

    pub fn store(&self) -> &Arc<dyn FollowerStore> {
        &self.store
    }

    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    async fn account_api(&self, account: &AccountId) -> Result<AccountApi, ReadError> {
        let found = match self.accounts.get(account).await {
            Ok(found) => found,
            Err(AccountError::NotFound(_)) => return Err(ReadError::AccountGone(account.clone())),
            Err(e) => return Err(ReadError::Account(e)),
        };
        if !matches!(found.app, AccountApp::Mp { .. }) {
            return Err(ReadError::NotMp(account.clone()));
        }
        Ok(AccountApi {
            account: account.clone(),
            api_base: found.api_base,
            tokens: self.tokens.handle(account.as_str()),
        })
    }

    /// Imports followers from another platform (seed 001's addFans): each `Follows` entry is
    /// recorded as a subscribed follower with its profile, in `user/info`'s shape; a
    /// `DoesNotFollow` entry marks a stored follower unsubscribed. Idempotent on (account,
    /// openid): a rerun updates, never duplicates. At most [`MAX_IMPORT`] per call.
    pub async fn import(
        &self,
        account: &AccountId,
        users: &[FetchedUser],
    ) -> Result<usize, ReadError> {
        self.account_api(account).await?;
        let now = self.clock.now();
        let followers: Vec<String> = users
            .iter()
            .filter(|u| matches!(u.info, UserInfo::Follows(_)))
            .map(|u| u.openid.clone())
            .collect();
        if !followers.is_empty() {
            self.store
                .record_listed(account, &followers, now, now)
                .await?;
        }
        self.store
            .store_profiles(account, users, now, now, self.next_due(now))
            .await?;
        tracing::info!(account = %account, imported = users.len(), "followers imported");
        Ok(users.len())
    }

    /// Whether a profile stored at `fetched_at` (`None`: never read) is older than
    /// `followers.profile_max_age_secs` (0: profiles never go stale).
    pub fn is_stale(&self, fetched_at: Option<chrono::DateTime<chrono::Utc>>) -> bool {
        let max_age = self.settings.profile_max_age_secs;
        match fetched_at {
            _ if max_age == 0 => false,
            None => true,
            Some(at) => {
                let age = self.clock.now() - at;
                age.num_seconds() >= i64::try_from(max_age).unwrap_or(i64::MAX)
            }
        }
    }

    /// When a profile read now is due again (`None`: never, with a max age of 0).
    pub fn next_due(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        const CENTURY_SECS: u64 = 100 * 365 * 86_400;
        match self.settings.profile_max_age_secs {
            0 => None,
            secs => {
                let secs = i64::try_from(secs.min(CENTURY_SECS)).unwrap_or(0);
                Some(now + chrono::Duration::seconds(secs))
            }
        }
    }

    /// One page of the account's follower list (`user/get`): up to 10,000 openids after
    /// `next_openid`.
    pub async fn list_page(
        &self,
        account: &AccountId,
        next_openid: Option<&str>,
    ) -> Result<user::FollowerPage, ReadError> {
        let side = self.account_api(account).await?;
        let api = Api::for_account(&self.client, &side.api_base, side.account.as_str());
        let request = ListFollowers {
            next_openid: next_openid.filter(|s| !s.is_empty()).map(str::to_owned),
        };
        paced(|| user::list_followers(&api, &side.tokens, &request))
            .await
            .map_err(wechat_error)
    }

    /// Reads the profiles of `openids` of `account` from WeChat (100 a call,
    /// `followers.wechat_concurrency` calls at once) and stores them; returns how many were
    /// stored.
    pub async fn refresh(
        &self,
        account: &AccountId,
        openids: &[String],
    ) -> Result<usize, ReadError> {
        if openids.is_empty() {
            return Ok(0);
        }
        let asked_at = self.clock.now();
        let users = self.fetch(account, openids).await?;
        let now = self.clock.now();
        self.store
            .store_profiles(account, &users, asked_at, now, self.next_due(now))
            .await?;
        Ok(users.len())
    }

    /// What WeChat says about each of `openids`.
    pub async fn fetch(
        &self,
        account: &AccountId,
        openids: &[String],
    ) -> Result<Vec<FetchedUser>, ReadError> {
        let side = self.account_api(account).await?;
        let side = &side;
        let chunks: Vec<Vec<String>> = openids.chunks(BATCH).map(<[String]>::to_vec).collect();
        let batches: Vec<Vec<FetchedUser>> = stream::iter(chunks)
            .map(|chunk| async move { self.fetch_batch(side, &chunk).await })
            .buffered(self.settings.wechat_concurrency.max(1))
            .try_collect()
            .await?;
        Ok(batches.into_iter().flatten().collect())
    }

    /// One `user/info/batchget`. WeChat refuses the whole call when one openid is not the
    /// account's (40003); then, and for any openid its answer left out, each is asked alone.
    async fn fetch_batch(
        &self,
        side: &AccountApi,
        openids: &[String],
    ) -> Result<Vec<FetchedUser>, ReadError> {
        let api = Api::for_account(&self.client, &side.api_base, side.account.as_str());
        let request = BatchGetUserInfo {
            user_list: openids
                .iter()
                .map(|openid| UserRef {
                    openid: openid.clone(),
                    lang: None,
                })
                .collect(),
        };
        let answered = match paced(|| user::batch_info(&api, &side.tokens, &request)).await {
            Ok(list) => list.user_info_list,
            Err(CallError::Call(WeChatError::Api {
                errcode: INVALID_OPENID,
                ..
            })) => Vec::new(),
            Err(e) => return Err(wechat_error(e)),
        };
        let mut users: Vec<FetchedUser> = answered
            .into_iter()
            .filter(|u| openids.contains(&u.openid))
            .map(user_info)
            .collect();
        for openid in openids {
            if users.iter().any(|u| &u.openid == openid) {
                continue;
            }
            let request = GetUserInfo {
                openid: openid.clone(),
                lang: None,
            };
            match paced(|| user::info(&api, &side.tokens, &request)).await {
                Ok(info) if &info.openid == openid => users.push(user_info(info)),
                Ok(_)
                | Err(CallError::Call(WeChatError::Api {
                    errcode: INVALID_OPENID,
                    ..
                })) => users.push(FetchedUser {
                    openid: openid.clone(),
                    info: UserInfo::DoesNotFollow { unionid: None },
                }),
                Err(e) => return Err(wechat_error(e)),
            }
        }
        Ok(users)
    }
}

/// Runs a WeChat call; while the account's call limit refuses it, waits as told and tries
/// again (for at most [`MAX_THROTTLED_WAIT`] in all).
async fn paced<T, F, Fut>(mut call: F) -> Result<T, CallError<TokenError>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CallError<TokenError>>>,
{
    let mut waited = Duration::ZERO;
    loop {
        match call().await {
            Err(CallError::Throttled(t)) if waited < MAX_THROTTLED_WAIT => {
                let wait = t
                    .retry_after
                    .clamp(Duration::from_millis(5), Duration::from_secs(5));
                waited += wait;
                tokio::time::sleep(wait).await;
            }
            other => return other,
        }
    }
}

/// The background loop that reads due profiles: a follow callback makes the follower's due at
/// once, a stored profile makes it due again after `followers.profile_max_age_secs`. Each
/// step leases up to `followers.wechat_concurrency` × 100 due followers of one account (so
/// instances share the work), reads them and stores them. A read that fails leaves them
/// leased, so they are due again when the lease ends.
pub struct ProfileFetcher {
    pub reader: ProfileReader,
    pub instance: InstanceId,
}

impl ProfileFetcher {
    fn poll(&self) -> Duration {
        Duration::from_secs(self.reader.settings.profile_poll_secs.max(1))
    }

    /// Reads one lease's worth of due profiles; `false` when none was due.
    pub async fn fetch_due(&self) -> Result<bool, ReadError> {
        let now = self.reader.clock.now();
        let lease_until = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
        let limit = u32::try_from(self.reader.settings.wechat_concurrency.max(1) * BATCH)
            .unwrap_or(u32::MAX);
        let Some(due) = self
            .reader
            .store
            .claim_due_profiles(&self.instance, now, lease_until, limit)
            .await?
        else {
            return Ok(false);
        };
        match self.reader.refresh(&due.account, &due.openids).await {
            Ok(n) => {
                tracing::debug!(account = %due.account, profiles = n, "follower profiles read");
                Ok(true)
            }
            Err(e) if e.is_permanent() => {
                tracing::info!(account = %due.account, error = %e,
                    "follower profiles cannot be read; not asked again until a follow");
                self.reader
                    .store
                    .set_profile_due(&due.account, &due.openids, None)
                    .await?;
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl Periodic for ProfileFetcher {
    fn name(&self) -> &'static str {
        "follower-profiles"
    }

    async fn step(&self) -> Result<Next, StepError> {
        Ok(if self.fetch_due().await? {
            Next::Again
        } else {
            Next::After(self.poll())
        })
    }
}
