//! [`TokenStore`] on SQLite. Times are stored as UTC milliseconds (INTEGER), so range
//! queries compare numbers, not text.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Row, SqlitePool};

use crate::store::tokens::{StoredToken, TokenStore};
use crate::store::StoreError;

pub struct SqliteTokenStore {
    pool: SqlitePool,
}

impl SqliteTokenStore {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt(what.into())
}

fn from_millis(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| corrupt("stored time out of range"))
}

fn fence_to_db(fence: u64) -> Result<i64, StoreError> {
    i64::try_from(fence).map_err(|_| corrupt("fence out of range"))
}

fn row_to_token(row: &sqlx::sqlite::SqliteRow) -> Result<StoredToken, StoreError> {
    Ok(StoredToken {
        cache_key: row.try_get("cache_key")?,
        account_id: row.try_get("account_id")?,
        kind: row.try_get("kind")?,
        value: row.try_get("value")?,
        expires_at: from_millis(row.try_get("expires_at")?)?,
        refresh_at: from_millis(row.try_get("refresh_at")?)?,
        fetched_at: from_millis(row.try_get("fetched_at")?)?,
        fence: u64::try_from(row.try_get::<i64, _>("fence")?)
            .map_err(|_| corrupt("negative fence"))?,
    })
}

const COLUMNS: &str =
    "cache_key, account_id, kind, value, expires_at, refresh_at, fetched_at, fence";

#[async_trait]
impl TokenStore for SqliteTokenStore {
    async fn get(&self, cache_key: &str) -> Result<Option<StoredToken>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tokens WHERE cache_key = ?"))
            .bind(cache_key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(row_to_token).transpose()
    }

    async fn put_fenced(&self, token: &StoredToken) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "INSERT INTO tokens ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (cache_key) DO UPDATE SET
               account_id = excluded.account_id, kind = excluded.kind, value = excluded.value,
               expires_at = excluded.expires_at, refresh_at = excluded.refresh_at,
               fetched_at = excluded.fetched_at, fence = excluded.fence
             WHERE tokens.fence <= excluded.fence"
        ))
        .bind(&token.cache_key)
        .bind(&token.account_id)
        .bind(&token.kind)
        .bind(&token.value)
        .bind(token.expires_at.timestamp_millis())
        .bind(token.refresh_at.timestamp_millis())
        .bind(token.fetched_at.timestamp_millis())
        .bind(fence_to_db(token.fence)?)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn expire_if(&self, cache_key: &str, value: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tokens SET expires_at = 0, refresh_at = 0 WHERE cache_key = ? AND value = ?",
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
            "SELECT {COLUMNS} FROM tokens WHERE expires_at > ? AND refresh_at <= ?
             ORDER BY refresh_at LIMIT ?"
        ))
        .bind(now.timestamp_millis())
        .bind(due_before.timestamp_millis())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_token).collect()
    }

    async fn delete_account(&self, account_id: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM tokens WHERE account_id = ?")
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
