//! What can go wrong in identity (followers, callback settings, bindings), as a caller must
//! decide it.

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

/// What can go wrong with bindings.
#[derive(Debug, thiserror::Error)]
pub enum BindingError {
    #[error("account {0} not found")]
    AccountNotFound(AccountId),
    #[error("nothing is bound to that {0} on this account")]
    NotBound(&'static str),
    /// Seed 000's −3: the binding could not be recorded; nothing was written.
    #[error("the binding could not be recorded")]
    NotRecorded(#[source] StoreError),
    #[error("binding storage failed")]
    Store(#[from] StoreError),
    #[error("reading the account failed")]
    Account(#[source] AccountError),
}
