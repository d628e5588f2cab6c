//! Followers (issue 6): the record per (account, openid) that follow and unfollow callbacks
//! keep, read by id or page by page, and the account's callback settings about followers
//! (`unfollow_unbinds`, acted on by the identity capability once it exists).
//!
//! Callbacks write follower records (`callbacks::writer`); this capability only reads them and
//! changes the settings. Both go through `store::followers::FollowerStore`.

pub mod error;
pub mod model;
pub(crate) mod routes;
pub mod service;

pub use error::FollowerError;
pub use model::{CallbackSettings, SettingsPatch};
pub use routes::routes;
pub use service::FollowerService;
