//! Reply rules: CRUD, and the decision for one inbound message.
//!
//! The callback hot path reads an account's rules from an in-process cache (compiled once,
//! refreshed after [`RULES_TTL`], dropped at once on a change made through this instance),
//! so answering a callback costs no query for its rules.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use wx_protocol::InboundMessage;

use super::error::ReplyError;
use super::model::{CompiledRule, ReplyRule, RuleAction, RuleId, RuleMatch};
use crate::accounts::model::AccountId;
use crate::accounts::{AccountError, AccountService};
use crate::clock::SharedClock;
use crate::store::replies::{ReplyRuleStore, RuleRecord};
use crate::store::StoreError;

/// How long another instance's rule change may take to reach this one.
pub const RULES_TTL: Duration = Duration::from_secs(5);

/// A new rule, validated by the route.
#[derive(Debug, Clone)]
pub struct NewRule {
    pub name: Option<String>,
    pub priority: i32,
    pub enabled: bool,
    pub matcher: RuleMatch,
    pub action: RuleAction,
}

/// A change to a rule; `None` keeps the field.
#[derive(Debug, Clone, Default)]
pub struct RulePatch {
    pub name: Option<Option<String>>,
    pub priority: Option<i32>,
    pub enabled: Option<bool>,
    pub matcher: Option<RuleMatch>,
    pub action: Option<RuleAction>,
}

type RuleSet = Arc<Vec<CompiledRule>>;

#[derive(Clone)]
pub struct ReplyService {
    store: Arc<dyn ReplyRuleStore>,
    accounts: AccountService,
    clock: SharedClock,
    cache: Arc<RwLock<HashMap<AccountId, (Instant, RuleSet)>>>,
}

fn millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

fn to_record(rule: &ReplyRule) -> Result<RuleRecord, ReplyError> {
    let json = |v: serde_json::Result<serde_json::Value>| {
        v.map_err(|e| ReplyError::Store(StoreError::Corrupt(format!("encoding a rule: {e}"))))
    };
    Ok(RuleRecord {
        rule_id: rule.id.to_string(),
        account: rule.account.clone(),
        name: rule.name.clone(),
        priority: rule.priority,
        enabled: rule.enabled,
        matcher: json(serde_json::to_value(&rule.matcher))?,
        action: json(serde_json::to_value(&rule.action))?,
        created_at: rule.created_at,
        updated_at: rule.updated_at,
    })
}

fn from_record(r: RuleRecord) -> Result<ReplyRule, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("reply rule {} {what}", r.rule_id));
    Ok(ReplyRule {
        id: RuleId::parse(&r.rule_id).map_err(|_| corrupt("id"))?,
        matcher: serde_json::from_value(r.matcher.clone()).map_err(|_| corrupt("matcher"))?,
        action: serde_json::from_value(r.action.clone()).map_err(|_| corrupt("action"))?,
        account: r.account,
        name: r.name,
        priority: r.priority,
        enabled: r.enabled,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

impl ReplyService {
    pub fn new(
        store: Arc<dyn ReplyRuleStore>,
        accounts: AccountService,
        clock: SharedClock,
    ) -> Self {
        ReplyService {
            store,
            accounts,
            clock,
            cache: Arc::new(RwLock::new(HashMap::new())),
        }
    }

    async fn require_account(&self, account: &AccountId) -> Result<(), ReplyError> {
        match self.accounts.exists(account).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(ReplyError::AccountNotFound(account.clone())),
            Err(AccountError::NotFound(_)) => Err(ReplyError::AccountNotFound(account.clone())),
            Err(e) => Err(ReplyError::Account(e)),
        }
    }

    fn forget(&self, account: &AccountId) {
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(account);
    }

    pub async fn create(&self, account: &AccountId, new: NewRule) -> Result<ReplyRule, ReplyError> {
        self.require_account(account).await?;
        new.matcher.validate()?;
        new.action.validate()?;
        let now = millis(self.clock.now());
        let rule = ReplyRule {
            id: RuleId::new(),
            account: account.clone(),
            name: new.name,
            priority: new.priority,
            enabled: new.enabled,
            matcher: new.matcher,
            action: new.action,
            created_at: now,
            updated_at: now,
        };
        self.store.insert(&to_record(&rule)?).await?;
        self.forget(account);
        Ok(rule)
    }

    pub async fn list(&self, account: &AccountId) -> Result<Vec<ReplyRule>, ReplyError> {
        self.require_account(account).await?;
        let records = self.store.list(account).await?;
        Ok(records
            .into_iter()
            .map(from_record)
            .collect::<Result<_, _>>()?)
    }

    pub async fn get(&self, account: &AccountId, id: &RuleId) -> Result<ReplyRule, ReplyError> {
        let record = self
            .store
            .get(account, id.as_str())
            .await?
            .ok_or_else(|| ReplyError::NotFound(id.to_string()))?;
        Ok(from_record(record)?)
    }

    pub async fn update(
        &self,
        account: &AccountId,
        id: &RuleId,
        patch: RulePatch,
    ) -> Result<ReplyRule, ReplyError> {
        let mut rule = self.get(account, id).await?;
        if let Some(name) = patch.name {
            rule.name = name;
        }
        if let Some(p) = patch.priority {
            rule.priority = p;
        }
        if let Some(e) = patch.enabled {
            rule.enabled = e;
        }
        if let Some(m) = patch.matcher {
            m.validate()?;
            rule.matcher = m;
        }
        if let Some(a) = patch.action {
            a.validate()?;
            rule.action = a;
        }
        rule.updated_at = millis(self.clock.now());
        if !self.store.update(&to_record(&rule)?).await? {
            return Err(ReplyError::NotFound(id.to_string()));
        }
        self.forget(account);
        Ok(rule)
    }

    pub async fn delete(&self, account: &AccountId, id: &RuleId) -> Result<(), ReplyError> {
        if !self.store.delete(account, id.as_str()).await? {
            return Err(ReplyError::NotFound(id.to_string()));
        }
        self.forget(account);
        Ok(())
    }

    async fn rules(&self, account: &AccountId) -> Result<RuleSet, StoreError> {
        if let Some((at, set)) = self
            .cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(account)
        {
            if at.elapsed() < RULES_TTL {
                return Ok(set.clone());
            }
        }
        let mut compiled = Vec::new();
        for record in self.store.list(account).await? {
            match from_record(record) {
                Ok(rule) => compiled.push(CompiledRule::new(rule)),
                Err(e) => {
                    tracing::warn!(account = %account, error = %e, "skipping an unreadable reply rule")
                }
            }
        }
        let set = Arc::new(compiled);
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(account.clone(), (Instant::now(), set.clone()));
        Ok(set)
    }

    /// The action of the first enabled rule matching `message`, if any.
    pub async fn decide(
        &self,
        account: &AccountId,
        message: &InboundMessage,
        event_type: &str,
    ) -> Result<Option<(RuleId, RuleAction)>, StoreError> {
        let rules = self.rules(account).await?;
        Ok(rules
            .iter()
            .find(|r| r.matches(message, event_type))
            .map(|r| (r.rule.id.clone(), r.rule.action.clone())))
    }
}
