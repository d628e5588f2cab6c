//! Callbacks (issue 6; seeds 003 modes, 004 callbacks, 000 §3.3 scan messages): WeChat's
//! `GET /callback/{account}` URL check (WeCom's encrypted echostr too) and
//! `POST /callback/{account}` in plaintext, compatible and safe mode for Official Accounts
//! and WeCom apps.
//!
//! A POST is verified (signature, timestamp window), decrypted, parsed, normalised with an
//! event-aware dedup key (`events::normalise`), committed through the batching
//! [`writer::EventWriter`], and only then answered — with the passive reply the account's
//! rules give (`replies`), or `success`. Dedup happens on committed rows only, so a retry
//! after a failed attempt is processed again, and a retry after a crash between commit and
//! answer finds the stored event instead of making a second one. When the store falls behind
//! (the writer's queue is full, or a commit takes longer than `callbacks.commit_wait_ms`) the
//! callback is answered 503 at once (`store_behind`, counted in `wxhub_callbacks_shed_total`):
//! WeChat retries, and `success` is only ever said of a committed event.

pub mod config;
#[doc(hidden)]
pub mod error;
pub(crate) mod routes;
pub mod service;
pub mod writer;

pub use config::CallbacksConfig;
pub use error::CallbackError;
pub use routes::routes;
pub use service::{Answer, CallbackQuery, CallbackService};
pub use writer::EventWriter;
