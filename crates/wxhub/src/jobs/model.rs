//! The plain data of background work, which the store may name: who holds a lease
//! ([`InstanceId`]), and a tracked job's record ([`Job`]) with its [`JobStatus`] and
//! [`Progress`].

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::core::ids::made_of;

crate::slug_id!(
    /// One running hub process, as the holder of leases: `jobs.instance_id`, or by default
    /// `<hostname>:<listen port>` (stable across restarts, so a restarted instance takes its
    /// predecessor's leases back at once).
    InstanceId,
    "instance_id",
    |s| made_of(s, 128, |b| b.is_ascii_alphanumeric() || b"._:-@".contains(&b)),
    "must be 1-128 characters of letters, digits and . _ : - @"
);

crate::ulid_id!(
    /// A tracked job: `job_<ulid>`.
    JobId, "job_", "job_id"
);

/// Where a tracked job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for its first step.
    Queued,
    /// Started; its saved state is where the next step begins, on whichever instance.
    Running,
    Succeeded,
    /// A step failed `jobs.max_attempts` times in a row; `error` says why.
    Failed,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// No step will run again.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

/// How far a job has come: `done` of `total` units (messages sent, members synced). `total`
/// is unknown until a step learns it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Progress {
    pub done: u64,
    pub total: Option<u64>,
}

impl Progress {
    pub fn new(done: u64, total: Option<u64>) -> Self {
        Progress { done, total }
    }

    /// Whole percent done, when the total is known.
    pub fn percent(&self) -> Option<u8> {
        self.total.map(|total| match total {
            0 => 100,
            t => u8::try_from((self.done.min(t) * 100) / t).unwrap_or(100),
        })
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: JobId,
    /// The registered kind that runs it (`contacts.sync`).
    pub kind: String,
    /// The caller that started it (its client id); `None` for the admin and the hub itself.
    pub owner: Option<String>,
    pub params: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// A tracked job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub owner: Option<String>,
    pub params: serde_json::Value,
    /// Saved by the last step; `None` before the first.
    pub state: Option<serde_json::Value>,
    pub status: JobStatus,
    pub progress: Progress,
    /// Failed steps in a row (a step that succeeds resets it).
    pub attempts: u32,
    pub error: Option<String>,
    pub result: Option<serde_json::Value>,
    pub cancel_requested: bool,
    pub lease_owner: Option<InstanceId>,
    pub lease_until: Option<DateTime<Utc>>,
    /// Not claimed before this (a retry waits here).
    pub run_after: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What a step left behind, stored only while the stepping instance holds the lease.
#[derive(Debug, Clone, PartialEq)]
pub enum StepRecord {
    /// More to do: the state the next step starts from, the lease renewed.
    Continue {
        state: serde_json::Value,
        progress: Progress,
        lease_until: DateTime<Utc>,
    },
    /// Done.
    Succeeded {
        progress: Progress,
        result: Option<serde_json::Value>,
    },
    /// The step failed; retried from the same state at `retry_at`, or, with `None`, the job
    /// failed for good.
    Failed {
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
    /// Stopped at a cancel request.
    Cancelled,
    /// Given back unfinished (the instance stops): the next instance continues at once.
    Released,
}

/// Which jobs a list shows.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub kind: Option<String>,
    pub status: Option<JobStatus>,
    /// Only this caller's jobs.
    pub owner: Option<String>,
}

/// The params of a job about one account (`{"account": "demo-mp"}`): the follower sync's and
/// the directory sync's.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AccountParams {
    pub account: String,
}

impl AccountParams {
    /// The params naming `account`.
    pub fn json(account: &crate::accounts::model::AccountId) -> serde_json::Value {
        serde_json::json!({ "account": account.as_str() })
    }

    /// The account the params name; `what` names the job in the error ("a follower sync").
    pub fn of(
        params: &serde_json::Value,
        what: &str,
    ) -> Result<crate::accounts::model::AccountId, crate::core::InvalidField> {
        let params: AccountParams = serde_json::from_value(params.clone()).map_err(|_| {
            crate::core::InvalidField::new("account", format!("{what} needs {{\"account\"}}"))
        })?;
        crate::accounts::model::AccountId::parse(&params.account)
            .map_err(|e| crate::core::InvalidField::new("account", e.reason))
    }
}
