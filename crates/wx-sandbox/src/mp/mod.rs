//! The Official Account (公众号) side. [`model`] holds an account's data and its pure
//! operations (no axum, no lock); every other file is one API area's routes: handlers that
//! lock the state, call the model, and shape WeChat's JSON. Paths MP shares with WeCom are
//! routed in `crate::shared` and land in the `pub async fn`s named there.

use crate::Sandbox;
use axum::Router;

pub mod callbackip;
pub mod kf;
pub mod mass;
pub mod media;
pub mod menu;
pub mod message;
pub mod model;
pub mod qrcode;
pub mod tags;
pub mod template;
pub mod token;
pub mod users;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .merge(token::routes())
        .merge(qrcode::routes())
        .merge(menu::routes())
        .merge(tags::routes())
        .merge(users::routes())
        .merge(template::routes())
        .merge(message::routes())
        .merge(mass::routes())
        .merge(kf::routes())
}
