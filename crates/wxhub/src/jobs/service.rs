//! Starting, reading and cancelling tracked jobs (the API and the CLI use this).

use std::sync::Arc;

use tokio::sync::watch;

use super::model::{Job, JobFilter, JobId, NewJob};
use super::tracked::{JobKind, JobKinds};
use crate::core::clock::SharedClock;
use crate::core::InvalidField;
use crate::store::jobs::JobStore;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("no job kind {0:?} is registered on this hub")]
    UnknownKind(String),
    #[error(transparent)]
    InvalidParams(#[from] InvalidField),
    #[error("job not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct JobService {
    store: Arc<dyn JobStore>,
    kinds: JobKinds,
    clock: SharedClock,
    enqueued: Arc<watch::Sender<u64>>,
}

impl JobService {
    pub fn new(store: Arc<dyn JobStore>, clock: SharedClock) -> Self {
        JobService {
            store,
            kinds: JobKinds::default(),
            clock,
            enqueued: Arc::new(watch::Sender::new(0)),
        }
    }

    /// Makes `kind` runnable here (capabilities register theirs when the hub is wired).
    pub fn register(&self, kind: Arc<dyn JobKind>) {
        self.kinds.register(kind);
    }

    pub fn kinds(&self) -> &JobKinds {
        &self.kinds
    }

    pub fn store(&self) -> &Arc<dyn JobStore> {
        &self.store
    }

    /// Fires when a job is queued on this instance, so its runners start it at once.
    pub fn enqueued(&self) -> watch::Receiver<u64> {
        self.enqueued.subscribe()
    }

    /// Queues a job of `kind`; `owner` is the caller that started it.
    pub async fn enqueue(
        &self,
        kind: &str,
        params: serde_json::Value,
        owner: Option<String>,
    ) -> Result<Job, JobError> {
        let runs = self
            .kinds
            .get(kind)
            .ok_or_else(|| JobError::UnknownKind(kind.to_owned()))?;
        runs.check_params(&params)?;
        let job = NewJob {
            id: JobId::generate(),
            kind: runs.kind().to_owned(),
            owner,
            params,
            created_at: self.clock.now(),
        };
        self.store.insert(&job).await?;
        self.enqueued.send_modify(|n| *n = n.wrapping_add(1));
        tracing::info!(job_id = %job.id, kind = %job.kind, "job queued");
        self.get(&job.id).await
    }

    pub async fn get(&self, id: &JobId) -> Result<Job, JobError> {
        self.store.get(id).await?.ok_or(JobError::NotFound)
    }

    pub async fn list(
        &self,
        filter: &JobFilter,
        before: Option<&JobId>,
        limit: u32,
    ) -> Result<Vec<Job>, JobError> {
        Ok(self.store.list(filter, before, limit).await?)
    }

    /// The queued and running jobs of `kind` about `account` (their params are
    /// [`AccountParams`](super::model::AccountParams)), oldest first.
    pub async fn unfinished_for(
        &self,
        kind: &str,
        account: &crate::accounts::model::AccountId,
    ) -> Result<Vec<Job>, JobError> {
        let mut found = Vec::new();
        for status in [
            super::model::JobStatus::Queued,
            super::model::JobStatus::Running,
        ] {
            let filter = JobFilter {
                kind: Some(kind.to_owned()),
                status: Some(status),
                owner: None,
            };
            let jobs = self.list(&filter, None, 1000).await?;
            found.extend(jobs.into_iter().filter(|job| {
                super::model::AccountParams::of(&job.params, kind).is_ok_and(|a| &a == account)
            }));
        }
        found.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(found)
    }

    /// Cancels a job nobody is stepping at once, or asks the stepping instance to stop after
    /// its current step. A finished job is returned as it is.
    pub async fn cancel(&self, id: &JobId) -> Result<Job, JobError> {
        let job = self
            .store
            .request_cancel(id, self.clock.now())
            .await?
            .ok_or(JobError::NotFound)?;
        tracing::info!(job_id = %id, status = job.status.as_str(), "job cancel requested");
        Ok(job)
    }
}
