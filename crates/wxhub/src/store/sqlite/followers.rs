//! [`FollowerStore`](crate::store::followers::FollowerStore) on SQLite: the shared queries of
//! `store/sql/followers.rs`. Times are UTC milliseconds.

use crate::store::sql::followers::follower_store;

follower_store! {
    /// [`FollowerStore`](crate::store::followers::FollowerStore) on SQLite.
    pub struct SqliteFollowerStore(sqlx::Sqlite);
}
