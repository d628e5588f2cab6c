//! Storage of `Idempotency-Key` records (`http::idempotency`): the trait (no SQL).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::jobs::model::InstanceId;
use crate::store::StoreError;

/// One record's identity: whose key (the caller's client id, or `admin`) and the key.
#[derive(Debug, Clone, Copy)]
pub struct KeyRef<'a> {
    pub scope: &'a str,
    pub key: &'a str,
}

/// A stored answer, to replay: status, the headers that matter, the body sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body_sealed: String,
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Nobody had it (or its record had expired): it is this request's now; run it.
    New,
    /// Answered before, for the same request.
    Answered(StoredAnswer),
    /// The same key with another request.
    OtherRequest,
    /// The first request is still running (it may already have acted).
    Running,
    /// The first request's instance stopped before it answered: its outcome is not known.
    Unknown,
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims `key` for a request with `fingerprint`, held by `holder` until answered; the
    /// record lasts until `expires_at`.
    async fn claim(
        &self,
        key: KeyRef<'_>,
        fingerprint: &str,
        holder: &InstanceId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Claim, StoreError>;

    /// Stores the answer of the claim `holder` holds.
    async fn answer(
        &self,
        key: KeyRef<'_>,
        holder: &InstanceId,
        answer: &StoredAnswer,
    ) -> Result<(), StoreError>;

    /// Gives up the claim without an answer (the request failed), so a retry runs again —
    /// unless a store change of the request already committed (`acted`): then `false`, and
    /// the answer must be stored instead.
    async fn release(&self, key: KeyRef<'_>, holder: &InstanceId) -> Result<bool, StoreError>;

    /// Records that the claimed request is about to call WeChat (`external`, unless already
    /// `acted`); `false` when `holder` no longer holds the claim.
    async fn mark_external(&self, key: KeyRef<'_>, holder: &InstanceId)
        -> Result<bool, StoreError>;

    /// The claim `holder` holds was cut off before it answered: freed when it had done
    /// nothing yet (`running`), else its outcome is unknown and it is never run again.
    async fn abandon(&self, key: KeyRef<'_>, holder: &InstanceId) -> Result<(), StoreError>;

    /// Deletes records that expired before `now`; returns how many.
    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}
