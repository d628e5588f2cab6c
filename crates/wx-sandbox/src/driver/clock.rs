//! `GET /sandbox/clock`, `POST /sandbox/clock/advance`, and `POST /sandbox/state/save`.

use crate::driver::api::{ClockAdvance, ClockView};
use crate::driver::error::{DJson, DriverError, DriverResult};
use crate::Sandbox;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/sandbox/clock", get(show_clock))
        .route("/sandbox/clock/advance", post(advance_clock))
        .route("/sandbox/state/save", post(save_state))
        .route(
            "/sandbox/health",
            get(|| async { Json(json!({"status": "ok"})) }),
        )
}

fn view(sb: &Sandbox) -> ClockView {
    ClockView {
        now: sb.now(),
        offset: sb.clock().offset(),
    }
}

async fn show_clock(State(sb): State<Sandbox>) -> Json<ClockView> {
    Json(view(&sb))
}

async fn advance_clock(
    State(sb): State<Sandbox>,
    DJson(body): DJson<ClockAdvance>,
) -> DriverResult<Json<ClockView>> {
    if body.seconds < 0 {
        return Err(DriverError::Invalid("seconds must not be negative".into()));
    }
    sb.clock().advance(body.seconds);
    Ok(Json(view(&sb)))
}

async fn save_state(State(sb): State<Sandbox>) -> DriverResult<Json<Value>> {
    match sb.save().await {
        Ok(saved) => Ok(Json(json!({"saved": saved}))),
        Err(e) => {
            tracing::error!(error = %e, "saving state failed");
            Err(DriverError::Internal)
        }
    }
}
