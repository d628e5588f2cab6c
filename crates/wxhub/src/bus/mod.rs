//! The event bus: where fan-out publishes every stored event, chosen once at startup.
//!
//! The embedded default is the outbox: the events table itself, read by the events API and
//! the stream, so there is nothing more to publish ([`OutboxBus`]). With `nats_url`
//! configured, every event also goes to NATS JetStream on `wxhub.events.{account}.{type}`
//! ([`NatsBus`]), the bus topic of seed 000 that business systems may consume directly.
//! Publishing happens inside the fan-out transaction and is awaited (JetStream ack) before the
//! events are marked dispatched; a crash in between republishes with the same message id,
//! which JetStream drops as a duplicate. The outbox has nothing to publish, so on a SQLite
//! file the events are fanned out in their own batch's transaction (`store::Dispatch`).

mod nats;
mod outbox;

use std::sync::Arc;

use async_trait::async_trait;

use crate::events::model::StoredEvent;

pub use nats::{subject_for, NatsBus, STREAM_NAME, STREAM_SUBJECTS};
pub use outbox::OutboxBus;

/// Publishing failed; the events stay undispatched and fan-out tries again.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("connecting to the bus at {url}")]
    Connect {
        url: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("setting up the {stream} stream")]
    Stream {
        stream: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("publishing event {event_id}")]
    Publish {
        event_id: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// `outbox` or `nats`, for logs and health.
    fn name(&self) -> &'static str;
    /// False when storing an event already publishes it (the outbox), so fan-out may run
    /// inside the event batch (`store::Dispatch::InEventBatch`).
    fn publishes(&self) -> bool {
        true
    }
    /// Publishes `events` and returns once the bus has durably accepted every one.
    async fn publish(&self, events: &[StoredEvent]) -> Result<(), BusError>;
}

pub type SharedBus = Arc<dyn EventBus>;

/// The bus `nats_url` selects: NATS JetStream when set, the outbox otherwise.
pub async fn connect(nats_url: Option<&str>) -> Result<SharedBus, BusError> {
    match nats_url {
        Some(url) => Ok(Arc::new(NatsBus::connect(url).await?)),
        None => Ok(Arc::new(OutboxBus)),
    }
}
