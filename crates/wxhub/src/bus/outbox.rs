//! The embedded bus: the events table is the outbox, so publishing is already done.

use async_trait::async_trait;

use super::{BusError, EventBus};
use crate::events::model::StoredEvent;

#[derive(Debug, Clone, Copy, Default)]
pub struct OutboxBus;

#[async_trait]
impl EventBus for OutboxBus {
    fn name(&self) -> &'static str {
        "outbox"
    }

    fn publishes(&self) -> bool {
        false
    }

    async fn publish(&self, _events: &[StoredEvent]) -> Result<(), BusError> {
        Ok(())
    }
}
