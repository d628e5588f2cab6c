//! Webhooks: business systems register an endpoint with a filter and receive every matching
//! event as a Standard Webhook (issue 6, seed 000's event subscribers).
//!
//! - [`service`]: register, change, rotate the secret, delete, list deliveries and attempts,
//!   replay (one delivery, or every failed one since a time).
//! - [`fanout`]: stored events → deliveries + bus, one transaction per batch.
//! - [`dispatcher`]: one due delivery per step, signed ([`crate::core::signing`]), retried on Svix's
//!   schedule ([`schedule`]), dead-lettered when exhausted, every attempt stored.
//! - [`worker`]: the thin loops that run those steps in the background.
//! - [`client`]: the one outbound client for event and reply webhooks (no redirects, only
//!   global addresses unless private URLs are allowed, bounded answers); [`url`] and
//!   [`address`] are its URL and address checks, also used at registration.

pub mod address;
pub mod client;
pub mod config;
pub mod dispatcher;
pub mod error;
pub mod fanout;
pub mod model;
pub(crate) mod routes;
pub mod schedule;
pub mod service;
pub mod url;
pub mod worker;

pub use client::WebhookClient;
pub use config::WebhooksConfig;
pub use dispatcher::{DispatchOutcome, Dispatcher};
pub use error::WebhookError;
pub use fanout::{FanOut, FanOutOutcome};
pub use routes::routes;
pub use service::WebhookService;
