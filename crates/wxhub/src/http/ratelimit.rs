//! The request rate limits (issue 14): a layer in front of every `/api/v1` route, the
//! pass-through proxy `/wx/{account}/…` and the seeds' own routes under `/sns/` (a page's
//! publishable key counts against its client address).
//!
//! The layer authenticates the bearer itself, because the bucket is the caller's: a caller
//! counts against `caller:{client_id}` (its own limit, else `[limits] caller_*`), the admin
//! bearer against `admin` (`[limits] admin_*`). A request without a valid bearer — the
//! token grant, a missing, unknown or expired token — counts against its client address
//! (`ip:{address}`, `[limits] anonymous_*`), never against the caller a bad token imitates.
//! Over the limit: 429 `rate_limited` with `Retry-After`; the handler never runs. The
//! caller found is left in the request ([`Authenticated`]) for the `Caller` extractor, so
//! routes know nothing of limits and a request is authenticated once. The rejection of a bad
//! token is the route's, as before (the layer only counts it).
//!
//! An SDK calling the proxy without a bearer names its caller by the hub-issued
//! `?access_token=` (`proxy::sdk`); the layer asks [`QueryTokens`] whose it is, so those calls
//! count against that caller's bucket too, and only an unknown token falls to the address's.
//!
//! Exempt: WeChat's callbacks (`/callback/{account}`), `/healthz`, `/readyz`, `/metrics`
//! and `/api/v1/openapi.json`. The limiter is `cache::ratelimit` (Redis when configured, so
//! the limits hold across instances).

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::accounts::model::AccountId;
use crate::cache::ratelimit::{Decision, RateLimiter};
use crate::callers::model::Caller as CallerInfo;
use crate::core::RateLimit;
use crate::http::auth::{bearer, Authenticated, Authenticator, Caller};
use crate::http::error::ApiError;

/// Who an SDK's proxy token (`/wx/{account}/…?access_token=`, no bearer) belongs to (the
/// proxy capability implements it; defined here so the layer depends on no capability's
/// service). `None`: not a valid token for that account.
#[async_trait]
pub trait QueryTokens: Send + Sync + 'static {
    async fn caller_of(
        &self,
        account: &AccountId,
        token: &str,
    ) -> anyhow::Result<Option<Arc<CallerInfo>>>;
}

/// What the layer needs: who a bearer is, the limiter, and the configured limits.
#[derive(Clone)]
pub struct RequestLimits {
    auth: Authenticator,
    limiter: Arc<dyn RateLimiter>,
    defaults: DefaultLimits,
    query_tokens: Option<Arc<dyn QueryTokens>>,
}

/// The configured limits (`[limits]`); `None`: that limit is off.
#[derive(Debug, Clone, Copy)]
pub struct DefaultLimits {
    /// A caller without a limit of its own.
    pub caller: Option<RateLimit>,
    pub admin: Option<RateLimit>,
    /// Per client address, requests without a valid bearer.
    pub anonymous: Option<RateLimit>,
}

impl RequestLimits {
    pub fn new(
        auth: Authenticator,
        limiter: Arc<dyn RateLimiter>,
        defaults: DefaultLimits,
    ) -> Self {
        RequestLimits {
            auth,
            limiter,
            defaults,
            query_tokens: None,
        }
    }

    /// SDK calls to the proxy without a bearer count against the caller their
    /// `access_token` names.
    pub fn with_query_tokens(mut self, tokens: Arc<dyn QueryTokens>) -> Self {
        self.query_tokens = Some(tokens);
        self
    }

    /// The caller of a bearer-less proxy call's `access_token`, if any.
    async fn query_caller(&self, uri: &axum::http::Uri) -> Option<Caller> {
        let tokens = self.query_tokens.as_ref()?;
        let account = uri.path().strip_prefix("/wx/")?.split('/').next()?;
        let account = AccountId::parse(account).ok()?;
        let token = url::form_urlencoded::parse(uri.query()?.as_bytes())
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())?;
        match tokens.caller_of(&account, &token).await {
            Ok(found) => found.map(Caller::Client),
            Err(e) => {
                tracing::debug!(
                    error = format!("{e:#}"),
                    "looking up an SDK token for the rate limit failed"
                );
                None
            }
        }
    }

    /// The bucket and the limit of an authenticated caller.
    fn of(&self, caller: &Caller) -> (String, Option<RateLimit>) {
        match caller {
            Caller::Admin => ("admin".to_owned(), self.defaults.admin),
            Caller::Client(c) => (
                format!("caller:{}", c.client_id),
                c.rate_limit.or(self.defaults.caller),
            ),
        }
    }
}

/// Whether requests to `path` are limited.
pub fn is_limited(path: &str) -> bool {
    (path.starts_with("/api/v1/") && path != "/api/v1/openapi.json")
        || path.starts_with("/wx/")
        || path.starts_with("/sns/")
}

/// The layer: count the request against its bucket, answer 429 when that is empty.
pub async fn enforce(
    State(limits): State<RequestLimits>,
    mut request: Request,
    next: Next,
) -> Response {
    if !is_limited(request.uri().path()) {
        return next.run(request).await;
    }
    let caller = match bearer(request.headers()) {
        Ok(token) => match limits.auth.identify(token).await {
            Ok(found) => found,
            Err(e) => {
                // The route's own authentication answers (500) and logs the cause.
                tracing::debug!(
                    error = format!("{e:#}"),
                    "authenticating for the rate limit failed"
                );
                None
            }
        },
        Err(_) => None,
    };
    // Only the layer's own lookup: the proxy's SDK path authorises the token itself.
    let counted = match &caller {
        Some(caller) => Some(caller.clone()),
        None if !request.headers().contains_key(AUTHORIZATION) => {
            // The request itself (its body is not Sync) is not held across the lookup.
            let uri = request.uri().clone();
            limits.query_caller(&uri).await
        }
        None => None,
    };
    let (key, limit, kind) = match &counted {
        Some(caller) => {
            let (key, limit) = limits.of(caller);
            (
                key,
                limit,
                if caller.is_admin() { "admin" } else { "caller" },
            )
        }
        None => {
            let address = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip().to_string())
                .unwrap_or_else(|| "unknown".to_owned());
            (
                format!("ip:{address}"),
                limits.defaults.anonymous,
                "anonymous",
            )
        }
    };
    if let Some(limit) = limit {
        if let Decision::Limited { retry_after } = limits.limiter.check(&key, limit).await {
            let who = counted
                .as_ref()
                .map_or("anonymous", Caller::label)
                .to_owned();
            tracing::info!(caller = %who, "refused: over the request rate limit");
            metrics::counter!("wxhub_rate_limited_total", "kind" => kind, "caller" => who)
                .increment(1);
            return ApiError::rate_limited(
                format!(
                    "over the limit of {} requests a second (burst {}); retry later",
                    limit.per_second(),
                    limit.burst()
                ),
                retry_after,
            )
            .into_response();
        }
    }
    if let Some(caller) = caller {
        request.extensions_mut().insert(Authenticated(caller));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::is_limited;

    #[test]
    fn the_api_and_the_proxy_are_limited_and_the_rest_is_not() {
        for path in [
            "/api/v1/callers",
            "/api/v1/auth/token",
            "/wx/demo-mp/cgi-bin/menu/get",
        ] {
            assert!(is_limited(path), "{path}");
        }
        for path in [
            "/callback/demo-mp",
            "/healthz",
            "/readyz",
            "/metrics",
            "/api/v1/openapi.json",
            "/",
        ] {
            assert!(!is_limited(path), "{path}");
        }
    }
}
