//! [`ProxyTokenStore`](crate::store::proxy_tokens::ProxyTokenStore) shared by both backends;
//! `expires_at` through [`Columns`](crate::store::sql::Columns).

/// Declares a proxy token store over one `sqlx::Database`:
/// `proxy_token_store! { /// doc  pub struct SqliteProxyTokenStore(sqlx::Sqlite); }`.
macro_rules! proxy_token_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty);) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                Self { pool }
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::proxy_tokens::ProxyTokenStore for $name {
            async fn insert(
                &self,
                token_hash: &str,
                grant: &$crate::store::proxy_tokens::ProxyGrant,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                sqlx::query(
                    "INSERT INTO proxy_tokens (token_hash, client_id, account_id, expires_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash)
                .bind(grant.client_id.as_str())
                .bind(grant.account.as_str())
                .bind(<$db as Columns>::time_to_db(grant.expires_at))
                .execute(&self.pool)
                .await
                .map_err(|e| $crate::store::error::classify_write(e, &[]))?;
                Ok(())
            }

            async fn find(
                &self,
                token_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<$crate::store::proxy_tokens::ProxyGrant>, $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let row: Option<(String, String, <$db as Columns>::Time)> = sqlx::query_as(
                    "SELECT client_id, account_id, expires_at FROM proxy_tokens \
                     WHERE token_hash = $1 AND expires_at > $2",
                )
                .bind(token_hash)
                .bind(<$db as Columns>::time_to_db(now))
                .fetch_optional(&self.pool)
                .await?;
                let corrupt = |what: &str| $crate::store::StoreError::Corrupt(format!("proxy token {what}"));
                row.map(|(client, account, expires_at)| {
                    Ok($crate::store::proxy_tokens::ProxyGrant {
                        client_id: $crate::callers::model::ClientId::parse(&client)
                            .map_err(|_| corrupt("client_id"))?,
                        account: $crate::accounts::model::AccountId::parse(&account)
                            .map_err(|_| corrupt("account_id"))?,
                        expires_at: <$db as Columns>::time_from_db(expires_at)
                            .ok_or_else(|| corrupt("expires_at"))?,
                    })
                })
                .transpose()
            }

            async fn purge_expired(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let done = sqlx::query("DELETE FROM proxy_tokens WHERE expires_at <= $1")
                    .bind(<$db as Columns>::time_to_db(now))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use proxy_token_store;
