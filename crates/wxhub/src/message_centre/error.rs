//! What can go wrong with a message-centre notice, as a caller must decide it.

use crate::accounts::model::{AccountId, AgentId};
use crate::accounts::AccountError;
use crate::core::effects::ClaimLost;
use crate::core::InvalidAt;
use crate::store::StoreError;
use crate::tokens::TokenError;
use crate::wechat::CallError;

#[derive(Debug, thiserror::Error)]
pub enum MessageCentreError {
    /// A setting the send needs is missing; `setting` names it (`[message_centre]
    /// default_account`), `to` says what it is needed for.
    #[error("set {setting} to {to}")]
    NotConfigured {
        setting: &'static str,
        to: &'static str,
    },
    /// `[message_centre] default_account` names no WeCom app account.
    #[error("[message_centre] default_account is {account:?}, {problem}")]
    BadDefault {
        account: String,
        problem: &'static str,
    },
    #[error("no WeCom app with agentId {agent} is registered in corp {corpid}")]
    AgentNotFound { agent: AgentId, corpid: String },
    #[error(transparent)]
    Invalid(#[from] InvalidAt),
    /// WeCom (or the way to it) failed; `doing` says what the hub asked.
    #[error("{doing} at WeCom failed")]
    WeChat {
        doing: &'static str,
        #[source]
        source: CallError<TokenError>,
    },
    /// The recipients' addresses could not be read from the contacts directory.
    #[error(transparent)]
    Recipients(#[from] RecipientsError),
    /// The SMTP server could not be reached or refused the message as a whole.
    #[error("the SMTP server failed: {0}")]
    Mail(String),
    /// The SMS provider failed.
    #[error("the SMS provider failed: {0}")]
    Sms(String),
    #[error(transparent)]
    Claim(#[from] ClaimLost),
    #[error("message log storage failed")]
    Store(#[from] StoreError),
    #[error("reading the account failed")]
    Lookup(#[source] anyhow::Error),
    #[error("account {0} not found")]
    AccountNotFound(AccountId),
}

/// Why the contacts directory could not name the recipients.
#[derive(Debug, thiserror::Error)]
pub enum RecipientsError {
    /// The corp's directory has not been read from WeCom yet.
    #[error("the contacts directory is not synced: {0}")]
    NotSynced(String),
    #[error("reading the contacts directory failed")]
    Failed(#[source] anyhow::Error),
}

impl MessageCentreError {
    pub(crate) fn wechat(
        doing: &'static str,
    ) -> impl FnOnce(CallError<TokenError>) -> MessageCentreError {
        move |source| MessageCentreError::WeChat { doing, source }
    }
}

impl From<AccountError> for MessageCentreError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound(id) => MessageCentreError::AccountNotFound(id),
            other => MessageCentreError::Lookup(other.into()),
        }
    }
}
