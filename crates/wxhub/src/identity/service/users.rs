//! Users as business systems name them (seed 000 §3.7): the follower record of the openid a
//! business uid is bound to (`getWeixinUserBy58Uid`), per binding type. Seed 000's `uid` is
//! the business's own id, resolved through bindings; seed 001's `userId` (the hub's unified
//! user, keyed by unionid) is another namespace.

use std::sync::Arc;

use crate::accounts::model::AccountId;
use crate::core::clock::SharedClock;
use crate::core::crypto::MasterKey;
use crate::core::{Uid, UnionId};
use crate::identity::error::{BindingError, FollowerError};
use crate::identity::model::{
    Access, BindingKey, BindingType, NewUser, Phone, UnifiedUser, UserId,
};
use crate::identity::service::{BindingService, FollowerService, ProfileReader};
use crate::store::followers::Follower;
use crate::store::users::{UserRecord, UserStore, UserUpsert};
use crate::store::StoreError;

/// At most this many users per import call.
pub const MAX_IMPORT: usize = 1000;

#[derive(Clone)]
pub struct UserService {
    bindings: BindingService,
    followers: FollowerService,
    profiles: ProfileReader,
    store: Arc<dyn UserStore>,
    key: Option<MasterKey>,
    clock: SharedClock,
}

/// Why a user could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(transparent)]
    Binding(#[from] BindingError),
    #[error(transparent)]
    Follower(#[from] FollowerError),
    #[error("user {0} not found")]
    NotFound(String),
    #[error("an import takes 1 to {MAX_IMPORT} users")]
    ImportSize,
    #[error("phones are stored sealed: configure master_key")]
    NoMasterKey,
    #[error("a stored phone does not open with this master key")]
    WrongMasterKey,
    #[error("user storage failed")]
    Store(#[from] StoreError),
}

/// A user added or updated, and whether it was new.
#[derive(Debug, Clone)]
pub struct Upserted {
    pub user: UnifiedUser,
    pub created: bool,
}

fn phone_context(unionid: &UnionId) -> String {
    format!("user:{unionid}:phone")
}

impl UserService {
    pub fn new(
        bindings: BindingService,
        followers: FollowerService,
        profiles: ProfileReader,
        store: Arc<dyn UserStore>,
        key: Option<MasterKey>,
        clock: SharedClock,
    ) -> Self {
        UserService {
            bindings,
            followers,
            profiles,
            store,
            key,
            clock,
        }
    }

    fn seal(&self, user: &NewUser) -> Result<Option<String>, UserError> {
        let Some(phone) = &user.phone else {
            return Ok(None);
        };
        let key = self.key.as_ref().ok_or(UserError::NoMasterKey)?;
        key.seal(&phone_context(&user.unionid), phone.expose())
            .map(Some)
            .map_err(|_| UserError::WrongMasterKey)
    }

    fn open(&self, record: UserRecord) -> Result<UnifiedUser, UserError> {
        let phone = match &record.phone_sealed {
            None => None,
            Some(sealed) => {
                let key = self.key.as_ref().ok_or(UserError::NoMasterKey)?;
                let opened = key
                    .open(&phone_context(&record.unionid), sealed)
                    .map_err(|_| UserError::WrongMasterKey)?;
                Some(Phone::parse(opened.expose()).map_err(|_| UserError::WrongMasterKey)?)
            }
        };
        Ok(UnifiedUser {
            user_id: record.user_id,
            unionid: record.unionid,
            phone,
            created_at: record.created_at,
            updated_at: record.updated_at,
        })
    }

    /// Adds users, or updates the ones whose unionid is stored already (their phone, when
    /// given): idempotent on unionid (seed 001's addUser; an import of up to [`MAX_IMPORT`]).
    pub async fn upsert(&self, users: &[NewUser]) -> Result<Vec<Upserted>, UserError> {
        if users.is_empty() || users.len() > MAX_IMPORT {
            return Err(UserError::ImportSize);
        }
        let now = self.clock.now();
        let upserts = users
            .iter()
            .map(|u| {
                Ok(UserUpsert {
                    candidate_id: UserId::mint(now),
                    unionid: u.unionid.clone(),
                    phone_sealed: self.seal(u)?,
                })
            })
            .collect::<Result<Vec<_>, UserError>>()?;
        let stored = match self.store.upsert(&upserts, now).await {
            // Two minted ids met (22 random bits in one millisecond): mint again, once.
            Err(StoreError::Conflict { what: "user_id" }) => {
                let again: Vec<UserUpsert> = upserts
                    .into_iter()
                    .map(|u| UserUpsert {
                        candidate_id: UserId::mint(now),
                        ..u
                    })
                    .collect();
                let (records, _) = self.store.upsert(&again, now).await?;
                records.into_iter().zip(again).collect::<Vec<_>>()
            }
            other => {
                let (records, _) = other?;
                records.into_iter().zip(upserts).collect()
            }
        };
        stored
            .into_iter()
            .map(|(record, asked)| {
                let created = record.user_id == asked.candidate_id;
                Ok(Upserted {
                    user: self.open(record)?,
                    created,
                })
            })
            .collect()
    }

    pub async fn get(&self, user_id: UserId) -> Result<UnifiedUser, UserError> {
        let record = self
            .store
            .get(user_id)
            .await?
            .ok_or_else(|| UserError::NotFound(user_id.to_string()))?;
        self.open(record)
    }

    pub async fn by_unionid(&self, unionid: &UnionId) -> Result<UnifiedUser, UserError> {
        let record = self
            .store
            .by_unionid(unionid)
            .await?
            .ok_or_else(|| UserError::NotFound(unionid.to_string()))?;
        self.open(record)
    }

    /// Records that the user came through `account` (seed 001's addAppPortAccessLog).
    pub async fn record_access(
        &self,
        user_id: UserId,
        account: &AccountId,
        app_id: Option<&str>,
    ) -> Result<(), UserError> {
        match self
            .store
            .record_access(user_id, account, app_id, self.clock.now())
            .await
        {
            Err(StoreError::MissingReference) => Err(UserError::NotFound(user_id.to_string())),
            other => Ok(other?),
        }
    }

    /// The unified user's follower record on `account` (seed 001's `userId` resolved to an
    /// openid of a chosen account, through the follower records by unionid).
    pub async fn follower_of(
        &self,
        user_id: UserId,
        account: &AccountId,
    ) -> Result<Follower, UserError> {
        let user = self.get(user_id).await?;
        Ok(self.followers.by_unionid(account, &user.unionid).await?)
    }

    /// The account (and application) the user came through last.
    pub async fn last_access(&self, user_id: UserId) -> Result<Option<Access>, UserError> {
        Ok(self.store.last_access(user_id).await?)
    }

    /// The follower record of the openid `uid` is bound to on `account`.
    pub async fn by_uid(
        &self,
        account: &AccountId,
        kind: BindingType,
        uid: Uid,
    ) -> Result<Follower, UserError> {
        let binding = self
            .bindings
            .get(account, kind, &BindingKey::Uid(uid))
            .await?;
        self.fresh_follower(account, binding.openid.as_str()).await
    }

    /// The follower record, read again from WeChat first when its profile is older than
    /// `followers.profile_max_age_secs`; when WeChat cannot answer, the stored record.
    pub async fn fresh_follower(
        &self,
        account: &AccountId,
        openid: &str,
    ) -> Result<Follower, UserError> {
        let stored = self.followers.get(account, openid).await?;
        if !stored.subscribed || !self.profiles.is_stale(stored.profile_fetched_at) {
            return Ok(stored);
        }
        match self.profiles.refresh(account, &[openid.to_owned()]).await {
            Ok(_) => Ok(self.followers.get(account, openid).await?),
            Err(e) => {
                tracing::warn!(error = %e, account = %account, "a stale profile could not be read again; answering the stored one");
                Ok(stored)
            }
        }
    }
}
