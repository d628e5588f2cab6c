//! The driver: the users' side, a JSON API under `/sandbox/` (documented in the crate's
//! README). One file per resource.

use crate::Sandbox;
use axum::Router;

pub mod accounts;
mod actions;
pub mod api;
pub mod clock;
pub mod error;
pub mod faults;
pub mod pay;
pub mod users;
pub mod verify;
pub mod work;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .merge(accounts::routes())
        .merge(users::routes())
        .merge(actions::routes())
        .merge(clock::routes())
        .merge(faults::routes())
        .merge(verify::routes())
        .merge(work::routes())
        .merge(pay::routes())
}
