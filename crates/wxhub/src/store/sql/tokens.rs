//! [`TokenStore`](crate::store::tokens::TokenStore) queries shared by both backends; `$N`
//! placeholders work on SQLite and PostgreSQL.
//!
//! The SQL is the same on both; the time columns are not (INTEGER UTC milliseconds on SQLite,
//! TIMESTAMPTZ on PostgreSQL), so times go through [`Columns`](crate::store::sql::Columns).
//! `expire_if` binds the epoch through it (`0` on SQLite, `1970-01-01T00:00:00Z` on
//! PostgreSQL) instead of writing a per-dialect literal.

use crate::store::StoreError;

fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt(what.into())
}

pub(crate) fn fence_to_db(fence: u64) -> Result<i64, StoreError> {
    i64::try_from(fence).map_err(|_| corrupt("fence out of range"))
}

pub(crate) fn fence_from_db(fence: i64) -> Result<u64, StoreError> {
    u64::try_from(fence).map_err(|_| corrupt("negative fence"))
}

pub(crate) const COLUMNS: &str =
    "cache_key, account_id, kind, value, expires_at, refresh_at, fetched_at, fence";

/// Declares a token store over one `sqlx::Database`:
/// `token_store! { /// doc  pub struct SqliteTokenStore(sqlx::Sqlite); }`.
macro_rules! token_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty);) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                Self { pool }
            }

            fn row_to_token(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::store::tokens::StoredToken, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::sql::{stored_time, Time};

                Ok($crate::store::tokens::StoredToken {
                    cache_key: row.try_get("cache_key")?,
                    account_id: row.try_get("account_id")?,
                    kind: row.try_get("kind")?,
                    value: row.try_get("value")?,
                    expires_at: stored_time::<$db>(row.try_get::<Time<$db>, _>("expires_at")?, "token expires_at")?,
                    refresh_at: stored_time::<$db>(row.try_get::<Time<$db>, _>("refresh_at")?, "token refresh_at")?,
                    fetched_at: stored_time::<$db>(row.try_get::<Time<$db>, _>("fetched_at")?, "token fetched_at")?,
                    fence: $crate::store::sql::tokens::fence_from_db(row.try_get("fence")?)?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::tokens::TokenStore for $name {
            async fn get(
                &self,
                cache_key: &str,
            ) -> Result<Option<$crate::store::tokens::StoredToken>, $crate::store::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM tokens WHERE cache_key = $1",
                    $crate::store::sql::tokens::COLUMNS
                ))
                .bind(cache_key)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::row_to_token).transpose()
            }

            async fn put_fenced(
                &self,
                token: &$crate::store::tokens::StoredToken,
            ) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::sql::Columns;

                let done = sqlx::query(&format!(
                    "INSERT INTO tokens ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (cache_key) DO UPDATE SET
                       account_id = excluded.account_id, kind = excluded.kind, value = excluded.value,
                       expires_at = excluded.expires_at, refresh_at = excluded.refresh_at,
                       fetched_at = excluded.fetched_at, fence = excluded.fence
                     WHERE tokens.fence <= excluded.fence",
                    $crate::store::sql::tokens::COLUMNS
                ))
                .bind(&token.cache_key)
                .bind(&token.account_id)
                .bind(&token.kind)
                .bind(&token.value)
                .bind(<$db as Columns>::time_to_db(token.expires_at))
                .bind(<$db as Columns>::time_to_db(token.refresh_at))
                .bind(<$db as Columns>::time_to_db(token.fetched_at))
                .bind($crate::store::sql::tokens::fence_to_db(token.fence)?)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn expire_if(
                &self,
                cache_key: &str,
                value: &str,
            ) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::sql::Columns;

                let done = sqlx::query(
                    "UPDATE tokens SET expires_at = $3, refresh_at = $3
                     WHERE cache_key = $1 AND value = $2",
                )
                .bind(cache_key)
                .bind(value)
                .bind(<$db as Columns>::time_to_db(chrono::DateTime::UNIX_EPOCH))
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn list_due(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                due_before: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> Result<Vec<$crate::store::tokens::StoredToken>, $crate::store::StoreError> {
                use $crate::store::sql::Columns;

                let rows = sqlx::query(&format!(
                    "SELECT {} FROM tokens WHERE expires_at > $1 AND refresh_at <= $2
                     ORDER BY refresh_at LIMIT $3",
                    $crate::store::sql::tokens::COLUMNS
                ))
                .bind(<$db as Columns>::time_to_db(now))
                .bind(<$db as Columns>::time_to_db(due_before))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::row_to_token).collect()
            }

            async fn delete_account(&self, account_id: &str) -> Result<u64, $crate::store::StoreError> {
                let done = sqlx::query("DELETE FROM tokens WHERE account_id = $1")
                    .bind(account_id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}
pub(crate) use token_store;
