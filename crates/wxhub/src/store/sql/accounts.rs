//! [`AccountStore`](crate::store::accounts::AccountStore) queries shared by both backends;
//! `$N` placeholders work on SQLite and PostgreSQL. Times and booleans go through
//! [`Columns`](crate::store::sql::Columns) (INTEGER milliseconds and 0/1 on SQLite,
//! TIMESTAMPTZ and BOOLEAN on PostgreSQL).

/// The tables whose rows belong to one account and go when it is deleted (callers' grants go
/// by foreign key). Rows keyed by AppID in `tokens` are the credentials of that app, but the
/// row names its account, so they go too.
pub(crate) const OWNED_BY_ACCOUNT: [&str; 5] = [
    "bindings",
    "reply_rules",
    "account_callback_settings",
    "followers",
    "tokens",
];

/// An endpoint's account filter (a JSON array) without `id`; `None` when nothing is left.
pub(crate) fn without_account(
    accounts: &str,
    id: &crate::accounts::model::AccountId,
) -> Result<Option<String>, crate::store::StoreError> {
    let mut list: Vec<String> = serde_json::from_str(accounts)
        .map_err(|_| crate::store::StoreError::Corrupt("webhook endpoint accounts".into()))?;
    list.retain(|a| a != id.as_str());
    Ok((!list.is_empty()).then(|| serde_json::Value::from(list).to_string()))
}

/// Declares an account store over one `sqlx::Database`:
/// `account_store! { /// doc  pub struct SqliteAccountStore(sqlx::Sqlite); }`.
macro_rules! account_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty);) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                $name { pool }
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::accounts::AccountStore for $name {
            async fn insert(
                &self,
                a: &$crate::store::accounts::AccountRecord,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let (kind, appid, corpid, agentid) = $crate::store::accounts::app_columns(&a.app);
                let (wechat_per_second, wechat_burst) =
                    $crate::store::callers::rate_limit_columns(a.wechat_rate_limit);
                sqlx::query(
                    "INSERT INTO accounts (id, kind, appid, corpid, agentid, name, original_id, logo_url, mode, api_base, \
                     secret_sealed, callback_token_sealed, encoding_aes_key_sealed, contacts_secret_sealed, version, created_at, updated_at, \
                     wechat_per_second, wechat_burst) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
                )
                .bind(a.id.as_str())
                .bind(kind)
                .bind(appid)
                .bind(corpid)
                .bind(agentid)
                .bind(&a.name)
                .bind(&a.original_id)
                .bind(&a.logo_url)
                .bind(a.mode.as_str())
                .bind(&a.api_base)
                .bind(&a.secret_sealed)
                .bind(&a.callback_token_sealed)
                .bind(&a.encoding_aes_key_sealed)
                .bind(&a.contacts_secret_sealed)
                .bind(a.version)
                .bind(<$db as $crate::store::sql::Columns>::time_to_db(a.created_at))
                .bind(<$db as $crate::store::sql::Columns>::time_to_db(a.updated_at))
                .bind(wechat_per_second)
                .bind(wechat_burst)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    $crate::store::error::classify_write(e, $crate::store::accounts::ACCOUNT_CONFLICTS)
                })?;
                tx.commit().await?;
                Ok(())
            }

            async fn get(
                &self,
                id: &$crate::accounts::model::AccountId,
            ) -> Result<Option<$crate::store::accounts::AccountRecord>, $crate::store::StoreError> {
                let row: Option<$crate::store::accounts::AccountRow<$crate::store::sql::Time<$db>>> = sqlx::query_as(&format!(
                    "SELECT {} FROM accounts WHERE id = $1",
                    $crate::store::accounts::ACCOUNT_COLUMNS
                ))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::store::accounts::AccountRow::into_record::<$db>)
                    .transpose()
            }

            async fn list(
                &self,
                after: Option<&$crate::accounts::model::AccountId>,
                limit: u32,
            ) -> Result<Vec<$crate::store::accounts::AccountRecord>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::accounts::AccountRow<$crate::store::sql::Time<$db>>> = sqlx::query_as(&format!(
                    "SELECT {} FROM accounts WHERE id > $1 ORDER BY id LIMIT $2",
                    $crate::store::accounts::ACCOUNT_COLUMNS
                ))
                .bind(after.map($crate::accounts::model::AccountId::as_str).unwrap_or(""))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::store::accounts::AccountRow::into_record::<$db>)
                    .collect()
            }

            async fn update(
                &self,
                a: &$crate::store::accounts::AccountRecord,
                expected_version: i64,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let (_, appid, corpid, agentid) = $crate::store::accounts::app_columns(&a.app);
                let (wechat_per_second, wechat_burst) =
                    $crate::store::callers::rate_limit_columns(a.wechat_rate_limit);
                let done = sqlx::query(
                    "UPDATE accounts SET appid = $1, corpid = $2, agentid = $3, name = $4, original_id = $5, logo_url = $6, \
                     mode = $7, api_base = $8, secret_sealed = $9, callback_token_sealed = $10, encoding_aes_key_sealed = $11, \
                     contacts_secret_sealed = $12, version = $13, updated_at = $14, wechat_per_second = $17, wechat_burst = $18 \
                     WHERE id = $15 AND version = $16",
                )
                .bind(appid)
                .bind(corpid)
                .bind(agentid)
                .bind(&a.name)
                .bind(&a.original_id)
                .bind(&a.logo_url)
                .bind(a.mode.as_str())
                .bind(&a.api_base)
                .bind(&a.secret_sealed)
                .bind(&a.callback_token_sealed)
                .bind(&a.encoding_aes_key_sealed)
                .bind(&a.contacts_secret_sealed)
                .bind(a.version)
                .bind(<$db as $crate::store::sql::Columns>::time_to_db(a.updated_at))
                .bind(a.id.as_str())
                .bind(expected_version)
                .bind(wechat_per_second)
                .bind(wechat_burst)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    $crate::store::error::classify_write(e, $crate::store::accounts::ACCOUNT_CONFLICTS)
                })?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete(
                &self,
                id: &$crate::accounts::model::AccountId,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                // What only served the account goes with it; events, deliveries and their
                // attempts stay as history.
                for owned in $crate::store::sql::accounts::OWNED_BY_ACCOUNT {
                    sqlx::query(&format!("DELETE FROM {owned} WHERE account_id = $1"))
                        .bind(id.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                // Deliveries still due for the account are given up: their events belong to an
                // app that is gone, and a new account registered under the same id is another.
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'dead', lease_until = NULL, \
                     next_attempt_at = NULL, last_error = 'account deleted' \
                     WHERE account_id = $1 AND status IN ('pending', 'failing')",
                )
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
                // Endpoints stop naming the account; one that named only it is disabled (its
                // filter kept, so it can never widen to "every account").
                let pattern = format!("%\"{}\"%", id.as_str());
                let named: Vec<(String, String)> =
                    sqlx::query_as("SELECT id, accounts FROM webhook_endpoints WHERE accounts LIKE $1")
                        .bind(&pattern)
                        .fetch_all(&mut *tx)
                        .await?;
                for (endpoint, accounts) in named {
                    let update = match $crate::store::sql::accounts::without_account(&accounts, id)? {
                        Some(rest) => {
                            sqlx::query("UPDATE webhook_endpoints SET accounts = $1 WHERE id = $2")
                                .bind(rest)
                        }
                        None => sqlx::query("UPDATE webhook_endpoints SET enabled = $1 WHERE id = $2")
                            .bind(<$db as $crate::store::sql::Columns>::bool_to_db(false)),
                    };
                    update.bind(&endpoint).execute(&mut *tx).await?;
                }
                let done = sqlx::query("DELETE FROM accounts WHERE id = $1")
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn count(&self) -> Result<u64, $crate::store::StoreError> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(u64::try_from(n).unwrap_or(0))
            }
        }
    };
}
pub(crate) use account_store;
