//! The token centre (seed 003's "central control server", seeds 004/001/002 for WeCom):
//! the only place the hub fetches WeChat credentials — access_token per Official Account
//! and per WeCom app, jsapi_ticket, WeCom's corp jsapi ticket and agent_config ticket.
//!
//! [`engine::TokenEngine`] holds the single-flight logic over traits (cache + lock, store,
//! source, clock); the account-facing service and routes sit on top of it.

pub mod accounts;
pub mod bench;
pub mod config;
pub mod engine;
pub mod error;
pub mod key;
pub mod routes;
pub mod service;
pub mod source;

#[cfg(test)]
mod sandbox_tests;
#[cfg(test)]
mod tests;

pub use config::TokensConfig;
pub use engine::{EngineConfig, TokenEngine, Want};
pub use error::TokenError;
pub use key::{AppIdentity, TokenKey, TokenKind};
pub use routes::routes;
pub use service::{AccountTokens, CredentialsLookup, StaticCredentials, TokenService};
pub use source::{AppCredentials, FreshToken, TokenRequest, TokenSource, WeChatTokenSource};
