//! TODO
use crate::Sandbox;
use axum::Router;

pub fn routes() -> Router<Sandbox> {
    Router::new()
}
