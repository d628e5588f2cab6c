//! Storage of the message centre: the log of every notice sent through it (WeCom app
//! message, e-mail, SMS) with its outcome. The trait only; no SQL.

use async_trait::async_trait;

use crate::message_centre::model::{LogEntry, LogId};
use crate::store::StoreError;

#[async_trait]
pub trait MessageLogStore: Send + Sync + 'static {
    /// Adds one send to the log, in a write transaction of its own.
    async fn record(&self, entry: &LogEntry) -> Result<(), StoreError>;
    /// Up to `limit` sends, newest first, older than `before` when given; only `caller`'s
    /// when given (`None`: everyone's, for the admin).
    async fn list(
        &self,
        caller: Option<&str>,
        before: Option<&LogId>,
        limit: u32,
    ) -> Result<Vec<LogEntry>, StoreError>;
}
