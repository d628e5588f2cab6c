//! What can go wrong with followers and callback settings, as a caller must decide it.

use crate::accounts::model::AccountId;
use crate::accounts::AccountError;
use crate::jobs::JobError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum FollowerError {
    #[error("account {0} not found")]
    AccountNotFound(AccountId),
    #[error("follower {openid:?} of account {account} not found")]
    NotFound { account: AccountId, openid: String },
    #[error("follower storage failed")]
    Store(#[from] StoreError),
    #[error("reading the account failed")]
    Account(#[source] AccountError),
    #[error("account {0} is not an Official Account: it has no followers to sync")]
    NotOfficialAccount(AccountId),
    #[error("starting the follower sync failed")]
    Job(#[from] JobError),
}
