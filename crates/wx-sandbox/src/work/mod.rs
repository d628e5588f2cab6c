//! WeCom (企业微信): tokens and tickets, code → userid, the directory, tags, app menus and
//! app messages, at WeCom's paths (`/cgi-bin/gettoken`, `/cgi-bin/department/list`, …).
//!
//! A corp has a contacts secret and apps (agents), each with its own secret and callback
//! config. Any of those secrets gets a token from `gettoken`; the token's owner
//! (`TokenOwner::Work { corpid, agentid }`) tells the handlers which corp and app ask.
//! Paths WeCom shares with Official Accounts (`user/get`, `menu/*`, `getcallbackip`) are
//! routed in `crate::shared`, which calls the functions in [`shared`] for WeCom tokens.
//!
//! [`model`] holds the corps' data and its pure operations (no axum, no lock), with the
//! indexed member and department collections; [`changes`] the directory writes as pure
//! operations (checks, change, the `change_contact` event), shared by WeCom's write APIs
//! and the driver. The other files are routes: handlers that lock the state, call the
//! model, and shape WeCom's JSON:
//!
//! - [`token`]: `gettoken`, the JS-SDK and agent_config tickets.
//! - [`directory`]: the read side (`department/list|simplelist|get`, `user/list`,
//!   `user/simplelist`, `user/list_id`; `user/get` through `crate::shared`).
//! - [`contacts`]: the write side (`user/create|update|delete`,
//!   `department/create|update|delete`), for the contacts secret only (apps: 60011).
//! - [`tags`], [`message`] (`message/send`), [`menu`], [`userinfo`] (code → userid).
//! - [`callback`]: pushing callbacks (change_contact, members' messages to apps).
//!
//! WeCom's 2022-06-20 restrictions: apps marked `created_after_2022_06_20` get member
//! answers without the sensitive fields ([`model::SENSITIVE_MEMBER_FIELDS`]); an app or the
//! contacts secret with a trusted-IP list answers 60020 to callers outside it (the check
//! is in `crate::auth`, for every token-authenticated WeCom path; `gettoken` is not
//! checked).
//!
//! Directory changes, through the driver or the write APIs, push `change_contact`
//! callbacks to every app of the corp that has a callback URL and to the directory-sync
//! event server ([`callback`]).

use crate::Sandbox;
use axum::Router;

pub mod callback;
pub mod changes;
pub mod contacts;
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
        .merge(contacts::routes())
        .merge(tags::routes())
        .merge(message::routes())
        .merge(userinfo::routes())
}
