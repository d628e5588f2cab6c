//! HTTP plumbing shared by every capability: the router, the error envelope, our own
//! extractors, caller auth, request rate limits, paging, health and metrics.

pub mod auth;
pub mod compat;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod jobs;
mod metrics;
pub mod page;
pub mod ratelimit;
pub mod router;
pub mod server;
pub mod test_clock;
pub mod wechat;

pub use auth::Caller;
pub use error::ApiError;
pub use extract::{Json, JsonOrForm, Path, Query, RawBody};
pub use page::{Page, PageParams};
