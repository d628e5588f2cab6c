//! [`FollowerStore`](crate::store::followers::FollowerStore) queries shared by both backends;
//! `$N` placeholders work on SQLite and PostgreSQL.
//!
//! `subscribed`, `unfollow_unbinds`, `sex`, `qr_source` and the times go through
//! [`Columns`](crate::store::sql::Columns); the `subscribed` flag is bound as `$N` rather
//! than written as a literal (`1`/`TRUE` differ between the dialects). The one dialect
//! fragment is the row lock of `claim_due_profiles` (`FOR UPDATE SKIP LOCKED` on PostgreSQL,
//! where instances claim side by side; nothing on SQLite, where the claim is one statement).
//!
//! Column names that predate WeChat's: `avatar_url` holds `headimgurl`, `subscribed_at`
//! `subscribe_time`, `qr_scene` the follow callback's scene value, and `qr_scene_id` WeChat's
//! numeric `qr_scene` (migration 0016).

use crate::store::StoreError;

/// The columns a [`Follower`](crate::store::followers::Follower) is read from.
pub(crate) const COLUMNS: &str = "openid, subscribed, nickname, sex, language, city, province, \
     country, avatar_url, unionid, remark, groupid, tagid_list, subscribe_scene, qr_scene_id, \
     qr_scene_str, scene, qr_source, qr_scene, subscribed_at, unsubscribed_at, profile_fetched_at";

/// The profile columns an unfollow clears (`SET` items), and the profile lease with them.
macro_rules! clear_profile {
    () => {
        "nickname = NULL, avatar_url = NULL, sex = NULL, city = NULL, province = NULL, \
         country = NULL, language = NULL, remark = NULL, groupid = NULL, tagid_list = NULL, \
         subscribe_scene = NULL, qr_scene_id = NULL, qr_scene_str = NULL, \
         profile_due_at = NULL, profile_lease_owner = NULL"
    };
}

/// A follow: binds account, openid, subscribed (true), scene, qr_source, qr_scene, at, at.
/// WeChat's scene fields wait for its answer (read from the callback until then); the
/// profile is due at once; the follow confirms the follower. Also run by SQLite's event batch
/// writer (`store/sqlite/event_batch.rs`), on rusqlite, which binds by position: each `$N`
/// first appears in order.
pub(crate) const FOLLOW: &str = "INSERT INTO followers (account_id, openid, subscribed, scene, qr_source, qr_scene, subscribed_at, updated_at, confirmed_at, profile_due_at)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8)
                                 ON CONFLICT (account_id, openid) DO UPDATE SET subscribed = excluded.subscribed,
                                   scene = excluded.scene, qr_source = excluded.qr_source,
                                   qr_scene = excluded.qr_scene, subscribed_at = excluded.subscribed_at,
                                   unsubscribed_at = NULL, updated_at = excluded.updated_at,
                                   subscribe_scene = NULL, qr_scene_id = NULL, qr_scene_str = NULL,
                                   confirmed_at = CASE WHEN followers.confirmed_at IS NOT NULL
                                       AND followers.confirmed_at > excluded.confirmed_at
                                     THEN followers.confirmed_at ELSE excluded.confirmed_at END,
                                   profile_due_at = excluded.profile_due_at, profile_lease_owner = NULL";

/// An unfollow (profile cleared, openid and unionid kept): binds account, openid, subscribed
/// (false), at, at.
pub(crate) const UNFOLLOW: &str = concat!(
    "INSERT INTO followers (account_id, openid, subscribed, unsubscribed_at, updated_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (account_id, openid) DO UPDATE SET subscribed = excluded.subscribed, ",
    clear_profile!(),
    ", unsubscribed_at = excluded.unsubscribed_at, updated_at = excluded.updated_at"
);

/// Openids per statement of `record_listed` (one parameter each, plus four).
pub(crate) const LISTED_CHUNK: usize = 1000;

/// An unfollow callback came at or after the list page that lists the row again.
const NEWER_UNFOLLOW: &str =
    "(followers.unsubscribed_at IS NOT NULL AND followers.unsubscribed_at >= excluded.confirmed_at)";

/// `record_listed` for `n` openids: binds account, subscribed (true), asked_at, due_at, then
/// the openids.
pub(crate) fn record_listed_sql(n: usize) -> String {
    let rows = (0..n)
        .map(|i| format!("($1, ${}, $2, $3, $3, $4)", i + 5))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO followers (account_id, openid, subscribed, confirmed_at, updated_at, profile_due_at) \
         VALUES {rows} \
         ON CONFLICT (account_id, openid) DO UPDATE SET \
           subscribed = CASE WHEN {NEWER_UNFOLLOW} THEN followers.subscribed ELSE excluded.subscribed END, \
           unsubscribed_at = CASE WHEN {NEWER_UNFOLLOW} THEN followers.unsubscribed_at ELSE NULL END, \
           confirmed_at = CASE WHEN {NEWER_UNFOLLOW} THEN followers.confirmed_at \
             WHEN followers.confirmed_at IS NOT NULL AND followers.confirmed_at > excluded.confirmed_at \
             THEN followers.confirmed_at ELSE excluded.confirmed_at END, \
           profile_due_at = CASE WHEN {NEWER_UNFOLLOW} THEN followers.profile_due_at \
             ELSE COALESCE(followers.profile_due_at, excluded.profile_due_at) END, \
           updated_at = excluded.updated_at"
    )
}

/// A follower's `user/info` answer: binds account, openid, subscribed (true), nickname, sex,
/// language, city, province, country, headimgurl, subscribe time (or NULL), unionid (or
/// NULL), remark, groupid, tagid_list, subscribe_scene, qr_scene, qr_scene_str, asked_at,
/// now, next due. Skipped when an unfollow came at or after the question.
pub(crate) const STORE_PROFILE: &str = "UPDATE followers SET subscribed = $3, nickname = $4, sex = $5, \
     language = $6, city = $7, province = $8, country = $9, avatar_url = $10, \
     subscribed_at = COALESCE($11, subscribed_at), unionid = COALESCE($12, unionid), remark = $13, \
     groupid = $14, tagid_list = $15, subscribe_scene = $16, qr_scene_id = $17, qr_scene_str = $18, \
     unsubscribed_at = NULL, \
     confirmed_at = CASE WHEN confirmed_at IS NOT NULL AND confirmed_at > $19 THEN confirmed_at ELSE $19 END, \
     profile_fetched_at = $20, updated_at = $20, profile_due_at = $21, profile_lease_owner = NULL \
     WHERE account_id = $1 AND openid = $2 AND (unsubscribed_at IS NULL OR unsubscribed_at < $19)";

/// `user/info` says the user does not follow: binds account, openid, subscribed (false),
/// unionid (or NULL), asked_at, now, true. Skipped when a follow was confirmed at or after
/// the question.
pub(crate) const STORE_NOT_FOLLOWING: &str = concat!(
    "UPDATE followers SET subscribed = $3, ",
    clear_profile!(),
    ", unionid = COALESCE($4, unionid), \
     unsubscribed_at = CASE WHEN subscribed = $7 THEN $5 ELSE unsubscribed_at END, \
     profile_fetched_at = $6, updated_at = $6 \
     WHERE account_id = $1 AND openid = $2 AND (confirmed_at IS NULL OR confirmed_at < $5)"
);

/// The sweep at the end of a sync: binds account, subscribed (false), since, at, subscribed
/// (true), limit.
pub(crate) const UNSUBSCRIBE_UNCONFIRMED: &str = concat!(
    "UPDATE followers SET subscribed = $2, ",
    clear_profile!(),
    ", unsubscribed_at = $4, updated_at = $4 \
     WHERE account_id = $1 AND openid IN (SELECT openid FROM followers \
       WHERE account_id = $1 AND subscribed = $5 AND (confirmed_at IS NULL OR confirmed_at < $3) \
       ORDER BY openid LIMIT $6)"
);

/// The account whose profile has been due longest, as a subquery on `now` = `$1`.
const LONGEST_DUE_ACCOUNT: &str = "(SELECT account_id FROM followers \
     WHERE profile_due_at IS NOT NULL AND profile_due_at <= $1 ORDER BY profile_due_at LIMIT 1)";

/// `claim_due_profiles`: binds now, lease_until, owner, limit; `lock` is the backend's row lock.
pub(crate) fn claim_due_sql(lock: &str) -> String {
    format!(
        "UPDATE followers SET profile_due_at = $2, profile_lease_owner = $3 \
         WHERE account_id = {LONGEST_DUE_ACCOUNT} AND openid IN (SELECT openid FROM followers \
           WHERE account_id = {LONGEST_DUE_ACCOUNT} AND profile_due_at IS NOT NULL \
             AND profile_due_at <= $1 \
           ORDER BY profile_due_at, openid LIMIT $4{lock}) \
         RETURNING account_id, openid"
    )
}

/// `$first, $first+1, …` for `n` values, for an `IN (…)` list.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("follower {what}"))
}

/// A stored count (never negative).
pub(crate) fn count_from_db(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| corrupt("count"))
}

/// Declares a follower store over one `sqlx::Database`:
/// `follower_store! { /// doc  pub struct SqliteFollowerStore(sqlx::Sqlite); lock = ""; }`.
macro_rules! follower_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty); lock = $lock:literal;) => {
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
                use $crate::identity::model::followers::{qr_scene_of_event, tag_ids_from_text};
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
                let small = |column: &'static str| -> Result<Option<u8>, $crate::store::StoreError> {
                    row.try_get::<Option<Int>, _>(column)?
                        .map(|q| {
                            <$db as Columns>::int_from_db(q)
                                .and_then(|q| u8::try_from(q).ok())
                                .ok_or_else(|| corrupt(column))
                        })
                        .transpose()
                };
                let subscribed =
                    <$db as Columns>::bool_from_db(row.try_get::<Bool, _>("subscribed")?);
                let event_scene: Option<String> = row.try_get("qr_scene")?;
                let mut qr_scene = row
                    .try_get::<Option<i64>, _>("qr_scene_id")?
                    .map(|n| u64::try_from(n).map_err(|_| corrupt("qr_scene")))
                    .transpose()?;
                let mut qr_scene_str: Option<String> = row.try_get("qr_scene_str")?;
                if subscribed && qr_scene.is_none() && qr_scene_str.is_none() {
                    // WeChat's answer since the follow is not stored yet: what the callback says.
                    let (id, text) = qr_scene_of_event(event_scene.as_deref());
                    qr_scene = Some(id);
                    qr_scene_str = Some(text);
                }
                let tagid_list = row
                    .try_get::<Option<String>, _>("tagid_list")?
                    .map(|t| tag_ids_from_text(&t).ok_or_else(|| corrupt("tagid_list")))
                    .transpose()?;
                Ok($crate::store::followers::Follower {
                    account: account.clone(),
                    openid: row.try_get("openid")?,
                    subscribed,
                    nickname: row.try_get("nickname")?,
                    sex: small("sex")?,
                    language: row.try_get("language")?,
                    city: row.try_get("city")?,
                    province: row.try_get("province")?,
                    country: row.try_get("country")?,
                    headimgurl: row.try_get("avatar_url")?,
                    unionid: row.try_get("unionid")?,
                    remark: row.try_get("remark")?,
                    groupid: row.try_get("groupid")?,
                    tagid_list,
                    subscribe_scene: row.try_get("subscribe_scene")?,
                    qr_scene,
                    qr_scene_str,
                    scene: row.try_get("scene")?,
                    qr_source: small("qr_source")?,
                    event_scene,
                    subscribed_at: time("subscribed_at")?,
                    unsubscribed_at: time("unsubscribed_at")?,
                    profile_fetched_at: time("profile_fetched_at")?,
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

            async fn by_unionid(
                &self,
                account: &$crate::accounts::model::AccountId,
                unionid: &str,
            ) -> Result<Option<$crate::store::followers::Follower>, $crate::store::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM followers WHERE account_id = $1 AND unionid = $2 \
                     ORDER BY subscribed DESC, openid LIMIT 1",
                    $crate::store::sql::followers::COLUMNS
                ))
                .bind(account.as_str())
                .bind(unionid)
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

            async fn count(
                &self,
                account: &$crate::accounts::model::AccountId,
                subscribed: Option<bool>,
            ) -> Result<u64, $crate::store::StoreError> {
                use $crate::store::sql::Columns;

                let n: i64 = match subscribed {
                    None => sqlx::query_scalar("SELECT COUNT(*) FROM followers WHERE account_id = $1")
                        .bind(account.as_str())
                        .fetch_one(&self.pool)
                        .await?,
                    Some(on) => sqlx::query_scalar(
                        "SELECT COUNT(*) FROM followers WHERE account_id = $1 AND subscribed = $2",
                    )
                    .bind(account.as_str())
                    .bind(<$db as Columns>::bool_to_db(on))
                    .fetch_one(&self.pool)
                    .await?,
                };
                $crate::store::sql::followers::count_from_db(n)
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

            async fn record_listed(
                &self,
                account: &$crate::accounts::model::AccountId,
                openids: &[String],
                asked_at: chrono::DateTime<chrono::Utc>,
                due_at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::followers::{record_listed_sql, LISTED_CHUNK};
                use $crate::store::sql::Columns;

                if openids.is_empty() {
                    return Ok(());
                }
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                for chunk in openids.chunks(LISTED_CHUNK) {
                    let sql = record_listed_sql(chunk.len());
                    let mut query = sqlx::query(&sql)
                        .bind(account.as_str())
                        .bind(<$db as Columns>::bool_to_db(true))
                        .bind(<$db as Columns>::time_to_db(asked_at))
                        .bind(<$db as Columns>::time_to_db(due_at));
                    for openid in chunk {
                        query = query.bind(openid.as_str());
                    }
                    query.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn store_profiles(
                &self,
                account: &$crate::accounts::model::AccountId,
                users: &[$crate::identity::model::FetchedUser],
                asked_at: chrono::DateTime<chrono::Utc>,
                now: chrono::DateTime<chrono::Utc>,
                next_due: Option<chrono::DateTime<chrono::Utc>>,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::identity::model::followers::tag_ids_to_text;
                use $crate::identity::model::UserInfo;
                use $crate::store::sql::followers::{STORE_NOT_FOLLOWING, STORE_PROFILE};
                use $crate::store::sql::Columns;

                if users.is_empty() {
                    return Ok(());
                }
                let asked = <$db as Columns>::time_to_db(asked_at);
                let at = <$db as Columns>::time_to_db(now);
                let due = next_due.map(<$db as Columns>::time_to_db);
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                for user in users {
                    match &user.info {
                        UserInfo::Follows(p) => {
                            let since = (p.subscribe_time > 0)
                                .then(|| chrono::DateTime::from_timestamp(p.subscribe_time, 0))
                                .flatten()
                                .map(<$db as Columns>::time_to_db);
                            sqlx::query(STORE_PROFILE)
                                .bind(account.as_str())
                                .bind(&user.openid)
                                .bind(<$db as Columns>::bool_to_db(true))
                                .bind(&p.nickname)
                                .bind(<$db as Columns>::int_to_db(i32::from(p.sex)))
                                .bind(&p.language)
                                .bind(&p.city)
                                .bind(&p.province)
                                .bind(&p.country)
                                .bind(&p.headimgurl)
                                .bind(since)
                                .bind(p.unionid.as_deref())
                                .bind(&p.remark)
                                .bind(p.groupid)
                                .bind(tag_ids_to_text(&p.tagid_list))
                                .bind(&p.subscribe_scene)
                                .bind(i64::try_from(p.qr_scene).unwrap_or(i64::MAX))
                                .bind(&p.qr_scene_str)
                                .bind(asked)
                                .bind(at)
                                .bind(due)
                                .execute(&mut *tx)
                                .await?;
                        }
                        UserInfo::DoesNotFollow { unionid } => {
                            sqlx::query(STORE_NOT_FOLLOWING)
                                .bind(account.as_str())
                                .bind(&user.openid)
                                .bind(<$db as Columns>::bool_to_db(false))
                                .bind(unionid.as_deref())
                                .bind(asked)
                                .bind(at)
                                .bind(<$db as Columns>::bool_to_db(true))
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn unread_since(
                &self,
                account: &$crate::accounts::model::AccountId,
                since: chrono::DateTime<chrono::Utc>,
                after: Option<&str>,
                limit: u32,
            ) -> Result<Vec<String>, $crate::store::StoreError> {
                use $crate::store::sql::Columns;

                Ok(sqlx::query_scalar(
                    "SELECT openid FROM followers WHERE account_id = $1 AND subscribed = $2 \
                     AND confirmed_at >= $3 AND (profile_fetched_at IS NULL OR profile_fetched_at < $3) \
                     AND openid > $4 ORDER BY openid LIMIT $5",
                )
                .bind(account.as_str())
                .bind(<$db as Columns>::bool_to_db(true))
                .bind(<$db as Columns>::time_to_db(since))
                .bind(after.unwrap_or(""))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?)
            }

            async fn unsubscribe_unconfirmed(
                &self,
                account: &$crate::accounts::model::AccountId,
                since: chrono::DateTime<chrono::Utc>,
                at: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> Result<u64, $crate::store::StoreError> {
                use $crate::store::sql::Columns;

                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let done = sqlx::query($crate::store::sql::followers::UNSUBSCRIBE_UNCONFIRMED)
                    .bind(account.as_str())
                    .bind(<$db as Columns>::bool_to_db(false))
                    .bind(<$db as Columns>::time_to_db(since))
                    .bind(<$db as Columns>::time_to_db(at))
                    .bind(<$db as Columns>::bool_to_db(true))
                    .bind(i64::from(limit))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected())
            }

            async fn count_confirmed_since(
                &self,
                account: &$crate::accounts::model::AccountId,
                since: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::store::StoreError> {
                use $crate::store::sql::Columns;

                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM followers WHERE account_id = $1 AND subscribed = $2 \
                     AND confirmed_at >= $3",
                )
                .bind(account.as_str())
                .bind(<$db as Columns>::bool_to_db(true))
                .bind(<$db as Columns>::time_to_db(since))
                .fetch_one(&self.pool)
                .await?;
                $crate::store::sql::followers::count_from_db(n)
            }

            async fn claim_due_profiles(
                &self,
                owner: &$crate::jobs::model::InstanceId,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> Result<Option<$crate::store::followers::DueProfiles>, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::sql::Columns;

                let rows = sqlx::query(&$crate::store::sql::followers::claim_due_sql($lock))
                    .bind(<$db as Columns>::time_to_db(now))
                    .bind(<$db as Columns>::time_to_db(lease_until))
                    .bind(owner.as_str())
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                let Some(first) = rows.first() else {
                    return Ok(None);
                };
                let account: String = first.try_get("account_id")?;
                let account = $crate::accounts::model::AccountId::parse(&account)
                    .map_err(|_| $crate::store::sql::followers::corrupt("account_id"))?;
                let mut openids = rows
                    .iter()
                    .map(|row| row.try_get::<String, _>("openid"))
                    .collect::<Result<Vec<_>, _>>()?;
                openids.sort_unstable();
                Ok(Some($crate::store::followers::DueProfiles { account, openids }))
            }

            async fn set_profile_due(
                &self,
                account: &$crate::accounts::model::AccountId,
                openids: &[String],
                due: Option<chrono::DateTime<chrono::Utc>>,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::followers::{placeholders, LISTED_CHUNK};
                use $crate::store::sql::Columns;

                if openids.is_empty() {
                    return Ok(());
                }
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                for chunk in openids.chunks(LISTED_CHUNK) {
                    let sql = format!(
                        "UPDATE followers SET profile_due_at = $2, profile_lease_owner = NULL \
                         WHERE account_id = $1 AND openid IN ({})",
                        placeholders(3, chunk.len())
                    );
                    let mut query = sqlx::query(&sql)
                        .bind(account.as_str())
                        .bind(due.map(<$db as Columns>::time_to_db));
                    for openid in chunk {
                        query = query.bind(openid.as_str());
                    }
                    query.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::jobs::Leases for $name {
            fn what(&self) -> &'static str {
                "follower profile reads"
            }

            async fn release_held_by(
                &self,
                owners: &[$crate::jobs::model::InstanceId],
            ) -> Result<u64, $crate::store::StoreError> {
                if owners.is_empty() {
                    return Ok(0);
                }
                // Due again at once: `updated_at` is before any lease's end.
                let sql = format!(
                    "UPDATE followers SET profile_due_at = updated_at, profile_lease_owner = NULL \
                     WHERE profile_lease_owner IN ({})",
                    $crate::store::sql::followers::placeholders(1, owners.len())
                );
                let mut query = sqlx::query(&sql);
                for owner in owners {
                    query = query.bind(owner.as_str());
                }
                Ok(query.execute(&self.pool).await?.rows_affected())
            }
        }
    };
}
pub(crate) use follower_store;
