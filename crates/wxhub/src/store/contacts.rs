//! Storage of the contacts capability's writes: the directory copy as syncs and re-reads
//! put it (departments, members, tags), the queue of re-reads that change callbacks and the
//! manual notify ask for, and the sync reports. The trait only; no SQL. The queries over the
//! copy are `store/contact_queries.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::model::AccountId;
use crate::contacts::model::{
    ChangeTarget, ContactTagId, Department, DepartmentId, DepartmentPath, Member, NewContactChange,
    TagMembers,
};
use crate::jobs::model::InstanceId;
use crate::store::StoreError;

/// What a write did, by id: rows new to the copy, rows whose WeCom fields changed, and (for
/// a sweep or a removal) rows removed. Rows seen again unchanged are only confirmed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub removed: Vec<String>,
}

impl Applied {
    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.updated.is_empty() && self.removed.is_empty()
    }
}

/// A department as a sync writes it: WeCom's fields and its place in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedDepartment {
    pub department: Department,
    pub path: DepartmentPath,
}

/// How big the copy of one directory is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryCounts {
    pub departments: u64,
    pub members: u64,
    pub tags: u64,
}

/// A queued re-read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedChange {
    pub seq: i64,
    pub account: AccountId,
    pub target: ChangeTarget,
    pub change_type: String,
    pub received_at: DateTime<Utc>,
    pub attempts: u32,
}

/// A finished sync's report, kept per account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRecord {
    pub job_id: String,
    pub account: AccountId,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub report: serde_json::Value,
}

#[async_trait]
pub trait ContactsStore: Send + Sync + 'static {
    /// Writes departments as WeCom listed them at `at`, in one transaction: inserts new ones,
    /// updates those whose fields or place changed (a moved department's member rows follow
    /// its new path), confirms the rest at `at`.
    async fn put_departments(
        &self,
        account: &AccountId,
        departments: &[PlacedDepartment],
        at: DateTime<Utc>,
    ) -> Result<Applied, StoreError>;

    /// The stored path of a department.
    async fn department_path(
        &self,
        account: &AccountId,
        id: DepartmentId,
    ) -> Result<Option<DepartmentPath>, StoreError>;

    /// Department ids confirmed at or after `since`, above `after`, ascending, at most `limit`.
    async fn departments_confirmed_since(
        &self,
        account: &AccountId,
        since: DateTime<Utc>,
        after: Option<DepartmentId>,
        limit: u32,
    ) -> Result<Vec<DepartmentId>, StoreError>;

    /// Writes members as WeCom listed them at `at` (each with all their departments), in one
    /// transaction; the same semantics as [`put_departments`](Self::put_departments). A
    /// department a member names that the copy does not hold is left out of its rows.
    async fn put_members(
        &self,
        account: &AccountId,
        members: &[Member],
        at: DateTime<Utc>,
    ) -> Result<Applied, StoreError>;

    /// Writes a tag with its members and departments as WeCom listed them at `at`.
    async fn put_tag(
        &self,
        account: &AccountId,
        tag: &TagMembers,
        at: DateTime<Utc>,
    ) -> Result<Applied, StoreError>;

    /// Removes up to `limit` rows of each kind that nothing confirmed since `since`
    /// (members, then tags, then departments): what a full sync no longer found.
    async fn sweep(
        &self,
        account: &AccountId,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Swept, StoreError>;

    /// Removes one member, department (with its member rows) or tag: a re-read WeCom
    /// answered "no such …". Whether the copy had it.
    async fn remove(&self, account: &AccountId, target: &ChangeTarget) -> Result<bool, StoreError>;

    /// The members among `userids` (any status), for a notice.
    async fn reach_users(
        &self,
        account: &AccountId,
        userids: &[String],
    ) -> Result<Vec<Reached>, StoreError>;

    /// Every member in the subtree at `path` (the department and all below it), once each.
    async fn reach_subtree(
        &self,
        account: &AccountId,
        path: &DepartmentPath,
    ) -> Result<Vec<Reached>, StoreError>;

    /// Every member of the directory.
    async fn reach_all(&self, account: &AccountId) -> Result<Vec<Reached>, StoreError>;

    /// A tag's members and departments as the copy holds them; `None`: no such tag.
    async fn tag_targets(
        &self,
        account: &AccountId,
        tag: ContactTagId,
    ) -> Result<Option<(Vec<String>, Vec<DepartmentId>)>, StoreError>;

    /// How many departments, members and tags the copy holds.
    async fn counts(&self, account: &AccountId) -> Result<DirectoryCounts, StoreError>;

    /// Queues a re-read (a manual notify; callbacks queue theirs in the event batch).
    async fn queue_change(&self, change: &NewContactChange) -> Result<(), StoreError>;

    /// Leases up to `limit` due re-reads to `owner` until `until`, oldest first.
    async fn lease_changes(
        &self,
        owner: &InstanceId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedChange>, StoreError>;

    /// A re-read applied: its row goes.
    async fn finish_change(&self, seq: i64) -> Result<(), StoreError>;

    /// A re-read failed: due again at `due_at`, with the error kept.
    async fn retry_change(
        &self,
        seq: i64,
        error: &str,
        due_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Re-reads still queued for the account.
    async fn pending_changes(&self, account: &AccountId) -> Result<u64, StoreError>;

    /// Keeps a finished sync's report.
    async fn record_sync(&self, record: &SyncRecord) -> Result<(), StoreError>;

    /// The account's latest sync reports, newest first.
    async fn recent_syncs(
        &self,
        account: &AccountId,
        limit: u32,
    ) -> Result<Vec<SyncRecord>, StoreError>;
}

/// A member as a notice reaches them: where to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub userid: String,
    pub name: String,
    pub email: String,
    pub mobile: String,
    /// WeCom's status: 1 active.
    pub status: u8,
}

/// What a sweep removed, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept {
    pub members: Vec<String>,
    pub tags: Vec<String>,
    pub departments: Vec<String>,
}

impl Swept {
    pub fn total(&self) -> usize {
        self.members.len() + self.tags.len() + self.departments.len()
    }
}
