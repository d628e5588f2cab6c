//! What can go wrong with custom menus, as a caller must decide it.

use crate::accounts::model::AccountId;
use crate::accounts::AccountError;
use crate::core::InvalidAt;
use crate::tags::TagError;
use crate::tokens::TokenError;
use crate::wechat::CallError;

#[derive(Debug, thiserror::Error)]
pub enum MenuError {
    #[error("account {0} not found")]
    AccountNotFound(AccountId),
    #[error("account {0} is a WeCom app; these are an Official Account's menus")]
    NotAnOfficialAccount(AccountId),
    /// Refused by WeChat's documented rules before WeChat was asked.
    #[error(transparent)]
    Invalid(#[from] InvalidAt),
    /// WeChat (or the way to it) failed; `doing` says what the hub asked.
    #[error("{doing} at WeChat failed")]
    WeChat {
        doing: &'static str,
        #[source]
        source: CallError<TokenError>,
    },
    /// Checking a match rule's tag against the account's tags failed.
    #[error(transparent)]
    Tags(#[from] TagError),
    #[error("reading the account failed")]
    Lookup(#[source] anyhow::Error),
}

impl MenuError {
    pub(crate) fn wechat(doing: &'static str) -> impl FnOnce(CallError<TokenError>) -> MenuError {
        move |source| MenuError::WeChat { doing, source }
    }
}

impl From<AccountError> for MenuError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound(id) => MenuError::AccountNotFound(id),
            other => MenuError::Lookup(other.into()),
        }
    }
}
