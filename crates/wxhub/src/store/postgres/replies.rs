//! [`ReplyRuleStore`] on PostgreSQL; matcher and action as JSON text.

use async_trait::async_trait;
use sqlx::{PgPool, Row};

use crate::accounts::model::AccountId;
use crate::store::replies::{ReplyRuleStore, RuleRecord};
use crate::store::StoreError;

pub struct PgReplyRuleStore {
    pool: PgPool,
}

impl PgReplyRuleStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

const COLUMNS: &str =
    "rule_id, account_id, name, priority, enabled, matcher, action, created_at, updated_at";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("reply rule {what}"))
}

fn row_to_rule(row: &sqlx::postgres::PgRow) -> Result<RuleRecord, StoreError> {
    let account: String = row.try_get("account_id")?;
    let matcher: String = row.try_get("matcher")?;
    let action: String = row.try_get("action")?;
    Ok(RuleRecord {
        rule_id: row.try_get("rule_id")?,
        account: AccountId::parse(&account).map_err(|_| corrupt("account_id"))?,
        name: row.try_get("name")?,
        priority: row.try_get("priority")?,
        enabled: row.try_get("enabled")?,
        matcher: serde_json::from_str(&matcher).map_err(|_| corrupt("matcher"))?,
        action: serde_json::from_str(&action).map_err(|_| corrupt("action"))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

#[async_trait]
impl ReplyRuleStore for PgReplyRuleStore {
    async fn insert(&self, rule: &RuleRecord) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO reply_rules ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(&rule.rule_id)
        .bind(rule.account.as_str())
        .bind(&rule.name)
        .bind(rule.priority)
        .bind(rule.enabled)
        .bind(rule.matcher.to_string())
        .bind(rule.action.to_string())
        .bind(rule.created_at)
        .bind(rule.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list(&self, account: &AccountId) -> Result<Vec<RuleRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM reply_rules WHERE account_id = $1 ORDER BY priority, created_at, rule_id"
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
            "SELECT {COLUMNS} FROM reply_rules WHERE account_id = $1 AND rule_id = $2"
        ))
        .bind(account.as_str())
        .bind(rule_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row_to_rule).transpose()
    }

    async fn update(&self, rule: &RuleRecord) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE reply_rules SET name = $1, priority = $2, enabled = $3, matcher = $4, action = $5, updated_at = $6
             WHERE account_id = $7 AND rule_id = $8",
        )
        .bind(&rule.name)
        .bind(rule.priority)
        .bind(rule.enabled)
        .bind(rule.matcher.to_string())
        .bind(rule.action.to_string())
        .bind(rule.updated_at)
        .bind(rule.account.as_str())
        .bind(&rule.rule_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete(&self, account: &AccountId, rule_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM reply_rules WHERE account_id = $1 AND rule_id = $2")
            .bind(account.as_str())
            .bind(rule_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
