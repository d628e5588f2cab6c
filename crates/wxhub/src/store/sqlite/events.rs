//! [`EventStore`](crate::store::events::EventStore) on SQLite: the shared queries of
//! `store/sql/events.rs` for reading, and the rusqlite batch writer of
//! [`event_batch`](super::event_batch) for the callbacks' inserts (on a file database; an
//! in-memory one has no file to open twice and keeps the shared sqlx insert).

use std::path::PathBuf;

use async_trait::async_trait;

use super::event_batch::EventBatchWriter;
use crate::events::model::{EventId, InsertOutcome, NewEvent, StoredEvent};
use crate::store::events::{EventFilter, EventStore};
use crate::store::sql::events::event_store;
use crate::store::{Dispatch, StoreError, WriteGate};

event_store! {
    /// The shared event queries on SQLite.
    pub struct SqliteEventQueries(sqlx::Sqlite);
    followers = super::shared::SqliteFollowerStore;
}

/// [`EventStore`] on SQLite.
pub struct SqliteEventStore {
    queries: SqliteEventQueries,
    writer: Option<EventBatchWriter>,
}

impl SqliteEventStore {
    /// `dispatch` applies to a database file; an in-memory one always leaves fan-out to its
    /// own step.
    pub fn new(pool: sqlx::SqlitePool, gate: WriteGate, dispatch: Dispatch) -> Self {
        let file = pool.connect_options().get_filename().to_path_buf();
        let writer = on_disk(file).map(|file| EventBatchWriter::new(file, gate.clone(), dispatch));
        SqliteEventStore {
            queries: SqliteEventQueries::new(pool, gate),
            writer,
        }
    }
}

/// The database file, unless the database lives in memory. sqlx names an in-memory database
/// `file:sqlx-in-memory-N` (for `sqlite::memory:`) or keeps the path of a `?mode=memory` URL,
/// so the test is "a plain path to a file that exists" (migrations have created it by now).
fn on_disk(file: PathBuf) -> Option<PathBuf> {
    let name = file.to_string_lossy();
    let uri_or_memory = name.starts_with("file:") || name.contains(":memory:");
    (!uri_or_memory && file.is_file()).then_some(file)
}

#[async_trait]
impl EventStore for SqliteEventStore {
    async fn insert_batch(&self, events: Vec<NewEvent>) -> Result<Vec<InsertOutcome>, StoreError> {
        match &self.writer {
            Some(writer) => writer.insert_batch(events).await,
            None => self.queries.insert_batch(events).await,
        }
    }

    async fn list(&self, filter: &EventFilter, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        self.queries.list(filter, limit).await
    }

    async fn after_seq(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        self.queries.after_seq(after, limit).await
    }

    async fn find(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
        self.queries.find(id).await
    }

    fn fans_out_in_batch(&self) -> bool {
        self.writer
            .as_ref()
            .is_some_and(EventBatchWriter::fans_out_in_batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_file_database_gets_the_batch_writer() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("wxhub.db");
        std::fs::write(&file, b"").expect("create the file");
        assert_eq!(on_disk(file.clone()), Some(file));
        assert_eq!(on_disk(dir.path().join("not-there.db")), None);
        assert_eq!(on_disk(PathBuf::from("file:sqlx-in-memory-0")), None);
        assert_eq!(on_disk(PathBuf::from(":memory:")), None);
        assert_eq!(on_disk(PathBuf::new()), None);
    }
}
