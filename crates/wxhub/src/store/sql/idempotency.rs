//! [`IdempotencyStore`](crate::store::idempotency::IdempotencyStore) and its
//! [`Leases`](crate::store::jobs::Leases), shared by both backends. A claim is one
//! `INSERT … ON CONFLICT DO NOTHING` (the primary key decides between concurrent claims, on
//! one instance or several), then reusing an expired record, then reading what is there.

/// Declares an idempotency store over one `sqlx::Database`:
/// `idempotency_store! { /// doc  pub struct SqliteIdempotencyStore(sqlx::Sqlite); }`.
macro_rules! idempotency_store {
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
        impl $crate::store::idempotency::IdempotencyStore for $name {
            async fn claim(
                &self,
                key: $crate::store::idempotency::KeyRef<'_>,
                fingerprint: &str,
                holder: &$crate::jobs::model::InstanceId,
                now: chrono::DateTime<chrono::Utc>,
                expires_at: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::store::idempotency::Claim, $crate::store::StoreError> {
                use $crate::store::idempotency::{Claim, StoredAnswer};
                use $crate::store::sql::Columns;
                let (now, expires_at) =
                    (<$db as Columns>::time_to_db(now), <$db as Columns>::time_to_db(expires_at));
                let inserted = sqlx::query(
                    "INSERT INTO idempotency_keys (scope, key, fingerprint, state, holder, created_at, expires_at) \
                     VALUES ($1, $2, $3, 'running', $4, $5, $6) ON CONFLICT (scope, key) DO NOTHING",
                )
                .bind(key.scope)
                .bind(key.key)
                .bind(fingerprint)
                .bind(holder.as_str())
                .bind(now)
                .bind(expires_at)
                .execute(&self.pool)
                .await?;
                if inserted.rows_affected() == 1 {
                    return Ok(Claim::New);
                }
                let reused = sqlx::query(
                    "UPDATE idempotency_keys SET fingerprint = $3, state = 'running', holder = $4, \
                     status = NULL, headers = NULL, body_sealed = NULL, created_at = $5, expires_at = $6 \
                     WHERE scope = $1 AND key = $2 AND expires_at <= $5",
                )
                .bind(key.scope)
                .bind(key.key)
                .bind(fingerprint)
                .bind(holder.as_str())
                .bind(now)
                .bind(expires_at)
                .execute(&self.pool)
                .await?;
                if reused.rows_affected() == 1 {
                    return Ok(Claim::New);
                }
                let row: Option<(String, String, Option<<$db as Columns>::Int>, Option<String>, Option<String>)> =
                    sqlx::query_as(
                        "SELECT fingerprint, state, status, headers, body_sealed FROM idempotency_keys \
                         WHERE scope = $1 AND key = $2",
                    )
                    .bind(key.scope)
                    .bind(key.key)
                    .fetch_optional(&self.pool)
                    .await?;
                let corrupt = |what: &str| $crate::store::StoreError::Corrupt(format!("idempotency record {what}"));
                // Deleted between the statements (a purge): the next try claims it.
                let Some((stored_fingerprint, state, status, headers, body_sealed)) = row else {
                    return Ok(Claim::Running);
                };
                if stored_fingerprint != fingerprint {
                    return Ok(Claim::OtherRequest);
                }
                Ok(match state.as_str() {
                    "running" | "external" | "acted" => Claim::Running,
                    "unknown" => Claim::Unknown,
                    "done" => Claim::Answered(StoredAnswer {
                        status: status
                            .and_then(<$db as Columns>::int_from_db)
                            .and_then(|s| u16::try_from(s).ok())
                            .ok_or_else(|| corrupt("status"))?,
                        headers: serde_json::from_str(headers.as_deref().unwrap_or("[]"))
                            .map_err(|_| corrupt("headers"))?,
                        body_sealed: body_sealed.ok_or_else(|| corrupt("body"))?,
                    }),
                    _ => return Err(corrupt("state")),
                })
            }

            async fn answer(
                &self,
                key: $crate::store::idempotency::KeyRef<'_>,
                holder: &$crate::jobs::model::InstanceId,
                answer: &$crate::store::idempotency::StoredAnswer,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let headers = serde_json::to_string(&answer.headers)
                    .map_err(|e| $crate::store::StoreError::Corrupt(format!("idempotency headers: {e}")))?;
                sqlx::query(
                    "UPDATE idempotency_keys SET state = 'done', holder = NULL, status = $4, headers = $5, \
                     body_sealed = $6 WHERE scope = $1 AND key = $2 AND holder = $3 \
                     AND state IN ('running', 'external', 'acted')",
                )
                .bind(key.scope)
                .bind(key.key)
                .bind(holder.as_str())
                .bind(<$db as Columns>::int_to_db(i32::from(answer.status)))
                .bind(headers)
                .bind(&answer.body_sealed)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn release(
                &self,
                key: $crate::store::idempotency::KeyRef<'_>,
                holder: &$crate::jobs::model::InstanceId,
            ) -> Result<bool, $crate::store::StoreError> {
                let freed = sqlx::query(
                    "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND holder = $3 \
                     AND state IN ('running', 'external')",
                )
                .bind(key.scope)
                .bind(key.key)
                .bind(holder.as_str())
                .execute(&self.pool)
                .await?;
                Ok(freed.rows_affected() == 1)
            }

            async fn mark_external(
                &self,
                key: $crate::store::idempotency::KeyRef<'_>,
                holder: &$crate::jobs::model::InstanceId,
            ) -> Result<bool, $crate::store::StoreError> {
                let marked = sqlx::query(
                    "UPDATE idempotency_keys SET state = CASE WHEN state = 'acted' THEN 'acted' ELSE 'external' END \
                     WHERE scope = $1 AND key = $2 AND holder = $3 AND state IN ('running', 'external', 'acted')",
                )
                .bind(key.scope)
                .bind(key.key)
                .bind(holder.as_str())
                .execute(&self.pool)
                .await?;
                Ok(marked.rows_affected() == 1)
            }

            async fn abandon(
                &self,
                key: $crate::store::idempotency::KeyRef<'_>,
                holder: &$crate::jobs::model::InstanceId,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND holder = $3 \
                     AND state = 'running'",
                )
                .bind(key.scope)
                .bind(key.key)
                .bind(holder.as_str())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE idempotency_keys SET state = 'unknown', holder = NULL \
                     WHERE scope = $1 AND key = $2 AND holder = $3 AND state IN ('external', 'acted')",
                )
                .bind(key.scope)
                .bind(key.key)
                .bind(holder.as_str())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn purge_expired(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let done = sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1")
                    .bind(<$db as Columns>::time_to_db(now))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }

        /// A claim whose holder is gone: free again when it had done nothing, else never run
        /// again (its outcome is unknown).
        #[async_trait::async_trait]
        impl $crate::store::jobs::Leases for $name {
            fn what(&self) -> &'static str {
                "idempotency claims"
            }

            async fn release_held_by(
                &self,
                owners: &[$crate::jobs::model::InstanceId],
            ) -> Result<u64, $crate::store::StoreError> {
                if owners.is_empty() {
                    return Ok(0);
                }
                // A claim that had done nothing is free again; one that may have acted is unknown.
                let holders = $crate::store::sql::jobs::placeholders(1, owners.len());
                let mut tx = self.pool.begin().await?;
                let mut released = 0;
                for sql in [
                    format!("DELETE FROM idempotency_keys WHERE state = 'running' AND holder IN ({holders})"),
                    format!(
                        "UPDATE idempotency_keys SET state = 'unknown', holder = NULL \
                         WHERE state IN ('external', 'acted') AND holder IN ({holders})"
                    ),
                ] {
                    let mut query = sqlx::query(&sql);
                    for owner in owners {
                        query = query.bind(owner.as_str());
                    }
                    released += query.execute(&mut *tx).await?.rows_affected();
                }
                tx.commit().await?;
                Ok(released)
            }
        }
    };
}

pub(crate) use idempotency_store;
