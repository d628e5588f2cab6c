//! Official Account (公众号) APIs at `api.weixin.qq.com`, one module per area.

pub mod media;
pub mod menu;
pub mod message;
pub mod oauth;
pub mod qrcode;
pub mod tags;
pub mod token;
pub mod user;
