//! Storage of the jobs harness (`jobs/`): tracked jobs with their leases, the live hub
//! instances that hold leases, and the [`Leases`] every leasing store gives back when its
//! holder is gone.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::jobs::model::{InstanceId, Job, JobFilter, JobId, NewJob, StepRecord};
use crate::store::StoreError;

#[async_trait]
pub trait JobStore: Send + Sync {
    async fn insert(&self, job: &NewJob) -> Result<(), StoreError>;

    async fn get(&self, id: &JobId) -> Result<Option<Job>, StoreError>;

    /// Newest first, ids below `before`.
    async fn list(
        &self,
        filter: &JobFilter,
        before: Option<&JobId>,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError>;

    /// Leases the oldest runnable job of one of `kinds` to `owner` until `lease_until`: queued
    /// or running, due (`run_after <= now`), not cancelled, its lease free or run out. The job
    /// is then running and started. `None` when there is none.
    async fn claim(
        &self,
        kinds: &[String],
        owner: &InstanceId,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<Job>, StoreError>;

    /// Leases job `id` to `owner` like [`JobStore::claim`], if it is runnable now (queued or
    /// running, due, its lease free or run out); `None` otherwise. The command line runs one
    /// job of its own this way.
    async fn claim_job(
        &self,
        id: &JobId,
        owner: &InstanceId,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<Job>, StoreError>;

    /// Stores a step's outcome if `owner` still holds the job's lease; `Ok(None)` when it lost
    /// it (another instance took the job over, which then redoes the step). Returns the job
    /// as stored, so the stepper sees a cancel request.
    async fn save_step(
        &self,
        id: &JobId,
        owner: &InstanceId,
        step: &StepRecord,
        now: DateTime<Utc>,
    ) -> Result<Option<Job>, StoreError>;

    /// A job nobody is stepping (queued, or running with its lease free or run out) is
    /// cancelled at once; a leased one is asked to stop after its current step. Finished jobs
    /// are left as they are. `None` when there is no such job.
    async fn request_cancel(
        &self,
        id: &JobId,
        now: DateTime<Utc>,
    ) -> Result<Option<Job>, StoreError>;
}

/// The hub instances alive, as their heartbeats say.
#[async_trait]
pub trait InstanceStore: Send + Sync {
    /// Records `id` as alive (started now, or started again).
    async fn register(&self, id: &InstanceId, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Renews `id`'s heartbeat; registers it again if a sweep removed it.
    async fn heartbeat(&self, id: &InstanceId, now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Every instance but `except` whose last heartbeat is before `before` (all others when
    /// `before` is `None`).
    async fn others_silent_since(
        &self,
        except: &InstanceId,
        before: Option<DateTime<Utc>>,
    ) -> Result<Vec<InstanceId>, StoreError>;

    async fn remove(&self, ids: &[InstanceId]) -> Result<(), StoreError>;
}

/// A store whose rows are leased to an instance (tracked jobs, webhook deliveries).
#[async_trait]
pub trait Leases: Send + Sync {
    /// What the rows are, for logs (`webhook deliveries`).
    fn what(&self) -> &'static str;

    /// Frees every lease held by one of `owners`, so its work is claimable now. Returns how
    /// many were freed.
    async fn release_held_by(&self, owners: &[InstanceId]) -> Result<u64, StoreError>;
}
