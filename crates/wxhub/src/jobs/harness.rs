//! [`Jobs`]: where an instance's background loops are started. Every loop is tracked, so the
//! instance's shutdown waits for each to finish its step.

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::periodic::{self, Periodic, Signal};

#[derive(Clone)]
pub struct Jobs {
    tracker: TaskTracker,
    shutdown: CancellationToken,
}

impl Jobs {
    pub fn new(tracker: TaskTracker, shutdown: CancellationToken) -> Self {
        Jobs { tracker, shutdown }
    }

    /// Runs `job` in the shared loop until shutdown, woken early by `signal`.
    pub fn spawn(&self, job: impl Periodic, signal: impl Signal) {
        metrics::gauge!("wxhub_background_jobs", "job" => job.name()).increment(1.0);
        self.tracker
            .spawn(periodic::run(job, signal, self.shutdown.clone()));
    }

    /// Fires when the instance stops.
    pub fn shutdown(&self) -> &CancellationToken {
        &self.shutdown
    }
}
