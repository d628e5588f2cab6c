//! [`UserStore`](crate::store::users::UserStore), shared by both backends: an upsert on the
//! unionid (`ON CONFLICT … DO UPDATE … RETURNING`, the same on both), the access log appended
//! and read newest first.

pub(crate) const COLUMNS: &str = "user_id, unionid, phone_sealed, created_at, updated_at";

/// Declares a user store over one `sqlx::Database`:
/// `user_store! { /// doc  pub struct SqliteUserStore(sqlx::Sqlite); }`.
macro_rules! user_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty);) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                Self { pool }
            }

            fn record(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::store::users::UserRecord, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::sql::{stored_time, Columns};
                let corrupt = |what: &str| $crate::store::StoreError::Corrupt(format!("user {what}"));
                let unionid: String = row.try_get("unionid")?;
                Ok($crate::store::users::UserRecord {
                    user_id: $crate::identity::model::UserId::new(row.try_get("user_id")?)
                        .map_err(|_| corrupt("user_id"))?,
                    unionid: $crate::core::UnionId::parse(&unionid).map_err(|_| corrupt("unionid"))?,
                    phone_sealed: row.try_get("phone_sealed")?,
                    created_at: stored_time::<$db>(row.try_get::<<$db as Columns>::Time, _>("created_at")?, "user created_at")?,
                    updated_at: stored_time::<$db>(row.try_get::<<$db as Columns>::Time, _>("updated_at")?, "user updated_at")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::users::UserStore for $name {
            async fn upsert(
                &self,
                users: &[$crate::store::users::UserUpsert],
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(Vec<$crate::store::users::UserRecord>, u64), $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let at = <$db as Columns>::time_to_db(at);
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let mut stored = Vec::with_capacity(users.len());
                let mut new = 0;
                for user in users {
                    let row = sqlx::query(&format!(
                        "INSERT INTO unified_users ({}) VALUES ($1, $2, $3, $4, $4) \
                         ON CONFLICT (unionid) DO UPDATE SET \
                           phone_sealed = COALESCE(excluded.phone_sealed, unified_users.phone_sealed), \
                           updated_at = excluded.updated_at \
                         RETURNING {}",
                        $crate::store::sql::users::COLUMNS,
                        $crate::store::sql::users::COLUMNS
                    ))
                    .bind(user.candidate_id.get())
                    .bind(user.unionid.as_str())
                    .bind(&user.phone_sealed)
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| $crate::store::error::classify_write(e, &[("user_id", "user_id")]))?;
                    let record = Self::record(&row)?;
                    if record.user_id == user.candidate_id {
                        new += 1;
                    }
                    stored.push(record);
                }
                tx.commit().await?;
                Ok((stored, new))
            }

            async fn get(
                &self,
                user_id: $crate::identity::model::UserId,
            ) -> Result<Option<$crate::store::users::UserRecord>, $crate::store::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM unified_users WHERE user_id = $1",
                    $crate::store::sql::users::COLUMNS
                ))
                .bind(user_id.get())
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::record).transpose()
            }

            async fn by_unionid(
                &self,
                unionid: &$crate::core::UnionId,
            ) -> Result<Option<$crate::store::users::UserRecord>, $crate::store::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM unified_users WHERE unionid = $1",
                    $crate::store::sql::users::COLUMNS
                ))
                .bind(unionid.as_str())
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::record).transpose()
            }

            async fn record_access(
                &self,
                user_id: $crate::identity::model::UserId,
                account: &$crate::accounts::model::AccountId,
                app_id: Option<&str>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let known = sqlx::query(
                    "INSERT INTO user_access_log (user_id, account_id, app_id, at) \
                     SELECT user_id, $2, $3, $4 FROM unified_users WHERE user_id = $1",
                )
                .bind(user_id.get())
                .bind(account.as_str())
                .bind(app_id)
                .bind(<$db as Columns>::time_to_db(at))
                .execute(&mut *tx)
                .await?;
                if known.rows_affected() == 0 {
                    return Err($crate::store::StoreError::MissingReference);
                }
                tx.commit().await?;
                Ok(())
            }

            async fn last_access(
                &self,
                user_id: $crate::identity::model::UserId,
            ) -> Result<Option<$crate::identity::model::Access>, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::sql::{stored_time, Columns};
                let row = sqlx::query(
                    "SELECT account_id, app_id, at FROM user_access_log WHERE user_id = $1 \
                     ORDER BY at DESC LIMIT 1",
                )
                .bind(user_id.get())
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let account: String = row.try_get("account_id")?;
                Ok(Some($crate::identity::model::Access {
                    account: $crate::accounts::model::AccountId::parse(&account)
                        .map_err(|_| $crate::store::StoreError::Corrupt("access account_id".into()))?,
                    app_id: row.try_get("app_id")?,
                    at: stored_time::<$db>(row.try_get::<<$db as Columns>::Time, _>("at")?, "access at")?,
                }))
            }
        }
    };
}
pub(crate) use user_store;
