//! [`TokenStore`](crate::store::tokens::TokenStore) on PostgreSQL: the shared queries of
//! `store/sql/tokens.rs`. Times are TIMESTAMPTZ columns.

use chrono::{DateTime, Utc};

use crate::store::sql::tokens::token_store;
use crate::store::sql::TimeColumn;
use crate::store::StoreError;

/// A time as a TIMESTAMPTZ column, bound and decoded as it is.
pub(crate) struct Timestamptz;

impl TimeColumn for Timestamptz {
    type Db = DateTime<Utc>;

    fn to_db(time: DateTime<Utc>) -> DateTime<Utc> {
        time
    }

    fn from_db(time: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
        Ok(time)
    }
}

token_store! {
    /// [`TokenStore`](crate::store::tokens::TokenStore) on PostgreSQL.
    pub struct PgTokenStore(sqlx::Postgres);
    times = Timestamptz;
}
