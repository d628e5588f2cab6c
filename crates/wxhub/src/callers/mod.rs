//! Callers: the business systems that use the hub (seed 000's `systemId`/`source`, seed 001's
//! client credentials, seed 002's devId/devSecret → devToken).
//!
//! A caller has a system id, allowed accounts, scopes, a QR `source` number 1–31 unique per
//! account, and optionally an RSA public key and allowed redirect / JS-SDK domains. It trades
//! its client id and secret for a 2-hour bearer token at `POST /api/v1/auth/token`.

pub mod error;
pub mod model;
pub(crate) mod routes;
pub mod service;

pub use error::CallerError;
pub use model::{Caller, ClientId, QrSource, Scope, SystemId};
pub use routes::routes;
pub use service::CallerService;
