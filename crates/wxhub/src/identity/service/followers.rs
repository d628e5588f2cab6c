//! Reading follower records and reading or changing an account's callback settings. Every
//! call first checks that the account exists, so an unknown account is an error rather than
//! an empty answer (or a settings row for an account nobody registered).

use std::sync::Arc;

use tracing::instrument;

use crate::accounts::model::AccountId;
use crate::accounts::{AccountError, AccountService};
use crate::identity::error::FollowerError;
use crate::identity::model::{CallbackSettings, SettingsPatch};
use crate::store::followers::{Follower, FollowerFilter, FollowerStore};

#[derive(Clone)]
pub struct FollowerService {
    store: Arc<dyn FollowerStore>,
    accounts: AccountService,
}

impl FollowerService {
    pub fn new(store: Arc<dyn FollowerStore>, accounts: AccountService) -> Self {
        FollowerService { store, accounts }
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
}
