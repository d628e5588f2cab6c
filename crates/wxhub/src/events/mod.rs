//! Events: what subscribers receive of every stored WeChat callback (issue 6).
//!
//! The callbacks side stores each event once with a stable `event_id` and its normalised JSON
//! (see [`model`]) and notifies the [`feed::EventFeed`]. This side reads them back: the list API
//! (newest first), one event by id, and the live stream (server-sent events, resumable with
//! `Last-Event-ID`). Webhooks and the bus are fed by `webhooks::fanout`.

pub mod feed;
pub mod model;
pub(crate) mod routes;
pub mod service;

pub use feed::EventFeed;
pub use routes::routes;
pub use service::{AccountScope, EventService};
