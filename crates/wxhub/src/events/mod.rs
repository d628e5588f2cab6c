//! Stored WeChat events: the typed id, the stored row and the normalised JSON every subscriber
//! sees (issue 6, seeds 000 §3.3, 002, 004).
//!
//! The callbacks capability writes events (see `callbacks::writer`) and, after each commit,
//! tells the [`feed::EventFeed`]. The delivery side reads them back: the list API (newest
//! first), one event by id, and the live stream (server-sent events, resumable with
//! `Last-Event-ID`); webhooks and the bus are fed by `webhooks::fanout`. Both sides go through
//! `store::events::EventStore`.

pub mod commit;
pub mod feed;
pub mod model;
pub mod normalise;
pub(crate) mod routes;
pub mod service;

pub use commit::{CommitHooks, CommitListener};
pub use feed::EventFeed;
pub use model::{EventId, InsertOutcome, NewEvent, StoredEvent};
pub use routes::routes;
pub use service::{AccountScope, EventService};
