//! [`AccountStore`](crate::store::accounts::AccountStore) on PostgreSQL: the shared queries of
//! `store/sql/accounts.rs`.

use crate::store::sql::accounts::account_store;

account_store! {
    /// [`AccountStore`](crate::store::accounts::AccountStore) on PostgreSQL.
    pub struct PgAccountStore(sqlx::Postgres);
}
