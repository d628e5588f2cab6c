//! What can go wrong with callers, as a caller must decide it.

use crate::accounts::model::AccountId;
use crate::core::InvalidField;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CallerError {
    #[error("caller {0} not found")]
    NotFound(String),
    #[error("system_id {0} is already registered")]
    SystemIdTaken(String),
    #[error("qr_source {0} is already used by another caller of one of these accounts")]
    QrSourceTaken(u8),
    #[error("account {0} does not exist")]
    UnknownAccount(AccountId),
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    /// Wrong client id or secret; deliberately says no more.
    #[error("invalid client credentials")]
    InvalidClient,
    #[error("caller storage failed")]
    Store(#[from] StoreError),
}
