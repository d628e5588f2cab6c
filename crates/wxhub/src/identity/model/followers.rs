//! Follower changes that callbacks record, and an account's callback settings.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::model::AccountId;

/// How the hub treats an account's callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct CallbackSettings {
    /// An unfollow also removes the follower's binding to an internal user (default off).
    pub unfollow_unbinds: bool,
}

/// A change to [`CallbackSettings`]; `None` keeps the setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettingsPatch {
    pub unfollow_unbinds: Option<bool>,
}

/// One follow or unfollow, in the order the events were stored.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowerChange {
    Followed {
        account: AccountId,
        openid: String,
        at: DateTime<Utc>,
        /// `qr_scene` (a code's scene) or `plain`.
        scene: String,
        qr_source: Option<u8>,
        qr_scene: Option<String>,
    },
    /// Marks the follower unsubscribed and clears the profile; keeps the openid.
    Unfollowed {
        account: AccountId,
        openid: String,
        at: DateTime<Utc>,
    },
}
