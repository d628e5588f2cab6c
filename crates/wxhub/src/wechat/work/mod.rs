//! WeCom (企业微信) APIs at `qyapi.weixin.qq.com`, one module per area.

pub mod contacts;
pub mod message;
pub mod token;
