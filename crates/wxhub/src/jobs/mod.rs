//! The one harness for background work.
//!
//! - A background job is a one-step function plus the shared loop ([`periodic`]): fan-out,
//!   webhook delivery, the token refresher, purges, the SQLite checkpoint. [`Jobs`] starts
//!   them, tracked, so shutdown awaits them.
//! - Long work is a tracked job ([`tracked`]): a [`JobKind`]'s step runs under a lease held by
//!   this [`instance`], its state and progress (done / total) stored after each step, so it
//!   moves to another instance when this one stops or dies. [`JobService`] queues, reads and
//!   cancels them (`/api/v1/jobs`, `wxhub jobs`).
//! - Leases carry the [`InstanceId`] of their holder; [`Instance`] gives back what a killed
//!   instance held (see its doc) for every store that leases ([`crate::store::jobs::Leases`]).

pub mod config;
mod harness;
pub mod instance;
pub mod model;
pub mod periodic;
pub mod service;
pub mod tracked;

pub use config::JobsConfig;
pub use harness::Jobs;
pub use instance::Instance;
pub use model::{InstanceId, Job, JobId, JobStatus, Progress};
pub use periodic::{Every, Next, NoSignal, Periodic, Signal};
pub use service::{JobError, JobService};
pub use tracked::{JobKind, JobStepError, Runner, RunnerSettings, StepOutcome};
