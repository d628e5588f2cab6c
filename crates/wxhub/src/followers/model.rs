//! An account's callback settings and a change to them.

use serde::Serialize;
use utoipa::ToSchema;

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
