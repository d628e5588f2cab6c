//! The batching event writer: every callback hands its event to ONE writer task, which
//! commits whatever has queued up as one transaction and only then answers each waiter.
//!
//! Why: a transaction per request costs a commit (an fsync of the WAL, or a round trip)
//! per callback. Here a commit serves every callback that arrived while the previous one
//! was running, so throughput grows with load while each request still waits for its own
//! event to be durable — nothing is acknowledged to WeChat before it is committed. There is
//! no timer: before committing, the writer yields to the runtime a few times
//! ([`LINGER_YIELDS`]) and takes what arrived meanwhile, so requests already being decrypted
//! and parsed join this batch instead of waiting for the next. A lone request costs those
//! few yields (microseconds); under load batches grow several times (issue 6 measured about
//! 7 events per commit without, 35–55 with), and fewer commits mean less CPU and far less
//! WAL per event — every commit rewrites the last page of the table and of each index.
//!
//! Durability on SQLite: WAL with `synchronous = NORMAL` (the store's setting). A committed
//! transaction survives a crash of the process (the WAL is written before COMMIT returns);
//! only a power loss or OS crash may lose the last commits. PostgreSQL: its own settings.
//!
//! The follower changes of newly inserted events (follow, unfollow) are part of the same
//! transaction, so a crash never leaves a stored event without its follower update. After
//! each commit the writer tells the [`CommitListener`] (the delivery side's feed).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::config::CallbacksConfig;
use crate::events::commit::CommitListener;
use crate::events::{InsertOutcome, NewEvent, StoredEvent};
use crate::store::events::EventStore;

/// The most events one transaction carries.
pub const MAX_BATCH: usize = 512;
/// How often the writer yields to let in-flight requests join the batch (the module doc).
const LINGER_YIELDS: usize = 8;

/// Why an event was not stored. The callback is not acknowledged; WeChat retries.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the event store failed")]
    Store,
    #[error("the event writer has stopped")]
    Stopped,
    /// The store is falling behind: the queue is full, or the commit did not come within
    /// `callbacks.commit_wait_ms`. Not acknowledged, so WeChat retries; an event that commits
    /// after all is found by the retry's dedup.
    #[error("the event store is falling behind")]
    Behind,
}

struct Job {
    event: NewEvent,
    done: oneshot::Sender<Result<InsertOutcome, WriteError>>,
}

/// The handle requests use. Cheap to clone.
#[derive(Clone)]
pub struct EventWriter {
    tx: mpsc::Sender<Job>,
    commit_wait: Duration,
}

impl EventWriter {
    /// Starts the writer task on `tracker`. It stops when `shutdown` fires and the queue is
    /// empty, or when every handle is dropped.
    pub fn spawn(
        events: Arc<dyn EventStore>,
        listener: Option<Arc<dyn CommitListener>>,
        config: &CallbacksConfig,
        tracker: &TaskTracker,
        shutdown: CancellationToken,
    ) -> EventWriter {
        let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
        let worker = Worker { events, listener };
        tracker.spawn(worker.run(rx, shutdown));
        EventWriter {
            tx,
            commit_wait: Duration::from_millis(config.commit_wait_ms.max(1)),
        }
    }

    /// Stores `event` (with its follower change) and returns once it is committed; never
    /// waits for room in the queue, nor longer than `callbacks.commit_wait_ms` for the commit.
    pub async fn write(&self, event: NewEvent) -> Result<InsertOutcome, WriteError> {
        let (done, wait) = oneshot::channel();
        match self.tx.try_send(Job { event, done }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(shed("queue_full")),
            Err(TrySendError::Closed(_)) => return Err(WriteError::Stopped),
        }
        match tokio::time::timeout(self.commit_wait, wait).await {
            Ok(answer) => answer.map_err(|_| WriteError::Stopped)?,
            Err(_) => Err(shed("commit_slow")),
        }
    }
}

/// Counts a callback pushed back because the store fell behind.
fn shed(reason: &'static str) -> WriteError {
    metrics::counter!("wxhub_callbacks_shed_total", "reason" => reason).increment(1);
    tracing::warn!(
        reason,
        "event store falling behind: callback answered 503 for WeChat to retry"
    );
    WriteError::Behind
}

struct Worker {
    events: Arc<dyn EventStore>,
    listener: Option<Arc<dyn CommitListener>>,
}

impl Worker {
    async fn run(self, mut rx: mpsc::Receiver<Job>, shutdown: CancellationToken) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            let first = tokio::select! {
                biased;
                job = rx.recv() => job,
                () = shutdown.cancelled() => rx.try_recv().ok(),
            };
            let Some(first) = first else { break };
            batch.push(first);
            for round in 0..=LINGER_YIELDS {
                if round > 0 {
                    tokio::task::yield_now().await;
                }
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                if batch.len() == MAX_BATCH {
                    break;
                }
            }
            self.step(&mut batch).await;
        }
        tracing::debug!("event writer stopped");
    }

    /// Commits one batch and answers its waiters.
    async fn step(&self, batch: &mut Vec<Job>) {
        let (events, waiters): (Vec<NewEvent>, Vec<_>) =
            batch.drain(..).map(|j| (j.event, j.done)).unzip();
        let count = events.len();
        let started = std::time::Instant::now();
        let result = self.events.insert_batch(events).await;
        metrics::histogram!("wxhub_event_batch_size").record(count as f64);
        metrics::histogram!("wxhub_event_batch_seconds").record(started.elapsed().as_secs_f64());
        match result {
            Ok(outcomes) => {
                let inserted: Vec<&StoredEvent> = outcomes
                    .iter()
                    .filter_map(|o| match o {
                        InsertOutcome::Inserted(e) => Some(e),
                        InsertOutcome::Duplicate(_) => None,
                    })
                    .collect();
                if !inserted.is_empty() {
                    if let Some(listener) = &self.listener {
                        listener.committed(&inserted);
                    }
                }
                for (done, outcome) in waiters.into_iter().zip(outcomes) {
                    // A waiter that gave up (client gone) is fine: the event is stored.
                    let _ = done.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, count, "storing callback events failed");
                for done in waiters {
                    let _ = done.send(Err(WriteError::Store));
                }
            }
        }
    }
}
