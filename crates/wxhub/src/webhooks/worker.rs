//! Fan-out and delivery as background jobs (`jobs::Periodic`): fan-out woken by the event
//! feed, delivery workers woken by new deliveries or by the next due time. Both also poll on a
//! short deadline, which covers events and deliveries created by another hub instance.

use std::time::Duration;

use async_trait::async_trait;

use crate::core::clock::SharedClock;
use crate::jobs::{Next, Periodic};
use crate::store::DeliveriesReady;
use crate::webhooks::dispatcher::{DispatchOutcome, Dispatcher, CLAIM_BATCH};
use crate::webhooks::fanout::FanOut;

/// Longest wait between two looks at the store.
const POLL: Duration = Duration::from_secs(2);

/// Which events the fan-out loop wakes for (`app/background.rs` gives it the feed or none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanOutWake {
    /// Every committed batch (the feed): fan-out's step is where events are dispatched.
    EveryBatch,
    /// Only the poll: the event store fans out inside each batch, so the loop merely picks
    /// up what is left undispatched (events stored by an instance that published to a bus).
    PollOnly,
}

/// Fan-out's step: dispatch the next batch of undispatched events.
pub struct FanOutJob {
    pub fan_out: FanOut,
    pub ready: DeliveriesReady,
}

#[async_trait]
impl Periodic for FanOutJob {
    fn name(&self) -> &'static str {
        "webhook-fan-out"
    }

    async fn step(&self) -> anyhow::Result<Next> {
        let done = self.fan_out.fan_out_once().await?;
        if done.deliveries > 0 {
            self.ready.notify();
        }
        Ok(if done.events > 0 {
            Next::Again
        } else {
            Next::After(POLL)
        })
    }
}

/// A delivery worker's step: deliver up to [`CLAIM_BATCH`] due deliveries.
pub struct DeliveryJob {
    pub dispatcher: Dispatcher,
    pub clock: SharedClock,
}

#[async_trait]
impl Periodic for DeliveryJob {
    fn name(&self) -> &'static str {
        "webhook-delivery"
    }

    async fn step(&self) -> anyhow::Result<Next> {
        let outcomes = self.dispatcher.dispatch_many(CLAIM_BATCH).await?;
        Ok(match outcomes.as_slice() {
            [DispatchOutcome::Idle { next_due }] => Next::After(
                next_due
                    .and_then(|at| (at - self.clock.now()).to_std().ok())
                    .map_or(POLL, |d| d.min(POLL)),
            ),
            _ => Next::Again,
        })
    }
}
