//! The hub's background work, started when it serves: the token refresher, fan-out and
//! delivery, the caller-token janitor and, on a SQLite file, the WAL checkpoint. Every task
//! is spawned on the instance's tracker and stops when its shutdown token fires.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::AppState;
use crate::store::Db;
use crate::webhooks::worker::FanOutWake;

/// How often expired caller tokens are deleted.
const TOKEN_PURGE_EVERY: Duration = Duration::from_secs(600);

pub(super) fn spawn(state: &AppState, tracker: &TaskTracker, shutdown: &CancellationToken) {
    let every = Duration::from_secs(state.config.tokens.refresh_every_secs.max(1));
    tracker.spawn(state.tokens.clone().run_refresher(every, shutdown.clone()));
    crate::webhooks::worker::spawn(
        tracker,
        shutdown,
        state.events.feed(),
        if state.store.events.fans_out_in_batch() {
            FanOutWake::PollOnly
        } else {
            FanOutWake::EveryBatch
        },
        state.fan_out.clone(),
        state.dispatcher.clone(),
        state.deliveries_ready.clone(),
        state.clock.clone(),
        state.config.webhooks.workers,
    );
    if let Db::Sqlite(pool) = &state.store.db {
        tracker.spawn(crate::store::sqlite::checkpoint::run(
            pool.clone(),
            shutdown.clone(),
        ));
    }
    let callers = state.callers.clone();
    let shutdown = shutdown.clone();
    tracker.spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(TOKEN_PURGE_EVERY) => {}
            }
            match callers.purge_expired_tokens().await {
                Ok(n) if n > 0 => tracing::debug!(purged = n, "expired caller tokens deleted"),
                Ok(_) => {}
                Err(e) => tracing::warn!(
                    error = format!("{:#}", anyhow::Error::from(e)),
                    "purging expired caller tokens failed"
                ),
            }
        }
    });
}
