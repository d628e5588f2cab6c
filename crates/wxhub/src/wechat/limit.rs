//! The per-account limit on calls to WeChat, as the typed client and the proxy meet it.
//!
//! Every outbound WeChat API call of an account asks its [`CallGate`] first: the typed
//! client in [`Api::with_token`](super::call::Api::with_token) (so every `Api::call`), and
//! the pass-through proxy before it forwards. The accounts capability implements the gate
//! (the account's own limit, else `[limits] account_wechat_*`, counted in the shared rate
//! limiter under `wechat:{account}`), so the proxy and the hub's own calls draw on one
//! bucket and no single caller can use up an account's daily WeChat quota. Credential
//! fetches (`cgi-bin/token`, tickets) are not gated: the token centre makes them once per
//! expiry, and every other call needs them. A retry after a token rejection is part of the
//! call it repeats and is not counted again.

use std::time::Duration;

use async_trait::async_trait;

/// The account's WeChat call limit is reached; try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the account's limit on calls to wechat is reached")]
pub struct Throttled {
    pub retry_after: Duration,
}

/// Admits one call to WeChat for an account, or says when to try again.
#[async_trait]
pub trait CallGate: Send + Sync + 'static {
    async fn admit(&self, account: &str) -> Result<(), Throttled>;
}
