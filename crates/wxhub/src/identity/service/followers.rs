//! Reading follower records, starting a follower sync, and reading or changing an account's
//! callback settings. Every call first checks that the account exists, so an unknown account
//! is an error rather than an empty answer (or a settings row for an account nobody
//! registered).

use std::sync::Arc;

use tracing::instrument;

use crate::accounts::model::{AccountApp, AccountId};
use crate::accounts::{AccountError, AccountService};
use crate::identity::error::FollowerError;
use crate::identity::model::{CallbackSettings, SettingsPatch};
use crate::identity::service::sync::KIND;
use crate::jobs::model::Job;
use crate::jobs::JobService;
use crate::store::followers::{Follower, FollowerFilter, FollowerStore};

#[derive(Clone)]
pub struct FollowerService {
    store: Arc<dyn FollowerStore>,
    accounts: AccountService,
    jobs: JobService,
}

impl FollowerService {
    pub fn new(store: Arc<dyn FollowerStore>, accounts: AccountService, jobs: JobService) -> Self {
        FollowerService {
            store,
            accounts,
            jobs,
        }
    }

    async fn require_account(&self, account: &AccountId) -> Result<(), FollowerError> {
        match self.accounts.exists(account).await {
            Ok(true) => Ok(()),
            Ok(false) | Err(AccountError::NotFound(_)) => {
                Err(FollowerError::AccountNotFound(account.clone()))
            }
            Err(e) => Err(FollowerError::Account(e)),
        }
    }

    pub async fn settings(&self, account: &AccountId) -> Result<CallbackSettings, FollowerError> {
        self.require_account(account).await?;
        Ok(CallbackSettings {
            unfollow_unbinds: self.store.unfollow_unbinds(account).await?,
        })
    }

    /// Applies `patch` and returns the settings after it.
    #[instrument(skip_all, fields(account = %account))]
    pub async fn update_settings(
        &self,
        account: &AccountId,
        patch: SettingsPatch,
    ) -> Result<CallbackSettings, FollowerError> {
        self.require_account(account).await?;
        if let Some(on) = patch.unfollow_unbinds {
            self.store.set_unfollow_unbinds(account, on).await?;
            tracing::info!(unfollow_unbinds = on, "callback settings changed");
        }
        Ok(CallbackSettings {
            unfollow_unbinds: self.store.unfollow_unbinds(account).await?,
        })
    }

    pub async fn get(&self, account: &AccountId, openid: &str) -> Result<Follower, FollowerError> {
        self.require_account(account).await?;
        self.store
            .get(account, openid)
            .await?
            .ok_or_else(|| FollowerError::NotFound {
                account: account.clone(),
                openid: openid.to_owned(),
            })
    }

    /// The follower of `account` with `unionid`; [`FollowerError::NotFound`] when none.
    pub async fn by_unionid(
        &self,
        account: &AccountId,
        unionid: &crate::core::UnionId,
    ) -> Result<Follower, FollowerError> {
        self.require_account(account).await?;
        self.store
            .by_unionid(account, unionid.as_str())
            .await?
            .ok_or_else(|| FollowerError::NotFound {
                account: account.clone(),
                openid: format!("(unionid {unionid})"),
            })
    }

    /// A page of the account's followers in openid order.
    pub async fn list(
        &self,
        account: &AccountId,
        filter: &FollowerFilter,
        limit: u32,
    ) -> Result<Vec<Follower>, FollowerError> {
        self.require_account(account).await?;
        Ok(self.store.list(account, filter, limit).await?)
    }

    /// How many of the account's followers are in this state (`None`: all).
    pub async fn count(
        &self,
        account: &AccountId,
        subscribed: Option<bool>,
    ) -> Result<u64, FollowerError> {
        self.require_account(account).await?;
        Ok(self.store.count(account, subscribed).await?)
    }

    /// Starts a follower sync of the account (`owner`: the caller asking), or answers the one
    /// this owner started that has not finished yet.
    #[instrument(skip_all, fields(account = %account))]
    pub async fn start_sync(
        &self,
        account: &AccountId,
        owner: Option<String>,
    ) -> Result<Job, FollowerError> {
        let found = match self.accounts.get(account).await {
            Ok(found) => found,
            Err(AccountError::NotFound(_)) => {
                return Err(FollowerError::AccountNotFound(account.clone()))
            }
            Err(e) => return Err(FollowerError::Account(e)),
        };
        if !matches!(found.app, AccountApp::Mp { .. }) {
            return Err(FollowerError::NotOfficialAccount(account.clone()));
        }
        if let Some(job) = self
            .unfinished_sync(account)
            .await?
            .into_iter()
            .find(|job| job.owner == owner)
        {
            return Ok(job);
        }
        let params = crate::jobs::model::AccountParams::json(account);
        Ok(self.jobs.enqueue(KIND, params, owner).await?)
    }

    /// The account's follower syncs that have not finished (any owner), oldest first.
    pub async fn unfinished_sync(&self, account: &AccountId) -> Result<Vec<Job>, FollowerError> {
        Ok(self.jobs.unfinished_for(KIND, account).await?)
    }
}
