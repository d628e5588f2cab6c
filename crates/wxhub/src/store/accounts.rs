//! Storage for accounts: the trait (no SQL) and its record type.
//!
//! Conflict keys returned by [`AccountStore::insert`]: `"id"` (slug taken), `"appid"` (an
//! Official Account with that AppID exists), `"agentid"` (that CorpID + AgentID exists).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::accounts::model::{AccountApp, AccountId, AgentId, AppId, CallbackMode, CorpId};
use crate::core::{InvalidField, RateLimit};
use crate::store::sql::{stored_time, Columns};
use crate::store::StoreError;

/// An account as stored: public fields plus sealed secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    pub id: AccountId,
    pub app: AccountApp,
    pub name: Option<String>,
    pub original_id: Option<String>,
    pub logo_url: Option<String>,
    pub mode: CallbackMode,
    pub api_base: String,
    pub secret_sealed: String,
    pub callback_token_sealed: Option<String>,
    pub encoding_aes_key_sealed: Option<String>,
    pub contacts_secret_sealed: Option<String>,
    /// The account's own limit on calls to WeChat; `None`: the configured default.
    pub wechat_rate_limit: Option<RateLimit>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Stores a new account. Conflicts: `"id"`, `"appid"`, `"agentid"`.
    async fn insert(&self, account: &AccountRecord) -> Result<(), StoreError>;
    async fn get(&self, id: &AccountId) -> Result<Option<AccountRecord>, StoreError>;
    /// Accounts ordered by id, strictly after `after`.
    async fn list(
        &self,
        after: Option<&AccountId>,
        limit: u32,
    ) -> Result<Vec<AccountRecord>, StoreError>;
    /// Replaces the mutable fields of `account` if the stored version is still
    /// `expected_version`. `Ok(false)`: missing or changed meanwhile.
    async fn update(
        &self,
        account: &AccountRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError>;
    /// Deletes the account with its reply rules, callback settings, follower records and
    /// stored tokens, in one transaction. `Ok(false)` when there was nothing to delete.
    async fn delete(&self, id: &AccountId) -> Result<bool, StoreError>;
    async fn count(&self) -> Result<u64, StoreError>;
}

/// The columns of `accounts`, times as the backend stores them (`Columns::Time`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AccountRow<T> {
    pub id: String,
    pub kind: String,
    pub appid: Option<String>,
    pub corpid: Option<String>,
    pub agentid: Option<i64>,
    pub name: Option<String>,
    pub original_id: Option<String>,
    pub logo_url: Option<String>,
    pub mode: String,
    pub api_base: String,
    pub secret_sealed: String,
    pub callback_token_sealed: Option<String>,
    pub encoding_aes_key_sealed: Option<String>,
    pub contacts_secret_sealed: Option<String>,
    pub version: i64,
    pub created_at: T,
    pub updated_at: T,
    pub wechat_per_second: Option<i64>,
    pub wechat_burst: Option<i64>,
}

/// Column list matching [`AccountRow`].
pub(crate) const ACCOUNT_COLUMNS: &str = "id, kind, appid, corpid, agentid, name, original_id, logo_url, mode, api_base, secret_sealed, callback_token_sealed, encoding_aes_key_sealed, contacts_secret_sealed, version, created_at, updated_at, wechat_per_second, wechat_burst";

/// Unique-violation needles → conflict keys, for both backends.
pub(crate) const ACCOUNT_CONFLICTS: &[(&str, &str)] = &[
    ("appid", "appid"),
    ("agent", "agentid"),
    ("accounts.id", "id"),
    ("accounts_pkey", "id"),
];

fn corrupt(e: InvalidField) -> StoreError {
    StoreError::Corrupt(format!("account {e}"))
}

impl<T> AccountRow<T> {
    /// The record, its times read through `C`.
    pub(crate) fn into_record<C: Columns<Time = T>>(self) -> Result<AccountRecord, StoreError> {
        let app = match self.kind.as_str() {
            "mp" => AccountApp::Mp {
                appid: AppId::parse(self.appid.as_deref().unwrap_or("")).map_err(corrupt)?,
            },
            "work" => AccountApp::Work {
                corpid: CorpId::parse(self.corpid.as_deref().unwrap_or("")).map_err(corrupt)?,
                agentid: AgentId::new(self.agentid.unwrap_or(0)).map_err(corrupt)?,
            },
            other => return Err(StoreError::Corrupt(format!("account kind {other:?}"))),
        };
        Ok(AccountRecord {
            id: AccountId::parse(&self.id).map_err(corrupt)?,
            app,
            name: self.name,
            original_id: self.original_id,
            logo_url: self.logo_url,
            mode: CallbackMode::parse(&self.mode).map_err(corrupt)?,
            api_base: self.api_base,
            secret_sealed: self.secret_sealed,
            callback_token_sealed: self.callback_token_sealed,
            encoding_aes_key_sealed: self.encoding_aes_key_sealed,
            contacts_secret_sealed: self.contacts_secret_sealed,
            wechat_rate_limit: crate::store::callers::stored_rate_limit(
                self.wechat_per_second,
                self.wechat_burst,
            )?,
            version: self.version,
            created_at: stored_time::<C>(self.created_at, "account created_at")?,
            updated_at: stored_time::<C>(self.updated_at, "account updated_at")?,
        })
    }
}

/// `(kind, appid, corpid, agentid)` columns of a record.
pub(crate) fn app_columns(
    app: &AccountApp,
) -> (&'static str, Option<&str>, Option<&str>, Option<i64>) {
    match app {
        AccountApp::Mp { appid } => ("mp", Some(appid.as_str()), None, None),
        AccountApp::Work { corpid, agentid } => {
            ("work", None, Some(corpid.as_str()), Some(agentid.get()))
        }
    }
}
