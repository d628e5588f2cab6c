//! The token-injecting pass-through proxy (`ANY /wx/{account}/{*path}`), so unchanged
//! WeChat SDKs work through the hub. See [`service`].

pub mod routes;
pub mod sdk;
pub mod service;

pub use routes::routes;

pub use sdk::SdkCredentials;
pub use service::{ProxyError, ProxyRequest, ProxyService};
