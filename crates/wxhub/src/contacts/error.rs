//! What can go wrong with the contacts directory, as a caller must decide it.

use crate::accounts::model::AccountId;
use crate::accounts::AccountError;
use crate::core::InvalidField;
use crate::store::StoreError;
use crate::tokens::TokenError;
use crate::wechat::CallError;

#[derive(Debug, thiserror::Error)]
pub enum ContactsError {
    #[error("account {0} not found")]
    AccountNotFound(AccountId),
    #[error("account {0} is an Official Account; the contacts directory is a WeCom corp's")]
    NotAWeComAccount(AccountId),
    #[error(
        "account {0} has no contacts_secret: set the corp's contacts (通讯录同步) secret on the account to read its directory"
    )]
    NoContactsSecret(AccountId),
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    /// WeCom (or the way to it) failed; `doing` says what the hub asked.
    #[error("{doing} at WeCom failed")]
    WeChat {
        doing: &'static str,
        #[source]
        source: CallError<TokenError>,
    },
    #[error("starting the directory sync failed")]
    Jobs(#[source] anyhow::Error),
    #[error("directory storage failed")]
    Store(#[from] StoreError),
    #[error("reading the account failed")]
    Lookup(#[source] anyhow::Error),
}

impl ContactsError {
    pub(crate) fn wechat(
        doing: &'static str,
    ) -> impl FnOnce(CallError<TokenError>) -> ContactsError {
        move |source| ContactsError::WeChat { doing, source }
    }

    /// WeCom's errcode, when WeCom refused.
    pub fn errcode(&self) -> Option<i64> {
        match self {
            ContactsError::WeChat {
                source: CallError::Call(crate::wechat::WeChatError::Api { errcode, .. }),
                ..
            } => Some(*errcode),
            _ => None,
        }
    }

    /// What went wrong, for a job's error and the logs: WeCom's own errcode and errmsg when
    /// WeCom refused (the chain of sources does not carry them).
    pub fn describe(&self) -> String {
        match self {
            ContactsError::WeChat {
                doing,
                source: CallError::Call(crate::wechat::WeChatError::Api { errcode, errmsg }),
            } => format!("{doing} at WeCom failed: WeCom refused ({errcode}: {errmsg})"),
            other => {
                let mut text = other.to_string();
                let mut source = std::error::Error::source(other);
                while let Some(cause) = source {
                    text.push_str(": ");
                    text.push_str(&cause.to_string());
                    source = cause.source();
                }
                text
            }
        }
    }

    /// Worth trying again later (WeCom or the store unavailable), as opposed to a request
    /// that will fail the same way.
    pub fn is_transient(&self) -> bool {
        match self {
            ContactsError::WeChat { source, .. } => match source {
                CallError::Call(crate::wechat::WeChatError::Api { errcode, .. }) => *errcode == -1,
                CallError::Token(TokenError::WeChat(crate::wechat::WeChatError::Api {
                    ..
                })) => false,
                CallError::Token(TokenError::MissingContactsSecret)
                | CallError::Token(TokenError::UnknownAccount)
                | CallError::Token(TokenError::Unsupported(_)) => false,
                _ => true,
            },
            ContactsError::Store(_) | ContactsError::Lookup(_) | ContactsError::Jobs(_) => true,
            _ => false,
        }
    }
}

impl From<AccountError> for ContactsError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound(id) => ContactsError::AccountNotFound(id),
            other => ContactsError::Lookup(other.into()),
        }
    }
}
