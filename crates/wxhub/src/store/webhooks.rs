//! Storage for webhook endpoints, deliveries and attempts: the traits (no SQL).
//!
//! Fan-out is one transaction ([`FanOutTx`]): claim undispatched events (`FOR UPDATE SKIP
//! LOCKED` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), create one delivery per matching
//! endpoint, let the service publish to the bus, and mark the events dispatched on commit.
//! A crash before commit leaves the events undispatched, so they fan out again (deliveries are
//! unique per endpoint and event, and the bus dedups on the event id).
//!
//! Dispatch claims due deliveries with a lease; [`WebhookStore::record_attempts`] stores the
//! attempt, moves the delivery on and updates the endpoint's health in one transaction. A
//! worker that dies mid-attempt leaves a lease that expires, and the delivery is tried again.

use std::collections::{BTreeSet, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::accounts::model::AccountId;
use crate::core::InvalidField;
use crate::events::model::{EventId, StoredEvent};
use crate::jobs::model::InstanceId;
use crate::store::sql::{stored_time, Columns};
use crate::store::StoreError;
use crate::webhooks::model::{
    Attempt, AttemptId, AttemptOutcome, Delivery, DeliveryId, DeliveryStatus, Endpoint,
    EndpointHealth, EndpointId, Filter, NewDelivery,
};

/// An endpoint as stored: public fields plus its sealed secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRecord {
    pub endpoint: Endpoint,
    pub secret_sealed: String,
    /// The secret before the last rotation, still signed with until it expires.
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
}

/// A claimed delivery with what is needed to send it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub delivery: Delivery,
    pub endpoint: EndpointRecord,
    /// The event's normalised JSON exactly as stored: the body that is signed and sent.
    pub payload: String,
}

/// The state a delivery moves to after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryUpdate {
    pub status: DeliveryStatus,
    pub step: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// The endpoint's health before and after an attempt was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthChange {
    pub before: EndpointHealth,
    pub after: EndpointHealth,
    pub consecutive_failures: i64,
}

/// One fan-out transaction. Dropping it without [`FanOutTx::commit`] rolls back.
#[async_trait]
pub trait FanOutTx: Send {
    /// The claimed events, oldest first.
    fn events(&self) -> &[StoredEvent];
    /// Every enabled endpoint.
    async fn endpoints(&mut self) -> Result<Vec<Endpoint>, StoreError>;
    /// Creates deliveries; one that already exists for its (endpoint, event) is skipped.
    async fn insert_deliveries(&mut self, deliveries: &[NewDelivery]) -> Result<(), StoreError>;
    /// Marks the claimed events dispatched at `now` and commits.
    async fn commit(self: Box<Self>, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Gives the events back undispatched, releasing their locks now (dropping also rolls
    /// back, but only once the connection is next used).
    async fn rollback(self: Box<Self>) -> Result<(), StoreError>;
}

#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    async fn insert_endpoint(&self, record: &EndpointRecord) -> Result<(), StoreError>;
    async fn get_endpoint(&self, id: &EndpointId) -> Result<Option<EndpointRecord>, StoreError>;
    /// Endpoints by id (creation order) after `after`; only `owner`'s when given.
    async fn list_endpoints(
        &self,
        owner: Option<&str>,
        after: Option<&EndpointId>,
        limit: u32,
    ) -> Result<Vec<EndpointRecord>, StoreError>;
    /// Replaces the endpoint's row (url, filter, enabled, secrets, updated_at). `Ok(false)`
    /// when there is none.
    async fn update_endpoint(&self, record: &EndpointRecord) -> Result<bool, StoreError>;
    /// Deletes the endpoint with its deliveries and attempts.
    async fn delete_endpoint(&self, id: &EndpointId) -> Result<bool, StoreError>;

    /// Opens a fan-out transaction over up to `limit` undispatched events.
    async fn begin_fan_out(&self, limit: u32) -> Result<Box<dyn FanOutTx>, StoreError>;

    /// Claims up to `limit` deliveries due at `now` (pending or failing, lease free, endpoint
    /// enabled), leasing them to `holder` until `lease_until`. A disabled endpoint's
    /// deliveries wait.
    async fn claim_due(
        &self,
        holder: &InstanceId,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError>;
    /// The earliest `next_attempt_at` of a pending or failing delivery of an enabled endpoint.
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// Stores each attempt, applies its update to its delivery (releasing the lease) and
    /// updates the endpoint's health, all in one transaction; one health change per attempt,
    /// in order. A success resets the health; a failure counts, and the endpoint becomes
    /// failing once `failing_after` consecutive attempts failed or the delivery died.
    async fn record_attempts(
        &self,
        attempts: &[(Attempt, DeliveryUpdate)],
        failing_after: i64,
    ) -> Result<Vec<HealthChange>, StoreError>;

    /// [`WebhookStore::record_attempts`] for one attempt.
    async fn record_attempt(
        &self,
        attempt: &Attempt,
        update: &DeliveryUpdate,
        failing_after: i64,
    ) -> Result<HealthChange, StoreError> {
        self.record_attempts(&[(attempt.clone(), update.clone())], failing_after)
            .await?
            .pop()
            .ok_or_else(|| StoreError::Corrupt("no health change for a stored attempt".into()))
    }

    async fn get_delivery(
        &self,
        endpoint: &EndpointId,
        id: &DeliveryId,
    ) -> Result<Option<Delivery>, StoreError>;
    /// Newest first, before `before`.
    async fn list_deliveries(
        &self,
        endpoint: &EndpointId,
        status: Option<DeliveryStatus>,
        before: Option<&DeliveryId>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// Newest first, before `before`; only `delivery`'s when given.
    async fn list_attempts(
        &self,
        endpoint: &EndpointId,
        delivery: Option<&DeliveryId>,
        before: Option<&AttemptId>,
        limit: u32,
    ) -> Result<Vec<Attempt>, StoreError>;
    /// Puts one delivery back to `pending`, due at `now`, at the start of the schedule.
    async fn replay_delivery(
        &self,
        endpoint: &EndpointId,
        id: &DeliveryId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Replays every failing or dead delivery of `endpoint` created at or after `since`.
    async fn replay_failed(
        &self,
        endpoint: &EndpointId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}

/// Which accounts' events each caller may receive now (from `sql::webhooks::EVENT_GRANTS`).
#[derive(Debug, Default, Clone)]
pub struct EventGrants(HashSet<(String, String)>);

impl EventGrants {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        EventGrants(pairs.into_iter().collect())
    }

    /// Narrows a caller-owned endpoint's filter to the accounts its owner may receive events
    /// of now; the admin's endpoints (no owner) keep theirs. An endpoint left with no account
    /// matches nothing.
    pub fn restrict(&self, owner: Option<&str>, filter: &mut Filter) {
        if let Some(owner) = owner {
            filter
                .accounts
                .retain(|a| self.0.contains(&(owner.to_owned(), a.as_str().to_owned())));
        }
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what} {e}"))
}

/// The columns of `webhook_endpoints` (`sql::webhooks::ENDPOINT_COLUMNS`), times as the
/// backend stores them (`Columns::Time`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EndpointRow<T> {
    pub id: String,
    pub owner: Option<String>,
    pub url: String,
    pub accounts: String,
    pub event_types: String,
    pub qr_sources: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_expires_at: Option<T>,
    pub health: String,
    pub consecutive_failures: i64,
    pub failing_since: Option<T>,
    pub created_at: T,
    pub updated_at: T,
}

/// The JSON text columns of an endpoint's filter: (accounts, event_types, qr_sources).
pub(crate) fn filter_columns(f: &Filter) -> (String, String, String) {
    let accounts: Vec<&str> = f.accounts.iter().map(AccountId::as_str).collect();
    // Serializing lists of strings and numbers to JSON cannot fail.
    (
        serde_json::to_string(&accounts).unwrap_or_else(|_| "[]".into()),
        serde_json::to_string(&f.event_types).unwrap_or_else(|_| "[]".into()),
        serde_json::to_string(&f.qr_sources).unwrap_or_else(|_| "[]".into()),
    )
}

/// The filter from its three JSON columns (the reverse of [`filter_columns`]).
pub(crate) fn filter_from_columns(
    accounts: &str,
    event_types: &str,
    qr_sources: &str,
) -> Result<Filter, StoreError> {
    let c = |e| corrupt("webhook endpoint filter", e);
    let accounts: Vec<String> = serde_json::from_str(accounts).map_err(c)?;
    let accounts = accounts
        .iter()
        .map(|a| AccountId::parse(a))
        .collect::<Result<BTreeSet<_>, InvalidField>>()
        .map_err(|e| corrupt("webhook endpoint filter", e))?;
    Ok(Filter {
        accounts,
        event_types: serde_json::from_str(event_types).map_err(c)?,
        qr_sources: serde_json::from_str(qr_sources).map_err(c)?,
    })
}

impl<T> EndpointRow<T> {
    /// The record, its times read through `C`.
    pub(crate) fn into_record<C: Columns<Time = T>>(self) -> Result<EndpointRecord, StoreError> {
        let time = |t, what| stored_time::<C>(t, what);
        let filter = filter_from_columns(&self.accounts, &self.event_types, &self.qr_sources)?;
        Ok(EndpointRecord {
            endpoint: Endpoint {
                id: EndpointId::parse(&self.id).map_err(|e| corrupt("webhook endpoint", e))?,
                url: self.url,
                filter,
                description: self.description,
                enabled: self.enabled,
                owner: self.owner,
                health: EndpointHealth::parse(&self.health)
                    .ok_or_else(|| corrupt("webhook endpoint health", &self.health))?,
                consecutive_failures: self.consecutive_failures,
                failing_since: self
                    .failing_since
                    .map(|t| time(t, "webhook endpoint failing_since"))
                    .transpose()?,
                created_at: time(self.created_at, "webhook endpoint created_at")?,
                updated_at: time(self.updated_at, "webhook endpoint updated_at")?,
            },
            secret_sealed: self.secret_sealed,
            previous_secret_sealed: self.previous_secret_sealed,
            previous_secret_expires_at: self
                .previous_secret_expires_at
                .map(|t| time(t, "webhook endpoint previous_secret_expires_at"))
                .transpose()?,
        })
    }
}

/// The columns of `webhook_deliveries` (`sql::webhooks::DELIVERY_COLUMNS`), times as the
/// backend stores them.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DeliveryRow<T> {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub account_id: String,
    pub status: String,
    pub attempts: i64,
    pub step: i64,
    pub next_attempt_at: Option<T>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: T,
    pub updated_at: T,
}

impl<T> DeliveryRow<T> {
    /// The delivery, its times read through `C`.
    pub(crate) fn into_delivery<C: Columns<Time = T>>(self) -> Result<Delivery, StoreError> {
        let c = |e| corrupt("webhook delivery", e);
        let time = |t, what| stored_time::<C>(t, what);
        Ok(Delivery {
            id: DeliveryId::parse(&self.id).map_err(c)?,
            endpoint_id: EndpointId::parse(&self.endpoint_id).map_err(c)?,
            event_id: EventId::parse(&self.event_id).map_err(c)?,
            event_type: self.event_type,
            account: AccountId::parse(&self.account_id).map_err(c)?,
            status: DeliveryStatus::parse(&self.status).map_err(c)?,
            attempts: self.attempts,
            step: self.step,
            next_attempt_at: self
                .next_attempt_at
                .map(|t| time(t, "webhook delivery next_attempt_at"))
                .transpose()?,
            last_status_code: self.last_status_code,
            last_error: self.last_error,
            created_at: time(self.created_at, "webhook delivery created_at")?,
            updated_at: time(self.updated_at, "webhook delivery updated_at")?,
        })
    }
}

/// The columns of `webhook_attempts` (`sql::webhooks::ATTEMPT_COLUMNS`), times as the
/// backend stores them.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AttemptRow<T> {
    pub id: String,
    pub delivery_id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub attempt_no: i64,
    pub at: T,
    pub outcome: String,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub response: Option<String>,
    pub duration_ms: i64,
    pub next_attempt_at: Option<T>,
}

impl<T> AttemptRow<T> {
    /// The attempt, its times read through `C`.
    pub(crate) fn into_attempt<C: Columns<Time = T>>(self) -> Result<Attempt, StoreError> {
        let c = |e| corrupt("webhook attempt", e);
        let time = |t, what| stored_time::<C>(t, what);
        Ok(Attempt {
            id: AttemptId::parse(&self.id).map_err(c)?,
            delivery_id: DeliveryId::parse(&self.delivery_id).map_err(c)?,
            endpoint_id: EndpointId::parse(&self.endpoint_id).map_err(c)?,
            event_id: EventId::parse(&self.event_id).map_err(c)?,
            attempt_no: self.attempt_no,
            at: time(self.at, "webhook attempt at")?,
            outcome: AttemptOutcome::parse(&self.outcome)
                .ok_or_else(|| corrupt("webhook attempt outcome", &self.outcome))?,
            status_code: self.status_code,
            error: self.error,
            response: self.response,
            duration_ms: self.duration_ms,
            next_attempt_at: self
                .next_attempt_at
                .map(|t| time(t, "webhook attempt next_attempt_at"))
                .transpose()?,
        })
    }
}
