//! The one error type every storage trait returns.

/// What a storage call's caller must decide on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write. `what` is the trait-documented key
    /// (e.g. `"system_id"`, `"qr_source"`), so services can say which value clashed.
    #[error("conflict on {what}")]
    Conflict { what: &'static str },
    /// A row refers to another that does not exist (a foreign key).
    #[error("referenced row does not exist")]
    MissingReference,
    /// A stored row does not decode into its domain type.
    #[error("stored row is corrupt: {0}")]
    Corrupt(String),
    /// The database failed: unreachable, timeout, bug. Opaque to callers.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// SQLite's event batch writer (rusqlite) failed. Opaque to callers, like `Database`.
    #[error("database error")]
    Embedded(#[source] rusqlite::Error),
    /// The write ran under an `Idempotency-Key` claim this request no longer holds (its
    /// holder was presumed stopped): nothing was written.
    #[error(transparent)]
    ClaimLost(#[from] crate::core::effects::ClaimLost),
    #[error("running migrations")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Embedded(e)
    }
}

/// Maps a write error: unique violations become [`StoreError::Conflict`] with the key whose
/// needle appears in the constraint name (PostgreSQL) or the message (SQLite names the
/// columns); foreign-key violations become [`StoreError::MissingReference`].
pub(crate) fn classify_write(e: sqlx::Error, keys: &[(&str, &'static str)]) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            let haystack = format!("{} {}", db.constraint().unwrap_or(""), db.message());
            for (needle, what) in keys {
                if haystack.contains(needle) {
                    return StoreError::Conflict { what };
                }
            }
            return StoreError::Conflict { what: "unique" };
        }
        if db.is_foreign_key_violation() {
            return StoreError::MissingReference;
        }
    }
    StoreError::Database(e)
}
