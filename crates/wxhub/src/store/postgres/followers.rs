//! [`FollowerStore`](crate::store::followers::FollowerStore) on PostgreSQL: the shared
//! queries of `store/sql/followers.rs`.

use crate::store::sql::followers::follower_store;

follower_store! {
    /// [`FollowerStore`](crate::store::followers::FollowerStore) on PostgreSQL.
    pub struct PgFollowerStore(sqlx::Postgres);
}
