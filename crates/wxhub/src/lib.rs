//! wxhub.
#![forbid(unsafe_code)]

pub mod cache;
pub mod store;
pub mod tokens;
pub mod wechat;
