//! The identity capability's domain types, one module per area.

pub mod bindings;
pub mod followers;

pub use bindings::{
    BindCode, BindRequest, Binding, BindingId, BindingKey, BindingType, EndReason, Ended,
};
pub use followers::{CallbackSettings, FollowerChange, SettingsPatch};
