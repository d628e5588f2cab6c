//! [`JobStore`](crate::store::jobs::JobStore), [`InstanceStore`](crate::store::jobs::InstanceStore)
//! and the jobs' [`Leases`](crate::store::jobs::Leases), shared by both backends. JSON is text
//! on both; booleans, `attempts` and the times go through [`Columns`](crate::store::sql::Columns).
//! The one dialect fragment is the row lock of `claim` (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, where instances claim side by side; nothing on SQLite, whose `UPDATE … WHERE
//! id = (SELECT …)` is one atomic statement).

use crate::store::StoreError;

pub(crate) const COLUMNS: &str = "id, kind, owner, params, state, status, done, total, attempts, \
     error, result, cancel_requested, lease_owner, lease_until, run_after, created_at, \
     started_at, updated_at, finished_at";

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("job {what}"))
}

/// `$first, $first+1, …` for `n` values, for an `IN (…)` list.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A count column (`done`, `total`) as stored: a BIGINT that is never negative.
pub(crate) fn count_from_db(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt("progress"))
}

pub(crate) fn count_to_db(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Declares the jobs store over one `sqlx::Database`:
/// `job_store! { /// doc  pub struct SqliteJobStore(sqlx::Sqlite); lock = ""; }`.
macro_rules! job_store {
    ($(#[$attr:meta])* pub struct $name:ident($db:ty); lock = $lock:literal;) => {
        $(#[$attr])*
        pub struct $name {
            pool: sqlx::Pool<$db>,
        }

        impl $name {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                Self { pool }
            }

            fn row_to_job(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::jobs::model::Job, $crate::store::StoreError> {
                use sqlx::Row as _;
                use $crate::jobs::model::{InstanceId, Job, JobId, JobStatus, Progress};
                use $crate::store::sql::jobs::{corrupt, count_from_db};
                use $crate::store::sql::Columns;
                type Int = <$db as Columns>::Int;
                type Bool = <$db as Columns>::Bool;
                type Time = <$db as Columns>::Time;

                let time = |column: &str| -> Result<_, $crate::store::StoreError> {
                    <$db as Columns>::time_from_db(row.try_get::<Time, _>(column)?)
                        .ok_or_else(|| corrupt(column))
                };
                let maybe_time = |column: &str| -> Result<_, $crate::store::StoreError> {
                    row.try_get::<Option<Time>, _>(column)?
                        .map(|t| <$db as Columns>::time_from_db(t).ok_or_else(|| corrupt(column)))
                        .transpose()
                };
                let json = |column: &str| -> Result<Option<serde_json::Value>, $crate::store::StoreError> {
                    row.try_get::<Option<String>, _>(column)?
                        .map(|text| serde_json::from_str(&text).map_err(|_| corrupt(column)))
                        .transpose()
                };
                let id: String = row.try_get("id")?;
                let status: String = row.try_get("status")?;
                let lease_owner: Option<String> = row.try_get("lease_owner")?;
                let attempts = <$db as Columns>::int_from_db(row.try_get::<Int, _>("attempts")?)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| corrupt("attempts"))?;
                Ok(Job {
                    id: JobId::parse(&id).map_err(|_| corrupt("id"))?,
                    kind: row.try_get("kind")?,
                    owner: row.try_get("owner")?,
                    params: json("params")?.ok_or_else(|| corrupt("params"))?,
                    state: json("state")?,
                    status: JobStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
                    progress: Progress {
                        done: count_from_db(row.try_get("done")?)?,
                        total: row
                            .try_get::<Option<i64>, _>("total")?
                            .map(count_from_db)
                            .transpose()?,
                    },
                    attempts,
                    error: row.try_get("error")?,
                    result: json("result")?,
                    cancel_requested: <$db as Columns>::bool_from_db(
                        row.try_get::<Bool, _>("cancel_requested")?,
                    ),
                    lease_owner: lease_owner
                        .map(|o| InstanceId::parse(&o).map_err(|_| corrupt("lease_owner")))
                        .transpose()?,
                    lease_until: maybe_time("lease_until")?,
                    run_after: time("run_after")?,
                    created_at: time("created_at")?,
                    started_at: maybe_time("started_at")?,
                    updated_at: time("updated_at")?,
                    finished_at: maybe_time("finished_at")?,
                })
            }

            async fn fetch_job(
                &self,
                id: &$crate::jobs::model::JobId,
            ) -> Result<Option<$crate::jobs::model::Job>, $crate::store::StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM jobs WHERE id = $1",
                    $crate::store::sql::jobs::COLUMNS
                ))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::row_to_job).transpose()
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::jobs::JobStore for $name {
            async fn insert(
                &self,
                job: &$crate::jobs::model::NewJob,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                use $crate::store::sql::Columns;
                let at = <$db as Columns>::time_to_db(job.created_at);
                sqlx::query(&format!(
                    "INSERT INTO jobs ({}) VALUES ($1, $2, $3, $4, NULL, 'queued', 0, NULL, $5, \
                     NULL, NULL, $6, NULL, NULL, $7, $7, NULL, $7, NULL)",
                    $crate::store::sql::jobs::COLUMNS
                ))
                .bind(job.id.as_str())
                .bind(&job.kind)
                .bind(&job.owner)
                .bind(job.params.to_string())
                .bind(<$db as Columns>::int_to_db(0))
                .bind(<$db as Columns>::bool_to_db(false))
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(|e| $crate::store::error::classify_write(e, &[("id", "id")]))?;
                tx.commit().await?;
                Ok(())
            }

            async fn get(
                &self,
                id: &$crate::jobs::model::JobId,
            ) -> Result<Option<$crate::jobs::model::Job>, $crate::store::StoreError> {
                self.fetch_job(id).await
            }

            async fn list(
                &self,
                filter: &$crate::jobs::model::JobFilter,
                before: Option<&$crate::jobs::model::JobId>,
                limit: u32,
            ) -> Result<Vec<$crate::jobs::model::Job>, $crate::store::StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM jobs \
                     WHERE (CAST($1 AS TEXT) IS NULL OR kind = $1) \
                       AND (CAST($2 AS TEXT) IS NULL OR status = $2) \
                       AND (CAST($3 AS TEXT) IS NULL OR owner = $3) \
                       AND (CAST($4 AS TEXT) IS NULL OR id < $4) \
                     ORDER BY id DESC LIMIT $5",
                    $crate::store::sql::jobs::COLUMNS
                ))
                .bind(filter.kind.as_deref())
                .bind(filter.status.map(|s| s.as_str()))
                .bind(filter.owner.as_deref())
                .bind(before.map(|id| id.as_str()))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::row_to_job).collect()
            }

            async fn claim(
                &self,
                kinds: &[String],
                owner: &$crate::jobs::model::InstanceId,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<$crate::jobs::model::Job>, $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                if kinds.is_empty() {
                    return Ok(None);
                }
                let sql = format!(
                    "UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $2, \
                     started_at = COALESCE(started_at, $3), updated_at = $3 \
                     WHERE id = (SELECT id FROM jobs \
                       WHERE status IN ('queued', 'running') AND run_after <= $3 \
                         AND (lease_until IS NULL OR lease_until <= $3) AND kind IN ({}) \
                       ORDER BY run_after, id LIMIT 1{}) \
                     RETURNING {}",
                    $crate::store::sql::jobs::placeholders(4, kinds.len()),
                    $lock,
                    $crate::store::sql::jobs::COLUMNS
                );
                let mut query = sqlx::query(&sql)
                    .bind(owner.as_str())
                    .bind(<$db as Columns>::time_to_db(lease_until))
                    .bind(<$db as Columns>::time_to_db(now));
                for kind in kinds {
                    query = query.bind(kind.as_str());
                }
                let row = query.fetch_optional(&self.pool).await?;
                row.as_ref().map(Self::row_to_job).transpose()
            }

            async fn claim_job(
                &self,
                id: &$crate::jobs::model::JobId,
                owner: &$crate::jobs::model::InstanceId,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<$crate::jobs::model::Job>, $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let row = sqlx::query(&format!(
                    "UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $2, \
                     started_at = COALESCE(started_at, $3), updated_at = $3 \
                     WHERE id = $4 AND status IN ('queued', 'running') AND run_after <= $3 \
                       AND (lease_until IS NULL OR lease_until <= $3) \
                     RETURNING {}",
                    $crate::store::sql::jobs::COLUMNS
                ))
                .bind(owner.as_str())
                .bind(<$db as Columns>::time_to_db(lease_until))
                .bind(<$db as Columns>::time_to_db(now))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::row_to_job).transpose()
            }

            async fn save_step(
                &self,
                id: &$crate::jobs::model::JobId,
                owner: &$crate::jobs::model::InstanceId,
                step: &$crate::jobs::model::StepRecord,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<$crate::jobs::model::Job>, $crate::store::StoreError> {
                use $crate::jobs::model::StepRecord;
                use $crate::store::sql::jobs::count_to_db;
                use $crate::store::sql::Columns;
                let now = <$db as Columns>::time_to_db(now);
                let held = "WHERE id = $1 AND lease_owner = $2 AND status = 'running'";
                let zero = <$db as Columns>::int_to_db(0);
                let done = match step {
                    StepRecord::Continue { state, progress, lease_until } => sqlx::query(&format!(
                        "UPDATE jobs SET state = $3, done = $4, total = $5, attempts = $6, error = NULL, \
                         lease_until = $7, updated_at = $8 {held}"
                    ))
                    .bind(id.as_str())
                    .bind(owner.as_str())
                    .bind(state.to_string())
                    .bind(count_to_db(progress.done))
                    .bind(progress.total.map(count_to_db))
                    .bind(zero)
                    .bind(<$db as Columns>::time_to_db(*lease_until))
                    .bind(now)
                    .execute(&self.pool)
                    .await?,
                    StepRecord::Succeeded { progress, result } => sqlx::query(&format!(
                        "UPDATE jobs SET status = 'succeeded', done = $3, total = $4, result = $5, \
                         attempts = $6, error = NULL, lease_owner = NULL, lease_until = NULL, \
                         updated_at = $7, finished_at = $7 {held}"
                    ))
                    .bind(id.as_str())
                    .bind(owner.as_str())
                    .bind(count_to_db(progress.done))
                    .bind(progress.total.map(count_to_db))
                    .bind(result.as_ref().map(|r| r.to_string()))
                    .bind(zero)
                    .bind(now)
                    .execute(&self.pool)
                    .await?,
                    StepRecord::Failed { error, retry_at: Some(retry_at) } => sqlx::query(&format!(
                        "UPDATE jobs SET attempts = attempts + 1, error = $3, run_after = $4, \
                         lease_owner = NULL, lease_until = NULL, updated_at = $5 {held}"
                    ))
                    .bind(id.as_str())
                    .bind(owner.as_str())
                    .bind(error)
                    .bind(<$db as Columns>::time_to_db(*retry_at))
                    .bind(now)
                    .execute(&self.pool)
                    .await?,
                    StepRecord::Failed { error, retry_at: None } => sqlx::query(&format!(
                        "UPDATE jobs SET status = 'failed', attempts = attempts + 1, error = $3, \
                         lease_owner = NULL, lease_until = NULL, updated_at = $4, finished_at = $4 {held}"
                    ))
                    .bind(id.as_str())
                    .bind(owner.as_str())
                    .bind(error)
                    .bind(now)
                    .execute(&self.pool)
                    .await?,
                    StepRecord::Cancelled => sqlx::query(&format!(
                        "UPDATE jobs SET status = 'cancelled', lease_owner = NULL, lease_until = NULL, \
                         updated_at = $3, finished_at = $3 {held}"
                    ))
                    .bind(id.as_str())
                    .bind(owner.as_str())
                    .bind(now)
                    .execute(&self.pool)
                    .await?,
                    StepRecord::Released => sqlx::query(&format!(
                        "UPDATE jobs SET lease_owner = NULL, lease_until = NULL, updated_at = $3 {held}"
                    ))
                    .bind(id.as_str())
                    .bind(owner.as_str())
                    .bind(now)
                    .execute(&self.pool)
                    .await?,
                };
                if done.rows_affected() == 0 {
                    return Ok(None);
                }
                self.fetch_job(id).await
            }

            async fn request_cancel(
                &self,
                id: &$crate::jobs::model::JobId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<$crate::jobs::model::Job>, $crate::store::StoreError> {
                let mut tx = <$db as $crate::store::sql::WriteTx>::begin_write(&self.pool).await?;
                use $crate::store::sql::Columns;
                let at = <$db as Columns>::time_to_db(now);
                let yes = <$db as Columns>::bool_to_db(true);
                let idle = sqlx::query(
                    "UPDATE jobs SET status = 'cancelled', cancel_requested = $2, lease_owner = NULL, \
                     lease_until = NULL, updated_at = $3, finished_at = $3 \
                     WHERE id = $1 AND status IN ('queued', 'running') \
                       AND (lease_until IS NULL OR lease_until <= $3)",
                )
                .bind(id.as_str())
                .bind(yes)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                if idle.rows_affected() == 0 {
                    sqlx::query(
                        "UPDATE jobs SET cancel_requested = $2, updated_at = $3 \
                         WHERE id = $1 AND status IN ('queued', 'running')",
                    )
                    .bind(id.as_str())
                    .bind(yes)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                self.fetch_job(id).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::jobs::InstanceStore for $name {
            async fn register(
                &self,
                id: &$crate::jobs::model::InstanceId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                sqlx::query(
                    "INSERT INTO instances (id, started_at, heartbeat_at) VALUES ($1, $2, $2) \
                     ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, \
                     heartbeat_at = excluded.heartbeat_at",
                )
                .bind(id.as_str())
                .bind(<$db as Columns>::time_to_db(now))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn heartbeat(
                &self,
                id: &$crate::jobs::model::InstanceId,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                sqlx::query(
                    "INSERT INTO instances (id, started_at, heartbeat_at) VALUES ($1, $2, $2) \
                     ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
                )
                .bind(id.as_str())
                .bind(<$db as Columns>::time_to_db(now))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn others_silent_since(
                &self,
                except: &$crate::jobs::model::InstanceId,
                before: Option<chrono::DateTime<chrono::Utc>>,
            ) -> Result<Vec<$crate::jobs::model::InstanceId>, $crate::store::StoreError> {
                use $crate::store::sql::Columns;
                let ids: Vec<(String,)> = match before {
                    Some(before) => sqlx::query_as(
                        "SELECT id FROM instances WHERE id <> $1 AND heartbeat_at < $2 ORDER BY id",
                    )
                    .bind(except.as_str())
                    .bind(<$db as Columns>::time_to_db(before))
                    .fetch_all(&self.pool)
                    .await?,
                    None => sqlx::query_as("SELECT id FROM instances WHERE id <> $1 ORDER BY id")
                        .bind(except.as_str())
                        .fetch_all(&self.pool)
                        .await?,
                };
                ids.into_iter()
                    .map(|(id,)| {
                        $crate::jobs::model::InstanceId::parse(&id)
                            .map_err(|_| $crate::store::StoreError::Corrupt(format!("instance id {id}")))
                    })
                    .collect()
            }

            async fn remove(
                &self,
                ids: &[$crate::jobs::model::InstanceId],
            ) -> Result<(), $crate::store::StoreError> {
                if ids.is_empty() {
                    return Ok(());
                }
                let sql = format!(
                    "DELETE FROM instances WHERE id IN ({})",
                    $crate::store::sql::jobs::placeholders(1, ids.len())
                );
                let mut query = sqlx::query(&sql);
                for id in ids {
                    query = query.bind(id.as_str());
                }
                query.execute(&self.pool).await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::jobs::Leases for $name {
            fn what(&self) -> &'static str {
                "jobs"
            }

            async fn release_held_by(
                &self,
                owners: &[$crate::jobs::model::InstanceId],
            ) -> Result<u64, $crate::store::StoreError> {
                if owners.is_empty() {
                    return Ok(0);
                }
                let sql = format!(
                    "UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IN ({})",
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

pub(crate) use job_store;
