//! The contacts capability's services: the directory queries and tag-member changes
//! (`queries.rs`, [`ContactQueries`]) and the admin role assignments (`roles.rs`,
//! [`RoleService`]).

pub mod queries;
pub mod roles;

pub use queries::{ContactQueries, DirectoryError};
pub use roles::RoleService;
