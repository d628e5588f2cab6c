//! [`EventStore`](crate::store::events::EventStore) on PostgreSQL: the shared queries of
//! `store/sql/events.rs`. `claim_undispatched` locks with `FOR UPDATE SKIP LOCKED`.

use crate::store::sql::events::event_store;

event_store! {
    /// [`EventStore`](crate::store::events::EventStore) on PostgreSQL.
    pub struct PgEventStore(sqlx::Postgres);
    claim_lock = " FOR UPDATE SKIP LOCKED";
    followers = super::followers::PgFollowerStore;
}
