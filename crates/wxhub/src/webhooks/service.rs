//! Managing webhook endpoints: register, change, rotate, delete, list their deliveries and
//! attempts, and replay.
//!
//! Visibility is by owner: a caller sees the endpoints it registered, the admin (`viewer =
//! None`) sees all; anything else is "not found", so existence never leaks. Routes check the
//! caller's scope and accounts before calling in.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Duration as ChronoDuration, Utc};

use crate::accounts::model::AccountId;
use crate::core::clock::SharedClock;
use crate::core::crypto::{CryptoError, MasterKey};
use crate::core::signing::WebhookSecret;
use crate::store::accounts::AccountStore;
use crate::store::webhooks::{EndpointRecord, WebhookStore};
use crate::webhooks::config::WebhooksConfig;
use crate::webhooks::error::WebhookError;
use crate::webhooks::model::{
    Attempt, AttemptId, Delivery, DeliveryId, DeliveryStatus, Endpoint, EndpointHealth, EndpointId,
    Filter,
};
use crate::webhooks::url::{ensure_public, parse_endpoint_url};

/// A validated registration.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub url: url::Url,
    pub filter: Filter,
    pub description: Option<String>,
}

/// A validated change; `None` fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct EndpointChange {
    pub url: Option<url::Url>,
    pub accounts: Option<BTreeSet<AccountId>>,
    pub event_types: Option<BTreeSet<String>>,
    pub qr_sources: Option<BTreeSet<u8>>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
}

/// A new endpoint with its secret, shown this once.
#[derive(Debug)]
pub struct CreatedEndpoint {
    pub endpoint: Endpoint,
    pub secret: WebhookSecret,
}

/// The context a secret is sealed under: it opens only in this endpoint's row.
pub(crate) fn secret_context(id: &EndpointId) -> String {
    format!("webhook:{id}:secret")
}

#[derive(Clone)]
pub struct WebhookService {
    store: Arc<dyn WebhookStore>,
    accounts: Arc<dyn AccountStore>,
    key: Option<MasterKey>,
    clock: SharedClock,
    config: WebhooksConfig,
}

impl WebhookService {
    pub fn new(
        store: Arc<dyn WebhookStore>,
        accounts: Arc<dyn AccountStore>,
        key: Option<MasterKey>,
        clock: SharedClock,
        config: WebhooksConfig,
    ) -> Self {
        WebhookService {
            store,
            accounts,
            key,
            clock,
            config,
        }
    }

    fn key(&self) -> Result<&MasterKey, WebhookError> {
        self.key.as_ref().ok_or(WebhookError::NoMasterKey)
    }

    fn seal(&self, id: &EndpointId, secret: &WebhookSecret) -> Result<String, WebhookError> {
        self.key()?
            .seal(&secret_context(id), secret.expose())
            .map_err(|_| WebhookError::WrongMasterKey)
    }

    /// Parses a URL and applies the private-address rule.
    pub async fn check_url(&self, raw: &str) -> Result<url::Url, WebhookError> {
        let url = parse_endpoint_url(raw)?;
        if !self.config.allow_private_urls {
            ensure_public(&url).await?;
        }
        Ok(url)
    }

    async fn check_accounts(&self, accounts: &BTreeSet<AccountId>) -> Result<(), WebhookError> {
        for account in accounts {
            if self.accounts.get(account).await?.is_none() {
                return Err(WebhookError::UnknownAccount(account.clone()));
            }
        }
        Ok(())
    }

    pub async fn create(
        &self,
        new: NewEndpoint,
        owner: Option<String>,
    ) -> Result<CreatedEndpoint, WebhookError> {
        self.check_accounts(&new.filter.accounts).await?;
        if !self.config.allow_private_urls {
            ensure_public(&new.url).await?;
        }
        let id = EndpointId::generate();
        let secret = WebhookSecret::generate();
        let now = self.clock.now();
        let endpoint = Endpoint {
            id: id.clone(),
            url: new.url.to_string(),
            filter: new.filter,
            description: new.description,
            enabled: true,
            owner,
            health: EndpointHealth::Healthy,
            consecutive_failures: 0,
            failing_since: None,
            created_at: now,
            updated_at: now,
        };
        let record = EndpointRecord {
            endpoint: endpoint.clone(),
            secret_sealed: self.seal(&id, &secret)?,
            previous_secret_sealed: None,
            previous_secret_expires_at: None,
        };
        self.store.insert_endpoint(&record).await?;
        tracing::info!(endpoint = %id, "webhook endpoint registered");
        Ok(CreatedEndpoint { endpoint, secret })
    }

    /// The endpoint if `viewer` may see it (`None`: the admin sees every one).
    async fn visible(
        &self,
        id: &EndpointId,
        viewer: Option<&str>,
    ) -> Result<EndpointRecord, WebhookError> {
        match self.store.get_endpoint(id).await? {
            Some(r) if viewer.is_none() || r.endpoint.owner.as_deref() == viewer => Ok(r),
            _ => Err(WebhookError::NotFound(id.to_string())),
        }
    }

    pub async fn get(
        &self,
        id: &EndpointId,
        viewer: Option<&str>,
    ) -> Result<Endpoint, WebhookError> {
        Ok(self.visible(id, viewer).await?.endpoint)
    }

    pub async fn list(
        &self,
        viewer: Option<&str>,
        after: Option<&EndpointId>,
        limit: u32,
    ) -> Result<Vec<Endpoint>, WebhookError> {
        Ok(self
            .store
            .list_endpoints(viewer, after, limit)
            .await?
            .into_iter()
            .map(|r| r.endpoint)
            .collect())
    }

    pub async fn update(
        &self,
        id: &EndpointId,
        viewer: Option<&str>,
        change: EndpointChange,
    ) -> Result<Endpoint, WebhookError> {
        let mut record = self.visible(id, viewer).await?;
        let e = &mut record.endpoint;
        if let Some(url) = change.url {
            if !self.config.allow_private_urls {
                ensure_public(&url).await?;
            }
            e.url = url.to_string();
        }
        if let Some(accounts) = change.accounts {
            self.check_accounts(&accounts).await?;
            e.filter.accounts = accounts;
        }
        if let Some(types) = change.event_types {
            e.filter.event_types = types;
        }
        if let Some(sources) = change.qr_sources {
            e.filter.qr_sources = sources;
        }
        if let Some(description) = change.description {
            e.description = description;
        }
        if let Some(enabled) = change.enabled {
            e.enabled = enabled;
        }
        e.updated_at = self.clock.now();
        if !self.store.update_endpoint(&record).await? {
            return Err(WebhookError::NotFound(id.to_string()));
        }
        Ok(record.endpoint)
    }

    /// A new secret; the old one keeps signing (alongside) for the configured grace period.
    pub async fn rotate_secret(
        &self,
        id: &EndpointId,
        viewer: Option<&str>,
    ) -> Result<WebhookSecret, WebhookError> {
        let mut record = self.visible(id, viewer).await?;
        let now = self.clock.now();
        let secret = WebhookSecret::generate();
        let grace = i64::try_from(self.config.rotated_secret_grace_secs).unwrap_or(i64::MAX);
        record.previous_secret_sealed = Some(record.secret_sealed.clone());
        record.previous_secret_expires_at =
            Some(now + ChronoDuration::try_seconds(grace).unwrap_or(ChronoDuration::days(1)));
        record.secret_sealed = self.seal(id, &secret)?;
        record.endpoint.updated_at = now;
        if !self.store.update_endpoint(&record).await? {
            return Err(WebhookError::NotFound(id.to_string()));
        }
        tracing::info!(endpoint = %id, "webhook secret rotated");
        Ok(secret)
    }

    pub async fn delete(&self, id: &EndpointId, viewer: Option<&str>) -> Result<(), WebhookError> {
        self.visible(id, viewer).await?;
        if !self.store.delete_endpoint(id).await? {
            return Err(WebhookError::NotFound(id.to_string()));
        }
        tracing::info!(endpoint = %id, "webhook endpoint deleted");
        Ok(())
    }

    pub async fn deliveries(
        &self,
        id: &EndpointId,
        viewer: Option<&str>,
        status: Option<DeliveryStatus>,
        before: Option<&DeliveryId>,
        limit: u32,
    ) -> Result<Vec<Delivery>, WebhookError> {
        self.visible(id, viewer).await?;
        Ok(self
            .store
            .list_deliveries(id, status, before, limit)
            .await?)
    }

    pub async fn delivery(
        &self,
        id: &EndpointId,
        viewer: Option<&str>,
        delivery: &DeliveryId,
    ) -> Result<Delivery, WebhookError> {
        self.visible(id, viewer).await?;
        self.store
            .get_delivery(id, delivery)
            .await?
            .ok_or_else(|| WebhookError::DeliveryNotFound(delivery.to_string()))
    }

    pub async fn attempts(
        &self,
        id: &EndpointId,
        viewer: Option<&str>,
        delivery: Option<&DeliveryId>,
        before: Option<&AttemptId>,
        limit: u32,
    ) -> Result<Vec<Attempt>, WebhookError> {
        self.visible(id, viewer).await?;
        Ok(self
            .store
            .list_attempts(id, delivery, before, limit)
            .await?)
    }

    /// Sends one delivery again, whatever its state, from the start of the schedule.
    pub async fn replay_delivery(
        &self,
        id: &EndpointId,
        viewer: Option<&str>,
        delivery: &DeliveryId,
    ) -> Result<(), WebhookError> {
        self.visible(id, viewer).await?;
        if !self
            .store
            .replay_delivery(id, delivery, self.clock.now())
            .await?
        {
            return Err(WebhookError::DeliveryNotFound(delivery.to_string()));
        }
        tracing::info!(endpoint = %id, delivery = %delivery, "delivery replayed");
        Ok(())
    }

    /// Sends again every failing or dead delivery created since `since`; returns how many.
    pub async fn replay_failed(
        &self,
        id: &EndpointId,
        viewer: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<u64, WebhookError> {
        self.visible(id, viewer).await?;
        let n = self
            .store
            .replay_failed(id, since, self.clock.now())
            .await?;
        tracing::info!(endpoint = %id, replayed = n, %since, "failed deliveries replayed");
        Ok(n)
    }
}

/// Opens an endpoint's signing secrets: the current one, plus the previous one while it is in
/// its grace period.
pub(crate) fn open_secrets(
    key: &MasterKey,
    record: &EndpointRecord,
    now: DateTime<Utc>,
) -> Result<Vec<WebhookSecret>, WebhookError> {
    let context = secret_context(&record.endpoint.id);
    let open = |sealed: &str| -> Result<WebhookSecret, WebhookError> {
        let text = key.open(&context, sealed).map_err(|e| match e {
            CryptoError::WrongKey | CryptoError::BadKey | CryptoError::Malformed => {
                WebhookError::WrongMasterKey
            }
        })?;
        WebhookSecret::parse(text.expose()).map_err(|_| WebhookError::WrongMasterKey)
    };
    let mut secrets = vec![open(&record.secret_sealed)?];
    if let (Some(previous), Some(until)) = (
        &record.previous_secret_sealed,
        record.previous_secret_expires_at,
    ) {
        if until > now {
            secrets.push(open(previous)?);
        }
    }
    Ok(secrets)
}
