//! The directory sync, a tracked job (`contacts.sync`, params `{"account"}`): the corp's
//! whole directory from WeCom with its contacts secret, written into the hub's copy; what
//! WeCom no longer lists is removed. The same job is the reconcile: its report says what it
//! created, changed and removed, so a run on a copy that drifted fixes it and says how.
//!
//! Each step is one bounded piece, continued from the job's stored state, so a sync stopped
//! anywhere goes on where it was, in whichever process claims it next:
//! - **departments**: `department/list`, all of them at once (WeCom answers the whole tree in
//!   one call), each placed on its materialised path;
//! - **members**: the next [`DEPARTMENTS_PER_STEP`] departments the run listed, in id order
//!   after the state's cursor, each read with `user/list` (its direct members; a member of
//!   several departments is read once per department and written once);
//! - **tags**: `tag/list`, then [`TAGS_PER_STEP`] tags a step with `tag/get`;
//! - **sweep**: [`SWEEP_PER_STEP`] rows of each kind at a time that nothing confirmed since
//!   the run began. A re-read during the run confirms what it writes, so callbacks keep the
//!   copy right during the sync too.
//!
//! Memory stays flat in the directory's size: a step holds one department list or the
//! members of a few departments, never the member list.

use async_trait::async_trait;
use chrono::{DateTime, DurationRound, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use super::Directory;
use crate::accounts::model::AccountId;
use crate::contacts::error::ContactsError;
use crate::contacts::model::{ContactTagId, Department, DepartmentId, DepartmentPath, ROOT};
use crate::core::InvalidField;
use crate::jobs::model::{AccountParams, Job, Progress};
use crate::jobs::{JobKind, JobStepError, StepOutcome};
use crate::store::contacts::{Applied, PlacedDepartment, SyncRecord};

/// The job kind's name.
pub const KIND: &str = "contacts.sync";
/// Departments whose members one step reads.
pub const DEPARTMENTS_PER_STEP: u32 = 50;
/// `user/list` calls in flight at once.
const CONCURRENT_READS: usize = 8;
/// Tags read per step.
pub const TAGS_PER_STEP: usize = 20;
/// Rows of each kind removed per sweep step.
pub const SWEEP_PER_STEP: u32 = 5000;
/// Ids of each kind of change a report names (the counts are complete).
const SAMPLE: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Departments,
    Members,
    Tags,
    Sweep,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Departments => "listing departments",
            Phase::Members => "reading members",
            Phase::Tags => "reading tags",
            Phase::Sweep => "removing what WeCom no longer lists",
        }
    }
}

/// What a run changed of one kind of row: complete counts, the first ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub created: u64,
    pub updated: u64,
    pub removed: u64,
    /// The first ids of each (at most 20 of each kind).
    #[serde(default)]
    pub created_ids: Vec<String>,
    #[serde(default)]
    pub updated_ids: Vec<String>,
    #[serde(default)]
    pub removed_ids: Vec<String>,
}

impl Changes {
    fn add(&mut self, applied: &Applied) {
        let take = |into: &mut Vec<String>, from: &[String]| {
            let room = SAMPLE.saturating_sub(into.len());
            into.extend(from.iter().take(room).cloned());
        };
        self.created += applied.created.len() as u64;
        self.updated += applied.updated.len() as u64;
        self.removed += applied.removed.len() as u64;
        take(&mut self.created_ids, &applied.created);
        take(&mut self.updated_ids, &applied.updated);
        take(&mut self.removed_ids, &applied.removed);
    }

    fn removed(&mut self, ids: &[String]) {
        self.add(&Applied {
            removed: ids.to_vec(),
            ..Applied::default()
        });
    }

    pub fn total(&self) -> u64 {
        self.created + self.updated + self.removed
    }
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    pub departments: Changes,
    pub members: Changes,
    pub tags: Changes,
}

/// A sync's stored state (the job's `state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// When the run began (to the millisecond, as both backends store it): what it lists
    /// is confirmed at or after this.
    pub started_at: DateTime<Utc>,
    pub phase: Phase,
    /// Departments WeCom listed.
    #[serde(default)]
    pub departments: u64,
    /// The last department whose members were read.
    #[serde(default)]
    pub after: Option<DepartmentId>,
    #[serde(default)]
    pub departments_read: u64,
    /// Member rows WeCom listed (a member in two departments counts twice).
    #[serde(default)]
    pub members_listed: u64,
    /// The tags `tag/list` named, once listed; `tags_read` of them are read.
    #[serde(default)]
    pub tags: Option<Vec<ContactTagId>>,
    #[serde(default)]
    pub tags_read: usize,
    #[serde(default)]
    pub report: SyncReport,
}

impl SyncState {
    /// The state of a job as stored, if it is a sync's.
    pub fn of(job: &Job) -> Option<SyncState> {
        job.state
            .as_ref()
            .and_then(|s| serde_json::from_value(s.clone()).ok())
    }

    fn new(now: DateTime<Utc>) -> Self {
        SyncState {
            started_at: now
                .duration_trunc(chrono::Duration::milliseconds(1))
                .unwrap_or(now),
            phase: Phase::Departments,
            departments: 0,
            after: None,
            departments_read: 0,
            members_listed: 0,
            tags: None,
            tags_read: 0,
            report: SyncReport::default(),
        }
    }

    /// Departments read, of all.
    pub fn progress(&self) -> Progress {
        match self.phase {
            Phase::Departments => Progress::new(0, None),
            _ => Progress::new(self.departments_read, Some(self.departments)),
        }
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
    AccountParams::of(params, "a directory sync")
}

/// Each department on its path from the root. A department whose parent WeCom did not
/// list (or a cycle) is placed under the root, so every listed department is reachable.
pub fn place(departments: Vec<Department>) -> Vec<PlacedDepartment> {
    let parents: HashMap<DepartmentId, Option<DepartmentId>> =
        departments.iter().map(|d| (d.id, d.parentid)).collect();
    let mut paths: HashMap<DepartmentId, DepartmentPath> = HashMap::new();
    for d in &departments {
        // The chain up from `d` to a department already placed, or to the top.
        let mut chain = vec![d.id];
        let mut at = d.id;
        while !paths.contains_key(&at) {
            match parents.get(&at).copied().flatten() {
                Some(parent) if parents.contains_key(&parent) && !chain.contains(&parent) => {
                    chain.push(parent);
                    at = parent;
                }
                _ => break,
            }
        }
        let mut path = match paths.get(&at) {
            Some(p) => {
                chain.pop();
                p.clone()
            }
            None => {
                let top = chain.pop().unwrap_or(d.id);
                let p = if top == ROOT {
                    DepartmentPath::root(ROOT)
                } else {
                    DepartmentPath::root(ROOT).child(top)
                };
                paths.insert(top, p.clone());
                p
            }
        };
        while let Some(id) = chain.pop() {
            path = path.child(id);
            paths.insert(id, path.clone());
        }
    }
    departments
        .into_iter()
        .map(|department| PlacedDepartment {
            path: paths
                .get(&department.id)
                .cloned()
                .unwrap_or_else(|| DepartmentPath::root(ROOT).child(department.id)),
            department,
        })
        .collect()
}

/// The `contacts.sync` job kind.
pub struct ContactsSync {
    pub directory: Directory,
}

fn failed(e: ContactsError) -> JobStepError {
    if e.is_transient() {
        JobStepError::Retry(e.describe())
    } else {
        JobStepError::Fatal(e.describe())
    }
}

impl ContactsSync {
    async fn departments(
        &self,
        account: &AccountId,
        mut state: SyncState,
    ) -> Result<SyncState, ContactsError> {
        let base = self.directory.api_base(account).await?;
        let line = self.directory.line(&base, account);
        let at = self.directory.clock().now();
        let placed = place(self.directory.departments(&line, None).await?);
        state.departments = placed.len() as u64;
        let applied = self
            .directory
            .store()
            .put_departments(account, &placed, at)
            .await?;
        state.report.departments.add(&applied);
        state.phase = Phase::Members;
        Ok(state)
    }

    async fn members(
        &self,
        account: &AccountId,
        mut state: SyncState,
    ) -> Result<SyncState, ContactsError> {
        let store = self.directory.store();
        let next = store
            .departments_confirmed_since(
                account,
                state.started_at,
                state.after,
                DEPARTMENTS_PER_STEP,
            )
            .await?;
        let Some(last) = next.last().copied() else {
            state.phase = Phase::Tags;
            return Ok(state);
        };
        let base = self.directory.api_base(account).await?;
        let line = self.directory.line(&base, account);
        let at = self.directory.clock().now();
        let lists: Vec<Vec<_>> = stream::iter(next.iter().copied())
            .map(|d| self.directory.members_in(&line, d))
            .buffer_unordered(CONCURRENT_READS)
            .try_collect()
            .await?;
        let members: Vec<_> = lists.into_iter().flatten().collect();
        state.members_listed += members.len() as u64;
        let applied = store.put_members(account, &members, at).await?;
        state.report.members.add(&applied);
        state.departments_read += next.len() as u64;
        state.after = Some(last);
        Ok(state)
    }

    async fn tags(
        &self,
        account: &AccountId,
        mut state: SyncState,
    ) -> Result<SyncState, ContactsError> {
        let base = self.directory.api_base(account).await?;
        let line = self.directory.line(&base, account);
        let tags = match &state.tags {
            Some(tags) => tags.clone(),
            None => {
                let tags: Vec<ContactTagId> = self
                    .directory
                    .tags(&line)
                    .await?
                    .into_iter()
                    .map(|t| t.tagid)
                    .collect();
                state.tags = Some(tags.clone());
                tags
            }
        };
        let batch: Vec<ContactTagId> = tags
            .iter()
            .skip(state.tags_read)
            .take(TAGS_PER_STEP)
            .copied()
            .collect();
        if batch.is_empty() {
            state.phase = Phase::Sweep;
            return Ok(state);
        }
        for id in &batch {
            let at = self.directory.clock().now();
            // A tag deleted since `tag/list` is left to the sweep.
            if let Some(tag) = self.directory.tag(&line, *id).await? {
                let applied = self.directory.store().put_tag(account, &tag, at).await?;
                state.report.tags.add(&applied);
            }
        }
        state.tags_read += batch.len();
        Ok(state)
    }
}

#[async_trait]
impl JobKind for ContactsSync {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn check_params(&self, params: &serde_json::Value) -> Result<(), InvalidField> {
        account_of(params).map(drop)
    }

    async fn step(&self, job: &Job) -> Result<StepOutcome, JobStepError> {
        let account = account_of(&job.params).map_err(|e| JobStepError::Fatal(e.to_string()))?;
        let state = match job.state.as_ref() {
            None => SyncState::new(self.directory.clock().now()),
            Some(state) => serde_json::from_value(state.clone())
                .map_err(|e| JobStepError::Fatal(format!("unreadable sync state: {e}")))?,
        };
        let state = match state.phase {
            Phase::Departments => self.departments(&account, state).await,
            Phase::Members => self.members(&account, state).await,
            Phase::Tags => self.tags(&account, state).await,
            Phase::Sweep => {
                let store = self.directory.store();
                let swept = store
                    .sweep(&account, state.started_at, SWEEP_PER_STEP)
                    .await
                    .map_err(|e| failed(e.into()))?;
                let mut state = state;
                state.report.members.removed(&swept.members);
                state.report.tags.removed(&swept.tags);
                state.report.departments.removed(&swept.departments);
                let more = [&swept.members, &swept.tags, &swept.departments]
                    .iter()
                    .any(|ids| ids.len() >= SWEEP_PER_STEP as usize);
                if more {
                    return state.outcome();
                }
                let counts = store.counts(&account).await.map_err(|e| failed(e.into()))?;
                let result = serde_json::json!({
                    "account": account,
                    "departments": counts.departments,
                    "members": counts.members,
                    "tags": counts.tags,
                    "changes": state.report,
                });
                store
                    .record_sync(&SyncRecord {
                        job_id: job.id.to_string(),
                        account: account.clone(),
                        started_at: state.started_at,
                        finished_at: self.directory.clock().now(),
                        report: result.clone(),
                    })
                    .await
                    .map_err(|e| failed(e.into()))?;
                tracing::info!(%account, departments = counts.departments,
                    members = counts.members, tags = counts.tags,
                    created = state.report.members.created, updated = state.report.members.updated,
                    removed = state.report.members.removed, "directory sync done");
                return Ok(StepOutcome::Done {
                    progress: Progress::new(state.departments, Some(state.departments)),
                    result: Some(result),
                });
            }
        };
        state.map_err(failed)?.outcome()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dept(id: u64, parent: u64) -> Department {
        Department {
            id: DepartmentId::new(id).unwrap(),
            name: format!("d{id}"),
            name_en: String::new(),
            parentid: DepartmentId::new(parent).ok(),
            order: 0,
            leaders: Vec::new(),
        }
    }

    #[test]
    fn departments_are_placed_on_their_paths_in_any_order() {
        let placed = place(vec![
            dept(9, 5),
            dept(5, 1),
            dept(1, 0),
            dept(7, 42),
            dept(3, 9),
        ]);
        let path = |id: u64| {
            placed
                .iter()
                .find(|p| p.department.id.get() == id)
                .map(|p| p.path.to_string())
                .unwrap()
        };
        assert_eq!(path(1), "/1/");
        assert_eq!(path(5), "/1/5/");
        assert_eq!(path(9), "/1/5/9/");
        assert_eq!(path(3), "/1/5/9/3/");
        // An unknown parent: under the root.
        assert_eq!(path(7), "/1/7/");
    }

    #[test]
    fn a_cycle_is_broken_under_the_root() {
        let placed = place(vec![dept(1, 0), dept(2, 3), dept(3, 2)]);
        for p in &placed {
            assert!(p.path.as_str().starts_with("/1/"), "{}", p.path);
        }
    }

    #[test]
    fn a_report_counts_everything_and_names_the_first() {
        let mut c = Changes::default();
        let ids: Vec<String> = (0..30).map(|i| i.to_string()).collect();
        c.add(&Applied {
            created: ids.clone(),
            ..Applied::default()
        });
        c.removed(&ids[..2]);
        assert_eq!((c.created, c.removed, c.total()), (30, 2, 32));
        assert_eq!(c.created_ids.len(), 20);
    }
}
