//! WeCom (企业微信): tokens and tickets, code → userid, the directory, tags, app menus and
//! app messages, at WeCom's paths (`/cgi-bin/gettoken`, `/cgi-bin/department/list`, …).
//!
//! A corp has a contacts secret and apps (agents), each with its own secret and callback
//! config. Any of those secrets gets a token from `gettoken`; the token's owner
//! (`TokenOwner::Work { corpid, agentid }`) tells the handlers which corp and app ask.
//! Paths WeCom shares with Official Accounts (`user/get`, `menu/*`, `getcallbackip`) are
//! routed in `crate::shared`, which calls the functions in [`shared`] for WeCom tokens.
//!
//! [`model`] holds the corps' data and its pure operations (no axum, no lock); the other
//! files are routes: handlers that lock the state, call the model, and shape WeCom's JSON.
//!
//! Directory changes made through the driver push `change_contact` callbacks to every app
//! of the corp that has a callback URL ([`callback`]).

use crate::Sandbox;
use axum::Router;

pub mod callback;
pub mod directory;
pub mod errors;
pub mod menu;
pub mod message;
pub mod model;
pub mod shared;
pub mod tags;
pub mod token;
pub mod userinfo;

pub use model::WorkState;

/// WeCom-only paths. Paths both sides share are routed in `crate::shared`.
pub fn routes() -> Router<Sandbox> {
    Router::new()
        .merge(token::routes())
        .merge(directory::routes())
        .merge(tags::routes())
        .merge(message::routes())
        .merge(userinfo::routes())
}
