//! Storage for events (issue 6): the trait both issue-6 sides use, no SQL.
//!
//! Dedup lives here, on committed rows only: `UNIQUE(account_id, dedup_key)` plus
//! insert-or-ignore, so a retry of a stored event finds the first one, and a retry after a
//! failed attempt (nothing committed) is stored like a first delivery.

use async_trait::async_trait;

use crate::accounts::model::AccountId;
use crate::events::model::{EventId, InsertOutcome, NewEvent, StoredEvent};
use crate::store::StoreError;

/// Which events a list returns.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only these accounts; `None` = all.
    pub accounts: Option<Vec<AccountId>>,
    /// Only events with `seq` below this (the cursor of the previous page).
    pub before_seq: Option<i64>,
}

#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Stores `events` in ONE transaction; one outcome per input, in input order. Two inputs
    /// with the same (account, dedup key) in one batch: the first is inserted, the second is
    /// its duplicate.
    async fn insert_batch(&self, events: Vec<NewEvent>) -> Result<Vec<InsertOutcome>, StoreError>;
    /// Whether [`EventStore::insert_batch`] also fans the new events out (creates their
    /// webhook deliveries and marks them dispatched in the same transaction; see
    /// [`Dispatch`](crate::store::Dispatch)). When it does, fan-out's own step only picks up
    /// leftovers.
    fn fans_out_in_batch(&self) -> bool {
        false
    }
    /// Newest first.
    async fn list(&self, filter: &EventFilter, limit: u32) -> Result<Vec<StoredEvent>, StoreError>;
    /// Events with `seq > after`, oldest first (stream resume).
    async fn after_seq(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError>;
    async fn find(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError>;
}
