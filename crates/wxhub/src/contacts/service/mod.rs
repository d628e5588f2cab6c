//! The contacts directory's logic: reading WeCom with the corp's contacts secret
//! ([`Directory`]), the full sync ([`sync`]), re-reads of what callbacks and notifies name
//! ([`changes`]), the queries over the copy and tag-member changes ([`queries`],
//! [`ContactQueries`]), the admin role assignments ([`roles`], [`RoleService`]) and the
//! message centre's recipients ([`recipients`]).

pub mod changes;
pub mod queries;
pub mod recipients;
pub mod roles;
pub mod sync;

use std::sync::Arc;

use crate::accounts::model::{AccountApp, AccountId};
use crate::accounts::AccountService;
use crate::contacts::error::ContactsError;
use crate::contacts::model::{
    notify_target, ChangeSource, ChangeTarget, ContactTag, ContactTagId, Department, DepartmentId,
    Gender, Member, NewContactChange, TagMembers,
};
use crate::core::clock::SharedClock;
use crate::core::CorpUserId;
use crate::jobs::model::{AccountParams, Job};
use crate::jobs::JobService;
use crate::store::contacts::{ContactsStore, SyncRecord};
use crate::tokens::TokenService;
use crate::wechat::work::contacts as wx;
use crate::wechat::{Api, WeChatClient};

pub use changes::ChangeApplier;
pub use queries::{ContactQueries, DirectoryError};
pub use roles::RoleService;
pub use sync::{ContactsSync, SyncState, KIND as SYNC_KIND};

/// WeCom's errcodes for "no such member / department / tag": a re-read that gets one
/// removes the row.
pub const GONE: [i64; 4] = [60111, 60123, 40068, 46004];

/// The directory of one corp at WeCom, read with its contacts secret.
#[derive(Clone)]
pub struct Directory {
    store: Arc<dyn ContactsStore>,
    accounts: AccountService,
    tokens: TokenService,
    client: WeChatClient,
    clock: SharedClock,
}

/// What a WeCom account needs for its directory.
pub struct Line<'a> {
    pub api: Api<'a>,
    pub tokens: crate::tokens::ContactsTokens,
}

impl Directory {
    pub fn new(
        store: Arc<dyn ContactsStore>,
        accounts: AccountService,
        tokens: TokenService,
        client: WeChatClient,
        clock: SharedClock,
    ) -> Self {
        Directory {
            store,
            accounts,
            tokens,
            client,
            clock,
        }
    }

    pub fn store(&self) -> &Arc<dyn ContactsStore> {
        &self.store
    }

    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The account's API base, once it is known to be a WeCom corp with a contacts secret.
    pub async fn api_base(&self, account: &AccountId) -> Result<String, ContactsError> {
        let found = self.accounts.get(account).await?;
        if !matches!(found.app, AccountApp::Work { .. }) {
            return Err(ContactsError::NotAWeComAccount(account.clone()));
        }
        if !found.has_contacts_secret {
            return Err(ContactsError::NoContactsSecret(account.clone()));
        }
        Ok(found.api_base)
    }

    pub fn line<'a>(&'a self, api_base: &'a str, account: &'a AccountId) -> Line<'a> {
        Line {
            api: Api::for_account(&self.client, api_base, account.as_str()),
            tokens: self.tokens.contacts_handle(account.as_str()),
        }
    }

    /// Every department (`department/list`).
    pub async fn departments(
        &self,
        line: &Line<'_>,
        under: Option<DepartmentId>,
    ) -> Result<Vec<Department>, ContactsError> {
        let listed = wx::list_departments(
            &line.api,
            &line.tokens,
            &wx::ListDepartments {
                id: under.map(DepartmentId::get),
            },
        )
        .await
        .map_err(ContactsError::wechat("listing departments"))?;
        Ok(listed
            .department
            .into_iter()
            .filter_map(department_from_wecom)
            .collect())
    }

    /// The members directly in one department (`user/list`, without sub-departments).
    pub async fn members_in(
        &self,
        line: &Line<'_>,
        department: DepartmentId,
    ) -> Result<Vec<Member>, ContactsError> {
        let listed = wx::list_members(
            &line.api,
            &line.tokens,
            &wx::ListMembers {
                department_id: department.get(),
                fetch_child: None,
            },
        )
        .await
        .map_err(ContactsError::wechat("listing a department's members"))?;
        Ok(listed
            .userlist
            .into_iter()
            .filter_map(member_from_wecom)
            .collect())
    }

    /// One member (`user/get`); `None` when WeCom no longer knows them.
    pub async fn member(
        &self,
        line: &Line<'_>,
        userid: &CorpUserId,
    ) -> Result<Option<Member>, ContactsError> {
        match wx::get_member(
            &line.api,
            &line.tokens,
            &wx::GetMember {
                userid: userid.to_string(),
            },
        )
        .await
        {
            Ok(m) => Ok(member_from_wecom(m)),
            Err(e) => gone_or(ContactsError::wechat("reading a member")(e)),
        }
    }

    /// Every tag (`tag/list`).
    pub async fn tags(&self, line: &Line<'_>) -> Result<Vec<ContactTag>, ContactsError> {
        let listed = wx::list_tags(&line.api, &line.tokens)
            .await
            .map_err(ContactsError::wechat("listing tags"))?;
        Ok(listed
            .taglist
            .into_iter()
            .filter_map(|t| {
                Some(ContactTag {
                    tagid: ContactTagId::new(t.tagid).ok()?,
                    tagname: t.tagname,
                })
            })
            .collect())
    }

    /// A tag's members and departments (`tag/get`); `None` when the tag is gone.
    pub async fn tag(
        &self,
        line: &Line<'_>,
        id: ContactTagId,
    ) -> Result<Option<TagMembers>, ContactsError> {
        match wx::get_tag(&line.api, &line.tokens, &wx::GetTag { tagid: id.get() }).await {
            Ok(t) => Ok(Some(TagMembers {
                tag: ContactTag {
                    tagid: id,
                    tagname: t.tagname,
                },
                userids: t
                    .userlist
                    .into_iter()
                    .filter_map(|u| CorpUserId::parse(&u.userid).ok())
                    .collect(),
                departments: t
                    .partylist
                    .into_iter()
                    .filter_map(|p| DepartmentId::new(p).ok())
                    .collect(),
            })),
            Err(e) => gone_or(ContactsError::wechat("reading a tag")(e)),
        }
    }
}

/// `Ok(None)` for WeCom's "no such …", the error otherwise.
fn gone_or<T>(e: ContactsError) -> Result<Option<T>, ContactsError> {
    match e.errcode() {
        Some(code) if GONE.contains(&code) => Ok(None),
        _ => Err(e),
    }
}

fn department_from_wecom(d: wx::Department) -> Option<Department> {
    Some(Department {
        id: DepartmentId::new(d.id).ok()?,
        name: d.name,
        name_en: d.name_en,
        parentid: DepartmentId::new(d.parentid).ok(),
        order: d.order,
        leaders: d
            .department_leader
            .iter()
            .filter_map(|u| CorpUserId::parse(u).ok())
            .collect(),
    })
}

fn member_from_wecom(m: wx::Member) -> Option<Member> {
    let userid = CorpUserId::parse(&m.userid).ok()?;
    let department: Vec<DepartmentId> = m
        .department
        .iter()
        .filter_map(|d| DepartmentId::new(*d).ok())
        .collect();
    let main_department = DepartmentId::new(m.main_department)
        .ok()
        .or_else(|| department.first().copied())
        .unwrap_or(crate::contacts::model::ROOT);
    let mut order = m.order;
    order.resize(department.len(), 0);
    Some(Member {
        userid,
        name: m.name,
        department,
        order,
        main_department,
        position: m.position,
        mobile: m.mobile,
        gender: Gender::from_wecom(&m.gender),
        email: m.email,
        alias: m.alias,
        avatar: m.avatar,
        telephone: m.telephone,
        address: m.address,
        status: m.status,
    })
}

/// What routes and commands ask of the directory: syncs, notifies, reports.
#[derive(Clone)]
pub struct ContactService {
    directory: Directory,
    jobs: JobService,
}

impl ContactService {
    pub fn new(directory: Directory, jobs: JobService) -> Self {
        ContactService { directory, jobs }
    }

    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Queues a full sync of the corp's directory (or answers the one already queued or
    /// running for the same owner).
    pub async fn start_sync(
        &self,
        account: &AccountId,
        owner: Option<String>,
    ) -> Result<Job, ContactsError> {
        self.directory.api_base(account).await?;
        if let Some(job) = self
            .unfinished_sync(account)
            .await?
            .into_iter()
            .find(|job| job.owner == owner)
        {
            return Ok(job);
        }
        self.jobs
            .enqueue(SYNC_KIND, AccountParams::json(account), owner)
            .await
            .map_err(|e| ContactsError::Jobs(e.into()))
    }

    /// The account's queued or running syncs, oldest first.
    pub async fn unfinished_sync(&self, account: &AccountId) -> Result<Vec<Job>, ContactsError> {
        self.jobs
            .unfinished_for(SYNC_KIND, account)
            .await
            .map_err(|e| ContactsError::Jobs(e.into()))
    }

    /// Seed 002 §4.2's manual notify: the member or department named is read again.
    pub async fn notify(
        &self,
        account: &AccountId,
        change_type: &str,
        user_id: Option<&str>,
        party_id: Option<&str>,
    ) -> Result<ChangeTarget, ContactsError> {
        let target = notify_target(change_type, user_id, party_id)?;
        self.directory.api_base(account).await?;
        self.directory
            .store
            .queue_change(&NewContactChange {
                account: account.clone(),
                target: target.clone(),
                change_type: change_type.to_owned(),
                source: ChangeSource::Notify,
                received_at: self.directory.clock.now(),
            })
            .await?;
        Ok(target)
    }

    /// The account's latest sync reports, newest first.
    pub async fn recent_syncs(
        &self,
        account: &AccountId,
        limit: u32,
    ) -> Result<Vec<SyncRecord>, ContactsError> {
        self.accounts_check(account).await?;
        Ok(self.directory.store.recent_syncs(account, limit).await?)
    }

    /// Starts a reconcile of every directory whose last sync finished `every` or longer ago
    /// (a directory never synced waits for its first sync on demand). How many it started.
    pub async fn reconcile_due(&self, every: chrono::Duration) -> Result<usize, ContactsError> {
        let now = self.directory.clock.now();
        let mut started = 0;
        let mut cursor: Option<AccountId> = None;
        loop {
            let page = self.directory.accounts.list(cursor.as_ref(), 100).await?;
            let Some(last) = page.last() else { break };
            cursor = Some(last.id.clone());
            for account in &page {
                if !matches!(account.app, AccountApp::Work { .. }) || !account.has_contacts_secret {
                    continue;
                }
                let Some(last) = self
                    .directory
                    .store
                    .recent_syncs(&account.id, 1)
                    .await?
                    .into_iter()
                    .next()
                else {
                    continue;
                };
                if now - last.finished_at < every
                    || !self.unfinished_sync(&account.id).await?.is_empty()
                {
                    continue;
                }
                let job = self.start_sync(&account.id, None).await?;
                tracing::info!(account = %account.id, job_id = %job.id, "directory reconcile started");
                started += 1;
            }
            if page.len() < 100 {
                break;
            }
        }
        Ok(started)
    }

    async fn accounts_check(&self, account: &AccountId) -> Result<(), ContactsError> {
        let found = self.directory.accounts.get(account).await?;
        match found.app {
            AccountApp::Work { .. } => Ok(()),
            AccountApp::Mp { .. } => Err(ContactsError::NotAWeComAccount(account.clone())),
        }
    }
}

/// The scheduled reconcile as a background job: [`ContactService::reconcile_due`], looked at
/// every `check` (`[contacts] reconcile_every_secs` is the age that makes a directory due).
pub struct Reconciler {
    pub contacts: ContactService,
    pub every: std::time::Duration,
    pub check: std::time::Duration,
}

#[async_trait::async_trait]
impl crate::jobs::Periodic for Reconciler {
    fn name(&self) -> &'static str {
        "contacts-reconcile"
    }

    async fn step(&self) -> Result<crate::jobs::Next, crate::jobs::periodic::StepError> {
        let every = chrono::Duration::from_std(self.every)?;
        self.contacts.reconcile_due(every).await?;
        Ok(crate::jobs::Next::After(self.check))
    }
}
