//! Storage for callers and the bearer tokens they are issued: the trait (no SQL).
//!
//! Conflict keys returned by [`CallerStore::insert`]: `"system_id"` (taken) and `"qr_source"`
//! (another caller of one of the accounts has that source). A missing account is
//! [`StoreError::MissingReference`].

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::accounts::model::AccountId;
use crate::callers::model::{Caller, ClientId, QrSource, Scope, SystemId};
use crate::core::{InvalidField, RateLimit};
use crate::store::sql::{stored_time, Columns};
use crate::store::StoreError;

/// A caller as stored: public fields plus the SHA-256 of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerRecord {
    pub caller: Caller,
    pub secret_hash: String,
}

/// A bearer token's caller and the token's expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    pub record: CallerRecord,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait CallerStore: Send + Sync + 'static {
    /// Stores a caller and its account grants in one transaction.
    async fn insert(&self, caller: &CallerRecord) -> Result<(), StoreError>;
    async fn get(&self, id: &ClientId) -> Result<Option<CallerRecord>, StoreError>;
    /// Callers ordered by client id (creation order), strictly after `after`.
    async fn list(
        &self,
        after: Option<&ClientId>,
        limit: u32,
    ) -> Result<Vec<CallerRecord>, StoreError>;
    /// Sets (`None`: clears) the caller's own request limit. `Ok(false)`: no such caller.
    async fn set_rate_limit(
        &self,
        id: &ClientId,
        limit: Option<RateLimit>,
    ) -> Result<bool, StoreError>;
    /// Deletes the caller, its grants and its tokens. `Ok(false)` when there was none.
    async fn delete(&self, id: &ClientId) -> Result<bool, StoreError>;
    /// Records an issued bearer token by its hash.
    async fn insert_token(
        &self,
        token_hash: &str,
        client_id: &ClientId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The caller owning an unexpired token, with the token's expiry.
    async fn find_by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<TokenOwner>, StoreError>;
    /// Deletes tokens that expired before `now`; returns how many.
    async fn purge_expired_tokens(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// The columns of `callers`, times as the backend stores them (`Columns::Time`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CallerRow<T> {
    pub client_id: String,
    pub system_id: String,
    pub name: String,
    pub secret_hash: String,
    pub scopes: String,
    pub qr_source: Option<i64>,
    pub rsa_public_key: Option<String>,
    pub redirect_domains: String,
    pub jssdk_domains: String,
    pub created_at: T,
    pub rate_per_second: Option<i64>,
    pub rate_burst: Option<i64>,
}

/// A caller row joined with one of its tokens.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TokenOwnerRow<T> {
    #[sqlx(flatten)]
    pub caller: CallerRow<T>,
    pub token_expires_at: T,
}

pub(crate) const CALLER_COLUMNS: &str = "client_id, system_id, name, secret_hash, scopes, qr_source, rsa_public_key, redirect_domains, jssdk_domains, created_at, rate_per_second, rate_burst";

pub(crate) const CALLER_CONFLICTS: &[(&str, &str)] =
    &[("system_id", "system_id"), ("qr_source", "qr_source")];

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("caller {e}"))
}

impl<T> CallerRow<T> {
    /// The record with its granted `accounts`, its times read through `C`.
    pub(crate) fn into_record<C: Columns<Time = T>>(
        self,
        accounts: Vec<String>,
    ) -> Result<CallerRecord, StoreError> {
        let scope_names: Vec<String> = serde_json::from_str(&self.scopes).map_err(corrupt)?;
        let scopes = scope_names
            .iter()
            .map(|s| Scope::parse(s))
            .collect::<Result<BTreeSet<_>, InvalidField>>()
            .map_err(corrupt)?;
        let accounts = accounts
            .iter()
            .map(|a| AccountId::parse(a))
            .collect::<Result<BTreeSet<_>, InvalidField>>()
            .map_err(corrupt)?;
        Ok(CallerRecord {
            caller: Caller {
                client_id: ClientId::parse(&self.client_id).map_err(corrupt)?,
                system_id: SystemId::parse(&self.system_id).map_err(corrupt)?,
                name: self.name,
                accounts,
                scopes,
                qr_source: self
                    .qr_source
                    .map(QrSource::new)
                    .transpose()
                    .map_err(corrupt)?,
                rsa_public_key: self.rsa_public_key,
                redirect_domains: serde_json::from_str(&self.redirect_domains).map_err(corrupt)?,
                jssdk_domains: serde_json::from_str(&self.jssdk_domains).map_err(corrupt)?,
                created_at: stored_time::<C>(self.created_at, "caller created_at")?,
                rate_limit: stored_rate_limit(self.rate_per_second, self.rate_burst)?,
            },
            secret_hash: self.secret_hash,
        })
    }
}

/// A limit stored as two nullable columns (both or neither).
pub(crate) fn stored_rate_limit(
    per_second: Option<i64>,
    burst: Option<i64>,
) -> Result<Option<RateLimit>, StoreError> {
    match (per_second, burst) {
        (None, None) => Ok(None),
        (Some(per_second), Some(burst)) => {
            RateLimit::new(per_second, burst, ("per_second", "burst"))
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("rate limit {e}")))
        }
        _ => Err(StoreError::Corrupt(
            "rate limit with one of its two columns".into(),
        )),
    }
}

/// A limit's two columns.
pub(crate) fn rate_limit_columns(limit: Option<RateLimit>) -> (Option<i64>, Option<i64>) {
    (
        limit.map(|l| i64::from(l.per_second())),
        limit.map(|l| i64::from(l.burst())),
    )
}

/// JSON text columns of a caller: (scopes, redirect_domains, jssdk_domains).
pub(crate) fn json_columns(caller: &Caller) -> (String, String, String) {
    let scopes: Vec<&str> = caller.scopes.iter().map(|s| s.as_str()).collect();
    // Serializing Vec<&str> / Vec<String> to JSON cannot fail.
    (
        serde_json::to_string(&scopes).unwrap_or_else(|_| "[]".into()),
        serde_json::to_string(&caller.redirect_domains).unwrap_or_else(|_| "[]".into()),
        serde_json::to_string(&caller.jssdk_domains).unwrap_or_else(|_| "[]".into()),
    )
}
