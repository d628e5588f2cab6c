//! The token centre (seed 003's "central control server", seeds 004/001/002 for WeCom):
//! the only place the hub fetches WeChat credentials — access_token per Official Account
//! and per WeCom app, jsapi_ticket, WeCom's corp jsapi ticket and agent_config ticket.
//!
//! [`engine::TokenEngine`] holds the single-flight logic over traits (cache + lock, store,
//! source, clock); [`service::TokenService`] resolves accounts and is what other
//! capabilities use: `access_token(account)`, `jsapi_ticket`, `agent_config_ticket`, and
//! `handle(account)` for `wechat::with_token_retry` (the retry-once rule for every call).
//!
//! HTTP: `GET /api/v1/accounts/{id}/token` → `{access_token, expires_at, expires_in}` and
//! `POST /api/v1/accounts/{id}/token/refresh` (seed 003's passive refresh; optional body
//! `{"access_token": "<the token WeChat rejected>"}`), scope `tokens`. The JS-SDK signer
//! lives in `jssdk/`, the pass-through in `proxy/`. The proactive refresher is
//! [`service::Refresher`], the background job around the one-step [`TokenService::refresh_due`].

pub mod accounts;
pub mod config;
pub mod engine;
pub mod error;
pub mod key;
pub mod routes;
pub mod service;
pub mod source;

#[cfg(test)]
mod tests;

pub use config::TokensConfig;
pub use engine::{EngineConfig, TokenEngine, Want};
pub use error::TokenError;
pub use key::{AppIdentity, TokenKey, TokenKind};
pub use routes::routes;
pub use service::{
    AccountTokens, ContactsTokens, CredentialsLookup, Refresher, StaticCredentials, TokenService,
};
pub use source::{AppCredentials, FreshToken, TokenRequest, TokenSource, WeChatTokenSource};
