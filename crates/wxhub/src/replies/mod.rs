//! Passive replies (issue 6, seed 004): per-account rules decide what the hub answers to a
//! callback — by keyword (exact, contains, regex), event type, menu key or QR source — with a
//! text, news, image, voice, video or music reply, or by asking a caller's reply webhook
//! within a deadline. A webhook that misses the deadline still gets its reply delivered, as
//! a customer-service message (`late`). Requests to a reply webhook are signed per Standard
//! Webhooks with the rule's own secret (`crate::core::signing`), like event webhooks.

pub mod error;
pub mod late;
pub mod model;
pub(crate) mod routes;
pub mod service;
pub mod webhook;

pub use error::ReplyError;
pub use late::{LateReplySender, TokenCentreSender};
pub use model::{ReplyContent, ReplyRule, RuleAction, RuleId, RuleMatch};
pub use routes::routes;
pub use service::{Decision, NewRule, ReplyService, RulePatch, SavedRule};
