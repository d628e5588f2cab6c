//! [`WebhookStore`](crate::store::webhooks::WebhookStore) queries shared by both backends;
//! `$N` placeholders (and `QueryBuilder`, which writes each backend's own) work on SQLite and
//! PostgreSQL.
//!
//! What differs is how the write transactions take their locks: SQLite takes the write lock
//! when fan-out and attempts begin (`WriteTx::BEGIN`, `BEGIN IMMEDIATE`, after the
//! [`WriteGate`](crate::store::WriteGate) turn, so a transaction that reads first never fails
//! to upgrade its lock); PostgreSQL claims rows ([`WebhookDialect`]) with
//! `FOR UPDATE SKIP LOCKED`, so several hub instances share the work without blocking on each
//! other (its gate is open). Booleans and times go through
//! [`Columns`](crate::store::sql::Columns); an optional text parameter is compared as
//! `CAST($N AS TEXT) IS NULL`, which PostgreSQL needs to type it and SQLite accepts.

/// Every (client_id, account_id) whose caller may receive that account's events now: the
/// account is granted and the caller holds the `events` scope. Fan-out narrows caller-owned
/// endpoints to these (`store::webhooks::EventGrants`).
pub(crate) const EVENT_GRANTS: &str = "SELECT ca.client_id, ca.account_id FROM caller_accounts ca \
     JOIN callers c ON c.client_id = ca.client_id WHERE c.scopes LIKE '%\"events\"%'";

/// Over endpoint `e` and delivery `d`: the endpoint is the admin's, or its owner may receive
/// the delivery's account's events now. Claiming a delivery checks it again, so a grant
/// removed after fan-out stops the delivery too.
pub(crate) const OWNER_MAY_RECEIVE: &str =
    "(e.owner IS NULL OR EXISTS (SELECT 1 FROM caller_accounts ca \
     JOIN callers c ON c.client_id = ca.client_id WHERE ca.client_id = e.owner \
     AND ca.account_id = d.account_id AND c.scopes LIKE '%\"events\"%'))";

/// The columns of `webhook_endpoints`, in the order of `store::webhooks::EndpointRow`.
macro_rules! endpoint_columns {
    () => {
        "id, owner, url, accounts, event_types, qr_sources, description, enabled, secret_sealed, \
         previous_secret_sealed, previous_secret_expires_at, health, consecutive_failures, \
         failing_since, created_at, updated_at"
    };
}

pub(crate) const ENDPOINT_COLUMNS: &str = endpoint_columns!();

/// The enabled endpoints (every column), in id order: what fan-out matches events against.
/// Binds `enabled` (`Columns::bool_to_db(true)`). Fan-out's own step reads it, and so does
/// SQLite's event batch writer when it fans out inside the batch.
pub(crate) const ENABLED_ENDPOINTS: &str = concat!(
    "SELECT ",
    endpoint_columns!(),
    " FROM webhook_endpoints WHERE enabled = $1 ORDER BY id"
);

pub(crate) const DELIVERY_COLUMNS: &str = "id, endpoint_id, event_id, event_type, account_id, status, attempts, step, next_attempt_at, last_status_code, last_error, created_at, updated_at";

pub(crate) const ATTEMPT_COLUMNS: &str = "id, delivery_id, endpoint_id, event_id, attempt_no, at, outcome, status_code, error, response, duration_ms, next_attempt_at";

/// Rows per delivery INSERT (8 parameters each: far below SQLite's 32 766 and
/// PostgreSQL's 65 535).
pub(crate) const DELIVERY_CHUNK: usize = 500;

/// One new delivery, due at once; left alone when the (endpoint, event) has one. Binds id,
/// endpoint_id, event_id, event_type, account_id, and the time for created_at,
/// updated_at and next_attempt_at. SQLite's event batch writer runs it once per delivery
/// when it fans out inside the batch; fan-out's own step writes the same row multi-row.
pub(crate) const INSERT_DELIVERY: &str = "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, account_id, status, \
     attempts, step, next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, 0, $6, $6, $6) \
     ON CONFLICT (endpoint_id, event_id) DO NOTHING";

/// How a backend's webhook transactions take their locks (the module doc).
pub(crate) trait WebhookDialect {
    /// Ends fan-out's choice of undispatched events.
    const LOCK_EVENTS: &'static str;
    /// Ends the choice of due deliveries (`d`) that `claim_due` leases.
    const LOCK_DELIVERIES: &'static str;
}

impl WebhookDialect for sqlx::Sqlite {
    const LOCK_EVENTS: &'static str = "";
    const LOCK_DELIVERIES: &'static str = "";
}

impl WebhookDialect for sqlx::Postgres {
    const LOCK_EVENTS: &'static str = " FOR UPDATE SKIP LOCKED";
    const LOCK_DELIVERIES: &'static str = " FOR UPDATE OF d SKIP LOCKED";
}

/// Declares a webhook store and its fan-out transaction over one `sqlx::Database`:
/// `webhook_store! { /// doc  pub struct SqliteWebhookStore(sqlx::Sqlite); fan_out = SqliteFanOut; }`.
macro_rules! webhook_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty); fan_out = $fan_out:ident;) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
            gate: $crate::store::WriteGate,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>, gate: $crate::store::WriteGate) -> Self {
                $name { pool, gate }
            }

            async fn load_due(
                &self,
                row: $crate::store::webhooks::DeliveryRow<$crate::store::sql::Time<$db>>,
            ) -> Result<$crate::store::webhooks::DueDelivery, $crate::store::StoreError> {
                let endpoint: $crate::store::webhooks::EndpointRow<$crate::store::sql::Time<$db>> = sqlx::query_as(&format!(
                    "SELECT {} FROM webhook_endpoints WHERE id = $1",
                    $crate::store::sql::webhooks::ENDPOINT_COLUMNS
                ))
                .bind(&row.endpoint_id)
                .fetch_one(&self.pool)
                .await?;
                let (payload,): (String,) =
                    sqlx::query_as("SELECT payload FROM events WHERE event_id = $1")
                        .bind(&row.event_id)
                        .fetch_one(&self.pool)
                        .await?;
                Ok($crate::store::webhooks::DueDelivery {
                    delivery: row.into_delivery::<$db>()?,
                    endpoint: endpoint.into_record::<$db>()?,
                    payload,
                })
            }
        }

        /// One fan-out transaction on this backend.
        struct $fan_out {
            tx: sqlx::Transaction<'static, $db>,
            events: Vec<$crate::events::model::StoredEvent>,
            /// Dropped after `tx` (fields drop in order): the next writer begins once this
            /// one ended.
            _turn: $crate::store::GatePass,
        }

        #[async_trait::async_trait]
        impl $crate::store::webhooks::FanOutTx for $fan_out {
            fn events(&self) -> &[$crate::events::model::StoredEvent] {
                &self.events
            }

            async fn endpoints(
                &mut self,
            ) -> Result<Vec<$crate::webhooks::model::Endpoint>, $crate::store::StoreError> {
                use $crate::store::sql::Columns;

                let rows: Vec<$crate::store::webhooks::EndpointRow<$crate::store::sql::Time<$db>>> =
                    sqlx::query_as($crate::store::sql::webhooks::ENABLED_ENDPOINTS)
                        .bind(<$db as Columns>::bool_to_db(true))
                        .fetch_all(&mut *self.tx)
                        .await?;
                let grants: Vec<(String, String)> =
                    sqlx::query_as($crate::store::sql::webhooks::EVENT_GRANTS)
                        .fetch_all(&mut *self.tx)
                        .await?;
                let grants = $crate::store::webhooks::EventGrants::new(grants);
                rows.into_iter()
                    .map(|r| {
                        r.into_record::<$db>().map(|r| {
                            let mut endpoint = r.endpoint;
                            grants.restrict(endpoint.owner.as_deref(), &mut endpoint.filter);
                            endpoint
                        })
                    })
                    .collect()
            }

            async fn insert_deliveries(
                &mut self,
                deliveries: &[$crate::webhooks::model::NewDelivery],
            ) -> Result<(), $crate::store::StoreError> {
                for chunk in deliveries.chunks($crate::store::sql::webhooks::DELIVERY_CHUNK) {
                    let mut qb: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                        "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, account_id, status, \
                         attempts, step, next_attempt_at, created_at, updated_at) ",
                    );
                    qb.push_values(chunk, |mut b, d| {
                        b.push_bind(d.id.as_str())
                            .push_bind(d.endpoint_id.as_str())
                            .push_bind(d.event_id.as_str())
                            .push_bind(&d.event_type)
                            .push_bind(d.account.as_str())
                            .push("'pending', 0, 0")
                            .push_bind(<$db as $crate::store::sql::Columns>::time_to_db(d.created_at))
                            .push_bind(<$db as $crate::store::sql::Columns>::time_to_db(d.created_at))
                            .push_bind(<$db as $crate::store::sql::Columns>::time_to_db(d.created_at));
                    });
                    qb.push(" ON CONFLICT (endpoint_id, event_id) DO NOTHING");
                    qb.build()
                        .execute(&mut *self.tx)
                        .await
                        .map_err(|e| $crate::store::error::classify_write(e, &[]))?;
                }
                Ok(())
            }

            async fn commit(
                mut self: Box<Self>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::Columns;

                if !self.events.is_empty() {
                    let mut qb: sqlx::QueryBuilder<$db> =
                        sqlx::QueryBuilder::new("UPDATE events SET dispatched_at = ");
                    qb.push_bind(<$db as Columns>::time_to_db(now))
                        .push(" WHERE seq IN (");
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

            async fn rollback(self: Box<Self>) -> Result<(), $crate::store::StoreError> {
                self.tx.rollback().await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::webhooks::WebhookStore for $name {
            async fn insert_endpoint(
                &self,
                r: &$crate::store::webhooks::EndpointRecord,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let e = &r.endpoint;
                let (accounts, event_types, qr_sources) =
                    $crate::store::webhooks::filter_columns(&e.filter);
                sqlx::query(&format!(
                    "INSERT INTO webhook_endpoints ({}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                    $crate::store::sql::webhooks::ENDPOINT_COLUMNS
                ))
                .bind(e.id.as_str())
                .bind(&e.owner)
                .bind(&e.url)
                .bind(accounts)
                .bind(event_types)
                .bind(qr_sources)
                .bind(&e.description)
                .bind(<$db as $crate::store::sql::Columns>::bool_to_db(e.enabled))
                .bind(&r.secret_sealed)
                .bind(&r.previous_secret_sealed)
                .bind(r.previous_secret_expires_at.map(<$db as $crate::store::sql::Columns>::time_to_db))
                .bind(e.health.as_str())
                .bind(e.consecutive_failures)
                .bind(e.failing_since.map(<$db as $crate::store::sql::Columns>::time_to_db))
                .bind(<$db as $crate::store::sql::Columns>::time_to_db(e.created_at))
                .bind(<$db as $crate::store::sql::Columns>::time_to_db(e.updated_at))
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::error::classify_write(e, &[("id", "id")]))?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_endpoint(
                &self,
                id: &$crate::webhooks::model::EndpointId,
            ) -> Result<Option<$crate::store::webhooks::EndpointRecord>, $crate::store::StoreError> {
                let row: Option<$crate::store::webhooks::EndpointRow<$crate::store::sql::Time<$db>>> = sqlx::query_as(&format!(
                    "SELECT {} FROM webhook_endpoints WHERE id = $1",
                    $crate::store::sql::webhooks::ENDPOINT_COLUMNS
                ))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::store::webhooks::EndpointRow::into_record::<$db>)
                    .transpose()
            }

            async fn list_endpoints(
                &self,
                owner: Option<&str>,
                after: Option<&$crate::webhooks::model::EndpointId>,
                limit: u32,
            ) -> Result<Vec<$crate::store::webhooks::EndpointRecord>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::webhooks::EndpointRow<$crate::store::sql::Time<$db>>> = sqlx::query_as(&format!(
                    "SELECT {} FROM webhook_endpoints \
                     WHERE id > $1 AND (CAST($2 AS TEXT) IS NULL OR owner = $2) ORDER BY id LIMIT $3",
                    $crate::store::sql::webhooks::ENDPOINT_COLUMNS
                ))
                .bind(after.map($crate::webhooks::model::EndpointId::as_str).unwrap_or(""))
                .bind(owner)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::store::webhooks::EndpointRow::into_record::<$db>)
                    .collect()
            }

            async fn update_endpoint(
                &self,
                r: &$crate::store::webhooks::EndpointRecord,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let e = &r.endpoint;
                let (accounts, event_types, qr_sources) =
                    $crate::store::webhooks::filter_columns(&e.filter);
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
                .bind(<$db as $crate::store::sql::Columns>::bool_to_db(e.enabled))
                .bind(&r.secret_sealed)
                .bind(&r.previous_secret_sealed)
                .bind(r.previous_secret_expires_at.map(<$db as $crate::store::sql::Columns>::time_to_db))
                .bind(<$db as $crate::store::sql::Columns>::time_to_db(e.updated_at))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_endpoint(
                &self,
                id: &$crate::webhooks::model::EndpointId,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn begin_fan_out(
                &self,
                limit: u32,
            ) -> Result<Box<dyn $crate::store::webhooks::FanOutTx>, $crate::store::StoreError> {
                use $crate::store::sql::webhooks::WebhookDialect;

                let turn = self.gate.enter().await;
                let mut tx = self.pool.begin_with(<$db as $crate::store::sql::WriteTx>::BEGIN).await?;
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM events WHERE dispatched_at IS NULL ORDER BY seq LIMIT $1{}",
                    $crate::store::sql::events::COLUMNS,
                    <$db as WebhookDialect>::LOCK_EVENTS
                ))
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
                let events = rows
                    .iter()
                    .map(|row| $crate::store::sql::events::event_from_row!($db, row))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Box::new($fan_out {
                    tx,
                    events,
                    _turn: turn,
                }))
            }

            async fn claim_due(
                &self,
                holder: &$crate::jobs::model::InstanceId,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> Result<Vec<$crate::store::webhooks::DueDelivery>, $crate::store::StoreError> {
                use $crate::store::sql::webhooks::WebhookDialect;
                use $crate::store::sql::Columns;

                let turn = self.gate.enter().await;
                let rows: Vec<$crate::store::webhooks::DeliveryRow<$crate::store::sql::Time<$db>>> = sqlx::query_as(&format!(
                    "UPDATE webhook_deliveries SET lease_until = $2, lease_owner = $5 WHERE id IN ( \
                       SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
                       WHERE d.status IN ('pending', 'failing') AND d.next_attempt_at <= $1 \
                         AND (d.lease_until IS NULL OR d.lease_until <= $1) AND e.enabled = $4 \
                         AND {} \
                       ORDER BY d.next_attempt_at LIMIT $3{}) \
                     RETURNING {}",
                    $crate::store::sql::webhooks::OWNER_MAY_RECEIVE,
                    <$db as WebhookDialect>::LOCK_DELIVERIES,
                    $crate::store::sql::webhooks::DELIVERY_COLUMNS
                ))
                .bind(<$db as $crate::store::sql::Columns>::time_to_db(now))
                .bind(<$db as $crate::store::sql::Columns>::time_to_db(lease_until))
                .bind(i64::from(limit))
                .bind(<$db as Columns>::bool_to_db(true))
                .bind(holder.as_str())
                .fetch_all(&self.pool)
                .await?;
                drop(turn);
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    out.push(self.load_due(row).await?);
                }
                Ok(out)
            }

            async fn next_due(
                &self,
            ) -> Result<Option<chrono::DateTime<chrono::Utc>>, $crate::store::StoreError> {
                use $crate::store::sql::Columns;

                let row: Option<(Option<$crate::store::sql::Time<$db>>,)> = sqlx::query_as(&format!(
                    "SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
                     WHERE d.status IN ('pending', 'failing') AND e.enabled = $1 AND {}",
                    $crate::store::sql::webhooks::OWNER_MAY_RECEIVE
                ))
                .bind(<$db as Columns>::bool_to_db(true))
                .fetch_optional(&self.pool)
                .await?;
                row.and_then(|(t,)| t)
                    .map(|t| $crate::store::sql::stored_time::<$db>(t, "webhook delivery next_attempt_at"))
                    .transpose()
            }

            async fn record_attempts(
                &self,
                attempts: &[(
                    $crate::webhooks::model::Attempt,
                    $crate::store::webhooks::DeliveryUpdate,
                )],
                failing_after: i64,
            ) -> Result<Vec<$crate::store::webhooks::HealthChange>, $crate::store::StoreError> {
                use $crate::webhooks::model::{AttemptOutcome, DeliveryStatus, EndpointHealth};

                let _turn = self.gate.enter().await;
                let mut tx = self.pool.begin_with(<$db as $crate::store::sql::WriteTx>::BEGIN).await?;
                let health = |s: &str| {
                    EndpointHealth::parse(s).ok_or_else(|| {
                        $crate::store::StoreError::Corrupt(format!("webhook endpoint health {s}"))
                    })
                };
                let mut changes = Vec::with_capacity(attempts.len());
                for (a, update) in attempts {
                    // The attempt, then its delivery moved on (the lease released), then the
                    // endpoint's health.
                    sqlx::query(&format!(
                        "INSERT INTO webhook_attempts ({}) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                        $crate::store::sql::webhooks::ATTEMPT_COLUMNS
                    ))
                    .bind(a.id.as_str())
                    .bind(a.delivery_id.as_str())
                    .bind(a.endpoint_id.as_str())
                    .bind(a.event_id.as_str())
                    .bind(a.attempt_no)
                    .bind(<$db as $crate::store::sql::Columns>::time_to_db(a.at))
                    .bind(a.outcome.as_str())
                    .bind(a.status_code)
                    .bind(&a.error)
                    .bind(&a.response)
                    .bind(a.duration_ms)
                    .bind(a.next_attempt_at.map(<$db as $crate::store::sql::Columns>::time_to_db))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| $crate::store::error::classify_write(e, &[]))?;
                    sqlx::query(
                        "UPDATE webhook_deliveries SET status = $2, attempts = $3, step = $4, next_attempt_at = $5, \
                         lease_until = NULL, lease_owner = NULL, last_status_code = $6, last_error = $7, updated_at = $8 WHERE id = $1",
                    )
                    .bind(a.delivery_id.as_str())
                    .bind(update.status.as_str())
                    .bind(a.attempt_no)
                    .bind(update.step)
                    .bind(update.next_attempt_at.map(<$db as $crate::store::sql::Columns>::time_to_db))
                    .bind(a.status_code)
                    .bind(&a.error)
                    .bind(<$db as $crate::store::sql::Columns>::time_to_db(a.at))
                    .execute(&mut *tx)
                    .await?;
                    let (before,): (String,) =
                        sqlx::query_as("SELECT health FROM webhook_endpoints WHERE id = $1")
                            .bind(a.endpoint_id.as_str())
                            .fetch_one(&mut *tx)
                            .await?;
                    let (after, failures): (String, i64) = if a.outcome == AttemptOutcome::Success {
                        sqlx::query_as(
                            "UPDATE webhook_endpoints SET health = 'healthy', consecutive_failures = 0, \
                             failing_since = NULL WHERE id = $1 RETURNING health, consecutive_failures",
                        )
                        .bind(a.endpoint_id.as_str())
                        .fetch_one(&mut *tx)
                        .await?
                    } else {
                        sqlx::query_as(
                            "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, \
                             failing_since = COALESCE(failing_since, $2), \
                             health = CASE WHEN consecutive_failures + 1 >= $3 OR $4 THEN 'failing' ELSE health END \
                             WHERE id = $1 RETURNING health, consecutive_failures",
                        )
                        .bind(a.endpoint_id.as_str())
                        .bind(<$db as $crate::store::sql::Columns>::time_to_db(a.at))
                        .bind(failing_after)
                        .bind(<$db as $crate::store::sql::Columns>::bool_to_db(update.status == DeliveryStatus::Dead))
                        .fetch_one(&mut *tx)
                        .await?
                    };
                    changes.push($crate::store::webhooks::HealthChange {
                        before: health(&before)?,
                        after: health(&after)?,
                        consecutive_failures: failures,
                    });
                }
                tx.commit().await?;
                Ok(changes)
            }

            async fn get_delivery(
                &self,
                endpoint: &$crate::webhooks::model::EndpointId,
                id: &$crate::webhooks::model::DeliveryId,
            ) -> Result<Option<$crate::webhooks::model::Delivery>, $crate::store::StoreError> {
                let row: Option<$crate::store::webhooks::DeliveryRow<$crate::store::sql::Time<$db>>> = sqlx::query_as(&format!(
                    "SELECT {} FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2",
                    $crate::store::sql::webhooks::DELIVERY_COLUMNS
                ))
                .bind(id.as_str())
                .bind(endpoint.as_str())
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::store::webhooks::DeliveryRow::into_delivery::<$db>)
                    .transpose()
            }

            async fn list_deliveries(
                &self,
                endpoint: &$crate::webhooks::model::EndpointId,
                status: Option<$crate::webhooks::model::DeliveryStatus>,
                before: Option<&$crate::webhooks::model::DeliveryId>,
                limit: u32,
            ) -> Result<Vec<$crate::webhooks::model::Delivery>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::webhooks::DeliveryRow<$crate::store::sql::Time<$db>>> = sqlx::query_as(&format!(
                    "SELECT {} FROM webhook_deliveries \
                     WHERE endpoint_id = $1 AND (CAST($2 AS TEXT) IS NULL OR status = $2) \
                     AND (CAST($3 AS TEXT) IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
                    $crate::store::sql::webhooks::DELIVERY_COLUMNS
                ))
                .bind(endpoint.as_str())
                .bind(status.map($crate::webhooks::model::DeliveryStatus::as_str))
                .bind(before.map($crate::webhooks::model::DeliveryId::as_str))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::store::webhooks::DeliveryRow::into_delivery::<$db>)
                    .collect()
            }

            async fn list_attempts(
                &self,
                endpoint: &$crate::webhooks::model::EndpointId,
                delivery: Option<&$crate::webhooks::model::DeliveryId>,
                before: Option<&$crate::webhooks::model::AttemptId>,
                limit: u32,
            ) -> Result<Vec<$crate::webhooks::model::Attempt>, $crate::store::StoreError> {
                let rows: Vec<$crate::store::webhooks::AttemptRow<$crate::store::sql::Time<$db>>> = sqlx::query_as(&format!(
                    "SELECT {} FROM webhook_attempts \
                     WHERE endpoint_id = $1 AND (CAST($2 AS TEXT) IS NULL OR delivery_id = $2) \
                     AND (CAST($3 AS TEXT) IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
                    $crate::store::sql::webhooks::ATTEMPT_COLUMNS
                ))
                .bind(endpoint.as_str())
                .bind(delivery.map($crate::webhooks::model::DeliveryId::as_str))
                .bind(before.map($crate::webhooks::model::AttemptId::as_str))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map($crate::store::webhooks::AttemptRow::into_attempt::<$db>)
                    .collect()
            }

            async fn replay_delivery(
                &self,
                endpoint: &$crate::webhooks::model::EndpointId,
                id: &$crate::webhooks::model::DeliveryId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let done = sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'pending', step = 0, next_attempt_at = $3, \
                     lease_until = NULL, lease_owner = NULL, updated_at = $3 WHERE id = $1 AND endpoint_id = $2",
                )
                .bind(id.as_str())
                .bind(endpoint.as_str())
                .bind(<$db as $crate::store::sql::Columns>::time_to_db(now))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn replay_failed(
                &self,
                endpoint: &$crate::webhooks::model::EndpointId,
                since: chrono::DateTime<chrono::Utc>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                let done = sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'pending', step = 0, next_attempt_at = $3, \
                     lease_until = NULL, lease_owner = NULL, updated_at = $3 \
                     WHERE endpoint_id = $1 AND status IN ('failing', 'dead') AND created_at >= $2",
                )
                .bind(endpoint.as_str())
                .bind(<$db as $crate::store::sql::Columns>::time_to_db(since))
                .bind(<$db as $crate::store::sql::Columns>::time_to_db(now))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::jobs::Leases for $name {
            fn what(&self) -> &'static str {
                "webhook deliveries"
            }

            /// Only pending and failing deliveries hold leases (an attempt's record clears
            /// it), so the scan stays on their partial index.
            async fn release_held_by(
                &self,
                owners: &[$crate::jobs::model::InstanceId],
            ) -> Result<u64, $crate::store::StoreError> {
                if owners.is_empty() {
                    return Ok(0);
                }
                let _turn = self.gate.enter().await;
                let sql = format!(
                    "UPDATE webhook_deliveries SET lease_until = NULL, lease_owner = NULL \
                     WHERE status IN ('pending', 'failing') AND lease_owner IN ({})",
                    $crate::store::sql::jobs::placeholders(1, owners.len())
                );
                let mut query = sqlx::query(&sql);
                for owner in owners {
                    query = query.bind(owner.as_str());
                }
                Ok(query.execute(&self.pool).await?.rows_affected())
            }
        }
    };
}
pub(crate) use webhook_store;
