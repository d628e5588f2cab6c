//! Official Account (公众号) APIs at `api.weixin.qq.com`, one module per area.

pub mod token;
