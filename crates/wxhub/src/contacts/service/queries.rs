//! The directory queries (seed 002 §4.3–4.12), answered from the hub's copy of a corp's
//! directory, and the one change among them that goes to WeCom: adding members and
//! departments to a tag or removing them (`tag/addtagusers`, `tag/deltagusers`), after
//! which the copy of the tag's members is updated in one write.

use std::sync::Arc;

use tracing::instrument;

use crate::accounts::model::{AccountApp, AccountId};
use crate::accounts::{Account, AccountError, AccountService};
use crate::contacts::model::{
    Access, AdminScope, ContactTag, ContactTagId, DepartmentId, DepartmentPath, Role, ROOT,
};
use crate::core::{CorpUserId, InvalidAt};
use crate::store::contact_queries::{
    Below, ChildCursor, DepartmentRow, DirectoryReads, MemberCursor, MemberRecord, SearchText,
    TagChange, TagMembersRow,
};
use crate::store::StoreError;
use crate::tokens::{TokenError, TokenService};
use crate::wechat::work::contacts as wx;
use crate::wechat::{Api, CallError, WeChatClient, WeChatError};

/// WeCom takes at most this many members, and departments, per tag change.
pub const MAX_TAG_USERS: usize = 1_000;
pub const MAX_TAG_PARTIES: usize = 100;

/// WeCom's answer when every member and department of a tag change was invalid.
const ALL_INVALID: i64 = 40070;

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("account {0} not found")]
    AccountNotFound(AccountId),
    #[error("account {0} is an Official Account; the contacts directory is a WeCom corp's")]
    NotAWorkAccount(AccountId),
    #[error("member {0:?} not found")]
    MemberNotFound(String),
    #[error("department {0} not found")]
    DepartmentNotFound(DepartmentId),
    #[error("tag {0} not found")]
    TagNotFound(ContactTagId),
    #[error("member {0:?} has no role")]
    RoleNotFound(String),
    #[error(transparent)]
    Invalid(#[from] InvalidAt),
    /// WeCom (or the way to it) failed; `doing` says what the hub asked.
    #[error("{doing} at WeCom failed")]
    WeChat {
        doing: &'static str,
        #[source]
        source: CallError<TokenError>,
    },
    #[error("contacts storage failed")]
    Store(#[from] StoreError),
    #[error("reading the account failed")]
    Lookup(#[source] anyhow::Error),
}

impl From<AccountError> for DirectoryError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound(id) => DirectoryError::AccountNotFound(id),
            other => DirectoryError::Lookup(other.into()),
        }
    }
}

/// The account, if it is a WeCom corp (kind `work`).
pub(crate) async fn work_account(
    accounts: &AccountService,
    id: &AccountId,
) -> Result<Account, DirectoryError> {
    let account = accounts.get(id).await?;
    match account.app {
        AccountApp::Work { .. } => Ok(account),
        AccountApp::Mp { .. } => Err(DirectoryError::NotAWorkAccount(id.clone())),
    }
}

/// A department in a children list: with what `as_user` may do with it, and its direct
/// members when asked for.
#[derive(Debug, Clone)]
pub struct ChildDepartment {
    pub row: DepartmentRow,
    pub access: Option<Access>,
    pub members: Option<Vec<MemberRecord>>,
}

/// What a children query asks.
#[derive(Debug, Clone, Default)]
pub struct ChildrenQuery {
    pub recursive: bool,
    pub with_members: bool,
    pub as_user: Option<CorpUserId>,
    pub after: Option<ChildCursor>,
    pub limit: u32,
}

/// Members and departments to add to a tag or remove from it: not both empty, within
/// WeCom's limits, repeats counted once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagMemberChange {
    pub userids: Vec<CorpUserId>,
    pub parties: Vec<DepartmentId>,
}

impl TagMemberChange {
    pub fn build(userids: &[String], partyids: &[u64]) -> Result<TagMemberChange, InvalidAt> {
        if userids.is_empty() && partyids.is_empty() {
            return Err(InvalidAt::new(
                "userids",
                "required",
                "userids and partyids may not both be empty",
            ));
        }
        if userids.len() > MAX_TAG_USERS {
            return Err(InvalidAt::new(
                "userids",
                "too_many",
                format!("at most {MAX_TAG_USERS} userids per request"),
            ));
        }
        if partyids.len() > MAX_TAG_PARTIES {
            return Err(InvalidAt::new(
                "partyids",
                "too_many",
                format!("at most {MAX_TAG_PARTIES} partyids per request"),
            ));
        }
        let mut users: Vec<CorpUserId> = Vec::with_capacity(userids.len());
        for (i, u) in userids.iter().enumerate() {
            let u = CorpUserId::parse(u)
                .map_err(|e| InvalidAt::new(format!("userids[{i}]"), "invalid_userid", e.reason))?;
            if !users.contains(&u) {
                users.push(u);
            }
        }
        let mut parties: Vec<DepartmentId> = Vec::with_capacity(partyids.len());
        for (i, &p) in partyids.iter().enumerate() {
            let p = DepartmentId::new(p).map_err(|e| {
                InvalidAt::new(format!("partyids[{i}]"), "invalid_department", e.reason)
            })?;
            if !parties.contains(&p) {
                parties.push(p);
            }
        }
        Ok(TagMemberChange {
            userids: users,
            parties,
        })
    }
}

/// What WeCom refused of a tag change: its `invalidlist` (kept `|`-joined, as WeCom and
/// seed 002 answer it) and `invalidparty`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagChangeOutcome {
    pub invalid_users: String,
    pub invalid_parties: Vec<u64>,
}

#[derive(Clone)]
pub struct ContactQueries {
    store: Arc<dyn DirectoryReads>,
    accounts: AccountService,
    tokens: TokenService,
    client: WeChatClient,
}

impl ContactQueries {
    pub fn new(
        store: Arc<dyn DirectoryReads>,
        accounts: AccountService,
        tokens: TokenService,
        client: WeChatClient,
    ) -> Self {
        ContactQueries {
            store,
            accounts,
            tokens,
            client,
        }
    }

    async fn corp(&self, id: &AccountId) -> Result<Account, DirectoryError> {
        work_account(&self.accounts, id).await
    }

    /// A member with all its departments and tags.
    pub async fn member(
        &self,
        corp: &AccountId,
        userid: &CorpUserId,
    ) -> Result<MemberRecord, DirectoryError> {
        self.corp(corp).await?;
        self.store
            .member(corp, userid)
            .await?
            .ok_or_else(|| DirectoryError::MemberNotFound(userid.as_str().to_owned()))
    }

    /// Members whose name or alias contains `text` (one or two characters), or whose name,
    /// alias, mobile or userid does (three or more), in userid order; every member without
    /// a text.
    pub async fn search(
        &self,
        corp: &AccountId,
        text: Option<&SearchText>,
        after: Option<&CorpUserId>,
        limit: u32,
    ) -> Result<Vec<MemberRecord>, DirectoryError> {
        self.corp(corp).await?;
        Ok(self.store.search_members(corp, text, after, limit).await?)
    }

    pub async fn department(
        &self,
        corp: &AccountId,
        id: DepartmentId,
    ) -> Result<DepartmentRow, DirectoryError> {
        self.corp(corp).await?;
        self.known_department(corp, id).await
    }

    async fn known_department(
        &self,
        corp: &AccountId,
        id: DepartmentId,
    ) -> Result<DepartmentRow, DirectoryError> {
        self.store
            .department(corp, id)
            .await?
            .ok_or(DirectoryError::DepartmentNotFound(id))
    }

    /// The department's ancestors, nearest first: its parent first, the root last, the
    /// department itself not included (the root has none).
    pub async fn ancestors(
        &self,
        corp: &AccountId,
        id: DepartmentId,
    ) -> Result<Vec<DepartmentRow>, DirectoryError> {
        self.corp(corp).await?;
        let department = self.known_department(corp, id).await?;
        let mut ids = department.path.ids();
        ids.pop();
        let mut rows = self.store.departments(corp, &ids).await?;
        // Nearest first: the deepest path first.
        rows.sort_by_key(|r| std::cmp::Reverse(r.path.depth()));
        Ok(rows)
    }

    /// The admin scope of `userid`: its role and its own departments. A userid that is
    /// neither a member nor has a role is not found.
    pub async fn scope(
        &self,
        corp: &AccountId,
        userid: &CorpUserId,
    ) -> Result<AdminScope, DirectoryError> {
        let role = self.store.role(corp, userid).await?;
        let own = self.store.member_paths(corp, userid).await?;
        if role.is_none() && own.is_empty() && self.store.member(corp, userid).await?.is_none() {
            return Err(DirectoryError::MemberNotFound(userid.as_str().to_owned()));
        }
        let Some(role) = role.map(|r| r.role) else {
            return Ok(AdminScope::new(None, Vec::new(), own));
        };
        let managed = self.managed_paths(corp, &role).await?;
        Ok(AdminScope::new(Some(role.level), managed, own))
    }

    /// The paths of the role's managed departments the copy still has.
    async fn managed_paths(
        &self,
        corp: &AccountId,
        role: &Role,
    ) -> Result<Vec<DepartmentPath>, DirectoryError> {
        if role.level.sees_everything() {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .departments(corp, &role.departments)
            .await?
            .into_iter()
            .map(|r| r.path)
            .collect())
    }

    /// The children of `id` (or its whole subtree), in WeCom's order level by level; with
    /// `as_user`, only those the user may see, each with its access; with `with_members`
    /// (not together with `recursive`), each one's direct members.
    #[instrument(skip_all, fields(corp = %corp, department = %id))]
    pub async fn children(
        &self,
        corp: &AccountId,
        id: DepartmentId,
        query: &ChildrenQuery,
    ) -> Result<Vec<ChildDepartment>, DirectoryError> {
        if query.recursive && query.with_members {
            return Err(InvalidAt::new(
                "with_members",
                "not_with_recursive",
                "with_members is not supported together with recursive (seed 002 §4.7)",
            )
            .into());
        }
        self.corp(corp).await?;
        let parent = self.known_department(corp, id).await?;
        let scope = match &query.as_user {
            Some(user) => Some(self.scope(corp, user).await?),
            None => None,
        };
        let visible = scope.as_ref().and_then(AdminScope::visible);
        let below = if query.recursive {
            Below::Subtree
        } else {
            Below::Children
        };
        let rows = self
            .store
            .children(
                corp,
                &parent,
                below,
                visible.as_ref(),
                query.after.as_ref(),
                query.limit,
            )
            .await?;
        self.with_access(corp, rows, scope.as_ref(), query.with_members)
            .await
    }

    async fn with_access(
        &self,
        corp: &AccountId,
        rows: Vec<DepartmentRow>,
        scope: Option<&AdminScope>,
        with_members: bool,
    ) -> Result<Vec<ChildDepartment>, DirectoryError> {
        let mut members = if with_members {
            let ids: Vec<DepartmentId> = rows.iter().map(|r| r.department.id).collect();
            let mut by_department: std::collections::HashMap<DepartmentId, Vec<MemberRecord>> =
                std::collections::HashMap::new();
            for (d, m) in self.store.direct_members(corp, &ids).await? {
                by_department.entry(d).or_default().push(m);
            }
            Some(by_department)
        } else {
            None
        };
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let access = match scope {
                    Some(scope) => Some(scope.access(&row.path)?),
                    None => None,
                };
                let members = members
                    .as_mut()
                    .map(|m| m.remove(&row.department.id).unwrap_or_default());
                Some(ChildDepartment {
                    row,
                    access,
                    members,
                })
            })
            .collect())
    }

    /// Seed 002 §4.3's authList: every department `userid` may see (manage, view or pass
    /// through), the root first, then level by level as [`ContactQueries::children`].
    pub async fn auth_list(
        &self,
        corp: &AccountId,
        userid: &CorpUserId,
        after: Option<&ChildCursor>,
        limit: u32,
    ) -> Result<Vec<ChildDepartment>, DirectoryError> {
        self.corp(corp).await?;
        let scope = self.scope(corp, userid).await?;
        let Some(root) = self.store.department(corp, ROOT).await? else {
            return Ok(Vec::new());
        };
        let visible = scope.visible();
        let mut rows = Vec::new();
        if after.is_none() {
            rows.push(root.clone());
        }
        let rest = limit.saturating_sub(u32::try_from(rows.len()).unwrap_or(0));
        if rest > 0 {
            rows.extend(
                self.store
                    .children(corp, &root, Below::Subtree, visible.as_ref(), after, rest)
                    .await?,
            );
        }
        self.with_access(corp, rows, Some(&scope), false).await
    }

    /// A department's members (with `recursive`, its subtree's, each once), by
    /// department path then userid.
    pub async fn department_members(
        &self,
        corp: &AccountId,
        id: DepartmentId,
        recursive: bool,
        after: Option<&MemberCursor>,
        limit: u32,
    ) -> Result<Vec<(DepartmentPath, MemberRecord)>, DirectoryError> {
        self.corp(corp).await?;
        let department = self.known_department(corp, id).await?;
        let below = if recursive {
            Below::Subtree
        } else {
            Below::Children
        };
        Ok(self
            .store
            .department_members(corp, &department, below, after, limit)
            .await?)
    }

    pub async fn tags(&self, corp: &AccountId) -> Result<Vec<ContactTag>, DirectoryError> {
        self.corp(corp).await?;
        Ok(self.store.tags(corp).await?)
    }

    pub async fn tag_members(
        &self,
        corp: &AccountId,
        tag: ContactTagId,
    ) -> Result<TagMembersRow, DirectoryError> {
        self.corp(corp).await?;
        self.store
            .tag_members(corp, tag)
            .await?
            .ok_or(DirectoryError::TagNotFound(tag))
    }

    /// Adds members and departments to a tag (or removes them) at WeCom with the corp's
    /// contacts token, then in the copy: all but those WeCom named invalid.
    #[instrument(skip_all, fields(corp = %corp, tag = %tag, ?how))]
    pub async fn change_tag_members(
        &self,
        corp: &AccountId,
        tag: ContactTagId,
        change: &TagMemberChange,
        how: TagChange,
    ) -> Result<TagChangeOutcome, DirectoryError> {
        let account = self.corp(corp).await?;
        if self.store.tag_members(corp, tag).await?.is_none() {
            return Err(DirectoryError::TagNotFound(tag));
        }
        let api = Api::for_account(&self.client, &account.api_base, account.id.as_str());
        // The corp's token for its directory.
        let tokens = self.tokens.contacts_handle(account.id.as_str());
        let userlist: Vec<String> = change
            .userids
            .iter()
            .map(|u| u.as_str().to_owned())
            .collect();
        let partylist: Vec<u64> = change.parties.iter().map(|p| p.get()).collect();
        let (doing, answer) = match how {
            TagChange::Add => (
                "adding tag members",
                wx::add_tag_users(
                    &api,
                    &tokens,
                    &wx::AddTagUsers {
                        tagid: tag.get(),
                        userlist: userlist.clone(),
                        partylist: partylist.clone(),
                    },
                )
                .await,
            ),
            TagChange::Remove => (
                "removing tag members",
                wx::del_tag_users(
                    &api,
                    &tokens,
                    &wx::DelTagUsers {
                        tagid: tag.get(),
                        userlist: userlist.clone(),
                        partylist: partylist.clone(),
                    },
                )
                .await,
            ),
        };
        let answer = match answer {
            Ok(answer) => answer,
            // Every one of them invalid: nothing changed, and the answer says which.
            Err(CallError::Call(WeChatError::Api { errcode, .. })) if errcode == ALL_INVALID => {
                return Ok(TagChangeOutcome {
                    invalid_users: userlist.join("|"),
                    invalid_parties: partylist,
                });
            }
            Err(source) => return Err(DirectoryError::WeChat { doing, source }),
        };
        let invalid_users: Vec<&str> = answer
            .invalidlist
            .split('|')
            .filter(|u| !u.is_empty())
            .collect();
        let users: Vec<CorpUserId> = change
            .userids
            .iter()
            .filter(|u| !invalid_users.contains(&u.as_str()))
            .cloned()
            .collect();
        let parties: Vec<DepartmentId> = change
            .parties
            .iter()
            .filter(|p| !answer.invalidparty.contains(&p.get()))
            .copied()
            .collect();
        self.store
            .change_tag_members(corp, tag, how, &users, &parties)
            .await?;
        tracing::info!(
            users = users.len(),
            parties = parties.len(),
            "tag members changed"
        );
        Ok(TagChangeOutcome {
            invalid_users: answer.invalidlist,
            invalid_parties: answer.invalidparty,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_change_names_something_within_wecoms_limits() {
        assert_eq!(
            TagMemberChange::build(&[], &[]).unwrap_err().rule,
            "required"
        );
        let c = TagMemberChange::build(&["a".into(), "a".into()], &[2]).expect("valid");
        assert_eq!(c.userids.len(), 1);
        assert_eq!(
            TagMemberChange::build(&["a b".into()], &[])
                .unwrap_err()
                .field,
            "userids[0]"
        );
        assert_eq!(
            TagMemberChange::build(&[], &[0]).unwrap_err().field,
            "partyids[0]"
        );
        let many: Vec<String> = (0..1001).map(|i| format!("u{i}")).collect();
        assert_eq!(
            TagMemberChange::build(&many, &[]).unwrap_err().rule,
            "too_many"
        );
    }
}
