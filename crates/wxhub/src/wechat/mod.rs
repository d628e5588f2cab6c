//! The typed client for WeChat's HTTP APIs.
//!
//! - [`client::WeChatClient`]: one HTTP client; every call names its account's `api_base`;
//!   a non-zero `errcode` becomes [`WeChatError::Api`] keeping WeChat's errcode and errmsg.
//! - [`token_api`]: the credential endpoints the token centre uses.
//! - [`retry::with_token_retry`]: the rule every token-carrying call goes through —
//!   on 40001/42001/40014 expire-if-still-the-same, then retry exactly once.

pub mod client;
pub mod error;
pub mod retry;
pub mod token_api;

pub use client::{WeChatClient, MP_API_BASE, WORK_API_BASE};
pub use error::WeChatError;
pub use retry::{with_token_retry, RejectsToken, RetryError, TokenHandle};
