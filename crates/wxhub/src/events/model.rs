//! The event types both issue-6 sides share.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::model::AccountId;
use crate::store::followers::FollowerChange;

/// `evt_<ulid>`: unique, sortable by creation time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(String);

/// A string that is not an `evt_<ulid>`.
#[derive(Debug, thiserror::Error)]
#[error("not an event id (evt_ followed by a ULID)")]
pub struct InvalidEventId;

impl EventId {
    pub fn new() -> Self {
        EventId(format!(
            "evt_{}",
            ulid::Ulid::new().to_string().to_lowercase()
        ))
    }

    pub fn parse(s: &str) -> Result<Self, InvalidEventId> {
        let ulid = s.strip_prefix("evt_").ok_or(InvalidEventId)?;
        ulid::Ulid::from_string(ulid).map_err(|_| InvalidEventId)?;
        Ok(EventId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for EventId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An event as stored, with its position `seq` in the store (increasing in commit order
/// within one backend; the SSE cursor).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    pub seq: i64,
    pub event_id: EventId,
    pub account: AccountId,
    pub event_type: String,
    pub received_at: DateTime<Utc>,
    pub qr_source: Option<u8>,
    /// The normalised JSON (carries `event_id`, `account`, `type`, `received_at` too).
    pub payload: serde_json::Value,
}

/// An event to store. `event_id` is fresh; if the dedup key is already stored, the stored
/// event wins and this id is never used.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_id: EventId,
    pub account: AccountId,
    pub event_type: String,
    /// Unique per account: WeChat's retries of one message or event share it.
    pub dedup_key: String,
    pub received_at: DateTime<Utc>,
    pub qr_source: Option<u8>,
    pub payload: serde_json::Value,
    /// The follower record change this event implies (follow, unfollow), applied in the
    /// same transaction as the event itself, and only when the event is new.
    pub follower: Option<FollowerChange>,
}

/// What storing one [`NewEvent`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum InsertOutcome {
    /// A new event, committed.
    Inserted(StoredEvent),
    /// Already stored (a retry): the first event's id.
    Duplicate(EventId),
}

impl InsertOutcome {
    pub fn event_id(&self) -> &EventId {
        match self {
            InsertOutcome::Inserted(e) => &e.event_id,
            InsertOutcome::Duplicate(id) => id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_prefixed_ulids() {
        let id = EventId::new();
        assert!(id.as_str().starts_with("evt_"));
        assert_eq!(EventId::parse(id.as_str()).ok(), Some(id));
        assert!(EventId::parse("evt_nope").is_err());
        assert!(EventId::parse("01hzzzzzzzzzzzzzzzzzzzzzzz").is_err());
    }
}
