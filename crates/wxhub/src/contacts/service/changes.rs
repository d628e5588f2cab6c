//! Applying queued re-reads: each change_contact callback and manual notify queued one
//! (`contact_changes`); [`ChangeApplier`], a background loop of every instance, leases due
//! ones, reads the member, department or tag named from WeCom with the contacts secret, and
//! writes what WeCom answers — or removes the row when WeCom no longer knows it. Reading
//! rather than trusting the callback's fields makes a callback, a notify and a sync agree,
//! and works for apps WeCom sends fewer fields (apps created after 2022).

use std::time::Duration;

use async_trait::async_trait;

use super::{gone_or, Directory};
use crate::accounts::model::AccountId;
use crate::contacts::error::ContactsError;
use crate::contacts::model::{ChangeTarget, DepartmentPath, ROOT};
use crate::jobs::model::InstanceId;
use crate::jobs::periodic::StepError;
use crate::jobs::{Next, Periodic};
use crate::store::contacts::{Applied, PlacedDepartment, QueuedChange};

/// Re-reads leased per step.
const BATCH: u32 = 50;
/// How long a leased re-read is this instance's.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// A re-read that failed this many times is dropped (the next sync fixes its row).
const MAX_ATTEMPTS: u32 = 10;

/// The background loop that applies queued re-reads.
pub struct ChangeApplier {
    pub directory: Directory,
    pub instance: InstanceId,
    /// How often to look when nothing wakes it.
    pub every: Duration,
}

impl ChangeApplier {
    /// Reads the change's target from WeCom and writes (or removes) it.
    pub async fn apply(&self, change: &QueuedChange) -> Result<Applied, ContactsError> {
        apply(&self.directory, &change.account, &change.target).await
    }
}

/// One re-read: what WeCom says of `target` now, written into the copy.
pub async fn apply(
    directory: &Directory,
    account: &AccountId,
    target: &ChangeTarget,
) -> Result<Applied, ContactsError> {
    let base = directory.api_base(account).await?;
    let line = directory.line(&base, account);
    let store = directory.store();
    let at = directory.clock().now();
    let removed = || async {
        let had = store.remove(account, target).await?;
        Ok::<_, ContactsError>(Applied {
            removed: if had { vec![target.id()] } else { Vec::new() },
            ..Applied::default()
        })
    };
    match target {
        ChangeTarget::User(userid) => match directory.member(&line, userid).await? {
            Some(member) => Ok(store.put_members(account, &[member], at).await?),
            None => removed().await,
        },
        ChangeTarget::Party(id) => {
            let listed = match directory.departments(&line, Some(*id)).await {
                Ok(listed) => Some(listed),
                Err(e) => gone_or(e)?,
            };
            match listed.and_then(|l| l.into_iter().find(|d| d.id == *id)) {
                Some(department) => {
                    let path = match department.parentid {
                        None => DepartmentPath::root(*id),
                        Some(parent) => store
                            .department_path(account, parent)
                            .await?
                            .unwrap_or_else(|| DepartmentPath::root(ROOT))
                            .child(*id),
                    };
                    Ok(store
                        .put_departments(account, &[PlacedDepartment { department, path }], at)
                        .await?)
                }
                None => removed().await,
            }
        }
        ChangeTarget::Tag(id) => match directory.tag(&line, *id).await? {
            Some(tag) => Ok(store.put_tag(account, &tag, at).await?),
            None => removed().await,
        },
    }
}

#[async_trait]
impl Periodic for ChangeApplier {
    fn name(&self) -> &'static str {
        "contacts-rereads"
    }

    async fn step(&self) -> Result<Next, StepError> {
        let store = self.directory.store();
        let now = self.directory.clock().now();
        let leased = store
            .lease_changes(&self.instance, now, now + LEASE, BATCH)
            .await?;
        for change in &leased {
            match self.apply(change).await {
                Ok(applied) => {
                    tracing::info!(account = %change.account, target = change.target.kind(),
                        id = %change.target.id(), change_type = %change.change_type,
                        created = applied.created.len(), updated = applied.updated.len(),
                        removed = applied.removed.len(), "directory re-read applied");
                    store.finish_change(change.seq).await?;
                }
                Err(e) if e.is_transient() && change.attempts < MAX_ATTEMPTS => {
                    let wait = chrono::Duration::seconds(2i64.pow(change.attempts.min(10)));
                    let error = e.describe();
                    tracing::warn!(account = %change.account, target = change.target.kind(),
                        id = %change.target.id(), error = %error, "directory re-read failed; retrying");
                    store.retry_change(change.seq, &error, now + wait).await?;
                }
                Err(e) => {
                    tracing::warn!(account = %change.account, target = change.target.kind(),
                        id = %change.target.id(), error = %e.describe(),
                        "directory re-read dropped; the next sync corrects the row");
                    store.finish_change(change.seq).await?;
                }
            }
        }
        Ok(if leased.len() as u32 >= BATCH {
            Next::Again
        } else {
            Next::After(self.every)
        })
    }
}
