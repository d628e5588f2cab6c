//! The SQLite backend (the default): one file, WAL mode, foreign keys on.

pub mod checkpoint;
pub mod event_batch;
pub mod events;
mod qrcode_scans;
pub mod shared;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::store::ConnectError;

pub(crate) async fn connect(url: &str) -> Result<SqlitePool, ConnectError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(ConnectError::Connect)?
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .pragma("wal_autocheckpoint", checkpoint::BACKSTOP_PAGES.to_string());
    if let Some(dir) = Path::new(options.get_filename()).parent() {
        if !dir.as_os_str().is_empty() && !dir.exists() {
            std::fs::create_dir_all(dir).map_err(|source| ConnectError::CreateDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
    }
    SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(ConnectError::Connect)
}
