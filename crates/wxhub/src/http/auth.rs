//! Caller authentication: the [`Caller`] extractor.
//!
//! A handler that needs auth takes a `Caller`. The bearer token is either the admin token from
//! config (may call every `/api/v1` route) or a caller token issued by `POST /api/v1/auth/token`.
//! [`Caller::require`] then checks scope and account: an account the caller may not use is
//! answered 404, exactly like one that does not exist, so existence never leaks. Rejection
//! reasons are logged; clients are told little. Each authenticated request counts in
//! `wxhub_caller_requests_total{caller, route}` (seed 000 §5 monitoring).
//!
//! The rate-limit layer ([`super::ratelimit`]) authenticates first, to know whose bucket a
//! request counts against; it leaves the [`Caller`] in the request's extensions
//! ([`Authenticated`]), and the extractor takes it from there instead of asking again.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, MatchedPath};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::accounts::model::AccountId;
use crate::callers::model::{Caller as CallerInfo, Scope};
use crate::core::crypto::constant_time_eq;
use crate::core::Secret;
use crate::http::error::ApiError;

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Caller {
    /// The admin bearer from config.
    Admin,
    /// A registered business system.
    Client(Arc<CallerInfo>),
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        matches!(self, Caller::Admin)
    }

    /// The label used in metrics and logs: the system id, or `admin`.
    pub fn label(&self) -> &str {
        match self {
            Caller::Admin => "admin",
            Caller::Client(c) => c.system_id.as_str(),
        }
    }

    /// The registered caller, unless this is the admin.
    pub fn client(&self) -> Option<&CallerInfo> {
        match self {
            Caller::Admin => None,
            Caller::Client(c) => Some(c),
        }
    }

    /// Whether this caller may use `account` at all (admin: always).
    pub fn may_use(&self, account: &AccountId) -> bool {
        match self {
            Caller::Admin => true,
            Caller::Client(c) => c.accounts.contains(account),
        }
    }

    /// Admin-only routes: 403 `admin_required` for everyone else.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self {
            Caller::Admin => Ok(()),
            Caller::Client(c) => {
                tracing::info!(caller = %c.system_id, "refused: admin route");
                Err(ApiError::forbidden(
                    "admin_required",
                    "this route needs the admin credential",
                ))
            }
        }
    }

    /// Needs `scope`, regardless of account: 403 `scope_missing`.
    pub fn require_scope(&self, scope: Scope) -> Result<(), ApiError> {
        match self {
            Caller::Admin => Ok(()),
            Caller::Client(c) if c.scopes.contains(&scope) => Ok(()),
            Caller::Client(c) => {
                tracing::info!(caller = %c.system_id, scope = %scope, "refused: scope missing");
                Err(ApiError::forbidden(
                    "scope_missing",
                    format!("this caller lacks the {scope} scope"),
                ))
            }
        }
    }

    /// Needs `scope` on `account`. An account the caller may not use is 404
    /// `account_not_found`, the same answer as for an account that does not exist.
    pub fn require(&self, scope: Scope, account: &AccountId) -> Result<(), ApiError> {
        if !self.may_use(account) {
            tracing::info!(caller = %self.label(), account = %account, "refused: account not granted");
            return Err(account_not_found(account));
        }
        self.require_scope(scope)
    }
}

/// The 404 for an unknown account, shared so that "not granted" looks identical.
pub fn account_not_found(account: &AccountId) -> ApiError {
    ApiError::not_found("account_not_found", format!("account {account} not found"))
}

/// The bearer token of a request's `Authorization` header.
pub fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let header = headers.get(AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized("unauthenticated", "missing Authorization: Bearer token")
    })?;
    let value = header
        .to_str()
        .map_err(|_| ApiError::unauthorized("invalid_token", "malformed Authorization header"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthorized("invalid_token", "malformed Authorization header"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthorized(
            "invalid_token",
            "expected Authorization: Bearer <token>",
        ));
    }
    Ok(token.trim())
}

/// Who a caller's bearer token belongs to, if it is valid now (the callers capability
/// implements it; defined here so caller auth depends on no capability's service).
#[async_trait::async_trait]
pub trait BearerTokens: Send + Sync + 'static {
    async fn caller_of(&self, bearer: &str) -> anyhow::Result<Option<Arc<CallerInfo>>>;
}

/// What the [`Caller`] extractor needs: the callers' bearer tokens and the admin bearer
/// from config. Nothing else of the hub.
#[derive(Clone)]
pub struct Authenticator {
    callers: Arc<dyn BearerTokens>,
    admin: Option<Secret<String>>,
}

impl Authenticator {
    pub fn new(callers: Arc<dyn BearerTokens>, admin: Option<Secret<String>>) -> Self {
        Authenticator { callers, admin }
    }

    /// The registered caller a bearer token belongs to now (`None`: unknown or expired).
    pub async fn caller_of(&self, bearer: &str) -> anyhow::Result<Option<Arc<CallerInfo>>> {
        self.callers.caller_of(bearer).await
    }

    /// Who `token` belongs to now: the admin, a caller, or `None` (unknown or expired).
    pub async fn identify(&self, token: &str) -> anyhow::Result<Option<Caller>> {
        if self.is_admin(token) {
            return Ok(Some(Caller::Admin));
        }
        Ok(self.caller_of(token).await?.map(Caller::Client))
    }

    /// Whether `token` is the admin bearer (compared in constant time).
    pub fn is_admin(&self, token: &str) -> bool {
        self.admin
            .as_ref()
            .is_some_and(|admin| constant_time_eq(admin.expose().as_bytes(), token.as_bytes()))
    }
}

/// A request's caller, as the rate-limit layer authenticated it.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Caller);

impl<S> FromRequestParts<S> for Caller
where
    Authenticator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = match parts.extensions.get::<Authenticated>() {
            Some(Authenticated(caller)) => caller.clone(),
            None => {
                let auth = Authenticator::from_ref(state);
                let token = bearer(&parts.headers)?;
                match auth.identify(token).await {
                    Ok(Some(caller)) => caller,
                    Ok(None) => {
                        tracing::info!("refused: unknown or expired bearer token");
                        return Err(ApiError::unauthorized(
                            "invalid_token",
                            "bearer token is invalid or expired",
                        ));
                    }
                    Err(e) => return Err(ApiError::internal(e)),
                }
            }
        };
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        metrics::counter!(
            "wxhub_caller_requests_total",
            "caller" => caller.label().to_owned(),
            "route" => route
        )
        .increment(1);
        Ok(caller)
    }
}

/// `Option<Caller>`: `None` when the request has no `Authorization` header at all (the
/// proxy then treats it as an SDK's); a header that is there must hold a valid bearer.
impl<S> axum::extract::OptionalFromRequestParts<S> for Caller
where
    Authenticator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if !parts.headers.contains_key(AUTHORIZATION) {
            return Ok(None);
        }
        <Caller as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::http::StatusCode;

    use super::*;
    use crate::callers::model::{ClientId, SystemId};

    fn client(accounts: &[&str], scopes: &[Scope]) -> Caller {
        Caller::Client(Arc::new(CallerInfo {
            client_id: ClientId::generate(),
            system_id: SystemId::parse("sys").expect("system id"),
            name: "Sys".into(),
            accounts: accounts
                .iter()
                .map(|a| AccountId::parse(a).expect("id"))
                .collect(),
            scopes: scopes.iter().copied().collect::<BTreeSet<_>>(),
            qr_source: None,
            rsa_public_key: None,
            redirect_domains: vec![],
            jssdk_domains: vec![],
            created_at: chrono::DateTime::from_timestamp(0, 0).unwrap_or_default(),
            rate_limit: None,
        }))
    }

    fn id(s: &str) -> AccountId {
        AccountId::parse(s).expect("id")
    }

    #[test]
    fn ungranted_account_is_not_found_before_scope_is_checked() {
        let caller = client(&["a"], &[]);
        let err = caller
            .require(Scope::Tokens, &id("b"))
            .expect_err("not granted");
        assert_eq!(err.status(), StatusCode::NOT_FOUND);
        assert_eq!(err.code(), "account_not_found");
    }

    #[test]
    fn granted_account_without_scope_is_forbidden() {
        let caller = client(&["a"], &[Scope::Messages]);
        let err = caller
            .require(Scope::Tokens, &id("a"))
            .expect_err("no scope");
        assert_eq!(err.status(), StatusCode::FORBIDDEN);
        assert_eq!(err.code(), "scope_missing");
        assert!(caller.require(Scope::Messages, &id("a")).is_ok());
        assert!(caller.require_admin().is_err());
    }

    #[test]
    fn admin_may_do_everything() {
        assert!(Caller::Admin.require(Scope::Redpacket, &id("any")).is_ok());
        assert!(Caller::Admin.require_admin().is_ok());
        assert_eq!(Caller::Admin.label(), "admin");
    }
}
