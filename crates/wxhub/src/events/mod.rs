//! Stored WeChat events: the typed id, the stored row and the normalised JSON every subscriber
//! sees (issue 6, seeds 000 §3.3, 002, 004).
//!
//! The callbacks capability writes events (see `callbacks::writer`); the delivery side reads
//! them (webhooks, stream, bus). Both go through `store::events::EventStore`.

pub mod model;
pub mod normalise;

pub use model::{EventId, InsertOutcome, NewEvent, StoredEvent};
