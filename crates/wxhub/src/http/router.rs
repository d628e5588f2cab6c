//! The whole API surface: every capability's `routes()` merged, plus the layer stack.
//!
//! Every path the hub serves (a test below keeps this list equal to the OpenAPI document):
//!
//! | methods | path |
//! |---|---|
//! | GET POST | `/api/v1/accounts` |
//! | DELETE GET PATCH | `/api/v1/accounts/{id}` |
//! | GET PATCH | `/api/v1/accounts/{id}/callback-settings` |
//! | GET | `/api/v1/accounts/{id}/qrcode-grants` |
//! | DELETE PUT | `/api/v1/accounts/{id}/qrcode-grants/{client_id}` |
//! | GET PATCH | `/api/v1/accounts/{id}/qrcode-settings` |
//! | GET | `/api/v1/accounts/{id}/followers` |
//! | POST | `/api/v1/accounts/{id}/followers/import` |
//! | POST | `/api/v1/accounts/{id}/followers/sync` |
//! | GET | `/api/v1/accounts/{id}/followers/{openid}` |
//! | PUT | `/api/v1/accounts/{id}/followers/{openid}/remark` |
//! | GET | `/api/v1/accounts/{id}/followers/{openid}/tags` |
//! | DELETE GET PUT | `/api/v1/accounts/{id}/menu` |
//! | POST | `/api/v1/accounts/{id}/menu/conditional` |
//! | DELETE | `/api/v1/accounts/{id}/menu/conditional/{menuid}` |
//! | POST | `/api/v1/accounts/{id}/menu/trymatch` |
//! | GET POST | `/api/v1/accounts/{id}/reply-rules` |
//! | DELETE GET PATCH | `/api/v1/accounts/{id}/reply-rules/{rule_id}` |
//! | POST | `/api/v1/accounts/{id}/reply-rules/{rule_id}/rotate-secret` |
//! | POST | `/api/v1/accounts/{id}/rotate-secret` |
//! | GET POST | `/api/v1/accounts/{id}/tags` |
//! | POST | `/api/v1/accounts/{id}/tags/sync` |
//! | DELETE PATCH | `/api/v1/accounts/{id}/tags/{tag_id}` |
//! | GET POST | `/api/v1/accounts/{id}/tags/{tag_id}/followers` |
//! | POST | `/api/v1/accounts/{id}/tags/{tag_id}/followers/remove` |
//! | GET | `/api/v1/accounts/{id}/token` |
//! | POST | `/api/v1/accounts/{id}/token/refresh` |
//! | POST | `/api/v1/admin/clock/advance` |
//! | GET | `/api/v1/auth/me` |
//! | POST | `/api/v1/auth/token` |
//! | DELETE GET POST | `/api/v1/bindings` |
//! | GET | `/api/v1/bindings/history` |
//! | POST | `/api/v1/bindings/qrcode` |
//! | GET | `/api/v1/bindings/qrcode/{scan_code}` |
//! | GET POST | `/api/v1/callers` |
//! | DELETE GET PATCH | `/api/v1/callers/{client_id}` |
//! | POST | `/api/v1/contacts/{corp}/notify` |
//! | POST | `/api/v1/contacts/{corp}/sync` |
//! | GET | `/api/v1/contacts/{corp}/syncs` |
//! | GET | `/api/v1/contacts/{corp}/auth-list` |
//! | GET | `/api/v1/contacts/{corp}/departments/{id}` |
//! | GET | `/api/v1/contacts/{corp}/departments/{id}/ancestors` |
//! | GET | `/api/v1/contacts/{corp}/departments/{id}/children` |
//! | GET | `/api/v1/contacts/{corp}/departments/{id}/members` |
//! | GET | `/api/v1/contacts/{corp}/members` |
//! | GET | `/api/v1/contacts/{corp}/members/{userid}` |
//! | GET | `/api/v1/contacts/{corp}/roles` |
//! | DELETE GET PUT | `/api/v1/contacts/{corp}/roles/{userid}` |
//! | GET | `/api/v1/contacts/{corp}/tags` |
//! | DELETE GET POST | `/api/v1/contacts/{corp}/tags/{id}/members` |
//! | GET | `/api/v1/events` |
//! | GET | `/api/v1/events/stream` |
//! | GET | `/api/v1/events/{event_id}` |
//! | GET | `/api/v1/jobs` |
//! | GET | `/api/v1/jobs/{id}` |
//! | POST | `/api/v1/jobs/{id}/cancel` |
//! | GET | `/api/v1/jssdk/config` |
//! | GET | `/api/v1/message-centre/log` |
//! | POST | `/api/v1/message-centre/send` |
//! | POST | `/api/v1/message-centre/sms` |
//! | POST | `/api/v1/qrcodes` |
//! | GET POST | `/api/v1/qrcodes/keys` |
//! | DELETE | `/api/v1/qrcodes/keys/{key_id}` |
//! | GET | `/api/v1/qrcodes/{id}.png` |
//! | GET | `/api/v1/qrcodes/{id}/stats` |
//! | POST | `/api/v1/users` |
//! | GET | `/api/v1/users/by-uid/{uid}` |
//! | GET | `/api/v1/users/by-unionid/{unionid}` |
//! | POST | `/api/v1/users/import` |
//! | GET | `/api/v1/users/{user_id}` |
//! | POST | `/api/v1/users/{user_id}/access` |
//! | GET | `/api/v1/users/{user_id}/follower` |
//! | GET POST | `/api/v1/webhooks` |
//! | DELETE GET PATCH | `/api/v1/webhooks/{id}` |
//! | GET | `/api/v1/webhooks/{id}/attempts` |
//! | GET | `/api/v1/webhooks/{id}/deliveries` |
//! | GET | `/api/v1/webhooks/{id}/deliveries/{delivery_id}` |
//! | POST | `/api/v1/webhooks/{id}/deliveries/{delivery_id}/replay` |
//! | POST | `/api/v1/webhooks/{id}/replay` |
//! | POST | `/api/v1/webhooks/{id}/rotate-secret` |
//! | GET | `/healthz` |
//! | GET | `/metrics` |
//! | GET | `/readyz` |
//! | GET POST | `/callback/{account}` (WeChat's callbacks; not in OpenAPI) |
//! | any | `/wx/{account}/{*path}` (the pass-through proxy; not in OpenAPI) |
//! | GET | `/sns/qrcode/{source}`, `/sns/grcode/{source}` (seed 000's JSONP route, `http/compat/`; not in OpenAPI) |
//! | GET | `/api/v1/openapi.json` |
//!
//! Layers, outermost first: request id (`x-request-id`,
//! set when absent and echoed back), trace span carrying it, timeout (504 `timeout`), body limit
//! (413 `body_too_large`), metrics, request rate limits (429 `rate_limited` on `/api/v1` and
//! `/wx/`, see [`super::ratelimit`]), then around the API routes only `Idempotency-Key`
//! ([`super::idempotency`]; a request refused for its rate never claims a key). Unknown paths
//! and wrong methods answer in the envelope.

use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, FromRef};
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
use crate::http::ratelimit::{self, RequestLimits};
use crate::{
    accounts, callbacks, callers, contacts, events, identity, jssdk, menus, message_centre, proxy,
    qrcode, replies, tags, tokens, webhooks,
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
        (name = "users", description = "Unified users (seed 001): the hub's user_id by unionid, a sealed phone, the access log"),
        (name = "bindings", description = "Business uids bound to openids, with seed 000's codes and the history"),
        (name = "tags", description = "Follower tags: the account's copy of WeChat's tags, tagging in batches of 50, a follower's tags and remark"),
        (name = "menus", description = "Custom menus, default and conditional, checked against WeChat's rules first (the admin only)"),
        (name = "message-centre", description = "The message centre (seed 002 §5): WeCom app messages, e-mail and SMS to members, departments and tags; the send log"),
        (name = "qrcodes", description = "Temporary and permanent QR codes, their images and scan statistics; publishable keys"),
        (name = "contacts", description = "The WeCom contacts directory: sync and reconcile, change re-reads, the copy's members, search, departments (ancestors, children, members), tags, admin roles and scopes"),
        (name = "jobs", description = "Tracked background jobs: progress, cancel"),
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
        .merge(identity::routes())
        .merge(qrcode::routes())
        .merge(tags::routes())
        .merge(menus::routes())
        .merge(contacts::routes())
        .merge(message_centre::routes())
        .merge(crate::http::jobs::routes())
        .merge(crate::http::test_clock::routes())
        .split_for_parts()
}

/// The generated OpenAPI document with the headers every route shares.
fn documented(mut openapi: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    crate::http::idempotency::document(&mut openapi);
    openapi
}

/// The generated OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented(api().1)
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
    let openapi = Arc::new(documented(openapi));
    let api = api.layer(axum::middleware::from_fn_with_state(
        state.idempotency.clone(),
        crate::http::idempotency::guard,
    ));
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
        let request_id = req
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::info_span!("http", method = %req.method(), uri = %req.uri().path(), request_id)
    });
    api.merge(callbacks::routes())
        .merge(crate::http::compat::routes())
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc) }
            }),
        )
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            RequestLimits::from_ref(&state),
            ratelimit::enforce,
        ))
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

#[cfg(test)]
mod tests {
    /// (method, path) pairs of the table in this module's doc, OpenAPI-documented rows only.
    fn documented() -> Vec<String> {
        include_str!("router.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("//! | "))
            .filter(|row| !row.contains("not in OpenAPI") && !row.contains("openapi.json"))
            .filter_map(|row| {
                let (methods, rest) = row.split_once(" | `")?;
                let path = rest.split('`').next()?;
                Some((methods.to_owned(), path.to_owned()))
            })
            .filter(|(methods, _)| methods.chars().all(|c| c.is_ascii_uppercase() || c == ' '))
            .flat_map(|(methods, path)| {
                methods
                    .split(' ')
                    .map(|m| format!("{m} {path}"))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn the_module_doc_lists_every_documented_path() {
        let mut served: Vec<String> = super::openapi()
            .paths
            .paths
            .iter()
            .flat_map(|(path, item)| {
                [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("PUT", item.put.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter(|(_, present)| *present)
                .map(move |(method, _)| format!("{method} {path}"))
            })
            .collect();
        served.sort();
        let mut documented = documented();
        documented.sort();
        assert_eq!(served, documented);
    }
}
