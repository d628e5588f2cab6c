//! QR codes (seed 000 §3.2–3.4, issue 15).
//!
//! - **Temporary codes** carry the caller's QR `source` (1–31) and a scene value, a number
//!   1–99,999,999 or a string, packed with wx-protocol's scene codec, so every scan decodes
//!   back to `source` and `srcvalue` (`events::normalise`). They live 20 minutes unless
//!   asked otherwise, at most 1,800 s (seed 000) unless the admin raised the account's limit
//!   (up to WeChat's 30 days).
//! - **Permanent codes** are scene ids 1–100,000 of an account, for callers the admin granted
//!   them (seed 000: "after consulting the product owner"); each id belongs to the first
//!   caller that asks, is answered again to it, and is never handed to another.
//! - Each code's **image** is rendered from WeChat's `url` (`image`), with no second call to
//!   WeChat, and served without a bearer: the code's id is 128 random bits.
//! - **Statistics** per code (scans, new follows, unique users, by UTC day) are counted in the
//!   event batch's own transaction (`model::scan_tally`), so a crash or a retried callback
//!   never counts a scan twice or loses one.
//! - **Publishable keys** let a web page use seed 000's JSONP route (`http/compat/qrcode.rs`)
//!   without a bearer: the caller's own source only, from the key's page domains.

pub mod error;
pub mod image;
pub mod model;
pub(crate) mod routes;
pub mod service;

pub use error::QrCodeError;
pub use routes::routes;
pub use service::QrCodeService;
