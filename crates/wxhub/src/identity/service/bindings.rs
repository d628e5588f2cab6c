//! Binding business uids to openids (seed 000 §3.6): bind with seed 000's codes, unbind by
//! either side, read the current binding and the history. The store decides each bind in one
//! transaction with its event; this service checks the account, and tells the event feed
//! after each commit so streams and fan-out wake at once.

use std::sync::Arc;

use tracing::instrument;

use crate::accounts::model::AccountId;
use crate::accounts::{AccountError, AccountService};
use crate::core::clock::SharedClock;
use crate::events::feed::EventFeed;
use crate::identity::error::BindingError;
use crate::identity::model::{BindRequest, Binding, BindingKey, BindingType, EndReason};
use crate::store::bindings::{BindOutcome, BindingStore, HistoryFilter};

#[derive(Clone)]
pub struct BindingService {
    store: Arc<dyn BindingStore>,
    accounts: AccountService,
    feed: EventFeed,
    clock: SharedClock,
}

impl BindingService {
    pub fn new(
        store: Arc<dyn BindingStore>,
        accounts: AccountService,
        feed: EventFeed,
        clock: SharedClock,
    ) -> Self {
        BindingService {
            store,
            accounts,
            feed,
            clock,
        }
    }

    async fn require_account(&self, account: &AccountId) -> Result<(), BindingError> {
        match self.accounts.exists(account).await {
            Ok(true) => Ok(()),
            Ok(false) | Err(AccountError::NotFound(_)) => {
                Err(BindingError::AccountNotFound(account.clone()))
            }
            Err(e) => Err(BindingError::Account(e)),
        }
    }

    /// Binds, or says why not (codes −1, −2 are outcomes, not errors); a store failure is
    /// [`BindingError::NotRecorded`] (code −3), with nothing written.
    #[instrument(skip_all, fields(account = %request.account, kind = request.kind.as_str()))]
    pub async fn bind(&self, request: &BindRequest) -> Result<BindOutcome, BindingError> {
        self.require_account(&request.account).await?;
        let outcome = self
            .store
            .bind(request, self.clock.now())
            .await
            .map_err(BindingError::NotRecorded)?;
        if let BindOutcome::Bound { code, .. } = &outcome {
            tracing::info!(code = code.code(), "bound");
            self.feed.notify();
        }
        Ok(outcome)
    }

    /// Ends the current binding of `key`; [`BindingError::NotBound`] when there is none.
    #[instrument(skip_all, fields(account = %account, kind = kind.as_str()))]
    pub async fn unbind(
        &self,
        account: &AccountId,
        kind: BindingType,
        key: &BindingKey,
        by: &str,
    ) -> Result<Binding, BindingError> {
        self.require_account(account).await?;
        let ended = self
            .store
            .unbind(account, kind, key, by, EndReason::Unbind, self.clock.now())
            .await?;
        let Some((binding, _event)) = ended else {
            return Err(BindingError::NotBound(side(key)));
        };
        tracing::info!("unbound");
        self.feed.notify();
        Ok(binding)
    }

    /// The current binding of `key`; [`BindingError::NotBound`] when there is none.
    pub async fn get(
        &self,
        account: &AccountId,
        kind: BindingType,
        key: &BindingKey,
    ) -> Result<Binding, BindingError> {
        self.require_account(account).await?;
        self.store
            .current(account, kind, key)
            .await?
            .ok_or(BindingError::NotBound(side(key)))
    }

    /// Every binding `key` had, newest first.
    pub async fn history(
        &self,
        filter: &HistoryFilter,
        limit: u32,
    ) -> Result<Vec<Binding>, BindingError> {
        self.require_account(&filter.account).await?;
        Ok(self.store.history(filter, limit).await?)
    }
}

fn side(key: &BindingKey) -> &'static str {
    match key {
        BindingKey::Uid(_) => "uid",
        BindingKey::OpenId(_) => "openid",
    }
}
