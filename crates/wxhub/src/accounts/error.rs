//! What can go wrong with accounts, as a caller must decide it.

use crate::accounts::model::AccountId;
use crate::core::InvalidField;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("account {0} not found")]
    NotFound(AccountId),
    #[error("account id {0} is taken")]
    IdTaken(AccountId),
    #[error("an account with this {0} is already registered")]
    AppTaken(&'static str),
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error(
        "no master key is configured (set WXHUB_MASTER_KEY), so secrets cannot be stored or read"
    )]
    NoMasterKey,
    #[error("the configured master key does not open the stored secrets")]
    WrongMasterKey,
    #[error("account {0} was changed concurrently; retry")]
    ConcurrentUpdate(AccountId),
    #[error("account storage failed")]
    Store(#[from] StoreError),
}
