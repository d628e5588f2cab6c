//! Reply rules: CRUD, and the decision for one inbound message.
//!
//! The callback hot path reads an account's rules from an in-process cache (compiled once,
//! refreshed after [`RULES_TTL`], dropped at once on a change made through this instance),
//! so answering a callback costs no query for its rules and no decryption of their secrets.
//!
//! A webhook rule has its own Standard Webhooks signing secret, sealed with the master key in
//! the rule's row. It is generated when the rule becomes a webhook rule, shown in that answer
//! only, and replaced by [`ReplyService::rotate_secret`] (the old one stops signing at once).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use wx_protocol::InboundMessage;

use super::error::ReplyError;
use super::model::{CompiledRule, ReplyRule, RuleAction, RuleId, RuleMatch};
use crate::accounts::model::AccountId;
use crate::callers::model::ClientId;
use crate::callers::service::CallerRemovalListener;
use crate::core::clock::SharedClock;
use crate::core::crypto::MasterKey;
use crate::core::signing::WebhookSecret;
use crate::core::InvalidField;
use crate::store::accounts::AccountStore;
use crate::store::replies::{ReplyRuleStore, RuleRecord, RuleViewer, SecretChange};
use crate::store::StoreError;
use crate::webhooks::url::{ensure_public, parse_endpoint_url};

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

/// A rule as created or changed, with its webhook signing secret when this change made one
/// (shown this once).
#[derive(Debug)]
pub struct SavedRule {
    pub rule: ReplyRule,
    pub webhook_secret: Option<WebhookSecret>,
}

/// What a callback should do: the matching rule, its action, and (for a webhook rule that has
/// one) the opened signing secret.
pub type Decision = (RuleId, RuleAction, Option<WebhookSecret>);

type RuleSet = Arc<Vec<CompiledRule>>;

#[derive(Clone)]
pub struct ReplyService {
    store: Arc<dyn ReplyRuleStore>,
    accounts: Arc<dyn AccountStore>,
    key: Option<MasterKey>,
    clock: SharedClock,
    cache: Arc<RwLock<HashMap<AccountId, (Instant, RuleSet)>>>,
    /// `webhooks.allow_private_urls`: whether a webhook rule may name a private address.
    allow_private_urls: bool,
}

/// The context a rule's secret is sealed under: it opens only in this rule's row.
fn secret_context(id: &RuleId) -> String {
    format!("reply_rule:{id}:webhook_secret")
}

fn millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

fn to_record(rule: &ReplyRule, sealed: Option<String>) -> Result<RuleRecord, ReplyError> {
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
        webhook_secret_sealed: sealed,
        owner: rule.owner.as_ref().map(|o| o.to_string()),
    })
}

fn from_record(r: RuleRecord) -> Result<ReplyRule, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("reply rule {} {what}", r.rule_id));
    let action: RuleAction =
        serde_json::from_value(r.action.clone()).map_err(|_| corrupt("action"))?;
    let owner = r
        .owner
        .as_deref()
        .map(ClientId::parse)
        .transpose()
        .map_err(|_| corrupt("owner"))?;
    Ok(ReplyRule {
        id: RuleId::parse(&r.rule_id).map_err(|_| corrupt("id"))?,
        owner,
        matcher: serde_json::from_value(r.matcher.clone()).map_err(|_| corrupt("matcher"))?,
        webhook_secret_set: action
            .is_webhook()
            .then_some(r.webhook_secret_sealed.is_some()),
        action,
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
        accounts: Arc<dyn AccountStore>,
        key: Option<MasterKey>,
        clock: SharedClock,
        allow_private_urls: bool,
    ) -> Self {
        ReplyService {
            store,
            accounts,
            key,
            clock,
            cache: Arc::new(RwLock::new(HashMap::new())),
            allow_private_urls,
        }
    }

    /// Refuses a webhook action whose URL names or resolves to a private address when the
    /// config forbids those: the check event-webhook registration makes.
    async fn check_webhook_url(&self, action: &RuleAction) -> Result<(), ReplyError> {
        let RuleAction::Webhook { url, .. } = action else {
            return Ok(());
        };
        if !self.allow_private_urls {
            let url = parse_endpoint_url(url)?;
            ensure_public(&url).await.map_err(InvalidField::from)?;
        }
        Ok(())
    }

    /// A fresh secret for rule `id`, and its sealed text for the row.
    fn new_secret(&self, id: &RuleId) -> Result<(WebhookSecret, String), ReplyError> {
        let key = self.key.as_ref().ok_or(ReplyError::NoMasterKey)?;
        let secret = WebhookSecret::generate();
        let sealed = key
            .seal(&secret_context(id), secret.expose())
            .map_err(|_| ReplyError::WrongMasterKey)?;
        Ok((secret, sealed))
    }

    fn open_secret(&self, id: &RuleId, sealed: &str) -> Result<WebhookSecret, ReplyError> {
        let key = self.key.as_ref().ok_or(ReplyError::NoMasterKey)?;
        let text = key
            .open(&secret_context(id), sealed)
            .map_err(|_| ReplyError::WrongMasterKey)?;
        WebhookSecret::parse(text.expose()).map_err(|_| ReplyError::WrongMasterKey)
    }

    async fn require_account(&self, account: &AccountId) -> Result<(), ReplyError> {
        match self.accounts.get(account).await? {
            Some(_) => Ok(()),
            None => Err(ReplyError::AccountNotFound(account.clone())),
        }
    }

    fn forget(&self, account: &AccountId) {
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(account);
    }

    /// Drops every cached rule set (after rules were deleted behind the service's back,
    /// e.g. with their caller).
    fn forget_all(&self) {
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Adds a rule owned by `owner` (`None`: the admin).
    pub async fn create(
        &self,
        account: &AccountId,
        owner: Option<ClientId>,
        new: NewRule,
    ) -> Result<SavedRule, ReplyError> {
        self.require_account(account).await?;
        new.matcher.validate()?;
        new.action.validate()?;
        self.check_webhook_url(&new.action).await?;
        let now = millis(self.clock.now());
        let id = RuleId::generate();
        let secret = new
            .action
            .is_webhook()
            .then(|| self.new_secret(&id))
            .transpose()?;
        let rule = ReplyRule {
            webhook_secret_set: new.action.is_webhook().then_some(true),
            id,
            account: account.clone(),
            name: new.name,
            priority: new.priority,
            enabled: new.enabled,
            matcher: new.matcher,
            action: new.action,
            created_at: now,
            updated_at: now,
            owner,
        };
        let (webhook_secret, sealed) = secret.unzip();
        self.store.insert(&to_record(&rule, sealed)?).await?;
        self.forget(account);
        Ok(SavedRule {
            rule,
            webhook_secret,
        })
    }

    /// The account's rules that `viewer` may see, in the order they are tried.
    pub async fn list(
        &self,
        account: &AccountId,
        viewer: RuleViewer<'_>,
    ) -> Result<Vec<ReplyRule>, ReplyError> {
        self.require_account(account).await?;
        let records = self.store.list(account).await?;
        Ok(records
            .into_iter()
            .filter(|r| viewer.sees(r))
            .map(from_record)
            .collect::<Result<_, _>>()?)
    }

    /// One rule; another caller's rule is not found, exactly like a missing one.
    pub async fn get(
        &self,
        account: &AccountId,
        id: &RuleId,
        viewer: RuleViewer<'_>,
    ) -> Result<ReplyRule, ReplyError> {
        let record = self
            .store
            .get(account, id.as_str())
            .await?
            .filter(|r| viewer.sees(r))
            .ok_or_else(|| ReplyError::NotFound(id.to_string()))?;
        Ok(from_record(record)?)
    }

    /// Applies `patch`. A rule that becomes a webhook rule gets a new secret (in the answer);
    /// one that stops being one loses its secret.
    pub async fn update(
        &self,
        account: &AccountId,
        id: &RuleId,
        viewer: RuleViewer<'_>,
        patch: RulePatch,
    ) -> Result<SavedRule, ReplyError> {
        let mut rule = self.get(account, id, viewer).await?;
        let was_webhook = rule.action.is_webhook();
        let was_wechat = rule.action.is_wechat_webhook();
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
            self.check_webhook_url(&a).await?;
            rule.action = a;
        }
        rule.updated_at = millis(self.clock.now());
        let (change, sealed, webhook_secret) = match (was_webhook, rule.action.is_webhook()) {
            (false, true) => {
                let (secret, sealed) = self.new_secret(id)?;
                rule.webhook_secret_set = Some(true);
                (SecretChange::Replace, Some(sealed), Some(secret))
            }
            (true, false) => {
                rule.webhook_secret_set = None;
                (SecretChange::Replace, None, None)
            }
            // Becoming a WeChat-format webhook: a new secret, so its relay token is shown.
            (true, true) if rule.action.is_wechat_webhook() && !was_wechat => {
                let (secret, sealed) = self.new_secret(id)?;
                rule.webhook_secret_set = Some(true);
                (SecretChange::Replace, Some(sealed), Some(secret))
            }
            (true, true) | (false, false) => (SecretChange::Keep, None, None),
        };
        if !self
            .store
            .update(&to_record(&rule, sealed)?, change)
            .await?
        {
            return Err(ReplyError::NotFound(id.to_string()));
        }
        self.forget(account);
        Ok(SavedRule {
            rule,
            webhook_secret,
        })
    }

    /// A new signing secret for a webhook rule; the old one stops signing at once on this
    /// instance, and within [`RULES_TTL`] on the others.
    pub async fn rotate_secret(
        &self,
        account: &AccountId,
        id: &RuleId,
        viewer: RuleViewer<'_>,
    ) -> Result<WebhookSecret, ReplyError> {
        let rule = self.get(account, id, viewer).await?;
        if !rule.action.is_webhook() {
            return Err(ReplyError::NotAWebhook(id.to_string()));
        }
        let (secret, sealed) = self.new_secret(id)?;
        let now = millis(self.clock.now());
        if !self
            .store
            .set_webhook_secret(account, id.as_str(), &sealed, now)
            .await?
        {
            return Err(ReplyError::NotFound(id.to_string()));
        }
        self.forget(account);
        tracing::info!(account = %account, rule = %id, "reply webhook secret rotated");
        Ok(secret)
    }

    pub async fn delete(
        &self,
        account: &AccountId,
        id: &RuleId,
        viewer: RuleViewer<'_>,
    ) -> Result<(), ReplyError> {
        self.get(account, id, viewer).await?;
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
            let sealed = record.webhook_secret_sealed.clone();
            let rule = match from_record(record) {
                Ok(rule) => rule,
                Err(e) => {
                    tracing::warn!(account = %account, error = %e, "skipping an unreadable reply rule");
                    continue;
                }
            };
            // A webhook rule whose secret does not open is skipped rather than asked unsigned.
            let secret = match sealed.filter(|_| rule.action.is_webhook()) {
                None => None,
                Some(sealed) => match self.open_secret(&rule.id, &sealed) {
                    Ok(secret) => Some(secret),
                    Err(e) => {
                        tracing::warn!(account = %account, rule = %rule.id, error = %e, "skipping a reply rule whose webhook secret does not open");
                        continue;
                    }
                },
            };
            compiled.push(CompiledRule::new(rule, secret));
        }
        let set = Arc::new(compiled);
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(account.clone(), (Instant::now(), set.clone()));
        Ok(set)
    }

    /// The first enabled rule matching `message`, if any: its action, and the opened secret
    /// that signs a webhook action's request.
    pub async fn decide(
        &self,
        account: &AccountId,
        message: &InboundMessage,
        event_type: &str,
    ) -> Result<Option<Decision>, StoreError> {
        let rules = self.rules(account).await?;
        Ok(rules
            .iter()
            .find(|r| r.matches(message, event_type))
            .map(|r| (r.rule.id.clone(), r.rule.action.clone(), r.secret.clone())))
    }
}

/// A removed caller's rules went with it in the store: stop evaluating this instance's
/// cached copies at once (other instances within [`RULES_TTL`]).
impl CallerRemovalListener for ReplyService {
    fn caller_removed(&self, _: &ClientId) {
        self.forget_all();
    }
}
