//! Tracked jobs: long work (a directory sync, a bulk send) cut into steps whose state is
//! stored after each one, so it survives restarts and moves between instances. A kind is a
//! [`JobKind`] (its one-step function); the [`Runner`] is the shared loop that claims a job
//! under a lease, steps it to the end, and gives it back when its instance stops.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::model::{InstanceId, Job, JobStatus, Progress, StepRecord};
use super::periodic::{Next, Periodic, StepError};
use crate::core::clock::SharedClock;
use crate::core::InvalidField;
use crate::store::jobs::JobStore;

/// How long an idle runner waits before it looks for a job again (a job enqueued on this
/// instance wakes it at once).
const POLL: Duration = Duration::from_secs(2);

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// More to do; the next step starts from `state`.
    Continue {
        state: serde_json::Value,
        progress: Progress,
    },
    Done {
        progress: Progress,
        result: Option<serde_json::Value>,
    },
}

/// A step that failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JobStepError {
    /// Worth another try later (WeChat or the store unavailable): retried from the same state.
    #[error("{0}")]
    Retry(String),
    /// Will never work (the account is gone, the params cannot be served): the job fails.
    #[error("{0}")]
    Fatal(String),
}

/// One kind of tracked job.
#[async_trait]
pub trait JobKind: Send + Sync + 'static {
    /// Its stable name (`contacts.sync`).
    fn kind(&self) -> &'static str;

    /// Checks a new job's params before it is queued.
    fn check_params(&self, _params: &serde_json::Value) -> Result<(), InvalidField> {
        Ok(())
    }

    /// One bounded piece of the work, well within `jobs.lease_secs`, from `job.state` (`None`
    /// at first). A step may run twice (an instance died after it and before its state was
    /// stored), so its effects must be safe to repeat.
    async fn step(&self, job: &Job) -> Result<StepOutcome, JobStepError>;
}

/// The kinds this hub runs, by name.
#[derive(Clone, Default)]
pub struct JobKinds(Arc<RwLock<HashMap<&'static str, Arc<dyn JobKind>>>>);

impl JobKinds {
    pub fn register(&self, kind: Arc<dyn JobKind>) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(kind.kind(), kind);
    }

    pub fn get(&self, name: &str) -> Option<Arc<dyn JobKind>> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .map(|k| (*k).to_owned())
            .collect();
        names.sort();
        names
    }
}

/// How the runner leases and retries.
#[derive(Debug, Clone)]
pub struct RunnerSettings {
    pub lease: Duration,
    pub max_attempts: u32,
}

/// The shared loop of tracked jobs, as a [`Periodic`]: each step claims one job and steps it
/// to the end (or until its instance stops, when the job is released for the next one).
pub struct Runner {
    store: Arc<dyn JobStore>,
    kinds: JobKinds,
    clock: SharedClock,
    instance: InstanceId,
    settings: RunnerSettings,
    shutdown: CancellationToken,
}

impl Runner {
    pub fn new(
        store: Arc<dyn JobStore>,
        kinds: JobKinds,
        clock: SharedClock,
        instance: InstanceId,
        settings: RunnerSettings,
        shutdown: CancellationToken,
    ) -> Self {
        Runner {
            store,
            kinds,
            clock,
            instance,
            settings,
            shutdown,
        }
    }

    fn lease_until(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now() + chrono::Duration::from_std(self.settings.lease).unwrap_or_default()
    }

    /// Claims one job and steps it until it finishes, is cancelled, fails, or the instance
    /// stops. `false` when there was none to claim.
    pub async fn run_one(&self) -> Result<bool, StepError> {
        let now = self.clock.now();
        let Some(job) = self
            .store
            .claim(&self.kinds.names(), &self.instance, now, self.lease_until())
            .await?
        else {
            return Ok(false);
        };
        self.drive(job).await?;
        Ok(true)
    }

    /// Claims job `id` (if nobody holds it and it is due) and steps it like
    /// [`Runner::run_one`]: the job as its last step left it (finished, failed for now and
    /// waiting for its retry, or released because the instance stops); `None` when it could
    /// not be claimed now (another instance holds it, or a retry is not due yet) or its lease
    /// was lost on the way.
    pub async fn run_job(&self, id: &super::model::JobId) -> Result<Option<Job>, StepError> {
        let now = self.clock.now();
        let Some(job) = self
            .store
            .claim_job(id, &self.instance, now, self.lease_until())
            .await?
        else {
            return Ok(None);
        };
        self.drive(job).await
    }

    /// Steps a claimed job until it stops; the job as last saved (`None`: the lease was lost).
    async fn drive(&self, mut job: Job) -> Result<Option<Job>, StepError> {
        tracing::info!(job_id = %job.id, kind = %job.kind, instance = %self.instance, "job claimed");
        loop {
            let record = self.next_record(&job).await;
            let stop = !matches!(record, StepRecord::Continue { .. });
            let saved = self
                .store
                .save_step(&job.id, &self.instance, &record, self.clock.now())
                .await?;
            let Some(saved) = saved else {
                tracing::warn!(job_id = %job.id, "job lease lost to another instance; leaving it");
                return Ok(None);
            };
            if stop {
                log_end(&saved, &record);
                return Ok(Some(saved));
            }
            job = saved;
        }
    }

    /// Runs one step of `job` (unless it is to stop) and says what to store.
    async fn next_record(&self, job: &Job) -> StepRecord {
        if job.cancel_requested {
            return StepRecord::Cancelled;
        }
        if self.shutdown.is_cancelled() {
            return StepRecord::Released;
        }
        let Some(kind) = self.kinds.get(&job.kind) else {
            return StepRecord::Released;
        };
        let outcome = kind.step(job).await;
        metrics::counter!("wxhub_job_steps_total", "kind" => kind.kind()).increment(1);
        match outcome {
            Ok(StepOutcome::Continue { state, progress }) => StepRecord::Continue {
                state,
                progress,
                lease_until: self.lease_until(),
            },
            Ok(StepOutcome::Done { progress, result }) => {
                StepRecord::Succeeded { progress, result }
            }
            Err(e) => {
                metrics::counter!("wxhub_job_step_failures_total", "job" => kind.kind())
                    .increment(1);
                let attempt = job.attempts + 1;
                let retry_at = match &e {
                    JobStepError::Retry(_) if attempt < self.settings.max_attempts => {
                        Some(self.clock.now() + retry_wait(attempt))
                    }
                    _ => None,
                };
                tracing::warn!(job_id = %job.id, kind = %job.kind, attempt, error = %e,
                    retry = retry_at.is_some(), "job step failed");
                StepRecord::Failed {
                    error: e.to_string(),
                    retry_at,
                }
            }
        }
    }
}

/// 2, 4, 8 … seconds after the `attempt`-th failure, at most ten minutes.
fn retry_wait(attempt: u32) -> chrono::Duration {
    chrono::Duration::seconds(2_i64.saturating_pow(attempt.min(20)).min(600))
}

fn log_end(job: &Job, record: &StepRecord) {
    match (job.status, record) {
        (JobStatus::Running, StepRecord::Released) => {
            tracing::info!(job_id = %job.id, "job released for the next instance");
        }
        (JobStatus::Running, StepRecord::Failed { .. }) => {}
        (status, _) => tracing::info!(job_id = %job.id, kind = %job.kind,
            status = status.as_str(), done = job.progress.done, "job ended"),
    }
}

#[async_trait]
impl Periodic for Runner {
    fn name(&self) -> &'static str {
        "job-runner"
    }

    async fn step(&self) -> Result<Next, StepError> {
        Ok(if self.run_one().await? {
            Next::Again
        } else {
            Next::After(POLL)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::retry_wait;

    #[test]
    fn retries_wait_longer_each_time_up_to_ten_minutes() {
        let waits: Vec<i64> = [1, 2, 3, 9, 10, 40]
            .into_iter()
            .map(|a| retry_wait(a).num_seconds())
            .collect();
        assert_eq!(waits, [2, 4, 8, 512, 600, 600]);
    }
}
