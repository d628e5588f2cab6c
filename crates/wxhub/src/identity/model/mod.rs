//! The identity capability's domain types, one module per area.

pub mod followers;

pub use followers::{
    CallbackSettings, FetchedUser, FollowerChange, FollowerProfile, SettingsPatch, UserInfo,
};
