//! [`EventStore`] on SQLite (placeholder until the callbacks side lands its own).

use std::collections::BTreeSet;

use async_trait::async_trait;
use sqlx::SqlitePool;

use crate::accounts::model::AccountId;
use crate::events::model::{EventId, NewEvent, StoredEvent};
use crate::store::events::{EventRow, EventStore, InsertOutcome, EVENT_COLUMNS};
use crate::store::StoreError;

pub struct SqliteEventStore {
    pool: SqlitePool,
}

impl SqliteEventStore {
    pub fn new(pool: SqlitePool) -> Self {
        SqliteEventStore { pool }
    }
}

#[async_trait]
impl EventStore for SqliteEventStore {
    async fn insert_batch(&self, events: &[NewEvent]) -> Result<Vec<InsertOutcome>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::with_capacity(events.len());
        for e in events {
            let row: Option<EventRow> = sqlx::query_as(&format!(
                "INSERT INTO events (event_id, account_id, event_type, dedup_key, received_at, qr_source, payload) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (account_id, dedup_key) DO NOTHING \
                 RETURNING {EVENT_COLUMNS}"
            ))
            .bind(e.event_id.as_str())
            .bind(e.account.as_str())
            .bind(&e.event_type)
            .bind(&e.dedup_key)
            .bind(e.received_at)
            .bind(e.qr_source.map(i64::from))
            .bind(e.payload.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            out.push(match row {
                Some(row) => InsertOutcome::Inserted(row.into_event()?),
                None => InsertOutcome::Duplicate(e.event_id.clone()),
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn list(
        &self,
        account: Option<&AccountId>,
        accounts: Option<&BTreeSet<AccountId>>,
        before_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let allowed = accounts.map(|a| {
            serde_json::to_string(&a.iter().map(AccountId::as_str).collect::<Vec<_>>())
                .unwrap_or_else(|_| "[]".into())
        });
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE seq < ?1 \
             AND (?2 IS NULL OR account_id = ?2) \
             AND (?3 IS NULL OR account_id IN (SELECT value FROM json_each(?3))) \
             ORDER BY seq DESC LIMIT ?4"
        ))
        .bind(before_seq.unwrap_or(i64::MAX))
        .bind(account.map(AccountId::as_str))
        .bind(allowed)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(EventRow::into_event).collect()
    }

    async fn after_seq(&self, seq: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))
        .bind(seq)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(EventRow::into_event).collect()
    }

    async fn find(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
        let row: Option<EventRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE event_id = ?1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(EventRow::into_event).transpose()
    }
}
