//! Fan-out: stored events → one delivery per matching endpoint, and the bus.
//!
//! One step ([`FanOut::fan_out_once`]) claims a batch of undispatched events, creates their
//! deliveries, publishes the batch to the bus (awaiting its ack) and marks the events
//! dispatched, all in one store transaction. If publishing fails the transaction rolls back
//! and the next step tries the same events again.
//!
//! With the outbox bus on a SQLite file the event store does this inside the event batch
//! itself (`store::Dispatch::InEventBatch`, with [`deliveries_for`]); the step then only
//! picks up leftovers, on the worker's poll.

use std::sync::Arc;

use crate::bus::{BusError, SharedBus};
use crate::core::clock::SharedClock;
use crate::store::webhooks::WebhookStore;
use crate::store::StoreError;
use crate::webhooks::model::deliveries_for;

/// Events claimed per step.
pub const FAN_OUT_BATCH: u32 = 256;

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FanOutOutcome {
    pub events: usize,
    pub deliveries: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum FanOutError {
    #[error("fan-out storage failed")]
    Store(#[from] StoreError),
    #[error("publishing to the bus failed")]
    Bus(#[from] BusError),
}

#[derive(Clone)]
pub struct FanOut {
    store: Arc<dyn WebhookStore>,
    bus: SharedBus,
    clock: SharedClock,
}

impl FanOut {
    pub fn new(store: Arc<dyn WebhookStore>, bus: SharedBus, clock: SharedClock) -> Self {
        FanOut { store, bus, clock }
    }

    /// One batch. `events == 0` means there was nothing to do.
    pub async fn fan_out_once(&self) -> Result<FanOutOutcome, FanOutError> {
        let mut tx = self.store.begin_fan_out(FAN_OUT_BATCH).await?;
        if tx.events().is_empty() {
            return Ok(FanOutOutcome::default());
        }
        let endpoints = tx.endpoints().await?;
        let now = self.clock.now();
        let deliveries = deliveries_for(
            tx.events(),
            endpoints.iter().map(|ep| (&ep.id, &ep.filter)),
            now,
        );
        tx.insert_deliveries(&deliveries).await?;
        if let Err(e) = self.bus.publish(tx.events()).await {
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rolling back fan-out after a bus failure failed");
            }
            return Err(e.into());
        }
        let outcome = FanOutOutcome {
            events: tx.events().len(),
            deliveries: deliveries.len(),
        };
        tx.commit(now).await?;
        metrics::counter!("wxhub_events_dispatched_total", "bus" => self.bus.name())
            .increment(outcome.events as u64);
        Ok(outcome)
    }

    /// Runs steps until one finds nothing; returns the totals (tests, shutdown).
    pub async fn drain(&self) -> Result<FanOutOutcome, FanOutError> {
        let mut total = FanOutOutcome::default();
        loop {
            let step = self.fan_out_once().await?;
            if step.events == 0 {
                return Ok(total);
            }
            total.events += step.events;
            total.deliveries += step.deliveries;
        }
    }
}
