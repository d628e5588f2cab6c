//! Follower tags through WeChat's `tags/*` calls with the account's token, checked first
//! against the hub's copy of the account's tags, which every change refreshes; tagging split
//! into WeChat's batches of 50; a follower's tags and remark.

use std::sync::Arc;

use tracing::instrument;

use super::error::TagError;
use super::model::{OpenIdList, Remark, Tag, TagFollowers, TagId, TagList, TagName};
use crate::accounts::model::{AccountApp, AccountId};
use crate::accounts::{Account, AccountService};
use crate::core::clock::SharedClock;
use crate::core::identity::OpenId;
use crate::store::tags::TagStore;
use crate::tokens::{AccountTokens, TokenService};
use crate::wechat::mp::{tags as wx_tags, user as wx_user};
use crate::wechat::{Api, CallError, WeChatClient};

/// A tag as a follower carries it: its id, and its name when the hub's copy knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRef {
    pub id: TagId,
    pub name: Option<String>,
}

/// What a tagging request did: the followers WeChat accepted, and each batch it refused with
/// its openids and why.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub done: usize,
    pub failed: Vec<FailedBatch>,
}

#[derive(Debug)]
pub struct FailedBatch {
    pub openids: Vec<OpenId>,
    pub error: TagError,
}

/// Tag or untag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagging {
    Add,
    Remove,
}

#[derive(Clone)]
pub struct TagService {
    store: Arc<dyn TagStore>,
    accounts: AccountService,
    tokens: TokenService,
    client: WeChatClient,
    clock: SharedClock,
}

/// The account's way to WeChat: its typed calls' `Api` and its token handle.
struct Line<'a> {
    api: Api<'a>,
    tokens: AccountTokens,
}

impl TagService {
    pub fn new(
        store: Arc<dyn TagStore>,
        accounts: AccountService,
        tokens: TokenService,
        client: WeChatClient,
        clock: SharedClock,
    ) -> Self {
        TagService {
            store,
            accounts,
            tokens,
            client,
            clock,
        }
    }

    /// The account, if it is an Official Account (WeCom tags are the contacts capability's).
    async fn official_account(&self, id: &AccountId) -> Result<Account, TagError> {
        let account = self.accounts.get(id).await?;
        match account.app {
            AccountApp::Mp { .. } => Ok(account),
            AccountApp::Work { .. } => Err(TagError::NotAnOfficialAccount(id.clone())),
        }
    }

    fn line<'a>(&'a self, account: &'a Account) -> Line<'a> {
        Line {
            api: Api::for_account(&self.client, &account.api_base, account.id.as_str()),
            tokens: self.tokens.handle(account.id.as_str()),
        }
    }

    /// Reads the account's tags from WeChat and stores them as the hub's copy.
    async fn refresh(&self, account: &Account) -> Result<TagList, TagError> {
        let line = self.line(account);
        let at = self.clock.now();
        let listed = wx_tags::list(&line.api, &line.tokens)
            .await
            .map_err(TagError::wechat("listing the tags"))?;
        let tags: Vec<Tag> = listed
            .tags
            .into_iter()
            .map(|t| Tag {
                id: TagId::from_wechat(t.id),
                name: t.name,
                followers: t.count,
            })
            .collect();
        if !self.store.replace(&account.id, &tags, at).await? {
            // A sync that read WeChat later has stored its list already.
            if let Some(newer) = self.store.list(&account.id).await? {
                return Ok(newer);
            }
        }
        tracing::debug!(tags = tags.len(), "tags synced");
        Ok(TagList {
            tags,
            synced_at: at,
        })
    }

    /// After a change: the copy is refreshed, and a failure to do so only logged (the
    /// change is made; the next sync catches up).
    async fn refresh_after_change(&self, account: &Account) -> Option<TagList> {
        match self.refresh(account).await {
            Ok(list) => Some(list),
            Err(e) => {
                tracing::warn!(error = %e, "the tag copy could not be refreshed after a change");
                None
            }
        }
    }

    /// The hub's copy, read from WeChat the first time.
    async fn copy(&self, account: &Account) -> Result<TagList, TagError> {
        match self.store.list(&account.id).await? {
            Some(list) => Ok(list),
            None => self.refresh(account).await,
        }
    }

    /// The account's tags from the hub's copy (read from WeChat when there is none yet).
    pub async fn list(&self, account: &AccountId) -> Result<TagList, TagError> {
        let account = self.official_account(account).await?;
        self.copy(&account).await
    }

    /// Reads the account's tags from WeChat again.
    #[instrument(skip_all, fields(account = %account))]
    pub async fn sync(&self, account: &AccountId) -> Result<TagList, TagError> {
        let account = self.official_account(account).await?;
        let list = self.refresh(&account).await?;
        tracing::info!(tags = list.tags.len(), "tags synced");
        Ok(list)
    }

    /// Whether the account has tag `id`: by the hub's copy, read from WeChat again when the
    /// copy lacks it (the tag may be newer than the last sync).
    pub async fn has_tag(&self, account: &AccountId, id: TagId) -> Result<bool, TagError> {
        let account = self.official_account(account).await?;
        let copy = self.store.list(&account.id).await?;
        if copy.is_some_and(|c| c.get(id).is_some()) {
            return Ok(true);
        }
        Ok(self.refresh(&account).await?.get(id).is_some())
    }

    #[instrument(skip_all, fields(account = %account))]
    pub async fn create(&self, account: &AccountId, name: TagName) -> Result<Tag, TagError> {
        let account = self.official_account(account).await?;
        self.copy(&account).await?.check_create(&name)?;
        let line = self.line(&account);
        let created = wx_tags::create(
            &line.api,
            &line.tokens,
            &wx_tags::CreateTag {
                tag: wx_tags::TagName {
                    name: name.as_str().to_owned(),
                },
            },
        )
        .await
        .map_err(TagError::wechat("creating the tag"))?;
        let id = TagId::from_wechat(created.tag.id);
        tracing::info!(tag = %id, "tag created");
        let fresh = self.refresh_after_change(&account).await;
        Ok(fresh.and_then(|list| list.get(id).cloned()).unwrap_or(Tag {
            id,
            name: created.tag.name,
            followers: 0,
        }))
    }

    #[instrument(skip_all, fields(account = %account, tag = %id))]
    pub async fn rename(
        &self,
        account: &AccountId,
        id: TagId,
        name: TagName,
    ) -> Result<Tag, TagError> {
        let account = self.official_account(account).await?;
        let before = self.copy(&account).await?;
        before.check_rename(id, &name)?;
        let line = self.line(&account);
        wx_tags::update(
            &line.api,
            &line.tokens,
            &wx_tags::UpdateTag {
                tag: wx_tags::Tag {
                    id: id.get(),
                    name: name.as_str().to_owned(),
                },
            },
        )
        .await
        .map_err(TagError::wechat("renaming the tag"))?;
        tracing::info!("tag renamed");
        let followers = before.get(id).map_or(0, |t| t.followers);
        let fresh = self.refresh_after_change(&account).await;
        Ok(fresh.and_then(|list| list.get(id).cloned()).unwrap_or(Tag {
            id,
            name: name.as_str().to_owned(),
            followers,
        }))
    }

    #[instrument(skip_all, fields(account = %account, tag = %id))]
    pub async fn delete(&self, account: &AccountId, id: TagId) -> Result<(), TagError> {
        let account = self.official_account(account).await?;
        self.copy(&account).await?.check_delete(id)?;
        let line = self.line(&account);
        wx_tags::delete(
            &line.api,
            &line.tokens,
            &wx_tags::DeleteTag {
                tag: wx_tags::TagId { id: id.get() },
            },
        )
        .await
        .map_err(TagError::wechat("deleting the tag"))?;
        tracing::info!("tag deleted");
        self.refresh_after_change(&account).await;
        Ok(())
    }

    /// Tags (or untags) `openids` with `id`, 50 per WeChat call. A refused batch does not
    /// stop the others; when every batch is refused, the first refusal is the answer.
    #[instrument(skip_all, fields(account = %account, tag = %id, openids = openids.len(), ?how))]
    pub async fn tagging(
        &self,
        account: &AccountId,
        id: TagId,
        openids: &OpenIdList,
        how: Tagging,
    ) -> Result<BatchOutcome, TagError> {
        let account = self.official_account(account).await?;
        self.copy(&account).await?.check_exists(id)?;
        let line = self.line(&account);
        let doing = match how {
            Tagging::Add => "tagging followers",
            Tagging::Remove => "untagging followers",
        };
        let mut outcome = BatchOutcome::default();
        for batch in openids.batches() {
            let openid_list: Vec<String> = batch.iter().map(|o| o.as_str().to_owned()).collect();
            let sent = match how {
                Tagging::Add => {
                    let request = wx_tags::TagUsers {
                        openid_list,
                        tagid: id.get(),
                    };
                    wx_tags::tag_users(&line.api, &line.tokens, &request).await
                }
                Tagging::Remove => {
                    let request = wx_tags::UntagUsers {
                        openid_list,
                        tagid: id.get(),
                    };
                    wx_tags::untag_users(&line.api, &line.tokens, &request).await
                }
            };
            match sent {
                Ok(_) => outcome.done += batch.len(),
                // Nothing more may be sent under a lost claim.
                Err(CallError::Claim(lost)) => {
                    return Err(TagError::wechat(doing)(CallError::Claim(lost)))
                }
                Err(e) => {
                    tracing::warn!(error = %e, openids = batch.len(), "a tagging batch failed");
                    outcome.failed.push(FailedBatch {
                        openids: batch.to_vec(),
                        error: TagError::wechat(doing)(e),
                    });
                }
            }
        }
        if outcome.done == 0 && !outcome.failed.is_empty() {
            return Err(outcome.failed.swap_remove(0).error);
        }
        tracing::info!(
            done = outcome.done,
            failed = outcome.failed.len(),
            "followers tagged"
        );
        self.refresh_after_change(&account).await;
        Ok(outcome)
    }

    /// The tags WeChat has on a follower (`tags/getidlist`), named from the hub's copy.
    pub async fn follower_tags(
        &self,
        account: &AccountId,
        openid: &OpenId,
    ) -> Result<Vec<TagRef>, TagError> {
        let account = self.official_account(account).await?;
        let line = self.line(&account);
        let ids = wx_tags::user_tags(
            &line.api,
            &line.tokens,
            &wx_tags::GetUserTags {
                openid: openid.as_str().to_owned(),
            },
        )
        .await
        .map_err(TagError::wechat("reading the follower's tags"))?;
        let copy = self.store.list(&account.id).await?;
        Ok(ids
            .tagid_list
            .into_iter()
            .map(|id| {
                let id = TagId::from_wechat(id);
                TagRef {
                    id,
                    name: copy
                        .as_ref()
                        .and_then(|c| c.get(id))
                        .map(|t| t.name.clone()),
                }
            })
            .collect())
    }

    /// A page of the followers carrying tag `id` (`user/tag/get`), after `cursor`.
    pub async fn tag_followers(
        &self,
        account: &AccountId,
        id: TagId,
        cursor: Option<String>,
    ) -> Result<TagFollowers, TagError> {
        let account = self.official_account(account).await?;
        self.copy(&account).await?.check_exists(id)?;
        let line = self.line(&account);
        let page = wx_tags::tag_followers(
            &line.api,
            &line.tokens,
            &wx_tags::ListTagFollowers {
                tagid: id.get(),
                next_openid: cursor,
            },
        )
        .await
        .map_err(TagError::wechat("listing the tag's followers"))?;
        let openids = page.openids().to_vec();
        // WeChat's list ends with an empty page.
        let next_cursor =
            (!openids.is_empty() && !page.next_openid.is_empty()).then_some(page.next_openid);
        Ok(TagFollowers {
            openids,
            next_cursor,
        })
    }

    /// Sets a follower's remark (`user/info/updateremark`); an empty remark clears it.
    #[instrument(skip_all, fields(account = %account))]
    pub async fn set_remark(
        &self,
        account: &AccountId,
        openid: &OpenId,
        remark: &Remark,
    ) -> Result<(), TagError> {
        let account = self.official_account(account).await?;
        let line = self.line(&account);
        wx_user::update_remark(
            &line.api,
            &line.tokens,
            &wx_user::UpdateRemark {
                openid: openid.as_str().to_owned(),
                remark: remark.as_str().to_owned(),
            },
        )
        .await
        .map_err(TagError::wechat("setting the remark"))?;
        tracing::info!("remark set");
        Ok(())
    }
}
