//! Admin role assignments (seed 002 §3.2): the hub's record of which members are system
//! super-admins, super-admins or tiered admins, and which departments a tiered admin
//! manages. WeCom has no API for it, so the admin sets them here; the queries' `as_user`
//! and `auth-list` read them ([`crate::contacts::model::roles`] says what each level sees).

use std::sync::Arc;

use tracing::instrument;

use super::queries::{work_account, DirectoryError};
use crate::accounts::model::AccountId;
use crate::accounts::AccountService;
use crate::contacts::model::Role;
use crate::core::clock::SharedClock;
use crate::core::{CorpUserId, InvalidAt};
use crate::store::contact_queries::{DirectoryReads, StoredRole};

#[derive(Clone)]
pub struct RoleService {
    store: Arc<dyn DirectoryReads>,
    accounts: AccountService,
    clock: SharedClock,
}

impl RoleService {
    pub fn new(
        store: Arc<dyn DirectoryReads>,
        accounts: AccountService,
        clock: SharedClock,
    ) -> Self {
        RoleService {
            store,
            accounts,
            clock,
        }
    }

    /// Gives the member `role`, replacing its previous one. The member and every managed
    /// department must be in the hub's copy of the directory.
    #[instrument(skip_all, fields(corp = %corp, userid = %role.userid.as_str(), level = role.level.get()))]
    pub async fn put(&self, corp: &AccountId, role: &Role) -> Result<StoredRole, DirectoryError> {
        work_account(&self.accounts, corp).await?;
        if self.store.member(corp, &role.userid).await?.is_none() {
            return Err(DirectoryError::MemberNotFound(
                role.userid.as_str().to_owned(),
            ));
        }
        let known = self.store.departments(corp, &role.departments).await?;
        if let Some((i, missing)) = role
            .departments
            .iter()
            .enumerate()
            .find(|(_, d)| !known.iter().any(|k| k.department.id == **d))
        {
            return Err(InvalidAt::new(
                format!("departments[{i}]"),
                "unknown_department",
                format!("department {missing} is not in the directory"),
            )
            .into());
        }
        let stored = self.store.put_role(corp, role, self.clock.now()).await?;
        tracing::info!("role set");
        Ok(stored)
    }

    pub async fn get(
        &self,
        corp: &AccountId,
        userid: &CorpUserId,
    ) -> Result<StoredRole, DirectoryError> {
        work_account(&self.accounts, corp).await?;
        self.store
            .role(corp, userid)
            .await?
            .ok_or_else(|| DirectoryError::RoleNotFound(userid.as_str().to_owned()))
    }

    #[instrument(skip_all, fields(corp = %corp, userid = %userid.as_str()))]
    pub async fn delete(
        &self,
        corp: &AccountId,
        userid: &CorpUserId,
    ) -> Result<(), DirectoryError> {
        work_account(&self.accounts, corp).await?;
        if !self.store.delete_role(corp, userid).await? {
            return Err(DirectoryError::RoleNotFound(userid.as_str().to_owned()));
        }
        tracing::info!("role removed");
        Ok(())
    }

    /// Roles in userid order after `after`.
    pub async fn list(
        &self,
        corp: &AccountId,
        after: Option<&CorpUserId>,
        limit: u32,
    ) -> Result<Vec<StoredRole>, DirectoryError> {
        work_account(&self.accounts, corp).await?;
        Ok(self.store.roles(corp, after, limit).await?)
    }
}
