//! `GET /api/v1/jssdk/config?account=&url=`: what a page passes to `wx.config` (and, for
//! WeCom apps, `wx.agentConfig`).

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service::{self, AllowedDomains, JssdkConfig, JssdkError};
use crate::accounts::model::AccountId;
use crate::callers::model::Scope;
use crate::http::auth::Authenticator;
use crate::http::error::ErrorBody;
use crate::http::{ApiError, Caller, Json, Query};
use crate::tokens::{TokenError, TokenService};

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    TokenService: FromRef<S>,
    Authenticator: FromRef<S>,
{
    OpenApiRouter::new().routes(routes!(get_config))
}

impl From<JssdkError> for ApiError {
    fn from(e: JssdkError) -> Self {
        match e {
            JssdkError::InvalidUrl => ApiError::invalid_field(format!("url: {e}")),
            JssdkError::DomainNotAllowed => {
                ApiError::new(StatusCode::FORBIDDEN, "domain_not_allowed", e.to_string())
            }
            JssdkError::Token(e) => e.into(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams, ToSchema)]
pub struct ConfigQuery {
    /// The account id (`demo-mp`).
    pub account: String,
    /// The page URL; its `#…` part is dropped.
    pub url: String,
}

/// JS-SDK signature for a page (scope `tokens` or `oauth`; the URL's host must be one of
/// the caller's JS-SDK domains).
#[utoipa::path(get, path = "/api/v1/jssdk/config", tag = "jssdk", params(ConfigQuery),
    security(("bearer" = [])),
    responses((status = 200, body = JssdkConfig), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_config(
    State(tokens): State<TokenService>,
    caller: Caller,
    Query(query): Query<ConfigQuery>,
) -> Result<Json<JssdkConfig>, ApiError> {
    let id = AccountId::parse(&query.account)
        .map_err(|_| ApiError::not_found("account_not_found", "account not found"))?;
    if let Err(first) = caller.require(Scope::Tokens, &id) {
        caller.require(Scope::Oauth, &id).map_err(|_| first)?;
    }
    let allowed = match caller.client() {
        None => AllowedDomains::Any,
        Some(client) => AllowedDomains::Only(client.jssdk_domains.clone()),
    };
    match service::sign(&tokens, id.as_str(), &query.url, &allowed).await {
        Ok(config) => Ok(Json(config)),
        Err(JssdkError::Token(TokenError::UnknownAccount)) => {
            Err(crate::http::auth::account_not_found(&id))
        }
        Err(e) => Err(e.into()),
    }
}
