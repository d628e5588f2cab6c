//! Storage for passive reply rules (issue 6). Matchers and actions are stored as tagged JSON
//! (`replies::model`), so old rows decode after an upgrade.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::accounts::model::AccountId;
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq)]
pub struct RuleRecord {
    pub rule_id: String,
    pub account: AccountId,
    pub name: Option<String>,
    pub priority: i32,
    pub enabled: bool,
    pub matcher: serde_json::Value,
    pub action: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[async_trait]
pub trait ReplyRuleStore: Send + Sync + 'static {
    async fn insert(&self, rule: &RuleRecord) -> Result<(), StoreError>;
    /// The account's rules by priority (lower first), then creation.
    async fn list(&self, account: &AccountId) -> Result<Vec<RuleRecord>, StoreError>;
    async fn get(
        &self,
        account: &AccountId,
        rule_id: &str,
    ) -> Result<Option<RuleRecord>, StoreError>;
    /// `Ok(false)` when no such rule.
    async fn update(&self, rule: &RuleRecord) -> Result<bool, StoreError>;
    async fn delete(&self, account: &AccountId, rule_id: &str) -> Result<bool, StoreError>;
}
