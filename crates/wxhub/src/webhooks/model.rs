//! Webhook domain types: typed ids, endpoints with their filter, deliveries and attempts.
//!
//! An [`Endpoint`] is a URL plus a filter (accounts, event types, QR sources). Fan-out creates
//! one [`Delivery`] per (event, matching endpoint); every try to deliver it is an [`Attempt`]
//! row. A delivery moves `pending → delivered`, or `pending → failing → … → dead` when the
//! retry schedule is exhausted; a replay puts a failing or dead delivery back to `pending`.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::model::AccountId;
use crate::core::InvalidField;
use crate::events::model::{EventId, StoredEvent};

crate::ulid_id!(
    /// A webhook endpoint: `ep_<ulid>`.
    EndpointId, "ep_", "id"
);
crate::ulid_id!(
    /// One event on its way to one endpoint: `dlv_<ulid>`.
    DeliveryId, "dlv_", "delivery_id"
);
crate::ulid_id!(
    /// One try to deliver: `att_<ulid>`.
    AttemptId, "att_", "attempt_id"
);

/// Which events an endpoint receives. Empty `event_types` / `qr_sources` mean "all".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Filter {
    pub accounts: BTreeSet<AccountId>,
    pub event_types: BTreeSet<String>,
    /// QR `source` numbers 0–31 (0: a plain follow or a permanent code).
    pub qr_sources: BTreeSet<u8>,
}

impl Filter {
    /// Whether `event` passes this filter.
    pub fn matches(&self, event: &StoredEvent) -> bool {
        self.accounts.contains(&event.account)
            && (self.event_types.is_empty() || self.event_types.contains(&event.event_type))
            && (self.qr_sources.is_empty()
                || event
                    .qr_source
                    .is_some_and(|s| self.qr_sources.contains(&s)))
    }
}

/// An event type in a filter: lower-case `a-z 0-9 _ .` as the callbacks side normalises them.
pub fn parse_event_type(s: &str) -> Result<String, InvalidField> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    if ok {
        Ok(s.to_string())
    } else {
        Err(InvalidField::new(
            "event_types",
            format!("{s:?} is not an event type (lower-case a-z, 0-9, _ and .)"),
        ))
    }
}

/// A QR source in a filter: 0–31.
pub fn parse_qr_source(v: i64) -> Result<u8, InvalidField> {
    match u8::try_from(v) {
        Ok(n @ 0..=31) => Ok(n),
        _ => Err(InvalidField::new(
            "qr_sources",
            "each must be between 0 and 31",
        )),
    }
}

/// Whether an endpoint's recent attempts succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndpointHealth {
    Healthy,
    /// Consecutive failed attempts reached the configured threshold, or a delivery died.
    Failing,
}

impl EndpointHealth {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointHealth::Healthy => "healthy",
            EndpointHealth::Failing => "failing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "healthy" => Some(EndpointHealth::Healthy),
            "failing" => Some(EndpointHealth::Failing),
            _ => None,
        }
    }
}

/// A registered webhook endpoint (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Endpoint {
    pub id: EndpointId,
    pub url: String,
    #[serde(flatten)]
    pub filter: Filter,
    pub description: Option<String>,
    pub enabled: bool,
    /// The caller that registered it; `None` for the admin.
    pub owner: Option<String>,
    pub health: EndpointHealth,
    pub consecutive_failures: i64,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first attempt (or for a replay).
    Pending,
    /// An attempt failed; the next one is scheduled.
    Failing,
    Delivered,
    /// The retry schedule is exhausted: the dead-letter state. Replayable.
    Dead,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Failing => "failing",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        match s {
            "pending" => Ok(DeliveryStatus::Pending),
            "failing" => Ok(DeliveryStatus::Failing),
            "delivered" => Ok(DeliveryStatus::Delivered),
            "dead" => Ok(DeliveryStatus::Dead),
            _ => Err(InvalidField::new(
                "status",
                "must be pending, failing, delivered or dead",
            )),
        }
    }
}

/// One event on its way to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Delivery {
    pub id: DeliveryId,
    pub endpoint_id: EndpointId,
    #[schema(value_type = String)]
    pub event_id: EventId,
    pub event_type: String,
    pub account: AccountId,
    pub status: DeliveryStatus,
    /// Attempts made so far, replays included.
    pub attempts: i64,
    /// Index into the retry schedule of the next attempt (0 = immediate).
    #[serde(skip)]
    pub step: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// A 2xx answer.
    Success,
    /// Any other HTTP status.
    HttpError,
    Timeout,
    /// Connection refused, DNS, TLS, reset …
    Network,
}

impl AttemptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Success => "success",
            AttemptOutcome::HttpError => "http_error",
            AttemptOutcome::Timeout => "timeout",
            AttemptOutcome::Network => "network",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(AttemptOutcome::Success),
            "http_error" => Some(AttemptOutcome::HttpError),
            "timeout" => Some(AttemptOutcome::Timeout),
            "network" => Some(AttemptOutcome::Network),
            _ => None,
        }
    }
}

/// One try to deliver, as stored and listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Attempt {
    pub id: AttemptId,
    pub delivery_id: DeliveryId,
    pub endpoint_id: EndpointId,
    #[schema(value_type = String)]
    pub event_id: EventId,
    /// 1 for the first attempt of the delivery.
    pub attempt_no: i64,
    pub at: DateTime<Utc>,
    pub outcome: AttemptOutcome,
    pub status_code: Option<i64>,
    /// A short reason for a failure, never a secret.
    pub error: Option<String>,
    /// The first bytes of the receiver's answer.
    pub response: Option<String>,
    pub duration_ms: i64,
    /// When the delivery will be tried again; `None` when delivered or dead.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A delivery to create during fan-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub id: DeliveryId,
    pub endpoint_id: EndpointId,
    pub event_id: EventId,
    pub event_type: String,
    pub account: AccountId,
    pub created_at: DateTime<Utc>,
}

/// One delivery per event and endpoint whose filter the event passes, created at `now`.
/// Fan-out's step uses it, and so does a store that fans out inside the event batch.
pub fn deliveries_for<'e, 'p, P>(
    events: impl IntoIterator<Item = &'e StoredEvent>,
    endpoints: P,
    now: DateTime<Utc>,
) -> Vec<NewDelivery>
where
    P: Iterator<Item = (&'p EndpointId, &'p Filter)> + Clone,
{
    events
        .into_iter()
        .flat_map(|event| {
            endpoints
                .clone()
                .filter(|(_, filter)| filter.matches(event))
                .map(move |(id, _)| NewDelivery {
                    id: DeliveryId::generate(),
                    endpoint_id: id.clone(),
                    event_id: event.event_id.clone(),
                    event_type: event.event_type.clone(),
                    account: event.account.clone(),
                    created_at: now,
                })
        })
        .collect()
}
