//! What can go wrong with reply rules, as a caller must decide it.

use crate::accounts::model::AccountId;
use crate::accounts::AccountError;
use crate::core::InvalidField;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error("account {0} not found")]
    AccountNotFound(AccountId),
    #[error("reply rule {0} not found")]
    NotFound(String),
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error("reply rule storage failed")]
    Store(#[from] StoreError),
    #[error("reading the account failed")]
    Account(#[source] AccountError),
    #[error("reply rule {0} does not call a webhook, so it has no signing secret")]
    NotAWebhook(String),
    /// Webhook secrets are sealed with the master key; without one none can be stored.
    #[error("no master key is configured, so reply webhook secrets cannot be stored")]
    NoMasterKey,
    #[error("a reply webhook secret does not open with the configured master key")]
    WrongMasterKey,
}
