//! [`EventStore`](crate::store::events::EventStore) on SQLite: the shared queries of
//! `store/sql/events.rs`. Times are UTC milliseconds; one writer, so the claim takes no lock.

use crate::store::sql::events::event_store;

event_store! {
    /// [`EventStore`](crate::store::events::EventStore) on SQLite.
    pub struct SqliteEventStore(sqlx::Sqlite);
    claim_lock = "";
    followers = super::followers::SqliteFollowerStore;
}
