//! QR codes (seed 000 §3.2–3.4): temporary codes carrying a caller's `source` and scene
//! value, permanent codes an admin granted a caller, each code's image rendered here, and
//! per-code scan statistics counted from events.
pub mod error;
pub mod image;
pub mod model;
pub(crate) mod routes;
pub mod service;

pub use error::QrCodeError;
pub use routes::routes;
pub use service::QrCodeService;
