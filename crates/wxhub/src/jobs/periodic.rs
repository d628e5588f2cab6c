//! The shared loop: a background job is a one-step function ([`Periodic::step`]) that says
//! when it wants to run again ([`Next`]); [`run`] calls it until shutdown, waking early on its
//! [`Signal`], backing off after a failure. Tests call `step` themselves instead of sleeping.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Wait after a failed step before the next one.
pub const BACKOFF: Duration = Duration::from_secs(1);

/// What a step asks for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// There is more to do: step again at once.
    Again,
    /// Nothing more now: step again after this long, or when the signal fires.
    After(Duration),
}

/// A step failed; the loop logs it and backs off.
pub type StepError = anyhow::Error;

/// One background job of an instance.
#[async_trait]
pub trait Periodic: Send + Sync + 'static {
    /// Its name, in logs and metrics (`webhook-delivery`).
    fn name(&self) -> &'static str;

    /// Does one bounded piece of work.
    async fn step(&self) -> Result<Next, StepError>;

    /// Runs once after the last step, when the instance stops.
    async fn stopped(&self) {}
}

/// What wakes a waiting loop before its time: something it listens to changed.
pub trait Signal: Send + 'static {
    /// Called before each step: a change from now on ends the next [`Signal::changed`].
    fn mark_seen(&mut self);

    /// Resolves at the first change since [`Signal::mark_seen`] (never, if the sender is gone).
    fn changed(&mut self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

impl<T: Send + Sync + 'static> Signal for watch::Receiver<T> {
    fn mark_seen(&mut self) {
        self.borrow_and_update();
    }

    fn changed(&mut self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            if watch::Receiver::changed(self).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}

/// No signal: the loop wakes only when its wait is over.
pub struct NoSignal;

impl Signal for NoSignal {
    fn mark_seen(&mut self) {}

    fn changed(&mut self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(std::future::pending())
    }
}

/// Steps `job` until `shutdown` fires, then calls its `stopped`.
pub async fn run(job: impl Periodic, mut signal: impl Signal, shutdown: CancellationToken) {
    let name = job.name();
    loop {
        if shutdown.is_cancelled() {
            break;
        }
        signal.mark_seen();
        let wait = match job.step().await {
            Ok(Next::Again) => continue,
            Ok(Next::After(wait)) => wait,
            Err(e) => {
                metrics::counter!("wxhub_job_step_failures_total", "job" => name).increment(1);
                tracing::warn!(
                    job = name,
                    error = format!("{e:#}"),
                    "background step failed"
                );
                BACKOFF
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = signal.changed() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
    job.stopped().await;
    tracing::debug!(job = name, "background job stopped");
}

/// A [`Periodic`] from a function that runs every `period`: a purge, a checkpoint.
pub struct Every<F> {
    name: &'static str,
    period: Duration,
    step: F,
}

impl<F, Fut> Every<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), StepError>> + Send,
{
    pub fn new(name: &'static str, period: Duration, step: F) -> Self {
        Every { name, period, step }
    }
}

#[async_trait]
impl<F, Fut> Periodic for Every<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), StepError>> + Send,
{
    fn name(&self) -> &'static str {
        self.name
    }

    async fn step(&self) -> Result<Next, StepError> {
        (self.step)().await?;
        Ok(Next::After(self.period))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    use super::*;

    struct Countdown {
        left: AtomicU32,
        steps: Arc<AtomicU32>,
        stopped: Arc<AtomicU32>,
    }

    #[async_trait]
    impl Periodic for Countdown {
        fn name(&self) -> &'static str {
            "countdown"
        }

        async fn step(&self) -> Result<Next, StepError> {
            self.steps.fetch_add(1, Ordering::SeqCst);
            match self.left.fetch_sub(1, Ordering::SeqCst) {
                0 => {
                    self.left.store(0, Ordering::SeqCst);
                    Ok(Next::After(Duration::from_secs(3600)))
                }
                1 => anyhow::bail!("the last one fails"),
                _ => Ok(Next::Again),
            }
        }

        async fn stopped(&self) {
            self.stopped.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn steps_again_at_once_backs_off_after_a_failure_and_wakes_on_its_signal() {
        let steps = Arc::new(AtomicU32::new(0));
        let stopped = Arc::new(AtomicU32::new(0));
        let job = Countdown {
            left: AtomicU32::new(3),
            steps: steps.clone(),
            stopped: stopped.clone(),
        };
        let (wake, listen) = watch::channel(0u32);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(run(job, listen, shutdown.clone()));
        // 3 → 2 → 1 (fails) → backoff → 0 (idle an hour).
        tokio::time::sleep(BACKOFF / 2).await;
        assert_eq!(
            steps.load(Ordering::SeqCst),
            3,
            "two at once, then the failure"
        );
        tokio::time::sleep(BACKOFF).await;
        assert_eq!(
            steps.load(Ordering::SeqCst),
            4,
            "one more after the backoff"
        );
        wake.send_modify(|n| *n += 1);
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(
            steps.load(Ordering::SeqCst),
            5,
            "the signal ends the hour's wait"
        );
        shutdown.cancel();
        task.await.expect("loop ends");
        assert_eq!(stopped.load(Ordering::SeqCst), 1);
    }
}
