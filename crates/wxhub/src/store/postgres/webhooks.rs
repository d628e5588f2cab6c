//! [`WebhookStore`] on PostgreSQL. Fan-out and dispatch claim rows with `FOR UPDATE SKIP
//! LOCKED`, so several hub instances share the work without blocking on each other.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, Row, Transaction};

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
use crate::store::StoreError;
use crate::webhooks::model::NewDelivery;
use crate::webhooks::model::{
    Attempt, AttemptId, Delivery, DeliveryId, DeliveryStatus, Endpoint, EndpointId,
};

pub struct PgWebhookStore {
    pool: PgPool,
}

impl PgWebhookStore {
    pub fn new(pool: PgPool) -> Self {
        PgWebhookStore { pool }
    }
}

struct PgFanOut {
    tx: Transaction<'static, Postgres>,
    events: Vec<StoredEvent>,
}

#[async_trait]
impl FanOutTx for PgFanOut {
    fn events(&self) -> &[StoredEvent] {
        &self.events
    }

    async fn endpoints(&mut self) -> Result<Vec<Endpoint>, StoreError> {
        let rows: Vec<EndpointRow> = sqlx::query_as(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE enabled ORDER BY id"
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
        insert_deliveries!(Postgres, self.tx, deliveries)
    }

    async fn commit(mut self: Box<Self>, now: DateTime<Utc>) -> Result<(), StoreError> {
        let seqs: Vec<i64> = self.events.iter().map(|e| e.seq).collect();
        sqlx::query("UPDATE events SET dispatched_at = $1 WHERE seq = ANY($2)")
            .bind(now)
            .bind(&seqs)
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(())
    }

    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// An `events` row.
fn event_from_row(row: &PgRow) -> Result<StoredEvent, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("event {what}"));
    let event_id: String = row.try_get("event_id")?;
    let account: String = row.try_get("account_id")?;
    let payload: String = row.try_get("payload")?;
    let qr: Option<i32> = row.try_get("qr_source")?;
    Ok(StoredEvent {
        seq: row.try_get("seq")?,
        event_id: EventId::parse(&event_id).map_err(|_| corrupt("event_id"))?,
        account: AccountId::parse(&account).map_err(|_| corrupt("account_id"))?,
        event_type: row.try_get("event_type")?,
        received_at: row.try_get("received_at")?,
        qr_source: qr
            .map(u8::try_from)
            .transpose()
            .map_err(|_| corrupt("qr_source"))?,
        payload: serde_json::from_str(&payload).map_err(|_| corrupt("payload"))?,
    })
}

async fn load_due(pool: &PgPool, row: DeliveryRow) -> Result<DueDelivery, StoreError> {
    let endpoint: EndpointRow = sqlx::query_as(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
    ))
    .bind(&row.endpoint_id)
    .fetch_one(pool)
    .await?;
    let (payload,): (String,) = sqlx::query_as("SELECT payload FROM events WHERE event_id = $1")
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
impl WebhookStore for PgWebhookStore {
    async fn insert_endpoint(&self, r: &EndpointRecord) -> Result<(), StoreError> {
        let e = &r.endpoint;
        let (accounts, event_types, qr_sources) = filter_columns(&e.filter);
        sqlx::query(&format!(
            "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
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
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
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
             WHERE id > $1 AND ($2::text IS NULL OR owner = $2) ORDER BY id LIMIT $3"
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
            "UPDATE webhook_endpoints SET url = $2, accounts = $3, event_types = $4, qr_sources = $5, \
             description = $6, enabled = $7, secret_sealed = $8, previous_secret_sealed = $9, \
             previous_secret_expires_at = $10, updated_at = $11 WHERE id = $1",
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
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn begin_fan_out(&self, limit: u32) -> Result<Box<dyn FanOutTx>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "SELECT seq, event_id, account_id, event_type, received_at, qr_source, payload \
             FROM events WHERE dispatched_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let events = rows
            .iter()
            .map(event_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Box::new(PgFanOut { tx, events }))
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let rows: Vec<DeliveryRow> = sqlx::query_as(&format!(
            "UPDATE webhook_deliveries SET lease_until = $2 WHERE id IN ( \
               SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
               WHERE d.status IN ('pending', 'failing') AND d.next_attempt_at <= $1 \
                 AND (d.lease_until IS NULL OR d.lease_until <= $1) AND e.enabled \
                 AND {OWNER_MAY_RECEIVE} \
               ORDER BY d.next_attempt_at LIMIT $3 FOR UPDATE OF d SKIP LOCKED) \
             RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(now)
        .bind(lease_until)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(load_due(&self.pool, row).await?);
        }
        Ok(out)
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row: Option<(Option<DateTime<Utc>>,)> = sqlx::query_as(&format!(
            "SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.status IN ('pending', 'failing') AND e.enabled AND {OWNER_MAY_RECEIVE}"
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
        let mut tx = self.pool.begin().await?;
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
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2"
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
             WHERE endpoint_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR id < $3) \
             ORDER BY id DESC LIMIT $4"
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
             WHERE endpoint_id = $1 AND ($2::text IS NULL OR delivery_id = $2) AND ($3::text IS NULL OR id < $3) \
             ORDER BY id DESC LIMIT $4"
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
            "UPDATE webhook_deliveries SET status = 'pending', step = 0, next_attempt_at = $3, \
             lease_until = NULL, updated_at = $3 WHERE id = $1 AND endpoint_id = $2",
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
            "UPDATE webhook_deliveries SET status = 'pending', step = 0, next_attempt_at = $3, \
             lease_until = NULL, updated_at = $3 \
             WHERE endpoint_id = $1 AND status IN ('failing', 'dead') AND created_at >= $2",
        )
        .bind(endpoint.as_str())
        .bind(since)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
