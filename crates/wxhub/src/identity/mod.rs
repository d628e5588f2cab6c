//! Identity: who a WeChat user is to the business systems (seed 000 §3.6–3.7, seed 001 §2–4).
//!
//! One folder, one area per file in each layer (`model/`, `service/`, `routes/`):
//! - **followers** — the record per (account, openid) that follow and unfollow callbacks keep
//!   (`callbacks::writer` writes it, through `store::followers::FollowerStore`), read by id or
//!   page by page, and the account's callback settings (`unfollow_unbinds`). Each record
//!   carries every field of WeChat's `user/info`: the profile fetcher
//!   (`service::profiles::ProfileFetcher`, a background loop) reads it after a follow and
//!   again when it is old; the follower sync (`service::sync`, a tracked job started by
//!   `POST …/followers/sync` or `wxhub sync followers`) reads the whole list.

pub mod config;
pub mod error;
pub mod model;
pub(crate) mod routes;
pub mod service;

pub use config::FollowersConfig;
pub use error::FollowerError;
pub use model::{CallbackSettings, SettingsPatch};
pub use routes::routes;
pub use service::FollowerService;
