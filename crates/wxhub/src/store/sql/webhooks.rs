//! The parts of the webhook stores whose SQL is the same on both backends: creating
//! deliveries, and storing attempts (the rest of `store/sqlite/webhooks.rs` and
//! `store/postgres/webhooks.rs` still differ in placeholders and types).

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

/// Rows per delivery INSERT (10 parameters each: far below SQLite's 32 766 and
/// PostgreSQL's 65 535).
pub(crate) const DELIVERY_CHUNK: usize = 500;

/// One new delivery, due at once; left alone when the (endpoint, event) has one. Binds id,
/// endpoint_id, event_id, event_type, account_id, and the time for created_at,
/// updated_at and next_attempt_at. SQLite's event batch writer runs it once per delivery
/// when it fans out inside the batch; [`insert_deliveries`] writes the same row multi-row.
pub(crate) const INSERT_DELIVERY: &str = "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, account_id, status, \
     attempts, step, next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, 0, $6, $6, $6) \
     ON CONFLICT (endpoint_id, event_id) DO NOTHING";

/// Inserts fan-out's deliveries multi-row inside the fan-out transaction:
/// `insert_deliveries!(sqlx::Sqlite, &mut *self.tx, deliveries)`, evaluating to
/// `Result<(), StoreError>`. A delivery already there (endpoint, event) is left alone.
macro_rules! insert_deliveries {
    ($db:ty, $conn:expr, $deliveries:expr) => {{
        let mut result: Result<(), $crate::store::StoreError> = Ok(());
        for chunk in $deliveries.chunks($crate::store::sql::webhooks::DELIVERY_CHUNK) {
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
                    .push_bind(d.created_at)
                    .push_bind(d.created_at)
                    .push_bind(d.created_at);
            });
            qb.push(" ON CONFLICT (endpoint_id, event_id) DO NOTHING");
            if let Err(e) = qb.build().execute(&mut *$conn).await {
                result = Err($crate::store::error::classify_write(e, &[]));
                break;
            }
        }
        result
    }};
}

pub(crate) use insert_deliveries;

/// Stores one attempt, moves its delivery on (releasing the lease) and updates its endpoint's
/// health, inside a transaction — the body of `record_attempts` on both backends:
/// `record_attempt_in!(&mut tx, attempt, update, failing_after)`, evaluating to
/// `Result<HealthChange, StoreError>`.
macro_rules! record_attempt_in {
    ($tx:expr, $attempt:expr, $update:expr, $failing_after:expr) => {{
        let tx = $tx;
        let a = $attempt;
        let update = $update;
        let failing_after: i64 = $failing_after;
        async {
            sqlx::query(&format!(
                "INSERT INTO webhook_attempts ({}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                $crate::store::webhooks::ATTEMPT_COLUMNS
            ))
            .bind(a.id.as_str())
            .bind(a.delivery_id.as_str())
            .bind(a.endpoint_id.as_str())
            .bind(a.event_id.as_str())
            .bind(a.attempt_no)
            .bind(a.at)
            .bind(a.outcome.as_str())
            .bind(a.status_code)
            .bind(&a.error)
            .bind(&a.response)
            .bind(a.duration_ms)
            .bind(a.next_attempt_at)
            .execute(&mut **tx)
            .await
            .map_err(|e| $crate::store::error::classify_write(e, &[]))?;
            sqlx::query(
                "UPDATE webhook_deliveries SET status = $2, attempts = $3, step = $4, next_attempt_at = $5, \
                 lease_until = NULL, last_status_code = $6, last_error = $7, updated_at = $8 WHERE id = $1",
            )
            .bind(a.delivery_id.as_str())
            .bind(update.status.as_str())
            .bind(a.attempt_no)
            .bind(update.step)
            .bind(update.next_attempt_at)
            .bind(a.status_code)
            .bind(&a.error)
            .bind(a.at)
            .execute(&mut **tx)
            .await?;
            let (before,): (String,) = sqlx::query_as("SELECT health FROM webhook_endpoints WHERE id = $1")
                .bind(a.endpoint_id.as_str())
                .fetch_one(&mut **tx)
                .await?;
            let (after, failures): (String, i64) = if a.outcome == $crate::webhooks::model::AttemptOutcome::Success {
                sqlx::query_as(
                    "UPDATE webhook_endpoints SET health = 'healthy', consecutive_failures = 0, \
                         failing_since = NULL WHERE id = $1 RETURNING health, consecutive_failures",
                )
                .bind(a.endpoint_id.as_str())
                .fetch_one(&mut **tx)
                .await?
            } else {
                sqlx::query_as(
                    "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, \
                     failing_since = COALESCE(failing_since, $2), \
                     health = CASE WHEN consecutive_failures + 1 >= $3 OR $4 THEN 'failing' ELSE health END \
                     WHERE id = $1 RETURNING health, consecutive_failures",
                )
                .bind(a.endpoint_id.as_str())
                .bind(a.at)
                .bind(failing_after)
                .bind(update.status == $crate::webhooks::model::DeliveryStatus::Dead)
                .fetch_one(&mut **tx)
                .await?
            };
            let health = |s: &str| {
                $crate::webhooks::model::EndpointHealth::parse(s)
                    .ok_or_else(|| $crate::store::StoreError::Corrupt(format!("webhook endpoint health {s}")))
            };
            Ok::<_, $crate::store::StoreError>($crate::store::webhooks::HealthChange {
                before: health(&before)?,
                after: health(&after)?,
                consecutive_failures: failures,
            })
        }
        .await
    }};
}

pub(crate) use record_attempt_in;
