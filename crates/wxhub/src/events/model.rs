//! Event domain types shared by the callbacks side (which stores events) and the delivery side
//! (which hands them to subscribers).
//!
//! Placeholder written by the delivery side against the agreed contract; the callbacks
//! engineer's version replaces it when `wt-callbacks` is merged.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::model::{AccountId, InvalidField};

/// `evt_<ulid>`: stable, sortable, what consumers dedup on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventId(String);

impl EventId {
    pub fn generate() -> Self {
        EventId(format!(
            "evt_{}",
            ulid::Ulid::new().to_string().to_lowercase()
        ))
    }

    pub fn parse(s: &str) -> Result<Self, InvalidField> {
        let ok = s.strip_prefix("evt_").is_some_and(|rest| {
            rest.len() == 26 && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if ok {
            Ok(EventId(s.to_ascii_lowercase()))
        } else {
            Err(InvalidField::new(
                "event_id",
                "must be evt_ followed by a ULID",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<EventId> for String {
    fn from(id: EventId) -> String {
        id.0
    }
}

impl TryFrom<String> for EventId {
    type Error = InvalidField;
    fn try_from(s: String) -> Result<Self, InvalidField> {
        EventId::parse(&s)
    }
}

/// An event to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_id: EventId,
    pub account: AccountId,
    pub event_type: String,
    pub dedup_key: String,
    pub received_at: DateTime<Utc>,
    pub qr_source: Option<u8>,
    pub payload: serde_json::Value,
}

/// An event as stored; `seq` orders events in commit order.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub seq: i64,
    pub event_id: EventId,
    pub account: AccountId,
    pub event_type: String,
    pub received_at: DateTime<Utc>,
    pub qr_source: Option<u8>,
    pub payload: serde_json::Value,
}
