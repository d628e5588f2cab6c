//! The contacts capability's domain types.

pub mod directory;
pub mod roles;

pub use directory::{
    ContactTag, ContactTagId, Department, DepartmentId, DepartmentPath, Gender, Member, TagMembers,
    ROOT,
};
pub use roles::{Access, AdminScope, Role, RoleLevel, Visible};
