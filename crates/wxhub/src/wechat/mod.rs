//! The typed client for WeChat's HTTP APIs, one module per API area. No capability builds
//! WeChat's JSON (or XML) by hand: each call is a function with a typed request and a typed
//! answer, using WeChat's own field names.
//!
//! - [`client::WeChatClient`]: one HTTP client; every call names its account's `api_base`.
//! - [`error`]: WeChat's errcode mapped once — a non-zero `errcode` becomes
//!   [`WeChatError::Api`] keeping WeChat's errcode and errmsg (checked in `client.rs`).
//! - [`retry::with_token_retry`]: the one retry path for every token-carrying call — on
//!   40001/42001/40014 expire-if-still-the-same, then retry exactly once.
//! - [`call`]: [`Endpoint`] (a request names its path and method) and [`Api`] (client +
//!   `api_base`), whose `call` sends any typed request through the retry path; so each
//!   area's function is one line.
//! - [`limit`]: the per-account limit on calls to WeChat ([`CallGate`]), asked by every
//!   call made through an [`Api`] that names its account, and by the proxy.
//! - [`mp`]: Official Accounts — tokens, customer-service and template messages, QR codes,
//!   users, tags, menus, temporary media, web OAuth.
//! - [`work`]: WeCom — tokens and tickets, app messages, contacts (departments, members,
//!   tags).
//! - [`pay`]: WeChat Pay v2 red packets — XML with the MD5 sign from `wx-protocol`.
//!
//! Token handles come in through the [`TokenHandle`] trait (the token centre implements
//! it); this module never imports a capability.

pub mod call;
pub mod client;
pub mod credential;
pub mod error;
pub mod limit;
pub mod mp;
pub mod pay;
pub mod retry;
pub mod work;

pub use call::{Ack, Api, CallError, Endpoint};
pub use client::{WeChatClient, MP_API_BASE, WORK_API_BASE};
pub use credential::Issued;
pub use error::WeChatError;
pub use limit::{CallGate, Throttled};
pub use retry::{with_token_retry, RejectsToken, RetryError, TokenHandle};
