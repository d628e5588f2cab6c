//! [`TokenStore`] on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};

use crate::store::tokens::{StoredToken, TokenStore};
use crate::store::StoreError;

pub struct PgTokenStore {
    pool: PgPool,
}

impl PgTokenStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt(what.into())
}

fn fence_to_db(fence: u64) -> Result<i64, StoreError> {
    i64::try_from(fence).map_err(|_| corrupt("fence out of range"))
}

fn row_to_token(row: &sqlx::postgres::PgRow) -> Result<StoredToken, StoreError> {
    Ok(StoredToken {
        cache_key: row.try_get("cache_key")?,
        account_id: row.try_get("account_id")?,
        kind: row.try_get("kind")?,
        value: row.try_get("value")?,
        expires_at: row.try_get("expires_at")?,
        refresh_at: row.try_get("refresh_at")?,
        fetched_at: row.try_get("fetched_at")?,
        fence: u64::try_from(row.try_get::<i64, _>("fence")?)
            .map_err(|_| corrupt("negative fence"))?,
    })
}

const COLUMNS: &str =
    "cache_key, account_id, kind, value, expires_at, refresh_at, fetched_at, fence";

#[async_trait]
impl TokenStore for PgTokenStore {
    async fn get(&self, cache_key: &str) -> Result<Option<StoredToken>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM tokens WHERE cache_key = $1"
        ))
        .bind(cache_key)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row_to_token).transpose()
    }

    async fn put_fenced(&self, token: &StoredToken) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "INSERT INTO tokens ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (cache_key) DO UPDATE SET
               account_id = EXCLUDED.account_id, kind = EXCLUDED.kind, value = EXCLUDED.value,
               expires_at = EXCLUDED.expires_at, refresh_at = EXCLUDED.refresh_at,
               fetched_at = EXCLUDED.fetched_at, fence = EXCLUDED.fence
             WHERE tokens.fence <= EXCLUDED.fence"
        ))
        .bind(&token.cache_key)
        .bind(&token.account_id)
        .bind(&token.kind)
        .bind(&token.value)
        .bind(token.expires_at)
        .bind(token.refresh_at)
        .bind(token.fetched_at)
        .bind(fence_to_db(token.fence)?)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn expire_if(&self, cache_key: &str, value: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tokens SET expires_at = to_timestamp(0), refresh_at = to_timestamp(0)
             WHERE cache_key = $1 AND value = $2",
        )
        .bind(cache_key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn list_due(
        &self,
        now: DateTime<Utc>,
        due_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<StoredToken>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM tokens WHERE expires_at > $1 AND refresh_at <= $2
             ORDER BY refresh_at LIMIT $3"
        ))
        .bind(now)
        .bind(due_before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_token).collect()
    }

    async fn delete_account(&self, account_id: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM tokens WHERE account_id = $1")
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
