//! The thin loops around the one-step functions: fan-out woken by the event feed, delivery
//! workers woken by fan-out or by the next due time. Both also poll on a short deadline, which
//! covers events and deliveries created by another hub instance. Every loop stops when the
//! hub's shutdown token fires; the tasks are tracked, so shutdown awaits them.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::core::clock::SharedClock;
use crate::events::feed::EventFeed;
use crate::store::DeliveriesReady;
use crate::webhooks::dispatcher::{DispatchOutcome, Dispatcher, CLAIM_BATCH};
use crate::webhooks::fanout::FanOut;

/// Longest wait between two looks at the store.
const POLL: Duration = Duration::from_secs(2);
/// Wait after a failing step (store or bus down) before trying again.
const BACKOFF: Duration = Duration::from_secs(1);

/// Which events the fan-out loop wakes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanOutWake {
    /// Every committed batch (the feed): fan-out's step is where events are dispatched.
    EveryBatch,
    /// Only the poll: the event store fans out inside each batch, so the loop merely picks
    /// up what is left undispatched (events stored by an instance that published to a bus).
    PollOnly,
}

/// Starts the fan-out loop and `workers` delivery loops on `tracker`.
#[allow(clippy::too_many_arguments)]
pub fn spawn(
    tracker: &TaskTracker,
    shutdown: &CancellationToken,
    feed: &EventFeed,
    wake: FanOutWake,
    fan_out: FanOut,
    dispatcher: Dispatcher,
    deliveries_ready: DeliveriesReady,
    clock: SharedClock,
    workers: usize,
) {
    if workers == 0 {
        return;
    }
    {
        let shutdown = shutdown.clone();
        let mut listener = feed.subscribe();
        let ready = deliveries_ready.clone();
        tracker.spawn(async move {
            loop {
                match fan_out.fan_out_once().await {
                    Ok(done) if done.events > 0 => {
                        if done.deliveries > 0 {
                            ready.notify();
                        }
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(
                            error = format!("{:#}", anyhow::Error::from(e)),
                            "fan-out step failed"
                        );
                        tokio::select! {
                            () = shutdown.cancelled() => break,
                            () = tokio::time::sleep(BACKOFF) => continue,
                        }
                    }
                }
                let feed_changed = async {
                    match wake {
                        FanOutWake::EveryBatch => listener.changed().await,
                        FanOutWake::PollOnly => std::future::pending().await,
                    }
                };
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = feed_changed => {}
                    () = tokio::time::sleep(POLL) => {}
                }
            }
        });
    }
    for _ in 0..workers {
        let shutdown = shutdown.clone();
        let ready = deliveries_ready.clone();
        let dispatcher = dispatcher.clone();
        let clock = clock.clone();
        tracker.spawn(async move {
            loop {
                // Listening before the step, so a notification during it is not missed.
                let notified = ready.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let wait = match dispatcher.dispatch_many(CLAIM_BATCH).await {
                    Ok(outcomes) => match outcomes.as_slice() {
                        [DispatchOutcome::Idle { next_due }] => next_due
                            .and_then(|at| (at - clock.now()).to_std().ok())
                            .map_or(POLL, |d| d.min(POLL)),
                        _ => continue,
                    },
                    Err(e) => {
                        tracing::warn!(
                            error = format!("{:#}", anyhow::Error::from(e)),
                            "delivery step failed"
                        );
                        BACKOFF
                    }
                };
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = notified => {}
                    () = tokio::time::sleep(wait) => {}
                }
            }
        });
    }
}
