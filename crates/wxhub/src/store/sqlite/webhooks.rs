//! [`WebhookStore`] on SQLite. Fan-out runs in a `BEGIN IMMEDIATE` transaction, so it holds
//! the write lock from its first statement and never fails to upgrade a read lock.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, Transaction};

use crate::accounts::model::AccountId;
use crate::events::model::{EventId, StoredEvent};
use crate::store::error::classify_write;
use crate::store::sql::webhooks::{
    insert_deliveries, record_attempt_in, EVENT_GRANTS, OWNER_MAY_RECEIVE,
};
use crate::store::webhooks::{
    filter_columns, AttemptRow, DeliveryRow, DeliveryUpdate, DueDelivery, EndpointRecord,
    EndpointRow, EventGrants, FanOutTx, HealthChange, WebhookStore, ATTEMPT_COLUMNS,
    DELIVERY_COLUMNS, ENDPOINT_COLUMNS,
};
use crate::store::{GatePass, StoreError, WriteGate};
use crate::webhooks::model::{
    Attempt, AttemptId, Delivery, DeliveryId, DeliveryStatus, Endpoint, EndpointId, NewDelivery,
};

pub struct SqliteWebhookStore {
    pool: SqlitePool,
    gate: WriteGate,
}

impl SqliteWebhookStore {
    pub fn new(pool: SqlitePool, gate: WriteGate) -> Self {
        SqliteWebhookStore { pool, gate }
    }
}

/// Frees every delivery lease. Run at startup: an embedded SQLite file has one hub, so a lease
/// found then belongs to a run that ended without storing the attempt (killed mid-delivery),
/// and its delivery is due again now rather than when the lease would have run out. Only
/// pending and failing deliveries hold leases (an attempt's record clears it), so the scan
/// stays on their partial index instead of reading every delivery ever made.
pub async fn release_leases(pool: &SqlitePool) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET lease_until = NULL \
         WHERE status IN ('pending', 'failing') AND lease_until IS NOT NULL",
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

struct SqliteFanOut {
    tx: Transaction<'static, Sqlite>,
    events: Vec<StoredEvent>,
    /// Dropped after `tx` (fields drop in order): the next writer begins once this one ended.
    _turn: GatePass,
}

#[async_trait]
impl FanOutTx for SqliteFanOut {
    fn events(&self) -> &[StoredEvent] {
        &self.events
    }

    async fn endpoints(&mut self) -> Result<Vec<Endpoint>, StoreError> {
        let rows: Vec<EndpointRow> = sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE enabled = 1 ORDER BY id"
        ))
        .fetch_all(&mut *self.tx)
        .await?;
        let grants: Vec<(String, String)> = sqlx::query_as(EVENT_GRANTS)
            .fetch_all(&mut *self.tx)
            .await?;
        let grants = EventGrants::new(grants);
        rows.into_iter()
            .map(|r| {
                r.into_record().map(|r| {
                    let mut endpoint = r.endpoint;
                    grants.restrict(endpoint.owner.as_deref(), &mut endpoint.filter);
                    endpoint
                })
            })
            .collect()
    }

    async fn insert_deliveries(&mut self, deliveries: &[NewDelivery]) -> Result<(), StoreError> {
        insert_deliveries!(Sqlite, self.tx, deliveries)
    }

    async fn commit(mut self: Box<Self>, now: DateTime<Utc>) -> Result<(), StoreError> {
        if !self.events.is_empty() {
            let mut qb: QueryBuilder<Sqlite> =
                QueryBuilder::new("UPDATE events SET dispatched_at = ");
            qb.push_bind(now.timestamp_millis()).push(" WHERE seq IN (");
            let mut seqs = qb.separated(", ");
            for e in &self.events {
                seqs.push_bind(e.seq);
            }
            qb.push(")");
            qb.build().execute(&mut *self.tx).await?;
        }
        self.tx.commit().await?;
        Ok(())
    }

    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// An `events` row (times in UTC milliseconds on SQLite).
fn event_from_row(row: &SqliteRow) -> Result<StoredEvent, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("event {what}"));
    let event_id: String = row.try_get("event_id")?;
    let account: String = row.try_get("account_id")?;
    let payload: String = row.try_get("payload")?;
    let received: i64 = row.try_get("received_at")?;
    let qr: Option<i64> = row.try_get("qr_source")?;
    Ok(StoredEvent {
        seq: row.try_get("seq")?,
        event_id: EventId::parse(&event_id).map_err(|_| corrupt("event_id"))?,
        account: AccountId::parse(&account).map_err(|_| corrupt("account_id"))?,
        event_type: row.try_get("event_type")?,
        received_at: DateTime::from_timestamp_millis(received)
            .ok_or_else(|| corrupt("received_at"))?,
        qr_source: qr
            .map(u8::try_from)
            .transpose()
            .map_err(|_| corrupt("qr_source"))?,
        payload: serde_json::from_str(&payload).map_err(|_| corrupt("payload"))?,
    })
}

async fn load_due(pool: &SqlitePool, row: DeliveryRow) -> Result<DueDelivery, StoreError> {
    let endpoint: EndpointRow = sqlx::query_as(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1"
    ))
    .bind(&row.endpoint_id)
    .fetch_one(pool)
    .await?;
    let (payload,): (String,) = sqlx::query_as("SELECT payload FROM events WHERE event_id = ?1")
        .bind(&row.event_id)
        .fetch_one(pool)
        .await?;
    Ok(DueDelivery {
        delivery: row.into_delivery()?,
        endpoint: endpoint.into_record()?,
        payload,
    })
}

#[async_trait]
impl WebhookStore for SqliteWebhookStore {
    async fn insert_endpoint(&self, r: &EndpointRecord) -> Result<(), StoreError> {
        let e = &r.endpoint;
        let (accounts, event_types, qr_sources) = filter_columns(&e.filter);
        sqlx::query(&format!(
            "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
        ))
        .bind(e.id.as_str())
        .bind(&e.owner)
        .bind(&e.url)
        .bind(accounts)
        .bind(event_types)
        .bind(qr_sources)
        .bind(&e.description)
        .bind(e.enabled)
        .bind(&r.secret_sealed)
        .bind(&r.previous_secret_sealed)
        .bind(r.previous_secret_expires_at)
        .bind(e.health.as_str())
        .bind(e.consecutive_failures)
        .bind(e.failing_since)
        .bind(e.created_at)
        .bind(e.updated_at)
        .execute(&self.pool)
        .await
        .map_err(|e| classify_write(e, &[("id", "id")]))?;
        Ok(())
    }

    async fn get_endpoint(&self, id: &EndpointId) -> Result<Option<EndpointRecord>, StoreError> {
        let row: Option<EndpointRow> = sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(EndpointRow::into_record).transpose()
    }

    async fn list_endpoints(
        &self,
        owner: Option<&str>,
        after: Option<&EndpointId>,
        limit: u32,
    ) -> Result<Vec<EndpointRecord>, StoreError> {
        let rows: Vec<EndpointRow> = sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints \
             WHERE id > ?1 AND (?2 IS NULL OR owner = ?2) ORDER BY id LIMIT ?3"
        ))
        .bind(after.map(EndpointId::as_str).unwrap_or(""))
        .bind(owner)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(EndpointRow::into_record).collect()
    }

    async fn update_endpoint(&self, r: &EndpointRecord) -> Result<bool, StoreError> {
        let e = &r.endpoint;
        let (accounts, event_types, qr_sources) = filter_columns(&e.filter);
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET url = ?2, accounts = ?3, event_types = ?4, qr_sources = ?5, \
             description = ?6, enabled = ?7, secret_sealed = ?8, previous_secret_sealed = ?9, \
             previous_secret_expires_at = ?10, updated_at = ?11 WHERE id = ?1",
        )
        .bind(e.id.as_str())
        .bind(&e.url)
        .bind(accounts)
        .bind(event_types)
        .bind(qr_sources)
        .bind(&e.description)
        .bind(e.enabled)
        .bind(&r.secret_sealed)
        .bind(&r.previous_secret_sealed)
        .bind(r.previous_secret_expires_at)
        .bind(e.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_endpoint(&self, id: &EndpointId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = ?1")
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn begin_fan_out(&self, limit: u32) -> Result<Box<dyn FanOutTx>, StoreError> {
        let turn = self.gate.enter().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query(
            "SELECT seq, event_id, account_id, event_type, received_at, qr_source, payload \
             FROM events WHERE dispatched_at IS NULL ORDER BY seq LIMIT ?1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let events = rows
            .iter()
            .map(event_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Box::new(SqliteFanOut {
            tx,
            events,
            _turn: turn,
        }))
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let turn = self.gate.enter().await;
        let rows: Vec<DeliveryRow> = sqlx::query_as(&format!(
            "UPDATE webhook_deliveries SET lease_until = ?2 WHERE id IN ( \
               SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
               WHERE d.status IN ('pending', 'failing') AND d.next_attempt_at <= ?1 \
                 AND (d.lease_until IS NULL OR d.lease_until <= ?1) AND e.enabled = 1 \
                 AND {OWNER_MAY_RECEIVE} \
               ORDER BY d.next_attempt_at LIMIT ?3) \
             RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(now)
        .bind(lease_until)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        drop(turn);
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(load_due(&self.pool, row).await?);
        }
        Ok(out)
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row: Option<(Option<DateTime<Utc>>,)> = sqlx::query_as(&format!(
            "SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.status IN ('pending', 'failing') AND e.enabled = 1 AND {OWNER_MAY_RECEIVE}"
        ))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|(t,)| t))
    }

    async fn record_attempts(
        &self,
        attempts: &[(Attempt, DeliveryUpdate)],
        failing_after: i64,
    ) -> Result<Vec<HealthChange>, StoreError> {
        let _turn = self.gate.enter().await;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut changes = Vec::with_capacity(attempts.len());
        for (a, update) in attempts {
            changes.push(record_attempt_in!(&mut tx, a, update, failing_after)?);
        }
        tx.commit().await?;
        Ok(changes)
    }

    async fn get_delivery(
        &self,
        endpoint: &EndpointId,
        id: &DeliveryId,
    ) -> Result<Option<Delivery>, StoreError> {
        let row: Option<DeliveryRow> = sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?1 AND endpoint_id = ?2"
        ))
        .bind(id.as_str())
        .bind(endpoint.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(DeliveryRow::into_delivery).transpose()
    }

    async fn list_deliveries(
        &self,
        endpoint: &EndpointId,
        status: Option<DeliveryStatus>,
        before: Option<&DeliveryId>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
             WHERE endpoint_id = ?1 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR id < ?3) \
             ORDER BY id DESC LIMIT ?4"
        ))
        .bind(endpoint.as_str())
        .bind(status.map(DeliveryStatus::as_str))
        .bind(before.map(DeliveryId::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(DeliveryRow::into_delivery).collect()
    }

    async fn list_attempts(
        &self,
        endpoint: &EndpointId,
        delivery: Option<&DeliveryId>,
        before: Option<&AttemptId>,
        limit: u32,
    ) -> Result<Vec<Attempt>, StoreError> {
        let rows: Vec<AttemptRow> = sqlx::query_as(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM webhook_attempts \
             WHERE endpoint_id = ?1 AND (?2 IS NULL OR delivery_id = ?2) AND (?3 IS NULL OR id < ?3) \
             ORDER BY id DESC LIMIT ?4"
        ))
        .bind(endpoint.as_str())
        .bind(delivery.map(DeliveryId::as_str))
        .bind(before.map(AttemptId::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(AttemptRow::into_attempt).collect()
    }

    async fn replay_delivery(
        &self,
        endpoint: &EndpointId,
        id: &DeliveryId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', step = 0, next_attempt_at = ?3, \
             lease_until = NULL, updated_at = ?3 WHERE id = ?1 AND endpoint_id = ?2",
        )
        .bind(id.as_str())
        .bind(endpoint.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn replay_failed(
        &self,
        endpoint: &EndpointId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', step = 0, next_attempt_at = ?3, \
             lease_until = NULL, updated_at = ?3 \
             WHERE endpoint_id = ?1 AND status IN ('failing', 'dead') AND created_at >= ?2",
        )
        .bind(endpoint.as_str())
        .bind(since)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
