//! Users as business systems name them (seed 000 §3.7): the follower record of the openid a
//! business uid is bound to (`getWeixinUserBy58Uid`), per binding type. Seed 000's `uid` is
//! the business's own id, resolved through bindings; seed 001's `userId` (the hub's unified
//! user, keyed by unionid) is another namespace.

use crate::accounts::model::AccountId;
use crate::core::Uid;
use crate::identity::error::{BindingError, FollowerError};
use crate::identity::model::{BindingKey, BindingType};
use crate::identity::service::{BindingService, FollowerService};
use crate::store::followers::Follower;

#[derive(Clone)]
pub struct UserService {
    bindings: BindingService,
    followers: FollowerService,
}

/// Why a user could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(transparent)]
    Binding(#[from] BindingError),
    #[error(transparent)]
    Follower(#[from] FollowerError),
}

impl UserService {
    pub fn new(bindings: BindingService, followers: FollowerService) -> Self {
        UserService {
            bindings,
            followers,
        }
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
        Ok(self.followers.get(account, binding.openid.as_str()).await?)
    }
}
