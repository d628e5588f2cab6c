//! The whole API surface: every capability's `routes()` merged, plus the layer stack.
//!
//! Reading this file tells you every path. Layers, outermost first: request id (`x-request-id`,
//! set when absent and echoed back), trace span carrying it, timeout (504 `timeout`), body limit
//! (413 `body_too_large`), metrics. Unknown paths and wrong methods answer in the envelope.

use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::routing::get;
use axum::{BoxError, Router};
use tower::ServiceBuilder;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::config::HttpConfig;
use crate::http::error::{self, ApiError};
use crate::{
    accounts, callbacks, callers, events, followers, jssdk, proxy, replies, tokens, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "wxhub", description = "A self-hosted WeChat integration hub."),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Liveness, readiness, metrics"),
        (name = "accounts", description = "Official Accounts and WeCom apps"),
        (name = "callers", description = "Business systems and their credentials"),
        (name = "tokens", description = "The token centre: access_token for trusted callers, passive refresh"),
        (name = "jssdk", description = "JS-SDK signatures for wx.config and wx.agentConfig"),
        (name = "events", description = "Stored WeChat events: list, one, live stream"),
        (name = "webhooks", description = "Standard Webhooks endpoints, deliveries, attempts, replay"),
        (name = "replies", description = "Passive reply rules for callbacks"),
        (name = "followers", description = "Follower records as follow and unfollow callbacks leave them"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every route with its OpenAPI description, before layers and state.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::http::health::routes())
        .merge(accounts::routes())
        .merge(callers::routes())
        .merge(tokens::routes())
        .merge(jssdk::routes())
        .merge(proxy::routes())
        .merge(events::routes())
        .merge(webhooks::routes())
        .merge(replies::routes())
        .merge(followers::routes())
        .merge(crate::http::test_clock::routes())
        .split_for_parts()
}

/// The generated OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone, Copy, Default)]
struct MakeUlidRequestId;

impl MakeRequestId for MakeUlidRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let id = format!("req_{}", ulid::Ulid::new().to_string().to_lowercase());
        id.parse().ok().map(RequestId::new)
    }
}

async fn handle_layer_error(err: BoxError) -> ApiError {
    if err.is::<tower::timeout::error::Elapsed>() {
        ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            "the request took too long",
        )
    } else {
        ApiError::internal(anyhow::anyhow!("middleware failed: {err}"))
    }
}

/// The hub's router with all layers, ready to serve.
pub fn router(state: AppState, http: &HttpConfig) -> Router {
    let (api, openapi) = api();
    let openapi = Arc::new(openapi);
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
        let request_id = req
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::info_span!("http", method = %req.method(), uri = %req.uri().path(), request_id)
    });
    api.merge(callbacks::routes())
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc) }
            }),
        )
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn(super::metrics::track))
        .layer(DefaultBodyLimit::max(http.body_limit_bytes))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeUlidRequestId))
                .layer(trace)
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(HandleErrorLayer::new(handle_layer_error))
                .timeout(Duration::from_secs(http.request_timeout_secs)),
        )
        .with_state(state)
}
