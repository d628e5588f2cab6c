//! Queries shared by both backends; `$N` placeholders work on SQLite and PostgreSQL.
//!
//! Every store's SQL is written once, here. sqlx-sqlite binds a `$N` parameter by its number,
//! exactly like `?N` (see its `arguments.rs`), so one SQL text serves both backends. Each store
//! is one `macro_rules!` in `sql/<cap>.rs` that expands, for a given `sqlx::Database`, to the
//! struct, its `new(pool)` and the `impl <Cap>Store`. `store/sqlite/shared.rs` and
//! `store/postgres/shared.rs` hold the invocations that name the public types
//! (`Sqlite…Store`, `Pg…Store`). Beside them, a backend keeps only what is no SQL of a store:
//! SQLite's rusqlite event batch writer (same SQL text, from here), its event store choosing
//! between that writer and the shared insert, the WAL checkpoint, and each backend's
//! `connect`.
//!
//! A macro rather than a generic `impl<DB: sqlx::Database>`: a generic impl needs a
//! `where` clause per bound type and executor, and the expanded code is the plain code the two
//! copies used to be, checked by the compiler for each backend.
//!
//! # One time representation
//!
//! A time is bound and decoded through [`Columns`] and nothing else: INTEGER UTC milliseconds
//! on SQLite (every time column, since migration 0008), `TIMESTAMPTZ` on PostgreSQL. Row types
//! that derive `sqlx::FromRow` are generic over the stored time type (`AccountRow<T>`, read as
//! `AccountRow<Time<$db>>`) and convert with `into_record::<$db>()`.
//!
//! # Adding a store the shared way
//!
//! 1. The trait and row types go in `store/<cap>.rs` (no SQL); migrations in
//!    `migrations/sqlite/` and `migrations/postgres/` (their dialects differ, they stay apart).
//! 2. `store/sql/<cap>.rs`: a module doc, then
//!    `macro_rules! <cap>_store { ($(#[$attr:meta])* pub struct $name:ident($db:ty);) => { … } }`
//!    followed by `pub(crate) use <cap>_store;`, and `pub(crate) mod <cap>;` below. In the body:
//!    - write every placeholder as `$1`, `$2`, … (never a bare `?`; `$N` in a string literal
//!      is plain text to `macro_rules!`);
//!    - name every item by a `$crate::` path (the expansion lands in the backend's module);
//!    - take the pool as `sqlx::Pool<$db>` and rows as `<$db as sqlx::Database>::Row`;
//!    - put `$(#[$attr])*` on the struct, so each backend writes its own doc comment.
//!
//!    `sql/accounts.rs` is the smallest example. Booleans, 32-bit integers and times go
//!    through [`Columns`], implemented on the `sqlx::Database` itself
//!    (`<$db as Columns>::time_to_db(t)`): `sql/replies.rs`, `sql/followers.rs`, `sql/tokens.rs`;
//!    `sql/events.rs` also names the follower store its batches use, and `sql/webhooks.rs`
//!    takes its locking statements from a per-backend dialect trait.
//! 3. One invocation each in `store/sqlite/shared.rs` and `store/postgres/shared.rs`,
//!    e.g. `account_store! { /// [`AccountStore`] on SQLite. pub struct SqliteAccountStore(sqlx::Sqlite); }`.
//! 4. `Store::new` builds both, as before; the contract test in `tests/it/store/<cap>.rs`
//!    (`on_both_backends!`) proves the shared SQL on each.
//!
//! # Where the dialects differ
//!
//! Check every query against both dialects; correctness on both beats sharing. Known
//! differences: column types (no `TIMESTAMPTZ` on SQLite, `BOOLEAN` is an integer there: bind
//! through [`Columns`], never a literal `1` or `TRUE`); PostgreSQL refuses a bound value whose
//! type does not fit the column (a `String` for a `TIMESTAMPTZ`) where SQLite stores anything,
//! and SQLite binds a missing `$N` as NULL without complaint, so only the contract test on both
//! proves a shared query; PostgreSQL must know the type of a parameter only compared with NULL
//! (`CAST($2 AS TEXT) IS NULL`, which SQLite accepts too); `= ANY($1)` takes an array only on
//! PostgreSQL (write an `IN (…)` list with `QueryBuilder`); `FOR UPDATE SKIP LOCKED` exists
//! only on PostgreSQL, and SQLite wants `BEGIN IMMEDIATE` for a transaction that reads before
//! it writes (`sql/webhooks.rs`'s `WebhookDialect`); batch inserts (`UNNEST` on PostgreSQL,
//! multi-row `VALUES` within SQLite's parameter limit); `RETURNING` (SQLite ≥ 3.35, and no row
//! order promise); `ILIKE`, date and JSON functions; upserts whose conflict target is an
//! expression or partial index. `ON CONFLICT (col) DO UPDATE SET … = excluded.…` itself is the
//! same on both.
//!
//! SQL that SQLite's rusqlite event batch writer also runs (`store/sqlite/event_batch.rs`)
//! is bound there by position, and SQLite numbers `$N` parameters in the order they first
//! appear in the text: write such a statement so `$1`, `$2`, … first appear in that order
//! (`sql/bindings.rs`'s `END_ON_UNFOLLOW` puts the `SET` value first, as `$1`).
//!
//! When a statement differs, name the differing fragment once per backend (a const in a
//! trait implemented on the `sqlx::Database`, like `WebhookDialect`) and splice it into the
//! shared text. When a whole method differs, end the macro's pattern with
//! `$($per_backend:tt)*`, splice `$($per_backend)*` into the `impl <Cap>Store` block, and let
//! each invocation write its own version of that method after the struct line. When most of a
//! store differs, keep two plain files.

use chrono::{DateTime, Utc};

use crate::store::StoreError;

pub(crate) mod accounts;
pub(crate) mod bindings;
pub(crate) mod callers;
pub(crate) mod contact_queries;
pub(crate) mod contacts;
pub(crate) mod events;
pub(crate) mod followers;
pub(crate) mod idempotency;
pub(crate) mod jobs;
pub(crate) mod message_centre;
pub(crate) mod proxy_tokens;
pub(crate) mod qrcodes;
pub(crate) mod replies;
pub(crate) mod tags;
pub(crate) mod tokens;
pub(crate) mod users;
pub(crate) mod webhooks;

/// Opens a write transaction: on SQLite with `BEGIN IMMEDIATE` (the write lock taken at once,
/// so a transaction that reads before it writes never fails to upgrade its lock), on
/// PostgreSQL with a plain `BEGIN` (row locks). When the request runs under an
/// `Idempotency-Key` claim ([`crate::core::effects`]), the claim is marked `acted` as the
/// transaction's first statement, so the mark commits with the change or not at all; a claim
/// this request no longer holds fails the write ([`StoreError::ClaimLost`]) before anything is
/// written. Every store write a `/api/v1` route can reach goes through here.
pub(crate) trait WriteTx: sqlx::Database {
    /// The statement that begins a write transaction.
    const BEGIN: &'static str;

    fn begin_write(
        pool: &sqlx::Pool<Self>,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self>, StoreError>> + Send;
}

/// The statement that marks a claim: held by this instance, not yet answered.
const MARK_ACTED: &str = "UPDATE idempotency_keys SET state = 'acted' \
     WHERE scope = $1 AND key = $2 AND holder = $3 AND state IN ('running', 'external', 'acted')";

macro_rules! write_tx {
    ($db:ty, $begin:literal) => {
        impl WriteTx for $db {
            const BEGIN: &'static str = $begin;

            async fn begin_write(
                pool: &sqlx::Pool<Self>,
            ) -> Result<sqlx::Transaction<'static, Self>, StoreError> {
                let mut tx = pool.begin_with(Self::BEGIN).await?;
                if let Some(claim) = crate::core::effects::current() {
                    let marked = sqlx::query(MARK_ACTED)
                        .bind(&claim.scope)
                        .bind(&claim.key)
                        .bind(&claim.holder)
                        .execute(&mut *tx)
                        .await?;
                    if marked.rows_affected() != 1 {
                        return Err(crate::core::effects::ClaimLost::NotHeld.into());
                    }
                }
                Ok(tx)
            }
        }
    };
}

write_tx!(sqlx::Sqlite, "BEGIN IMMEDIATE");
write_tx!(sqlx::Postgres, "BEGIN");

/// The Rust type a backend's time columns decode to (`Columns::Time`), for row types.
pub(crate) type Time<DB> = <DB as Columns>::Time;

/// A time read through `C`; a stored value out of range is [`StoreError::Corrupt`] naming
/// `what`.
pub(crate) fn stored_time<C: Columns>(
    value: C::Time,
    what: &str,
) -> Result<DateTime<Utc>, StoreError> {
    C::time_from_db(value).ok_or_else(|| StoreError::Corrupt(format!("{what} out of range")))
}

/// The column types that differ between the backends, for shared SQL whose stores bind
/// booleans, 32-bit integers or times: SQLite stores all three as INTEGER (`i64`; times as UTC
/// milliseconds), PostgreSQL as `BOOLEAN`, `INTEGER` (`i32`) and `TIMESTAMPTZ`.
/// Implemented on the `sqlx::Database` itself, so a store macro names only `$db`.
/// A `*_from_db` that returns `None` is a stored value out of range: the store reports it as
/// [`StoreError::Corrupt`] with its own wording.
pub(crate) trait Columns {
    type Bool;
    type Int;
    type Time;
    fn bool_to_db(value: bool) -> Self::Bool;
    fn bool_from_db(value: Self::Bool) -> bool;
    fn int_to_db(value: i32) -> Self::Int;
    fn int_from_db(value: Self::Int) -> Option<i32>;
    fn time_to_db(time: DateTime<Utc>) -> Self::Time;
    fn time_from_db(value: Self::Time) -> Option<DateTime<Utc>>;
    /// `time` at the precision the column keeps (what a read gives back after a write).
    fn time_as_stored(time: DateTime<Utc>) -> DateTime<Utc>;
}

impl Columns for sqlx::Sqlite {
    type Bool = i64;
    type Int = i64;
    type Time = i64;

    fn bool_to_db(value: bool) -> i64 {
        i64::from(value)
    }

    fn bool_from_db(value: i64) -> bool {
        value != 0
    }

    fn int_to_db(value: i32) -> i64 {
        i64::from(value)
    }

    fn int_from_db(value: i64) -> Option<i32> {
        i32::try_from(value).ok()
    }

    fn time_to_db(time: DateTime<Utc>) -> i64 {
        time.timestamp_millis()
    }

    fn time_from_db(ms: i64) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(ms)
    }

    fn time_as_stored(time: DateTime<Utc>) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(time.timestamp_millis()).unwrap_or(time)
    }
}

impl Columns for sqlx::Postgres {
    type Bool = bool;
    type Int = i32;
    type Time = DateTime<Utc>;

    fn bool_to_db(value: bool) -> bool {
        value
    }

    fn bool_from_db(value: bool) -> bool {
        value
    }

    fn int_to_db(value: i32) -> i32 {
        value
    }

    fn int_from_db(value: i32) -> Option<i32> {
        Some(value)
    }

    fn time_to_db(time: DateTime<Utc>) -> DateTime<Utc> {
        time
    }

    fn time_from_db(time: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Some(time)
    }

    /// PostgreSQL keeps microseconds.
    fn time_as_stored(time: DateTime<Utc>) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap_or(time)
    }
}
