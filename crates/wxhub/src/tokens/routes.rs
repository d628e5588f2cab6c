//! `/api/v1/accounts/{id}/token`: the access_token for trusted callers that must call
//! WeChat themselves, and seed 003's passive refresh.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::TokenError;
use super::service::TokenService;
use crate::accounts::model::AccountId;
use crate::cache::{CachedToken, TokenValue};
use crate::callers::model::Scope;
use crate::http::auth::account_not_found;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::extract::parse_json;
use crate::http::{ApiError, Caller, Json, Path, RawBody};
use crate::wechat::WeChatError;

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    TokenService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(get_token))
        .routes(routes!(refresh_token))
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        let message = e.to_string();
        match e {
            TokenError::WeChat(WeChatError::Api { errcode, errmsg }) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "wechat_error", message)
                    .with_wechat(errcode, errmsg)
            }
            TokenError::WeChat(
                WeChatError::Status(_) | WeChatError::Transport(_) | WeChatError::Decode(_),
            ) => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "wechat_unavailable",
                "wechat could not be reached or answered unreadably",
            ),
            TokenError::QuotaExhausted {
                errmsg,
                retry_after,
            } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "wechat_quota_exhausted",
                format!(
                    "{message}; no new request for {} s",
                    retry_after.as_secs().max(1)
                ),
            )
            .with_wechat(crate::wechat::error::QUOTA_EXHAUSTED, errmsg)
            .with_retry_after(retry_after),
            TokenError::RefreshTooSoon { retry_after } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "token_refresh_too_soon",
                message,
            )
            .with_retry_after(retry_after),
            TokenError::LockTimeout => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "token_refresh_busy",
                message,
            ),
            TokenError::UnknownAccount => {
                ApiError::not_found("account_not_found", "account not found")
            }
            TokenError::Unsupported(_) => ApiError::bad_request("unsupported_for_account", message),
            TokenError::MissingContactsSecret => {
                ApiError::new(StatusCode::CONFLICT, "contacts_secret_missing", message)
            }
            TokenError::Internal(cause) => ApiError::internal(anyhow::anyhow!(cause)),
        }
    }
}

/// An access_token as handed to a trusted caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_at: DateTime<Utc>,
    /// Seconds left, for SDKs that expect WeChat's shape.
    pub expires_in: i64,
}

impl TokenResponse {
    fn new(token: CachedToken, now: DateTime<Utc>) -> Self {
        Self {
            access_token: token.value.expose().to_owned(),
            expires_at: token.expires_at,
            expires_in: (token.expires_at - now).num_seconds().max(0),
        }
    }
}

/// Optional body of a passive refresh.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The token the caller saw WeChat reject: replaced only if it is still current.
    #[serde(default)]
    pub access_token: Option<String>,
}

fn account(caller: &Caller, id: &str) -> Result<AccountId, ApiError> {
    let id = AccountId::parse(id)
        .map_err(|_| ApiError::not_found("account_not_found", "account not found"))?;
    caller.require(Scope::Tokens, &id)?;
    Ok(id)
}

/// The account's current access_token (scope `tokens`).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/token", tag = "tokens",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = TokenResponse), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn get_token(
    State(tokens): State<TokenService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<TokenResponse>, ApiError> {
    let id = account(&caller, &id)?;
    let token = tokens
        .access_token(id.as_str())
        .await
        .map_err(|e| not_found_as(e, &id))?;
    Ok(Json(TokenResponse::new(
        token,
        tokens.engine().clock().now(),
    )))
}

/// Passive refresh (seed 003): with `access_token`, replaces that token if it is still
/// current (at most once per `tokens.min_refresh_interval_secs` per account: more often is
/// 429 `token_refresh_too_soon` with `Retry-After`, and the current token stays); a token
/// that is no longer current gets the current one. Without, returns a token fetched within
/// the last 30 s — a storm of calls causes one fetch.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/token/refresh", tag = "tokens",
    params(("id" = String, Path)), request_body(content = Option<RefreshRequest>),
    security(("bearer" = [])),
    responses((status = 200, body = TokenResponse), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn refresh_token(
    State(tokens): State<TokenService>,
    caller: Caller,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> Result<Json<TokenResponse>, ApiError> {
    let id = account(&caller, &id)?;
    let request: RefreshRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RefreshRequest::default()
    } else {
        parse_json(&body)?
    };
    let stale = request
        .access_token
        .filter(|t| !t.is_empty())
        .map(TokenValue::new);
    let token = tokens
        .refresh_access_token(id.as_str(), stale)
        .await
        .map_err(|e| not_found_as(e, &id))?;
    Ok(Json(TokenResponse::new(
        token,
        tokens.engine().clock().now(),
    )))
}

fn not_found_as(e: TokenError, id: &AccountId) -> ApiError {
    match e {
        TokenError::UnknownAccount => account_not_found(id),
        other => other.into(),
    }
}
