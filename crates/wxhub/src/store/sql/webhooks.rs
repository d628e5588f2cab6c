//! The parts of the webhook stores whose SQL is the same on both backends (the rest of
//! `store/sqlite/webhooks.rs` and `store/postgres/webhooks.rs` still differ in placeholders
//! and types).

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
                    .push_bind(&d.event_id)
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
