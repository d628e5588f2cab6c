//! The event types both issue-6 sides share.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::accounts::model::AccountId;
use crate::identity::model::FollowerChange;

crate::ulid_id!(
    /// `evt_<ulid>`: unique, sortable by creation time.
    EventId, "evt_", "event_id"
);

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
    /// The directory re-reads a change_contact callback asks for, queued in the same
    /// transaction as the event, and only when the event is new.
    pub contact_rereads: Vec<crate::contacts::model::NewContactChange>,
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
        let id = EventId::generate();
        assert!(id.as_str().starts_with("evt_"));
        assert_eq!(EventId::parse(id.as_str()).ok(), Some(id));
        assert!(EventId::parse("evt_nope").is_err());
        assert!(EventId::parse("01hzzzzzzzzzzzzzzzzzzzzzzz").is_err());
    }
}
