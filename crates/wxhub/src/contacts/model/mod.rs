//! The contacts capability's domain types.

pub mod changes;
pub mod directory;
pub mod roles;

pub use changes::{
    notify_target, rereads_for, ChangeSource, ChangeTarget, NewContactChange, NOTIFY_CHANGE_TYPES,
};
pub use directory::{
    ContactTag, ContactTagId, Department, DepartmentId, DepartmentPath, Gender, Member, TagMembers,
    ROOT,
};
pub use roles::{Access, AdminScope, Role, RoleLevel, Visible};
