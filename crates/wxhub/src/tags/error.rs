//! What can go wrong with follower tags and remarks, as a caller must decide it.

use crate::accounts::model::AccountId;
use crate::accounts::AccountError;
use crate::core::InvalidAt;
use crate::store::StoreError;
use crate::tags::model::TagRefusal;
use crate::tokens::TokenError;
use crate::wechat::CallError;

#[derive(Debug, thiserror::Error)]
pub enum TagError {
    #[error("account {0} not found")]
    AccountNotFound(AccountId),
    #[error("account {0} is a WeCom app; follower tags are an Official Account's")]
    NotAnOfficialAccount(AccountId),
    #[error(transparent)]
    Invalid(#[from] InvalidAt),
    /// Refused by the hub's copy of the account's tags, before WeChat was asked.
    #[error(transparent)]
    Refused(#[from] TagRefusal),
    /// WeChat (or the way to it) failed; `doing` says what the hub asked.
    #[error("{doing} at WeChat failed")]
    WeChat {
        doing: &'static str,
        #[source]
        source: CallError<TokenError>,
    },
    #[error("tag storage failed")]
    Store(#[from] StoreError),
    #[error("reading the account failed")]
    Lookup(#[source] anyhow::Error),
}

impl TagError {
    pub(crate) fn wechat(doing: &'static str) -> impl FnOnce(CallError<TokenError>) -> TagError {
        move |source| TagError::WeChat { doing, source }
    }
}

impl From<AccountError> for TagError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound(id) => TagError::AccountNotFound(id),
            other => TagError::Lookup(other.into()),
        }
    }
}
