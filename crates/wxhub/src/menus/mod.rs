//! Custom menus of an Official Account (seed 004, issue 15).
//!
//! - **The default menu**: set (`menu/create`), read (`menu/get`, with every conditional
//!   menu), delete (`menu/delete`, which takes the conditional menus with it).
//! - **Conditional menus** (个性化菜单): a menu for the followers a `matchrule` matches —
//!   tag_id (the follower's last tag), sex, country, province, city, client_platform_type,
//!   language — added (`menu/addconditional`) and deleted (`menu/delconditional`);
//!   `trymatch` tells which menu a follower would see.
//! - **Checked before WeChat sees them** (`model`): 1–3 buttons, 1–5 sub-buttons, names of
//!   at most 16 bytes at the top and 60 below, WeChat's 13 button types (the 10 of seed 004:
//!   click, view, scancode_push, scancode_waitmsg, pic_sysphoto, pic_photo_or_album,
//!   pic_weixin, location_select, media_id, view_limited; WeChat's article_id and
//!   article_view_limited; miniprogram) each with the fields it needs and no other, keys of
//!   at most 128 bytes, http(s) urls of at most 1,024 bytes, no type on a button with
//!   sub-buttons; a match rule with a condition, WeChat's values, a country for a province
//!   and a province for a city, a tag the account has. Each refusal is a 422 naming the
//!   request path and the rule; when WeChat refuses anyway, its errcode is passed through.
//! - **The admin only**: an account has one menu shown to every follower, so no business
//!   system's scope covers changing it (or reading it back).
//!
//! Taps on the menu arrive as callbacks and are stored as events like any other (`click`
//! with its `event_key`, `view` with its url and `menu_id`; `events::normalise`). The hub
//! keeps no copy of the menu: WeChat's is the one.

pub mod error;
pub mod model;
pub(crate) mod routes;
pub mod service;

pub use error::MenuError;
pub use routes::routes;
pub use service::MenuService;
