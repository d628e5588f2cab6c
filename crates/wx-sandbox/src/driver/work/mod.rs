//! The WeCom side of the driver: corps and apps, the directory (generated in bulk, or
//! changed one item at a time with `change_contact` callbacks), members' inboxes and
//! members' messages to apps.

use crate::Sandbox;
use axum::Router;

pub mod api;
pub mod corps;
pub mod directory;
pub mod members;
pub mod tags;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .merge(corps::routes())
        .merge(directory::routes())
        .merge(members::routes())
        .merge(tags::routes())
}
