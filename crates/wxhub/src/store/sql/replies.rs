//! [`ReplyRuleStore`](crate::store::replies::ReplyRuleStore) queries shared by both backends;
//! `$N` placeholders work on SQLite and PostgreSQL.
//!
//! Matcher and action are JSON text on both, the sealed webhook secret plain (nullable) text. `priority`, `enabled` and the times go through
//! [`Columns`](crate::store::sql::Columns) (INTEGER on SQLite; INTEGER, BOOLEAN and
//! TIMESTAMPTZ on PostgreSQL).

use crate::store::StoreError;

pub(crate) const COLUMNS: &str = "rule_id, account_id, name, priority, enabled, matcher, action, \
     created_at, updated_at, webhook_secret_sealed, owner";

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("reply rule {what}"))
}

/// Declares a reply rule store over one `sqlx::Database`:
/// `reply_rule_store! { /// doc  pub struct SqliteReplyRuleStore(sqlx::Sqlite); }`.
macro_rules! reply_rule_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty);) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                Self { pool }
            }

            fn row_to_rule(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::store::replies::RuleRecord, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::store::sql::replies::corrupt;
                use $crate::store::sql::Columns;
                type Int = <$db as Columns>::Int;
                type Bool = <$db as Columns>::Bool;
                type Time = <$db as Columns>::Time;

                let account: String = row.try_get("account_id")?;
                let matcher: String = row.try_get("matcher")?;
                let action: String = row.try_get("action")?;
                let time = |column: &str| -> Result<_, $crate::store::StoreError> {
                    <$db as Columns>::time_from_db(row.try_get::<Time, _>(column)?)
                        .ok_or_else(|| corrupt("time"))
                };
                Ok($crate::store::replies::RuleRecord {
                    rule_id: row.try_get("rule_id")?,
                    account: $crate::accounts::model::AccountId::parse(&account)
                        .map_err(|_| corrupt("account_id"))?,
                    name: row.try_get("name")?,
                    priority: <$db as Columns>::int_from_db(row.try_get::<Int, _>("priority")?)
                        .ok_or_else(|| corrupt("priority"))?,
                    enabled: <$db as Columns>::bool_from_db(row.try_get::<Bool, _>("enabled")?),
                    matcher: serde_json::from_str(&matcher).map_err(|_| corrupt("matcher"))?,
                    action: serde_json::from_str(&action).map_err(|_| corrupt("action"))?,
                    created_at: time("created_at")?,
                    updated_at: time("updated_at")?,
                    webhook_secret_sealed: row.try_get("webhook_secret_sealed")?,
                    owner: row.try_get("owner")?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::replies::ReplyRuleStore for $name {
            async fn insert(
                &self,
                rule: &$crate::store::replies::RuleRecord,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                use $crate::store::sql::Columns;

                sqlx::query(&format!(
                    "INSERT INTO reply_rules ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    $crate::store::sql::replies::COLUMNS
                ))
                .bind(&rule.rule_id)
                .bind(rule.account.as_str())
                .bind(&rule.name)
                .bind(<$db as Columns>::int_to_db(rule.priority))
                .bind(<$db as Columns>::bool_to_db(rule.enabled))
                .bind(rule.matcher.to_string())
                .bind(rule.action.to_string())
                .bind(<$db as Columns>::time_to_db(rule.created_at))
                .bind(<$db as Columns>::time_to_db(rule.updated_at))
                .bind(&rule.webhook_secret_sealed)
                .bind(&rule.owner)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list(
                &self,
                account: &$crate::accounts::model::AccountId,
            ) -> Result<Vec<$crate::store::replies::RuleRecord>, $crate::store::StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM reply_rules WHERE account_id = $1
                     ORDER BY priority, created_at, rule_id",
                    $crate::store::sql::replies::COLUMNS
                ))
                .bind(account.as_str())
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::row_to_rule).collect()
            }

            async fn get(
                &self,
                account: &$crate::accounts::model::AccountId,
                rule_id: &str,
            ) -> Result<Option<$crate::store::replies::RuleRecord>, $crate::store::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM reply_rules WHERE account_id = $1 AND rule_id = $2",
                    $crate::store::sql::replies::COLUMNS
                ))
                .bind(account.as_str())
                .bind(rule_id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::row_to_rule).transpose()
            }

            async fn update(
                &self,
                rule: &$crate::store::replies::RuleRecord,
                secret: $crate::store::replies::SecretChange,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                use $crate::store::replies::SecretChange;
                use $crate::store::sql::Columns;

                let secret_column = match secret {
                    SecretChange::Keep => "webhook_secret_sealed",
                    SecretChange::Replace => "$9",
                };
                let sql = format!(
                    "UPDATE reply_rules SET name = $1, priority = $2, enabled = $3, matcher = $4,
                       action = $5, updated_at = $6, webhook_secret_sealed = {secret_column}
                     WHERE account_id = $7 AND rule_id = $8"
                );
                let query = sqlx::query(&sql)
                .bind(&rule.name)
                .bind(<$db as Columns>::int_to_db(rule.priority))
                .bind(<$db as Columns>::bool_to_db(rule.enabled))
                .bind(rule.matcher.to_string())
                .bind(rule.action.to_string())
                .bind(<$db as Columns>::time_to_db(rule.updated_at))
                .bind(rule.account.as_str())
                .bind(&rule.rule_id);
                let done = match secret {
                    SecretChange::Keep => query,
                    SecretChange::Replace => query.bind(&rule.webhook_secret_sealed),
                }
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            async fn set_webhook_secret(
                &self,
                account: &$crate::accounts::model::AccountId,
                rule_id: &str,
                sealed: &str,
                updated_at: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                use $crate::store::sql::Columns;

                let done = sqlx::query(
                    "UPDATE reply_rules SET webhook_secret_sealed = $1, updated_at = $2
                     WHERE account_id = $3 AND rule_id = $4",
                )
                .bind(sealed)
                .bind(<$db as Columns>::time_to_db(updated_at))
                .bind(account.as_str())
                .bind(rule_id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            async fn delete(
                &self,
                account: &$crate::accounts::model::AccountId,
                rule_id: &str,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let done =
                    sqlx::query("DELETE FROM reply_rules WHERE account_id = $1 AND rule_id = $2")
                        .bind(account.as_str())
                        .bind(rule_id)
                        .execute(&mut *tx)
                        .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}
pub(crate) use reply_rule_store;
