//! What can go wrong with webhooks, as a caller must decide it.

use crate::accounts::model::AccountId;
use crate::core::InvalidField;
use crate::store::StoreError;
use crate::webhooks::url::PrivateAddress;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook endpoint {0} not found")]
    NotFound(String),
    #[error("delivery {0} not found")]
    DeliveryNotFound(String),
    #[error("account {0} does not exist")]
    UnknownAccount(AccountId),
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    /// The URL points at a private or loopback address and the config forbids those.
    #[error(transparent)]
    PrivateUrl(#[from] PrivateAddress),
    /// Webhook secrets are sealed with the master key; without one none can be stored.
    #[error("no master key is configured, so webhook secrets cannot be stored")]
    NoMasterKey,
    #[error("a webhook secret does not open with the configured master key")]
    WrongMasterKey,
    #[error("webhook storage failed")]
    Store(#[from] StoreError),
}
