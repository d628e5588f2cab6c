//! `GET|POST|DELETE /sandbox/faults`: per-endpoint fault injection (see `crate::faults`).

use crate::driver::error::{DJson, DriverError, DriverResult};
use crate::faults::Fault;
use crate::Sandbox;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<Sandbox> {
    Router::new().route(
        "/sandbox/faults",
        get(list_faults).post(set_fault).delete(clear_faults),
    )
}

async fn list_faults(State(sb): State<Sandbox>) -> Json<Value> {
    Json(json!({"faults": sb.faults().list()}))
}

async fn set_fault(
    State(sb): State<Sandbox>,
    DJson(fault): DJson<Fault>,
) -> DriverResult<(StatusCode, Json<Fault>)> {
    if !fault.path.starts_with('/') || fault.path.starts_with("/sandbox/") {
        return Err(DriverError::Invalid(
            "path must be a WeChat path such as /cgi-bin/token".into(),
        ));
    }
    if fault.http_status.is_some_and(|s| !(400..=599).contains(&s)) {
        return Err(DriverError::Invalid("http_status must be 400..=599".into()));
    }
    if fault.count == Some(0) {
        return Err(DriverError::Invalid("count must be at least 1".into()));
    }
    sb.faults().set(fault.clone());
    Ok((StatusCode::CREATED, Json(fault)))
}

async fn clear_faults(State(sb): State<Sandbox>) -> StatusCode {
    sb.faults().clear();
    StatusCode::NO_CONTENT
}
