//! WAL checkpoints off the write path.
//!
//! By default SQLite checkpoints inside whichever commit pushes the WAL past 1 000 pages:
//! that commit copies the WAL into the database and fsyncs it while every callback waiting
//! for its batch waits too (issue 6's p99 went from about 12 ms to 25 ms with it). Here the
//! connections' automatic checkpoint is raised to [`BACKSTOP_PAGES`] and a background task
//! runs a `PASSIVE` checkpoint every [`EVERY`] ([`checkpoint_once`]): it takes no write lock, so writers go on while
//! it copies, and once it has caught up the next writer starts the WAL from its beginning
//! again. The backstop bounds the WAL if this task ever falls behind or is not running (an
//! `App` that is built but never served).
//!
//! Under steady load the background checkpoint never quite catches up with the last commit
//! (writers append while it copies), so the WAL grows to the backstop, whose checkpoint then
//! runs in a commit with little left to copy and lets the WAL start over: one commit every
//! 64 MiB of WAL waits for the disk's two fsyncs (about 25 ms here). Catching up under the
//! write gate each second instead costs that wait every second; issue 6 measured it no
//! better.

use std::time::Duration;

use sqlx::SqlitePool;

use crate::store::StoreError;

/// The automatic checkpoint every SQLite connection of the hub keeps (4 KiB pages: 64 MiB).
pub const BACKSTOP_PAGES: u32 = 16_384;
/// How often the background checkpoint runs.
pub const EVERY: Duration = Duration::from_secs(1);

/// One `PASSIVE` checkpoint (the background job `app/background.rs` runs every [`EVERY`]);
/// reports the WAL's size in frames as `wxhub_sqlite_wal_frames`.
pub async fn checkpoint_once(pool: &SqlitePool) -> Result<(), StoreError> {
    // (busy, frames in the WAL, frames checkpointed); -1s when not in WAL mode.
    let (_, wal_frames, _) = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await?;
    metrics::gauge!("wxhub_sqlite_wal_frames").set(wal_frames.max(0) as f64);
    Ok(())
}
