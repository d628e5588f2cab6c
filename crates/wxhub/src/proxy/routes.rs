//! `ANY /wx/{account}/{*path}`: the pass-through (caller bearer with scope `tokens` for the
//! account, or the admin bearer). Counted per caller in `wxhub_proxy_requests_total`.

use axum::extract::{FromRef, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::any;
use utoipa_axum::router::OpenApiRouter;

use super::service::{ProxyError, ProxyRequest, ProxyService};
use crate::accounts::model::AccountId;
use crate::callers::model::Scope;
use crate::http::auth::account_not_found;
use crate::http::auth::Authenticator;
use crate::http::{ApiError, Caller, Path};
use crate::tokens::TokenError;
use crate::wechat::WeChatError;

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    ProxyService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new().route("/wx/{account}/{*path}", any(forward))
}

impl From<ProxyError> for ApiError {
    fn from(e: ProxyError) -> Self {
        match e {
            ProxyError::InvalidPath(_) => ApiError::bad_request("invalid_path", e.to_string()),
            ProxyError::NotProxied => ApiError::not_found("path_not_proxied", e.to_string()),
            ProxyError::BodyRead => ApiError::bad_request("unreadable_body", e.to_string()),
            ProxyError::Token(e) => e.into(),
            ProxyError::Internal(e) => ApiError::internal(e),
            ProxyError::Throttled(e) => e.into(),
            ProxyError::Upstream(
                WeChatError::Transport(_)
                | WeChatError::Status(_)
                | WeChatError::Decode(_)
                | WeChatError::Api { .. },
            ) => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "wechat_unavailable",
                "wechat could not be reached",
            ),
        }
    }
}

/// With `Authorization: Bearer`, a caller's call; without, an SDK's (`proxy::sdk`).
async fn forward(
    State(proxy): State<ProxyService>,
    caller: Option<Caller>,
    Path((account, path)): Path<(String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    let id = AccountId::parse(&account)
        .map_err(|_| ApiError::not_found("account_not_found", "account not found"))?;
    let Some(caller) = caller else {
        let (parts, body) = request.into_parts();
        let request = ProxyRequest {
            method: parts.method,
            path,
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers,
            body,
        };
        return match proxy.forward_for_sdk(&id, request).await {
            Ok(response) => Ok(response),
            Err(ProxyError::Token(TokenError::UnknownAccount)) => Err(account_not_found(&id)),
            Err(e) => Err(e.into()),
        };
    };
    caller.require(Scope::Tokens, &id)?;
    metrics::counter!(
        "wxhub_proxy_requests_total",
        "caller" => caller.label().to_owned(),
        "account" => id.to_string()
    )
    .increment(1);
    let (parts, body) = request.into_parts();
    let request = ProxyRequest {
        method: parts.method,
        path,
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    };
    match proxy.forward(id.as_str(), request).await {
        Ok(response) => Ok(response),
        Err(ProxyError::Token(TokenError::UnknownAccount)) => Err(account_not_found(&id)),
        Err(e) => Err(e.into()),
    }
}
