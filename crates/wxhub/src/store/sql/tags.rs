//! [`TagStore`](crate::store::tags::TagStore) shared by both backends; `$N` placeholders work
//! on SQLite and PostgreSQL. Tag ids and follower counts are BIGINT on PostgreSQL and
//! INTEGER on SQLite, bound as `i64` on both; times go through
//! [`Columns`](crate::store::sql::Columns).

/// Records a sync's time unless a later one is stored: binds account_id, synced_at. A row
/// is written (one row affected) only when this sync is the newest; on PostgreSQL a
/// concurrent sync waits on the row and then sees the newer time.
pub(crate) const MARK_SYNCED: &str =
    "INSERT INTO follower_tag_syncs (account_id, synced_at) VALUES ($1, $2) \
     ON CONFLICT (account_id) DO UPDATE SET synced_at = excluded.synced_at \
     WHERE follower_tag_syncs.synced_at <= excluded.synced_at";

/// Declares a tag store over one `sqlx::Database`:
/// `tag_store! { /// doc  pub struct PgTagStore(sqlx::Postgres); }`.
macro_rules! tag_store {
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
        impl $crate::store::tags::TagStore for $name {
            async fn replace(
                &self,
                account: &$crate::accounts::model::AccountId,
                tags: &[$crate::tags::model::Tag],
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let marked = sqlx::query($crate::store::sql::tags::MARK_SYNCED)
                    .bind(account.as_str())
                    .bind(<$db as Columns>::time_to_db(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| $crate::store::error::classify_write(e, &[]))?;
                if marked.rows_affected() == 0 {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM follower_tags WHERE account_id = $1")
                    .bind(account.as_str())
                    .execute(&mut *tx)
                    .await?;
                for tag in tags {
                    sqlx::query(
                        "INSERT INTO follower_tags (account_id, tag_id, name, followers) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(account.as_str())
                    .bind(i64::from(tag.id.get()))
                    .bind(&tag.name)
                    .bind(i64::try_from(tag.followers).unwrap_or(i64::MAX))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| $crate::store::error::classify_write(e, &[]))?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn list(
                &self,
                account: &$crate::accounts::model::AccountId,
            ) -> Result<Option<$crate::tags::model::TagList>, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::sql::{stored_time, Time};
                let corrupt = |what: &str| $crate::store::StoreError::Corrupt(format!("tag {what}"));
                let synced: Option<Time<$db>> = sqlx::query_scalar(
                    "SELECT synced_at FROM follower_tag_syncs WHERE account_id = $1",
                )
                .bind(account.as_str())
                .fetch_optional(&self.pool)
                .await?;
                let Some(synced) = synced else {
                    return Ok(None);
                };
                let rows = sqlx::query(
                    "SELECT tag_id, name, followers FROM follower_tags WHERE account_id = $1 \
                     ORDER BY tag_id",
                )
                .bind(account.as_str())
                .fetch_all(&self.pool)
                .await?;
                let tags = rows
                    .iter()
                    .map(|row| {
                        let id: i64 = row.try_get("tag_id")?;
                        let followers: i64 = row.try_get("followers")?;
                        Ok($crate::tags::model::Tag {
                            id: $crate::tags::model::TagId::new(id).map_err(|_| corrupt("id"))?,
                            name: row.try_get("name")?,
                            followers: u64::try_from(followers).map_err(|_| corrupt("followers"))?,
                        })
                    })
                    .collect::<Result<Vec<_>, $crate::store::StoreError>>()?;
                Ok(Some($crate::tags::model::TagList {
                    tags,
                    synced_at: stored_time::<$db>(synced, "tag synced_at")?,
                }))
            }
        }
    };
}
pub(crate) use tag_store;
