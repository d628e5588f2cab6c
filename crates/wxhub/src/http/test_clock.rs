//! `POST /api/v1/admin/clock/advance` `{"seconds": n}` → `{"now"}`: moves the hub's clock
//! forward for everything that reads it (token expiry, windows, quotas, retention), so an
//! outside test suite can test time without waiting. Served only when the hub started with
//! `WXHUB_TEST_CLOCK=1`; otherwise the path answers 404 like any unknown one. Admin bearer.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::core::InvalidField;
use crate::http::error::{self, ApiError, ErrorBody};
use crate::http::{Caller, Json};

/// At most ten years at a time.
const MAX_SECONDS: i64 = 10 * 366 * 24 * 3600;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(advance_clock))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceRequest {
    /// Seconds to move forward (0 reads the clock).
    seconds: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockNow {
    now: DateTime<Utc>,
}

/// Move the test clock forward (only with `WXHUB_TEST_CLOCK=1`; never in production).
#[utoipa::path(post, path = "/api/v1/admin/clock/advance", tag = "health",
    request_body = AdvanceRequest, security(("bearer" = [])),
    responses((status = 200, body = ClockNow), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn advance_clock(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<AdvanceRequest>,
) -> Result<Json<ClockNow>, ApiError> {
    let Some(clock) = &state.test_clock else {
        return Err(error::not_found().await);
    };
    caller.require_admin()?;
    if !(0..=MAX_SECONDS).contains(&body.seconds) {
        return Err(ApiError::invalid_field(
            InvalidField::new("seconds", format!("must be 0 to {MAX_SECONDS}")).to_string(),
        ));
    }
    let now = clock.advance(chrono::Duration::seconds(body.seconds));
    tracing::warn!(seconds = body.seconds, %now, "test clock advanced");
    Ok(Json(ClockNow { now }))
}
