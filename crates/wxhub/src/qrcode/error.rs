//! What can go wrong with QR codes, as a caller must decide it.

use crate::accounts::model::AccountId;
use crate::accounts::AccountError;
use crate::callers::model::ClientId;
use crate::core::InvalidField;
use crate::store::StoreError;
use crate::tokens::TokenError;
use crate::wechat::CallError;

#[derive(Debug, thiserror::Error)]
pub enum QrCodeError {
    #[error("account {0} not found")]
    AccountNotFound(AccountId),
    #[error("account {0} is a WeCom app; QR codes with scenes are an Official Account's")]
    NotAnOfficialAccount(AccountId),
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error("caller {caller} may not create permanent QR codes on account {account}; an admin grants it with PUT /api/v1/accounts/{account}/qrcode-grants/{caller}")]
    NotGranted {
        account: AccountId,
        caller: ClientId,
    },
    #[error("permanent QR codes belong to a caller: create them with the credentials of a caller granted them")]
    PermanentNeedsCaller,
    #[error("scene id {0} of this account belongs to another caller; choose another scene id")]
    SceneIdTaken(u32),
    #[error("QR code {0} not found")]
    NotFound(String),
    #[error("QR code {0} has expired")]
    Expired(String),
    #[error("caller {0} not found")]
    CallerNotFound(String),
    #[error(
        "caller {0} has no QR source; give it one (qr_source 1-31) with PATCH /api/v1/callers/{0}"
    )]
    NoSource(String),
    #[error("publishable key {0} not found")]
    KeyNotFound(String),
    /// The key is unknown, or not good for this source or page (the reason is logged, not
    /// told).
    #[error("the publishable key is not valid for this page and source")]
    KeyRefused,
    #[error("creating the QR code at WeChat failed")]
    WeChat(#[source] CallError<TokenError>),
    #[error("rendering the QR code image failed")]
    Render,
    #[error("QR code storage failed")]
    Store(#[from] StoreError),
    #[error("reading the account or caller failed")]
    Lookup(#[source] anyhow::Error),
}

impl From<AccountError> for QrCodeError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound(id) => QrCodeError::AccountNotFound(id),
            other => QrCodeError::Lookup(other.into()),
        }
    }
}
