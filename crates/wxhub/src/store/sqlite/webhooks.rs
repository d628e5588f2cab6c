//! What only SQLite does with webhook deliveries: freeing the leases of the previous run at
//! startup. The webhook store itself is the shared one (`store/sql/webhooks.rs`).

use sqlx::SqlitePool;

use crate::store::StoreError;

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
