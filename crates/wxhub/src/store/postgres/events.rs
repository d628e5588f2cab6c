//! [`EventStore`](crate::store::events::EventStore) on PostgreSQL: the shared queries of
//! `store/sql/events.rs`.

use crate::store::sql::events::event_store;

event_store! {
    /// [`EventStore`](crate::store::events::EventStore) on PostgreSQL.
    pub struct PgEventStore(sqlx::Postgres);
    followers = super::followers::PgFollowerStore;
}
