//! [`ReplyRuleStore`] on SQLite. Times are UTC milliseconds; matcher and action JSON text.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Row, SqlitePool};

use crate::accounts::model::AccountId;
use crate::store::replies::{ReplyRuleStore, RuleRecord};
use crate::store::StoreError;

pub struct SqliteReplyRuleStore {
    pool: SqlitePool,
}

impl SqliteReplyRuleStore {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

const COLUMNS: &str =
    "rule_id, account_id, name, priority, enabled, matcher, action, created_at, updated_at";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("reply rule {what}"))
}

fn time(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| corrupt("time"))
}

fn row_to_rule(row: &sqlx::sqlite::SqliteRow) -> Result<RuleRecord, StoreError> {
    let account: String = row.try_get("account_id")?;
    let matcher: String = row.try_get("matcher")?;
    let action: String = row.try_get("action")?;
    Ok(RuleRecord {
        rule_id: row.try_get("rule_id")?,
        account: AccountId::parse(&account).map_err(|_| corrupt("account_id"))?,
        name: row.try_get("name")?,
        priority: i32::try_from(row.try_get::<i64, _>("priority")?)
            .map_err(|_| corrupt("priority"))?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        matcher: serde_json::from_str(&matcher).map_err(|_| corrupt("matcher"))?,
        action: serde_json::from_str(&action).map_err(|_| corrupt("action"))?,
        created_at: time(row.try_get("created_at")?)?,
        updated_at: time(row.try_get("updated_at")?)?,
    })
}

#[async_trait]
impl ReplyRuleStore for SqliteReplyRuleStore {
    async fn insert(&self, rule: &RuleRecord) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO reply_rules ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&rule.rule_id)
        .bind(rule.account.as_str())
        .bind(&rule.name)
        .bind(i64::from(rule.priority))
        .bind(i64::from(rule.enabled))
        .bind(rule.matcher.to_string())
        .bind(rule.action.to_string())
        .bind(rule.created_at.timestamp_millis())
        .bind(rule.updated_at.timestamp_millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list(&self, account: &AccountId) -> Result<Vec<RuleRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM reply_rules WHERE account_id = ? ORDER BY priority, created_at, rule_id"
        ))
        .bind(account.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_rule).collect()
    }

    async fn get(
        &self,
        account: &AccountId,
        rule_id: &str,
    ) -> Result<Option<RuleRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM reply_rules WHERE account_id = ? AND rule_id = ?"
        ))
        .bind(account.as_str())
        .bind(rule_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row_to_rule).transpose()
    }

    async fn update(&self, rule: &RuleRecord) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE reply_rules SET name = ?, priority = ?, enabled = ?, matcher = ?, action = ?, updated_at = ?
             WHERE account_id = ? AND rule_id = ?",
        )
        .bind(&rule.name)
        .bind(i64::from(rule.priority))
        .bind(i64::from(rule.enabled))
        .bind(rule.matcher.to_string())
        .bind(rule.action.to_string())
        .bind(rule.updated_at.timestamp_millis())
        .bind(rule.account.as_str())
        .bind(&rule.rule_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete(&self, account: &AccountId, rule_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM reply_rules WHERE account_id = ? AND rule_id = ?")
            .bind(account.as_str())
            .bind(rule_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
