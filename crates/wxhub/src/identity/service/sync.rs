//! Follower sync, a tracked job (`followers.sync`, params `{"account"}`): the account's whole
//! follower list from WeChat (`user/get`, 10,000 openids a page by `next_openid`), then every
//! listed follower's profile (`user/info/batchget`, 100 a call), then every follower the run
//! did not confirm marked unsubscribed (profile cleared, record kept).
//!
//! Each step is one bounded piece, and its state (the job's `state`, stored after each step)
//! is where the next begins, so a sync stopped anywhere — the instance or the `wxhub sync
//! followers` process killed — goes on from there, on whichever process claims it next:
//! - **list**: one page, recorded as confirmed at the time it was asked (upserts: a page read
//!   twice changes nothing); the state keeps `next_openid`.
//! - **profiles**: the next [`PROFILES_PER_STEP`] listed followers whose profile was not
//!   stored since the run began, in openid order after the state's cursor.
//! - **sweep**: [`SWEEP_PER_STEP`] at a time, followers nothing confirmed since the run
//!   began. A follow callback during the run confirms its follower too, and a profile or page
//!   answer never overrides a callback that came after it was asked, so callbacks keep the
//!   records right during the sync and after it.
//!
//! Memory stays flat in the follower count: a step holds one page (at most 10,000 openids)
//! or one batch of profiles, never the list.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::profiles::{ProfileReader, ReadError};
use crate::accounts::model::AccountId;
use crate::core::InvalidField;
use crate::jobs::model::{Job, Progress};
use crate::jobs::{JobKind, JobStepError, StepOutcome};
use crate::store::StoreError;

/// The job kind's name.
pub const KIND: &str = "followers.sync";
/// Profiles read per step (ten `user/info/batchget` calls).
pub const PROFILES_PER_STEP: u32 = 1000;
/// Followers marked unsubscribed per step of the sweep.
pub const SWEEP_PER_STEP: u32 = 5000;
/// A follower listed by a sync is due a profile this long after (the sync reads it before;
/// the profile fetcher only if the sync stops for good).
const LISTED_GRACE: chrono::Duration = chrono::Duration::hours(1);

/// Where a sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    List,
    Profiles,
    Sweep,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::List => "listing followers",
            Phase::Profiles => "reading profiles",
            Phase::Sweep => "marking unlisted followers unsubscribed",
        }
    }
}

/// A sync's stored state (the job's `state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// When the run began: what it lists is confirmed at or after this.
    pub started_at: DateTime<Utc>,
    pub phase: Phase,
    /// `user/get`'s cursor for the next page (`None`: the first).
    #[serde(default)]
    pub next_openid: Option<String>,
    /// Openids listed so far.
    #[serde(default)]
    pub listed: u64,
    /// WeChat's count of followers, from the last page.
    #[serde(default)]
    pub total: Option<u64>,
    /// The last openid whose profile was read.
    #[serde(default)]
    pub after: Option<String>,
    /// Profiles stored.
    #[serde(default)]
    pub profiles: u64,
    /// Followers marked unsubscribed.
    #[serde(default)]
    pub removed: u64,
}

impl SyncState {
    /// The state of a job as stored, if it is a sync's.
    pub fn of(job: &Job) -> Option<SyncState> {
        job.state
            .as_ref()
            .and_then(|s| serde_json::from_value(s.clone()).ok())
    }

    fn progress(&self) -> Progress {
        Progress::new(self.profiles, self.total)
    }

    fn outcome(&self) -> Result<StepOutcome, JobStepError> {
        Ok(StepOutcome::Continue {
            state: serde_json::to_value(self).map_err(|e| JobStepError::Fatal(e.to_string()))?,
            progress: self.progress(),
        })
    }
}

/// The params of a sync job: `{"account"}`.
pub fn account_of(params: &serde_json::Value) -> Result<AccountId, InvalidField> {
    crate::jobs::model::AccountParams::of(params, "a follower sync")
}

/// The `followers.sync` job kind.
pub struct FollowerSync {
    pub reader: ProfileReader,
}

fn failed(e: ReadError) -> JobStepError {
    if e.is_permanent() {
        JobStepError::Fatal(e.to_string())
    } else {
        JobStepError::Retry(format!("{e:#}"))
    }
}

fn store_failed(e: StoreError) -> JobStepError {
    JobStepError::Retry(format!("{:#}", anyhow::Error::from(e)))
}

impl FollowerSync {
    async fn list(
        &self,
        account: &AccountId,
        mut state: SyncState,
    ) -> Result<SyncState, JobStepError> {
        let asked_at = self.reader.clock().now();
        let page = self
            .reader
            .list_page(account, state.next_openid.as_deref())
            .await
            .map_err(failed)?;
        let openids = page.openids();
        self.reader
            .store()
            .record_listed(account, openids, asked_at, asked_at + LISTED_GRACE)
            .await
            .map_err(store_failed)?;
        state.listed += openids.len() as u64;
        state.total = page.total.or(state.total);
        let next = (!page.next_openid.is_empty()).then(|| page.next_openid.clone());
        // The list ends with an empty page (or no cursor, or one that does not move on).
        if openids.is_empty() || next.is_none() || next == state.next_openid {
            state.phase = Phase::Profiles;
            state.total = Some(state.listed);
            state.next_openid = None;
        } else {
            state.next_openid = next;
        }
        Ok(state)
    }

    async fn profiles(
        &self,
        account: &AccountId,
        mut state: SyncState,
    ) -> Result<SyncState, JobStepError> {
        let openids = self
            .reader
            .store()
            .unread_since(
                account,
                state.started_at,
                state.after.as_deref(),
                PROFILES_PER_STEP,
            )
            .await
            .map_err(store_failed)?;
        let Some(last) = openids.last() else {
            state.phase = Phase::Sweep;
            return Ok(state);
        };
        let last = last.clone();
        let stored = self
            .reader
            .refresh(account, &openids)
            .await
            .map_err(failed)?;
        state.profiles += stored as u64;
        state.after = Some(last);
        Ok(state)
    }
}

#[async_trait]
impl JobKind for FollowerSync {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn check_params(&self, params: &serde_json::Value) -> Result<(), InvalidField> {
        account_of(params).map(drop)
    }

    async fn step(&self, job: &Job) -> Result<StepOutcome, JobStepError> {
        let account = account_of(&job.params).map_err(|e| JobStepError::Fatal(e.to_string()))?;
        let state = match job.state.as_ref() {
            None => SyncState {
                started_at: self.reader.clock().now(),
                phase: Phase::List,
                next_openid: None,
                listed: 0,
                total: None,
                after: None,
                profiles: 0,
                removed: 0,
            },
            Some(state) => serde_json::from_value(state.clone())
                .map_err(|e| JobStepError::Fatal(format!("unreadable sync state: {e}")))?,
        };
        match state.phase {
            Phase::List => self.list(&account, state).await?.outcome(),
            Phase::Profiles => self.profiles(&account, state).await?.outcome(),
            Phase::Sweep => {
                let store = self.reader.store();
                let now = self.reader.clock().now();
                let removed = store
                    .unsubscribe_unconfirmed(&account, state.started_at, now, SWEEP_PER_STEP)
                    .await
                    .map_err(store_failed)?;
                let mut state = state;
                state.removed += removed;
                if removed >= u64::from(SWEEP_PER_STEP) {
                    return state.outcome();
                }
                let followers = store
                    .count_confirmed_since(&account, state.started_at)
                    .await
                    .map_err(store_failed)?;
                tracing::info!(%account, followers, listed = state.listed,
                    profiles = state.profiles, removed = state.removed, "follower sync done");
                Ok(StepOutcome::Done {
                    progress: Progress::new(followers, Some(followers)),
                    result: Some(serde_json::json!({
                        "account": account.as_str(),
                        "followers": followers,
                        "listed": state.listed,
                        "profiles": state.profiles,
                        "removed": state.removed,
                    })),
                })
            }
        }
    }
}
