//! [`FollowerStore`](crate::store::followers::FollowerStore) queries shared by both backends;
//! `$N` placeholders work on SQLite and PostgreSQL.
//!
//! `subscribed`, `unfollow_unbinds`, `qr_source` and the times go through
//! [`Columns`](crate::store::sql::Columns); the `subscribed` flag is bound as `$N` rather
//! than written as a literal (`1`/`TRUE` differ between the dialects).

use crate::store::StoreError;

/// The columns a [`Follower`](crate::store::followers::Follower) is read from.
pub(crate) const COLUMNS: &str =
    "openid, subscribed, nickname, scene, qr_source, qr_scene, subscribed_at, unsubscribed_at";

/// A follow: binds account, openid, subscribed (true), scene, qr_source, qr_scene, at, at.
/// Also run by SQLite's event batch writer (`store/sqlite/event_batch.rs`), on rusqlite.
pub(crate) const FOLLOW: &str = "INSERT INTO followers (account_id, openid, subscribed, scene, qr_source, qr_scene, subscribed_at, updated_at)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                                 ON CONFLICT (account_id, openid) DO UPDATE SET subscribed = excluded.subscribed,
                                   scene = excluded.scene, qr_source = excluded.qr_source,
                                   qr_scene = excluded.qr_scene, subscribed_at = excluded.subscribed_at,
                                   unsubscribed_at = NULL, updated_at = excluded.updated_at";

/// An unfollow (profile cleared, openid kept): binds account, openid, subscribed (false),
/// at, at.
pub(crate) const UNFOLLOW: &str = "INSERT INTO followers (account_id, openid, subscribed, unsubscribed_at, updated_at)
                                 VALUES ($1, $2, $3, $4, $5)
                                 ON CONFLICT (account_id, openid) DO UPDATE SET subscribed = excluded.subscribed,
                                   nickname = NULL, avatar_url = NULL, sex = NULL, city = NULL,
                                   province = NULL, country = NULL, language = NULL,
                                   unsubscribed_at = excluded.unsubscribed_at,
                                   updated_at = excluded.updated_at";

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("follower {what}"))
}

/// Declares a follower store over one `sqlx::Database`:
/// `follower_store! { /// doc  pub struct SqliteFollowerStore(sqlx::Sqlite); }`.
macro_rules! follower_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty);) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                Self { pool }
            }

            /// Applies `changes` in order inside `tx` (the event writer's batch uses this,
            /// so an event and its follower change commit together).
            pub(crate) async fn apply_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                changes: &[$crate::identity::model::FollowerChange],
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::identity::model::FollowerChange;
                use $crate::store::sql::Columns;

                for change in changes {
                    match change {
                        FollowerChange::Followed {
                            account,
                            openid,
                            at,
                            scene,
                            qr_source,
                            qr_scene,
                        } => {
                            sqlx::query($crate::store::sql::followers::FOLLOW)
                            .bind(account.as_str())
                            .bind(openid)
                            .bind(<$db as Columns>::bool_to_db(true))
                            .bind(scene)
                            .bind(qr_source.map(|q| <$db as Columns>::int_to_db(i32::from(q))))
                            .bind(qr_scene)
                            .bind(<$db as Columns>::time_to_db(*at))
                            .bind(<$db as Columns>::time_to_db(*at))
                            .execute(&mut **tx)
                            .await?;
                        }
                        FollowerChange::Unfollowed {
                            account,
                            openid,
                            at,
                        } => {
                            sqlx::query($crate::store::sql::followers::UNFOLLOW)
                            .bind(account.as_str())
                            .bind(openid)
                            .bind(<$db as Columns>::bool_to_db(false))
                            .bind(<$db as Columns>::time_to_db(*at))
                            .bind(<$db as Columns>::time_to_db(*at))
                            .execute(&mut **tx)
                            .await?;
                        }
                    }
                }
                Ok(())
            }

            /// A follower from a row selecting `sql::followers::COLUMNS`.
            fn row_to_follower(
                account: &$crate::accounts::model::AccountId,
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::store::followers::Follower, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::sql::followers::corrupt;
                use $crate::store::sql::Columns;
                type Int = <$db as Columns>::Int;
                type Bool = <$db as Columns>::Bool;
                type Time = <$db as Columns>::Time;

                let time = |column: &str| -> Result<_, $crate::store::StoreError> {
                    row.try_get::<Option<Time>, _>(column)?
                        .map(|t| <$db as Columns>::time_from_db(t).ok_or_else(|| corrupt("time")))
                        .transpose()
                };
                let qr = row
                    .try_get::<Option<Int>, _>("qr_source")?
                    .map(|q| {
                        <$db as Columns>::int_from_db(q)
                            .and_then(|q| u8::try_from(q).ok())
                            .ok_or_else(|| corrupt("qr_source"))
                    })
                    .transpose()?;
                Ok($crate::store::followers::Follower {
                    account: account.clone(),
                    openid: row.try_get("openid")?,
                    subscribed: <$db as Columns>::bool_from_db(row.try_get::<Bool, _>("subscribed")?),
                    nickname: row.try_get("nickname")?,
                    scene: row.try_get("scene")?,
                    qr_source: qr,
                    qr_scene: row.try_get("qr_scene")?,
                    subscribed_at: time("subscribed_at")?,
                    unsubscribed_at: time("unsubscribed_at")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::followers::FollowerStore for $name {
            async fn apply(
                &self,
                changes: &[$crate::identity::model::FollowerChange],
            ) -> Result<(), $crate::store::StoreError> {
                if changes.is_empty() {
                    return Ok(());
                }
                let mut tx = self.pool.begin().await?;
                Self::apply_in(&mut tx, changes).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get(
                &self,
                account: &$crate::accounts::model::AccountId,
                openid: &str,
            ) -> Result<Option<$crate::store::followers::Follower>, $crate::store::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM followers WHERE account_id = $1 AND openid = $2",
                    $crate::store::sql::followers::COLUMNS
                ))
                .bind(account.as_str())
                .bind(openid)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|row| Self::row_to_follower(account, &row)).transpose()
            }

            async fn list(
                &self,
                account: &$crate::accounts::model::AccountId,
                filter: &$crate::store::followers::FollowerFilter,
                limit: u32,
            ) -> Result<Vec<$crate::store::followers::Follower>, $crate::store::StoreError> {
                use $crate::store::sql::Columns;

                let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(format!(
                    "SELECT {} FROM followers WHERE account_id = ",
                    $crate::store::sql::followers::COLUMNS
                ));
                qb.push_bind(account.as_str());
                if let Some(subscribed) = filter.subscribed {
                    qb.push(" AND subscribed = ")
                        .push_bind(<$db as Columns>::bool_to_db(subscribed));
                }
                if let Some(after) = &filter.after_openid {
                    qb.push(" AND openid > ").push_bind(after.as_str());
                }
                qb.push(" ORDER BY openid LIMIT ").push_bind(i64::from(limit));
                let rows = qb.build().fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|row| Self::row_to_follower(account, row))
                    .collect()
            }

            async fn unfollow_unbinds(
                &self,
                account: &$crate::accounts::model::AccountId,
            ) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::sql::Columns;

                let on: Option<<$db as Columns>::Bool> = sqlx::query_scalar(
                    "SELECT unfollow_unbinds FROM account_callback_settings WHERE account_id = $1",
                )
                .bind(account.as_str())
                .fetch_optional(&self.pool)
                .await?;
                Ok(on.is_some_and(<$db as Columns>::bool_from_db))
            }

            async fn set_unfollow_unbinds(
                &self,
                account: &$crate::accounts::model::AccountId,
                on: bool,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                use $crate::store::sql::Columns;

                sqlx::query(
                    "INSERT INTO account_callback_settings (account_id, unfollow_unbinds) VALUES ($1, $2)
                     ON CONFLICT (account_id) DO UPDATE SET unfollow_unbinds = excluded.unfollow_unbinds",
                )
                .bind(account.as_str())
                .bind(<$db as Columns>::bool_to_db(on))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use follower_store;
