//! The identity capability's domain types, one module per area.

pub mod bindings;
pub mod followers;
pub mod users;

pub use bindings::{
    BindCode, BindQrCode, BindQrCodeId, BindRequest, BindScan, Binding, BindingId, BindingKey,
    BindingType, EndReason, Ended,
};
pub use followers::{
    CallbackSettings, FetchedUser, FollowerChange, FollowerProfile, SettingsPatch, UserInfo,
};
pub use users::{Access, NewUser, Phone, UnifiedUser, UserId};
