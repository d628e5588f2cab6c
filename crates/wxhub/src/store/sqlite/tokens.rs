//! [`TokenStore`](crate::store::tokens::TokenStore) on SQLite: the shared queries of
//! `store/sql/tokens.rs`. Times are stored as UTC milliseconds (INTEGER), so range
//! queries compare numbers, not text.

use chrono::{DateTime, Utc};

use crate::store::sql::tokens::{corrupt, token_store};
use crate::store::sql::TimeColumn;
use crate::store::StoreError;

/// A time as UTC milliseconds since the epoch (an INTEGER column).
pub(crate) struct EpochMillis;

impl TimeColumn for EpochMillis {
    type Db = i64;

    fn to_db(time: DateTime<Utc>) -> i64 {
        time.timestamp_millis()
    }

    fn from_db(ms: i64) -> Result<DateTime<Utc>, StoreError> {
        DateTime::from_timestamp_millis(ms).ok_or_else(|| corrupt("stored time out of range"))
    }
}

token_store! {
    /// [`TokenStore`](crate::store::tokens::TokenStore) on SQLite.
    pub struct SqliteTokenStore(sqlx::Sqlite);
    times = EpochMillis;
}
