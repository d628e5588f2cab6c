//! The message centre (seed 002 §5): business systems notify WeCom members without knowing
//! WeCom.
//!
//! - **Notices** (`POST /api/v1/message-centre/send`, §5.1): a WeCom app message — text
//!   card, news or text — through the message-centre app (`[message_centre]
//!   default_account`) or another app of its corp (`agentId`), titles prefixed
//!   `【agentName】` (what each kind sends: [`model`]); or an e-mail (`sendType` 2) to each
//!   reached member's address through the SMTP server of `[message_centre.smtp]`
//!   ([`mail`]). Receivers are users (at most 1,000, or `@all`), departments or tags, one
//!   kind per notice; the answer names the ones that could not be reached
//!   (`invaliduser` / `invalidparty` / `invalidtag`, `|`-joined, as WeCom says them).
//! - **SMS** (`POST /api/v1/message-centre/sms`, §5.2): a template to users' or
//!   departments' mobiles through an [`sms::SmsProvider`] (log-only by default).
//! - **The log** (`GET /api/v1/message-centre/log`): every send with its outcome, newest
//!   first.
//!
//! E-mail addresses and mobiles come from the corp's contacts directory through
//! [`service::Recipients`], a trait the contacts capability implements. WeCom calls go
//! through `Api::for_account` with the app's token (counted against the account's WeChat
//! call limit; an `Idempotency-Key` claim marked before the call), e-mail and SMS mark the
//! claim before they leave. Storage: `store/message_centre.rs`, migration 0022.

pub mod config;
pub mod error;
pub mod mail;
pub mod model;
pub(crate) mod routes;
pub mod service;
pub mod sms;

pub use config::MessageCentreConfig;
pub use error::{MessageCentreError, RecipientsError};
pub use routes::routes;
pub use service::{MessageCentreService, Recipients};
