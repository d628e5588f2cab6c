//! Liveness, readiness and metrics.

use axum::extract::{FromRef, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::http::auth::{bearer, Authenticator};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::Json;

#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    pub status: &'static str,
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_healthz))
        .routes(routes!(get_readyz))
        .routes(routes!(get_metrics))
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Status)))]
async fn get_healthz() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// The store is reachable.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Status), (status = 503, body = ErrorBody)))]
async fn get_readyz(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    match state.store.db.ping().await {
        Ok(()) => Ok(Json(Status { status: "ready" })),
        Err(e) => {
            tracing::warn!(
                error = format!("{:#}", anyhow::Error::from(e)),
                "readiness check failed"
            );
            Err(ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "store_unreachable",
                "the store is not reachable",
            ))
        }
    }
}

/// Prometheus metrics in the text exposition format. They name callers and accounts, so
/// they need the admin bearer unless `http.metrics_public` is set (Prometheus sends one with
/// `authorization: {credentials: …}` in its scrape config).
#[utoipa::path(get, path = "/metrics", tag = "health", security(("bearer" = [])),
    responses((status = 200, content_type = "text/plain", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    if !state.config.http.metrics_public {
        let token = bearer(&headers)?;
        if !Authenticator::from_ref(&state).is_admin(token) {
            tracing::info!("refused: /metrics without the admin bearer");
            return Err(ApiError::forbidden(
                "admin_required",
                "/metrics needs the admin credential (or http.metrics_public = true)",
            ));
        }
    }
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    ))
}
