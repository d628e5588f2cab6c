//! The per-account limit on calls to WeChat: the accounts capability's [`CallGate`].
//!
//! An account's calls (the proxy's and the hub's own, through `wechat::Api::for_account`)
//! count against `wechat:{account}` in the shared rate limiter (Redis when configured, so
//! the limit holds across instances), under the account's own `wechat_rate_limit` or, without
//! one, `[limits] account_wechat_*`. Which limit an account has is read from the store and
//! kept in-process for [`QUOTA_CACHE_TTL`], so the check costs no query per call; a change
//! made on this instance (or the account's removal) is forgotten at once, on the others it is
//! seen within that TTL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::accounts::model::AccountId;
use crate::cache::ratelimit::{Decision, RateLimiter};
use crate::core::RateLimit;
use crate::store::accounts::AccountStore;
use crate::wechat::{CallGate, Throttled};

/// How long an account's limit is kept in-process before it is read again.
pub const QUOTA_CACHE_TTL: Duration = Duration::from_secs(5);

/// The limiter, the default limit, and the accounts' own limits as last read.
pub struct WeChatCallLimits {
    limiter: Arc<dyn RateLimiter>,
    default: Option<RateLimit>,
    store: Arc<dyn AccountStore>,
    known: Mutex<HashMap<AccountId, (Option<RateLimit>, Instant)>>,
}

impl WeChatCallLimits {
    pub fn new(
        limiter: Arc<dyn RateLimiter>,
        default: Option<RateLimit>,
        store: Arc<dyn AccountStore>,
    ) -> Self {
        WeChatCallLimits {
            limiter,
            default,
            store,
            known: Mutex::new(HashMap::new()),
        }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<AccountId, (Option<RateLimit>, Instant)>> {
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets what was read of `account` (it changed or went).
    pub fn forget(&self, account: &AccountId) {
        self.known().remove(account);
    }

    /// The account's own limit, from the in-process copy while it is fresh.
    async fn own_limit(&self, account: &AccountId) -> Option<RateLimit> {
        let known = self.known().get(account).copied();
        if let Some((limit, read_at)) = known {
            if read_at.elapsed() < QUOTA_CACHE_TTL {
                return limit;
            }
        }
        let limit = match self.store.get(account).await {
            Ok(Some(record)) => record.wechat_rate_limit,
            // Unknown: the call fails on its own; nothing to limit.
            Ok(None) => return None,
            Err(e) => {
                // The default still applies; the error is not the caller's to see here.
                tracing::warn!(account = %account, error = %e, "reading the account's WeChat call limit failed; using the default");
                return None;
            }
        };
        self.known()
            .insert(account.clone(), (limit, Instant::now()));
        limit
    }

    pub async fn admit(&self, account: &str) -> Result<(), Throttled> {
        let Ok(id) = AccountId::parse(account) else {
            return Ok(());
        };
        let Some(limit) = self.own_limit(&id).await.or(self.default) else {
            return Ok(());
        };
        match self.limiter.check(&format!("wechat:{id}"), limit).await {
            Decision::Allowed => Ok(()),
            Decision::Limited { retry_after } => {
                tracing::info!(account = %id, "refused: over the account's WeChat call limit");
                metrics::counter!("wxhub_wechat_calls_limited_total", "account" => id.to_string())
                    .increment(1);
                Err(Throttled { retry_after })
            }
        }
    }
}

#[async_trait]
impl CallGate for WeChatCallLimits {
    async fn admit(&self, account: &str) -> Result<(), Throttled> {
        WeChatCallLimits::admit(self, account).await
    }
}
