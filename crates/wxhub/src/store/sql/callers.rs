//! [`CallerStore`](crate::store::callers::CallerStore) queries shared by both backends;
//! `$N` placeholders work on SQLite and PostgreSQL. Times go through
//! [`Columns`](crate::store::sql::Columns) (INTEGER milliseconds on SQLite, TIMESTAMPTZ on
//! PostgreSQL), so the token-expiry comparisons compare times on both.

/// Tables whose rows a caller owns (column `owner` = its client id), deleted with it.
pub(crate) const OWNED_BY_CALLER: [&str; 2] = ["webhook_endpoints", "reply_rules"];

/// Declares a caller store over one `sqlx::Database`:
/// `caller_store! { /// doc  pub struct SqliteCallerStore(sqlx::Sqlite); }`.
macro_rules! caller_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty);) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                $name { pool }
            }

            async fn with_accounts(
                &self,
                row: $crate::store::callers::CallerRow<$crate::store::sql::Time<$db>>,
            ) -> Result<$crate::store::callers::CallerRecord, $crate::store::StoreError> {
                let accounts: Vec<(String,)> = sqlx::query_as(
                    "SELECT account_id FROM caller_accounts WHERE client_id = $1 ORDER BY account_id",
                )
                .bind(&row.client_id)
                .fetch_all(&self.pool)
                .await?;
                row.into_record::<$db>(accounts.into_iter().map(|(a,)| a).collect())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::callers::CallerStore for $name {
            async fn insert(
                &self,
                record: &$crate::store::callers::CallerRecord,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::callers::CALLER_CONFLICTS;
                use $crate::store::error::classify_write;

                let c = &record.caller;
                let (scopes, redirect_domains, jssdk_domains) =
                    $crate::store::callers::json_columns(c);
                let qr_source = c.qr_source.map(i64::from);
                let (rate_per_second, rate_burst) =
                    $crate::store::callers::rate_limit_columns(c.rate_limit);
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                sqlx::query(
                    "INSERT INTO callers (client_id, system_id, name, secret_hash, scopes, qr_source, rsa_public_key, \
                     redirect_domains, jssdk_domains, created_at, rate_per_second, rate_burst) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(c.client_id.as_str())
                .bind(c.system_id.as_str())
                .bind(&c.name)
                .bind(&record.secret_hash)
                .bind(scopes)
                .bind(qr_source)
                .bind(&c.rsa_public_key)
                .bind(redirect_domains)
                .bind(jssdk_domains)
                .bind(<$db as $crate::store::sql::Columns>::time_to_db(c.created_at))
                .bind(rate_per_second)
                .bind(rate_burst)
                .execute(&mut *tx)
                .await
                .map_err(|e| classify_write(e, CALLER_CONFLICTS))?;
                for account in &c.accounts {
                    sqlx::query(
                        "INSERT INTO caller_accounts (client_id, account_id, qr_source) VALUES ($1, $2, $3)",
                    )
                    .bind(c.client_id.as_str())
                    .bind(account.as_str())
                    .bind(qr_source)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| classify_write(e, CALLER_CONFLICTS))?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn get(
                &self,
                id: &$crate::callers::model::ClientId,
            ) -> Result<Option<$crate::store::callers::CallerRecord>, $crate::store::StoreError> {
                let row: Option<$crate::store::callers::CallerRow<$crate::store::sql::Time<$db>>> = sqlx::query_as(&format!(
                    "SELECT {} FROM callers WHERE client_id = $1",
                    $crate::store::callers::CALLER_COLUMNS
                ))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(row) => Ok(Some(self.with_accounts(row).await?)),
                    None => Ok(None),
                }
            }

            async fn list(
                &self,
                after: Option<&$crate::callers::model::ClientId>,
                limit: u32,
            ) -> Result<Vec<$crate::store::callers::CallerRecord>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::callers::CallerRow<$crate::store::sql::Time<$db>>> = sqlx::query_as(&format!(
                    "SELECT {} FROM callers WHERE client_id > $1 ORDER BY client_id LIMIT $2",
                    $crate::store::callers::CALLER_COLUMNS
                ))
                .bind(after.map($crate::callers::model::ClientId::as_str).unwrap_or(""))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    out.push(self.with_accounts(row).await?);
                }
                Ok(out)
            }

            async fn set_rate_limit(
                &self,
                id: &$crate::callers::model::ClientId,
                limit: Option<$crate::core::RateLimit>,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let (per_second, burst) = $crate::store::callers::rate_limit_columns(limit);
                let done = sqlx::query(
                    "UPDATE callers SET rate_per_second = $1, rate_burst = $2 WHERE client_id = $3",
                )
                .bind(per_second)
                .bind(burst)
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete(
                &self,
                id: &$crate::callers::model::ClientId,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                // What the caller owns goes with it: its webhook endpoints (their deliveries
                // and attempts cascade) and its reply rules. Grants and tokens cascade.
                for owned in $crate::store::sql::callers::OWNED_BY_CALLER {
                    sqlx::query(&format!("DELETE FROM {owned} WHERE owner = $1"))
                        .bind(id.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                let done = sqlx::query("DELETE FROM callers WHERE client_id = $1")
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_token(
                &self,
                token_hash: &str,
                client_id: &$crate::callers::model::ClientId,
                expires_at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                sqlx::query(
                    "INSERT INTO caller_tokens (token_hash, client_id, expires_at) VALUES ($1, $2, $3)",
                )
                .bind(token_hash)
                .bind(client_id.as_str())
                .bind(<$db as $crate::store::sql::Columns>::time_to_db(expires_at))
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::error::classify_write(e, &[]))?;
                tx.commit().await?;
                Ok(())
            }

            async fn find_by_token(
                &self,
                token_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<$crate::store::callers::TokenOwner>, $crate::store::StoreError> {
                let row: Option<$crate::store::callers::TokenOwnerRow<$crate::store::sql::Time<$db>>> = sqlx::query_as(&format!(
                    "SELECT {}, t.expires_at AS token_expires_at FROM callers c JOIN caller_tokens t ON t.client_id = c.client_id \
                     WHERE t.token_hash = $1 AND t.expires_at > $2",
                    $crate::store::callers::CALLER_COLUMNS
                        .split(", ")
                        .map(|col| format!("c.{col}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .bind(token_hash)
                .bind(<$db as $crate::store::sql::Columns>::time_to_db(now))
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(row) => Ok(Some($crate::store::callers::TokenOwner {
                        expires_at: $crate::store::sql::stored_time::<$db>(
                            row.token_expires_at,
                            "caller token expires_at",
                        )?,
                        record: self.with_accounts(row.caller).await?,
                    })),
                    None => Ok(None),
                }
            }

            async fn purge_expired_tokens(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::store::StoreError> {
                let done = sqlx::query("DELETE FROM caller_tokens WHERE expires_at <= $1")
                    .bind(<$db as $crate::store::sql::Columns>::time_to_db(now))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}
pub(crate) use caller_store;
