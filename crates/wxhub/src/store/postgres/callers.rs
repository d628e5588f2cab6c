//! [`CallerStore`](crate::store::callers::CallerStore) on PostgreSQL: the shared queries of
//! `store/sql/callers.rs`.

use crate::store::sql::callers::caller_store;

caller_store! {
    /// [`CallerStore`](crate::store::callers::CallerStore) on PostgreSQL.
    pub struct PgCallerStore(sqlx::Postgres);
}
