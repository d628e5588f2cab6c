//! Accounts: the Official Accounts (`mp`) and WeCom applications (`work`) the hub speaks for.
//!
//! Seeds 002 §7 (name, original id `gh_…`, AppID, secret, logo, callback Token and
//! EncodingAESKey) and issue 5. Secrets are sealed with the master key before they reach the
//! store and are never returned; [`AccountService::credentials`] is the one place that opens
//! them, for the token centre. [`limits`] holds each account to its limit on calls to WeChat
//! (the proxy's and the hub's own together).

pub mod error;
pub mod limits;
pub mod model;
pub(crate) mod routes;
pub mod service;

pub use error::AccountError;
pub use model::{Account, AccountCredentials, AccountId, AccountKind};
pub use routes::routes;
pub use service::AccountService;
