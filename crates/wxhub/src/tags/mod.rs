//! Follower tags of an Official Account (seed 004, issue 15).
//!
//! - **Tags**: create, rename, delete, list, through WeChat's `tags/*` with the account's
//!   token. The hub keeps a copy of each account's tags (id, name, followers), read from
//!   WeChat's `tags/get` the first time it is needed, by `POST …/tags/sync`, and after every
//!   change made here; lists answer from it, and WeChat's limits are checked on it before
//!   WeChat is asked: at most 100 tags of the account's own, names of at most 30 bytes and
//!   unique, WeChat's own tags 0/1/2 untouchable, no deleting a tag of more than 100,000
//!   followers. Where the copy cannot know (a change made outside the hub since the last
//!   sync), WeChat's own errcode is passed through.
//! - **Tagging**: up to 1,000 openids per request, sent to WeChat 50 at a time
//!   (`tags/members/batchtagging` / `batchuntagging`); the answer lists the openids of each
//!   batch WeChat refused.
//! - **A follower's side**: their tags (`tags/getidlist`), a tag's followers
//!   (`user/tag/get`, WeChat's pages of up to 10,000), the remark
//!   (`user/info/updateremark`, at most 30 characters).
//!
//! Its own capability rather than an area of `identity/`: it owns no follower record (the
//! follower sync of `identity/` copies `tagid_list` and `remark` from WeChat), only the
//! account's tags and the calls that change them. Storage: `store/tags.rs`, migration 0018.

pub mod error;
pub mod model;
pub(crate) mod routes;
pub mod service;

pub use error::TagError;
pub use routes::routes;
pub use service::TagService;
