//! The contacts capability's domain types.

pub mod directory;

pub use directory::{
    ContactTag, ContactTagId, Department, DepartmentId, DepartmentPath, Gender, Member,
    TagMembers, ROOT,
};
