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
    /// A webhook rule's signing secret, sealed with the master key; `None` for reply rules and
    /// for webhook rules stored before secrets existed.
    pub webhook_secret_sealed: Option<String>,
    /// The caller that made the rule (its client id); `None` for the admin's rules.
    pub owner: Option<String>,
}

/// What an update does to the stored webhook secret. Keeping it by default means an edit that
/// read the rule before a rotation cannot write the old secret back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretChange {
    Keep,
    /// Write the record's `webhook_secret_sealed`, `None` included.
    Replace,
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
    /// Writes every field; the secret only with [`SecretChange::Replace`]. `Ok(false)` when no
    /// such rule.
    async fn update(&self, rule: &RuleRecord, secret: SecretChange) -> Result<bool, StoreError>;
    /// Replaces the sealed webhook secret (rotation). `Ok(false)` when no such rule.
    async fn set_webhook_secret(
        &self,
        account: &AccountId,
        rule_id: &str,
        sealed: &str,
        updated_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn delete(&self, account: &AccountId, rule_id: &str) -> Result<bool, StoreError>;
}

/// Who asks for a rule: the admin sees every rule of an account, a caller only its own.
#[derive(Debug, Clone, Copy)]
pub enum RuleViewer<'a> {
    Admin,
    Owner(&'a str),
}

impl RuleViewer<'_> {
    /// Whether this viewer may see and change `rule`.
    pub fn sees(&self, rule: &RuleRecord) -> bool {
        match self {
            RuleViewer::Admin => true,
            RuleViewer::Owner(owner) => rule.owner.as_deref() == Some(*owner),
        }
    }
}
