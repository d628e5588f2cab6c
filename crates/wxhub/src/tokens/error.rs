//! The token centre's errors: what a caller can act on, WeChat's own error passed through,
//! and one opaque internal case.

use std::time::Duration;

use crate::wechat::WeChatError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    /// WeChat refused to hand out the credential (wrong secret, IP not whitelisted, …).
    #[error("wechat refused the credential request")]
    WeChat(WeChatError),
    /// The daily quota (45009) is exhausted; no new request is sent before `retry_after`.
    #[error("wechat's daily quota for this credential is exhausted")]
    QuotaExhausted {
        errmsg: String,
        retry_after: Duration,
    },
    /// A refresh named the current token, and a token of this credential was expired less
    /// than the configured interval ago; the current token stays.
    #[error("the current token was refreshed moments ago; retry after {} s", retry_after.as_secs().max(1))]
    RefreshTooSoon { retry_after: Duration },
    /// Another instance holds the refresh lock and did not finish in time.
    #[error("timed out waiting for another instance to refresh the token")]
    LockTimeout,
    /// No such account (or not one this caller may use).
    #[error("account not found")]
    UnknownAccount,
    /// This kind of credential does not exist for this kind of account.
    #[error("{0} is not available for this kind of account")]
    Unsupported(&'static str),
    /// A WeCom account without a contacts secret was asked for its directory.
    #[error("the account has no contacts_secret: set the corp's contacts (通讯录同步) secret on the account")]
    MissingContactsSecret,
    #[error("internal error: {0}")]
    Internal(String),
}

impl TokenError {
    /// WeChat's errcode/errmsg when WeChat is the cause.
    pub fn wechat(&self) -> Option<(i64, &str)> {
        match self {
            Self::WeChat(WeChatError::Api { errcode, errmsg }) => Some((*errcode, errmsg)),
            Self::QuotaExhausted { errmsg, .. } => {
                Some((crate::wechat::error::QUOTA_EXHAUSTED, errmsg))
            }
            Self::WeChat(_)
            | Self::RefreshTooSoon { .. }
            | Self::UnknownAccount
            | Self::LockTimeout
            | Self::Unsupported(_)
            | Self::MissingContactsSecret
            | Self::Internal(_) => None,
        }
    }
}
