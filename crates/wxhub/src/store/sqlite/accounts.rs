//! [`AccountStore`](crate::store::accounts::AccountStore) on SQLite: the shared queries of
//! `store/sql/accounts.rs`.

use crate::store::sql::accounts::account_store;

account_store! {
    /// [`AccountStore`](crate::store::accounts::AccountStore) on SQLite.
    pub struct SqliteAccountStore(sqlx::Sqlite);
}
