//! Storage for received events: the trait (no SQL).
//!
//! Placeholder written by the delivery side against the agreed contract; the callbacks
//! engineer's version replaces it when `wt-callbacks` is merged.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::accounts::model::AccountId;
use crate::events::model::{EventId, NewEvent, StoredEvent};
use crate::store::StoreError;

/// What happened to one event of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum InsertOutcome {
    Inserted(StoredEvent),
    /// Same `(account, dedup_key)` already stored: WeChat's retry.
    Duplicate(EventId),
}

#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Stores a batch in one transaction.
    async fn insert_batch(&self, events: &[NewEvent]) -> Result<Vec<InsertOutcome>, StoreError>;
    /// Newest first, strictly before `before_seq`, restricted to `account` and/or `accounts`.
    async fn list(
        &self,
        account: Option<&AccountId>,
        accounts: Option<&BTreeSet<AccountId>>,
        before_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError>;
    /// Oldest first, strictly after `seq`.
    async fn after_seq(&self, seq: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError>;
    async fn find(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError>;
}

/// The columns of `events`, as both backends decode them.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EventRow {
    pub seq: i64,
    pub event_id: String,
    pub account_id: String,
    pub event_type: String,
    pub received_at: DateTime<Utc>,
    pub qr_source: Option<i64>,
    pub payload: String,
}

pub(crate) const EVENT_COLUMNS: &str =
    "seq, event_id, account_id, event_type, received_at, qr_source, payload";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("event {e}"))
}

impl EventRow {
    pub(crate) fn into_event(self) -> Result<StoredEvent, StoreError> {
        Ok(StoredEvent {
            seq: self.seq,
            event_id: EventId::parse(&self.event_id).map_err(corrupt)?,
            account: AccountId::parse(&self.account_id).map_err(corrupt)?,
            event_type: self.event_type,
            received_at: self.received_at,
            qr_source: self
                .qr_source
                .map(|s| u8::try_from(s).map_err(corrupt))
                .transpose()?,
            payload: serde_json::from_str(&self.payload).map_err(corrupt)?,
        })
    }
}
