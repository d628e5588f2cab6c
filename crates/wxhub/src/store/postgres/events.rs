//! [`EventStore`] on PostgreSQL. A batch is one transaction: one multi-row
//! `INSERT … ON CONFLICT DO NOTHING RETURNING` per chunk, then one lookup of the rows that
//! were already there. `claim_undispatched` locks with `FOR UPDATE SKIP LOCKED`.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use crate::accounts::model::AccountId;
use crate::events::{EventId, InsertOutcome, NewEvent, StoredEvent};
use crate::store::events::{EventFilter, EventStore};
use crate::store::StoreError;

pub struct PgEventStore {
    pool: PgPool,
}

impl PgEventStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// Rows per INSERT statement (7 parameters each, far below PostgreSQL's 65 535).
const CHUNK: usize = 500;

const COLUMNS: &str = "seq, event_id, account_id, event_type, received_at, qr_source, payload";

fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt(what.into())
}

fn row_to_event(row: &sqlx::postgres::PgRow) -> Result<StoredEvent, StoreError> {
    let event_id: String = row.try_get("event_id")?;
    let account: String = row.try_get("account_id")?;
    let payload: String = row.try_get("payload")?;
    let received: DateTime<Utc> = row.try_get("received_at")?;
    let qr: Option<i32> = row.try_get("qr_source")?;
    Ok(StoredEvent {
        seq: row.try_get("seq")?,
        event_id: EventId::parse(&event_id).map_err(|_| corrupt("event_id"))?,
        account: AccountId::parse(&account).map_err(|_| corrupt("event account_id"))?,
        event_type: row.try_get("event_type")?,
        received_at: received,
        qr_source: qr
            .map(u8::try_from)
            .transpose()
            .map_err(|_| corrupt("event qr_source"))?,
        payload: serde_json::from_str(&payload).map_err(|_| corrupt("event payload"))?,
    })
}

#[async_trait]
impl EventStore for PgEventStore {
    async fn insert_batch(&self, events: &[NewEvent]) -> Result<Vec<InsertOutcome>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await?;
        // (account, dedup_key) -> the row inserted by this batch.
        let mut inserted: HashMap<(String, String), (i64, String)> = HashMap::new();
        let payloads: Vec<String> = events.iter().map(|e| e.payload.to_string()).collect();
        for (chunk_no, chunk) in events.chunks(CHUNK).enumerate() {
            let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
                "INSERT INTO events (event_id, account_id, event_type, dedup_key, received_at, qr_source, payload) ",
            );
            qb.push_values(chunk.iter().enumerate(), |mut b, (i, e)| {
                b.push_bind(e.event_id.as_str())
                    .push_bind(e.account.as_str())
                    .push_bind(e.event_type.as_str())
                    .push_bind(e.dedup_key.as_str())
                    .push_bind(e.received_at)
                    .push_bind(e.qr_source.map(i32::from))
                    .push_bind(payloads[chunk_no * CHUNK + i].as_str());
            });
            qb.push(" ON CONFLICT (account_id, dedup_key) DO NOTHING RETURNING seq, event_id, account_id, dedup_key");
            let rows = qb.build().fetch_all(&mut *tx).await?;
            for row in rows {
                let account: String = row.try_get("account_id")?;
                let key: String = row.try_get("dedup_key")?;
                inserted.insert(
                    (account, key),
                    (row.try_get("seq")?, row.try_get("event_id")?),
                );
            }
        }
        // Rows that were already stored before this batch.
        let mut existing: HashMap<(String, String), String> = HashMap::new();
        let missing: Vec<&NewEvent> = events
            .iter()
            .filter(|e| !inserted.contains_key(&(e.account.to_string(), e.dedup_key.clone())))
            .collect();
        for e in missing {
            let k = (e.account.to_string(), e.dedup_key.clone());
            if existing.contains_key(&k) {
                continue;
            }
            let id: Option<String> = sqlx::query_scalar(
                "SELECT event_id FROM events WHERE account_id = $1 AND dedup_key = $2",
            )
            .bind(e.account.as_str())
            .bind(e.dedup_key.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let id = id.ok_or_else(|| corrupt("event neither inserted nor found"))?;
            existing.insert(k, id);
        }
        tx.commit().await?;
        events
            .iter()
            .map(|e| {
                let k = (e.account.to_string(), e.dedup_key.clone());
                match inserted.get(&k) {
                    Some((seq, id)) if id == e.event_id.as_str() => {
                        Ok(InsertOutcome::Inserted(StoredEvent {
                            seq: *seq,
                            event_id: e.event_id.clone(),
                            account: e.account.clone(),
                            event_type: e.event_type.clone(),
                            received_at: micros(e.received_at),
                            qr_source: e.qr_source,
                            payload: e.payload.clone(),
                        }))
                    }
                    Some((_, id)) => Ok(InsertOutcome::Duplicate(
                        EventId::parse(id).map_err(|_| corrupt("event_id"))?,
                    )),
                    None => {
                        let id = existing
                            .get(&k)
                            .ok_or_else(|| corrupt("event neither inserted nor found"))?;
                        Ok(InsertOutcome::Duplicate(
                            EventId::parse(id).map_err(|_| corrupt("event_id"))?,
                        ))
                    }
                }
            })
            .collect()
    }

    async fn list(&self, filter: &EventFilter, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let mut qb: QueryBuilder<Postgres> =
            QueryBuilder::new(format!("SELECT {COLUMNS} FROM events WHERE 1 = 1"));
        if let Some(accounts) = &filter.accounts {
            if accounts.is_empty() {
                return Ok(Vec::new());
            }
            qb.push(" AND account_id IN (");
            let mut sep = qb.separated(", ");
            for a in accounts {
                sep.push_bind(a.as_str());
            }
            qb.push(")");
        }
        if let Some(before) = filter.before_seq {
            qb.push(" AND seq < ").push_bind(before);
        }
        qb.push(" ORDER BY seq DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.pool).await?;
        rows.iter().map(row_to_event).collect()
    }

    async fn after_seq(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_event).collect()
    }

    async fn find(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM events WHERE event_id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(row_to_event).transpose()
    }

    async fn claim_undispatched(&self, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM events WHERE dispatched_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_event).collect()
    }

    async fn mark_dispatched(&self, ids: &[EventId]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let mut qb: QueryBuilder<Postgres> =
            QueryBuilder::new("UPDATE events SET dispatched_at = ");
        qb.push_bind(now).push(" WHERE event_id IN (");
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(id.as_str());
        }
        qb.push(")");
        qb.build().execute(&self.pool).await?;
        Ok(())
    }
}

/// PostgreSQL keeps microseconds; what is returned equals what a read gives back.
fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}
