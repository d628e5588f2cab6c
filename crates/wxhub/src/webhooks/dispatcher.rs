//! Delivery: one due delivery per step, at least once, on the retry schedule.
//!
//! [`Dispatcher::dispatch_once`] claims the earliest due delivery (with a lease, so another
//! worker or instance does not take it too), signs and POSTs it, and stores the attempt with
//! the delivery's next state and the endpoint's health in one transaction. A 2xx is success;
//! anything else is retried at the schedule's next step (`Retry-After` honoured within the cap)
//! until the schedule is exhausted and the delivery is dead. An endpoint that keeps failing is
//! reported: its health turns `failing`, `wxhub_webhook_endpoint_failing{endpoint}` becomes 1
//! and a warning is logged — the deliveries themselves are kept, never dropped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use reqwest::header::RETRY_AFTER;

use crate::core::clock::SharedClock;
use crate::core::crypto::MasterKey;
use crate::jobs::model::InstanceId;
use crate::store::webhooks::{DeliveryUpdate, DueDelivery, HealthChange, WebhookStore};
use crate::store::StoreError;
use crate::webhooks::client::{read_prefix, transport_detail, WebhookClient};
use crate::webhooks::config::WebhooksConfig;
use crate::webhooks::error::WebhookError;
use crate::webhooks::model::{
    Attempt, AttemptId, AttemptOutcome, DeliveryId, DeliveryStatus, EndpointHealth,
};
use crate::webhooks::schedule::{parse_retry_after, random_jitter, Next, Schedule};
use crate::webhooks::service::open_secrets;
use crate::webhooks::url::parse_endpoint_url;

/// Deliveries a background worker claims per step.
pub const CLAIM_BATCH: u32 = 16;

/// How much of a receiver's answer is kept on the attempt.
const RESPONSE_KEEP: usize = 512;

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DispatchOutcome {
    Delivered(DeliveryId),
    /// The attempt failed; the delivery is due again at the given time.
    Retrying(DeliveryId, DateTime<Utc>),
    /// The attempt failed and the schedule is exhausted (dead-letter).
    Dead(DeliveryId),
    /// Nothing was due. `next_due` is the earliest scheduled attempt, if any.
    Idle {
        next_due: Option<DateTime<Utc>>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("delivery storage failed")]
    Store(#[from] StoreError),
}

/// Where jitter comes from: random in production, fixed in tests.
pub type JitterSource = Arc<dyn Fn() -> f64 + Send + Sync>;

#[derive(Clone)]
pub struct Dispatcher {
    store: Arc<dyn WebhookStore>,
    key: Option<MasterKey>,
    clock: SharedClock,
    http: WebhookClient,
    schedule: Schedule,
    config: WebhooksConfig,
    jitter: JitterSource,
    /// The instance whose leases this dispatcher's claims are.
    holder: InstanceId,
}

/// The result of sending, before it is stored.
struct Sent {
    outcome: AttemptOutcome,
    status_code: Option<i64>,
    error: Option<String>,
    response: Option<String>,
    retry_after: Option<Duration>,
}

impl Sent {
    fn failed(outcome: AttemptOutcome, error: impl Into<String>) -> Sent {
        Sent {
            outcome,
            status_code: None,
            error: Some(error.into()),
            response: None,
            retry_after: None,
        }
    }
}

impl Dispatcher {
    pub fn new(
        store: Arc<dyn WebhookStore>,
        key: Option<MasterKey>,
        clock: SharedClock,
        config: WebhooksConfig,
        http: WebhookClient,
        holder: InstanceId,
    ) -> Self {
        let schedule = Schedule::new(
            crate::webhooks::schedule::RETRY_DELAYS.to_vec(),
            Duration::from_secs(config.max_retry_after_secs),
        );
        Dispatcher {
            store,
            key,
            clock,
            http,
            schedule,
            config,
            jitter: Arc::new(random_jitter),
            holder,
        }
    }

    /// Replaces the jitter source (tests pin it to 0 to check the schedule exactly).
    pub fn with_jitter(mut self, jitter: JitterSource) -> Self {
        self.jitter = jitter;
        self
    }

    /// One step: deliver the earliest due delivery, or report when the next one is due.
    pub async fn dispatch_once(&self) -> Result<DispatchOutcome, DispatchError> {
        let mut outcomes = self.dispatch_many(1).await?;
        Ok(outcomes
            .pop()
            .unwrap_or(DispatchOutcome::Idle { next_due: None }))
    }

    /// One step over up to `limit` due deliveries, earliest first: claimed together, sent
    /// concurrently, and their attempts stored together in one transaction (one write turn
    /// instead of one per delivery). `[Idle]` when nothing was due. If storing fails, every
    /// delivery of the step keeps its lease and is tried again when the lease runs out.
    pub async fn dispatch_many(&self, limit: u32) -> Result<Vec<DispatchOutcome>, DispatchError> {
        let now = self.clock.now();
        let lease =
            chrono::Duration::seconds(i64::try_from(self.config.timeout_secs).unwrap_or(60) + 30);
        let due = self
            .store
            .claim_due(&self.holder, now, now + lease, limit)
            .await?;
        if due.is_empty() {
            return Ok(vec![DispatchOutcome::Idle {
                next_due: self.store.next_due().await?,
            }]);
        }
        let tried = futures::future::join_all(due.iter().map(|d| self.attempt(d, now))).await;
        let (records, outcomes): (Vec<_>, Vec<_>) = tried
            .into_iter()
            .map(|(attempt, update, outcome)| ((attempt, update), outcome))
            .unzip();
        let failing_after = i64::from(self.config.failing_after);
        let health = self.store.record_attempts(&records, failing_after).await?;
        for ((d, (attempt, _)), (outcome, health)) in
            due.iter().zip(&records).zip(outcomes.iter().zip(health))
        {
            self.report(d, attempt, outcome, health);
        }
        Ok(outcomes)
    }

    /// Sends one claimed delivery: the attempt to store, the delivery's next state, and what
    /// the step reports.
    async fn attempt(
        &self,
        due: &DueDelivery,
        now: DateTime<Utc>,
    ) -> (Attempt, DeliveryUpdate, DispatchOutcome) {
        let started = Instant::now();
        let sent = self.send(due, now).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let step = usize::try_from(due.delivery.step).unwrap_or(usize::MAX);
        let delivery_id = due.delivery.id.clone();
        let (update, outcome) = if sent.outcome == AttemptOutcome::Success {
            (
                DeliveryUpdate {
                    status: DeliveryStatus::Delivered,
                    step: due.delivery.step,
                    next_attempt_at: None,
                },
                DispatchOutcome::Delivered(delivery_id.clone()),
            )
        } else {
            match self
                .schedule
                .after_failure(step, (self.jitter)(), sent.retry_after)
            {
                Next::RetryAfter { delay, step } => {
                    let at = now
                        + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(10));
                    (
                        DeliveryUpdate {
                            status: DeliveryStatus::Failing,
                            step: i64::try_from(step).unwrap_or(i64::MAX),
                            next_attempt_at: Some(at),
                        },
                        DispatchOutcome::Retrying(delivery_id.clone(), at),
                    )
                }
                Next::GiveUp => (
                    DeliveryUpdate {
                        status: DeliveryStatus::Dead,
                        step: due.delivery.step,
                        next_attempt_at: None,
                    },
                    DispatchOutcome::Dead(delivery_id.clone()),
                ),
            }
        };
        let attempt = Attempt {
            id: AttemptId::generate(),
            delivery_id: delivery_id.clone(),
            endpoint_id: due.endpoint.endpoint.id.clone(),
            event_id: due.delivery.event_id.clone(),
            attempt_no: due.delivery.attempts + 1,
            at: now,
            outcome: sent.outcome,
            status_code: sent.status_code,
            error: sent.error,
            response: sent.response,
            duration_ms,
            next_attempt_at: update.next_attempt_at,
        };
        (attempt, update, outcome)
    }

    /// Runs steps until nothing is due now; returns the outcomes (tests).
    pub async fn drain(&self) -> Result<Vec<DispatchOutcome>, DispatchError> {
        let mut done = vec![];
        loop {
            match self.dispatch_once().await? {
                DispatchOutcome::Idle { .. } => return Ok(done),
                other => done.push(other),
            }
        }
    }

    fn report(
        &self,
        due: &DueDelivery,
        attempt: &Attempt,
        outcome: &DispatchOutcome,
        health: HealthChange,
    ) {
        let endpoint = due.endpoint.endpoint.id.as_str().to_owned();
        metrics::counter!("wxhub_webhook_attempts_total", "outcome" => attempt.outcome.as_str())
            .increment(1);
        match outcome {
            DispatchOutcome::Dead(id) => {
                metrics::counter!("wxhub_webhook_deliveries_dead_total", "endpoint" => endpoint.clone())
                    .increment(1);
                tracing::warn!(
                    endpoint = %endpoint, delivery = %id, event_id = %attempt.event_id,
                    attempts = attempt.attempt_no,
                    "webhook delivery is dead: retry schedule exhausted (replayable by API)"
                );
            }
            DispatchOutcome::Retrying(id, at) => tracing::debug!(
                endpoint = %endpoint, delivery = %id, status = ?attempt.status_code,
                error = attempt.error.as_deref().unwrap_or(""), next_attempt_at = %at,
                "webhook attempt failed; retry scheduled"
            ),
            DispatchOutcome::Delivered(_) | DispatchOutcome::Idle { .. } => {}
        }
        match (health.before, health.after) {
            (EndpointHealth::Healthy, EndpointHealth::Failing) => {
                metrics::gauge!("wxhub_webhook_endpoint_failing", "endpoint" => endpoint.clone())
                    .set(1.0);
                tracing::warn!(
                    endpoint = %endpoint, consecutive_failures = health.consecutive_failures,
                    "webhook endpoint is failing"
                );
            }
            (EndpointHealth::Failing, EndpointHealth::Healthy) => {
                metrics::gauge!("wxhub_webhook_endpoint_failing", "endpoint" => endpoint.clone())
                    .set(0.0);
                tracing::info!(endpoint = %endpoint, "webhook endpoint recovered");
            }
            _ => {}
        }
    }

    async fn send(&self, due: &DueDelivery, now: DateTime<Utc>) -> Sent {
        let record = &due.endpoint;
        let Some(key) = &self.key else {
            return Sent::failed(
                AttemptOutcome::Network,
                WebhookError::NoMasterKey.to_string(),
            );
        };
        let secrets = match open_secrets(key, record, now) {
            Ok(s) => s,
            Err(e) => return Sent::failed(AttemptOutcome::Network, e.to_string()),
        };
        let url = match parse_endpoint_url(&record.endpoint.url) {
            Ok(u) => u,
            Err(e) => return Sent::failed(AttemptOutcome::Network, e.to_string()),
        };
        let refs: Vec<_> = secrets.iter().collect();
        // A private IP literal is refused here, a name resolving to one by the client's
        // resolver (a connect error below), when the config forbids private URLs.
        let request = match self.http.signed_post(
            url,
            &refs,
            due.delivery.event_id.as_str(),
            now.timestamp(),
            Bytes::from(due.payload.clone()),
        ) {
            Ok(r) => r.timeout(Duration::from_secs(self.config.timeout_secs)),
            Err(e) => return Sent::failed(AttemptOutcome::Network, e.to_string()),
        };
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return classify(&e),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let kept = read_prefix(response, RESPONSE_KEEP).await;
        let text = String::from_utf8_lossy(&kept).into_owned();
        let success = status.is_success();
        Sent {
            outcome: if success {
                AttemptOutcome::Success
            } else {
                AttemptOutcome::HttpError
            },
            status_code: Some(i64::from(status.as_u16())),
            error: (!success).then(|| format!("answered {status}")),
            response: (!text.is_empty()).then_some(text),
            retry_after,
        }
    }
}

/// A short, URL-free reason for a transport failure (URLs may carry credentials).
fn classify(e: &reqwest::Error) -> Sent {
    let detail = transport_detail(e);
    if e.is_timeout() {
        Sent::failed(AttemptOutcome::Timeout, "timed out")
    } else if e.is_connect() {
        Sent::failed(
            AttemptOutcome::Network,
            format!("connection failed: {detail}"),
        )
    } else {
        Sent::failed(AttemptOutcome::Network, format!("request failed: {detail}"))
    }
}
