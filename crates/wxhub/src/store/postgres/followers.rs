//! [`FollowerStore`] on PostgreSQL.

use async_trait::async_trait;
use sqlx::{PgPool, Row};

use crate::accounts::model::AccountId;
use crate::store::followers::{Follower, FollowerChange, FollowerStore};
use crate::store::StoreError;

pub struct PgFollowerStore {
    pool: PgPool,
}

impl PgFollowerStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl FollowerStore for PgFollowerStore {
    async fn apply(&self, changes: &[FollowerChange]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
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
                    sqlx::query(
                        "INSERT INTO followers (account_id, openid, subscribed, scene, qr_source, qr_scene, subscribed_at, updated_at)
                         VALUES ($1, $2, TRUE, $3, $4, $5, $6, $7)
                         ON CONFLICT (account_id, openid) DO UPDATE SET subscribed = TRUE,
                           scene = excluded.scene, qr_source = excluded.qr_source,
                           qr_scene = excluded.qr_scene, subscribed_at = excluded.subscribed_at,
                           unsubscribed_at = NULL, updated_at = excluded.updated_at",
                    )
                    .bind(account.as_str())
                    .bind(openid)
                    .bind(scene)
                    .bind(qr_source.map(i32::from))
                    .bind(qr_scene)
                    .bind(at)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                FollowerChange::Unfollowed {
                    account,
                    openid,
                    at,
                } => {
                    sqlx::query(
                        "INSERT INTO followers (account_id, openid, subscribed, unsubscribed_at, updated_at)
                         VALUES ($1, $2, FALSE, $3, $4)
                         ON CONFLICT (account_id, openid) DO UPDATE SET subscribed = FALSE,
                           nickname = NULL, avatar_url = NULL, sex = NULL, city = NULL,
                           province = NULL, country = NULL, language = NULL,
                           unsubscribed_at = excluded.unsubscribed_at,
                           updated_at = excluded.updated_at",
                    )
                    .bind(account.as_str())
                    .bind(openid)
                    .bind(at)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn get(&self, account: &AccountId, openid: &str) -> Result<Option<Follower>, StoreError> {
        let row = sqlx::query(
            "SELECT subscribed, nickname, scene, qr_source, qr_scene, subscribed_at, unsubscribed_at
             FROM followers WHERE account_id = $1 AND openid = $2",
        )
        .bind(account.as_str())
        .bind(openid)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let qr: Option<i32> = row.try_get("qr_source")?;
            Ok(Follower {
                account: account.clone(),
                openid: openid.to_owned(),
                subscribed: row.try_get("subscribed")?,
                nickname: row.try_get("nickname")?,
                scene: row.try_get("scene")?,
                qr_source: qr
                    .map(u8::try_from)
                    .transpose()
                    .map_err(|_| StoreError::Corrupt("follower qr_source".into()))?,
                qr_scene: row.try_get("qr_scene")?,
                subscribed_at: row.try_get("subscribed_at")?,
                unsubscribed_at: row.try_get("unsubscribed_at")?,
            })
        })
        .transpose()
    }

    async fn unfollow_unbinds(&self, account: &AccountId) -> Result<bool, StoreError> {
        let on: Option<bool> = sqlx::query_scalar(
            "SELECT unfollow_unbinds FROM account_callback_settings WHERE account_id = $1",
        )
        .bind(account.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(on.unwrap_or(false))
    }

    async fn set_unfollow_unbinds(&self, account: &AccountId, on: bool) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO account_callback_settings (account_id, unfollow_unbinds) VALUES ($1, $2)
             ON CONFLICT (account_id) DO UPDATE SET unfollow_unbinds = excluded.unfollow_unbinds",
        )
        .bind(account.as_str())
        .bind(on)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
