//! wxhub.
#![forbid(unsafe_code)]

pub mod cache;
pub mod jssdk;
pub mod proxy;
pub mod store;
pub mod tokens;
pub mod wechat;
