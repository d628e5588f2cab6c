//! The hub's background work, started when it serves, all on the jobs harness
//! (`jobs::Jobs`): the instance's heartbeat, the token refresher, fan-out and delivery, the
//! tracked-job runners, the follower profile fetcher, the caller-token janitor and, on a
//! SQLite file, the WAL checkpoint.
//! Every loop is tracked and stops when the instance's shutdown token fires.

use std::time::Duration;

use super::AppState;
use crate::jobs::{Every, Instance, Jobs, NoSignal, Runner, RunnerSettings};
use crate::store::Db;
use crate::webhooks::worker::{DeliveryJob, FanOutJob, FanOutWake};

/// How often expired caller tokens are deleted.
const TOKEN_PURGE_EVERY: Duration = Duration::from_secs(600);

pub(super) fn spawn(state: &AppState, jobs: &Jobs, instance: &Instance) {
    jobs.spawn(instance.clone(), NoSignal);
    jobs.spawn(
        crate::tokens::Refresher {
            tokens: state.tokens.clone(),
            every: Duration::from_secs(state.config.tokens.refresh_every_secs.max(1)),
        },
        NoSignal,
    );
    spawn_webhooks(state, jobs);
    let settings = &state.config.jobs;
    for _ in 0..settings.runners {
        let runner = Runner::new(
            state.jobs.store().clone(),
            state.jobs.kinds().clone(),
            state.clock.clone(),
            instance.id().clone(),
            RunnerSettings {
                lease: Duration::from_secs(settings.lease_secs),
                max_attempts: settings.max_attempts,
            },
            jobs.shutdown().clone(),
        );
        jobs.spawn(runner, state.jobs.enqueued());
    }
    jobs.spawn(
        crate::identity::service::ProfileFetcher {
            reader: state.profiles.clone(),
            instance: instance.id().clone(),
        },
        state.events.feed().subscribe(),
    );
    if let Db::Sqlite(pool) = &state.store.db {
        let pool = pool.clone();
        jobs.spawn(
            Every::new("sqlite-checkpoint", crate::store::sqlite::checkpoint::EVERY, move || {
                let pool = pool.clone();
                async move { Ok(crate::store::sqlite::checkpoint::checkpoint_once(&pool).await?) }
            }),
            NoSignal,
        );
    }
    jobs.spawn(
        crate::identity::service::ScanToBindJob(state.scan_to_bind.clone()),
        state.events.feed().subscribe(),
    );
    // Directory re-reads: woken by every stored batch (a change_contact callback queues one).
    jobs.spawn(
        crate::contacts::service::ChangeApplier {
            directory: state.contacts.directory().clone(),
            instance: instance.id().clone(),
            every: Duration::from_secs(state.config.contacts.reread_poll_secs.max(1)),
        },
        state.events.feed().subscribe(),
    );
    // Scheduled reconciles of synced directories (`[contacts] reconcile_every_secs`, 0: off).
    if state.config.contacts.reconcile_every_secs > 0 {
        let every = Duration::from_secs(state.config.contacts.reconcile_every_secs);
        jobs.spawn(
            crate::contacts::service::Reconciler {
                contacts: state.contacts.clone(),
                every,
                check: every.min(Duration::from_secs(600)),
            },
            NoSignal,
        );
    }
    let callers = state.callers.clone();
    let sdk = state.proxy.sdk().clone();
    let idempotency = state.idempotency.clone();
    jobs.spawn(
        Every::new("expiry-purge", TOKEN_PURGE_EVERY, move || {
            let (callers, sdk, idempotency) = (callers.clone(), sdk.clone(), idempotency.clone());
            async move {
                let purged = callers.purge_expired_tokens().await?
                    + sdk.purge_expired().await?
                    + idempotency.purge_expired().await?;
                if purged > 0 {
                    tracing::debug!(
                        purged,
                        "expired caller tokens, SDK tokens and idempotency records deleted"
                    );
                }
                Ok(())
            }
        }),
        NoSignal,
    );
}

/// Fan-out (woken by the feed, unless the store fans out inside each event batch) and
/// `webhooks.workers` delivery loops; none with 0 workers (tests drive them by hand).
fn spawn_webhooks(state: &AppState, jobs: &Jobs) {
    let workers = state.config.webhooks.workers;
    if workers == 0 {
        return;
    }
    let fan_out = FanOutJob {
        fan_out: state.fan_out.clone(),
        ready: state.deliveries_ready.clone(),
    };
    let wake = if state.store.events.fans_out_in_batch() {
        FanOutWake::PollOnly
    } else {
        FanOutWake::EveryBatch
    };
    match wake {
        FanOutWake::EveryBatch => jobs.spawn(fan_out, state.events.feed().subscribe()),
        FanOutWake::PollOnly => jobs.spawn(fan_out, NoSignal),
    }
    for _ in 0..workers {
        jobs.spawn(
            DeliveryJob {
                dispatcher: state.dispatcher.clone(),
                clock: state.clock.clone(),
            },
            state.deliveries_ready.listen(),
        );
    }
}
