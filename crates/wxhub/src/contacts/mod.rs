//! The WeCom contacts directory (seed 002 §4, seed 004's WeCom chapter, issue 16).
//!
//! Each `work` account has a copy of its corp's directory — departments, members, tags —
//! read with the corp's contacts secret (`contacts_secret`) by the `contacts.sync` job and
//! kept current by change_contact callbacks and seed 002's manual notify. Queries answer
//! from the copy, so they stay fast on a large directory. Storage: `store/contacts.rs`,
//! migration 0021.

pub mod config;
pub mod error;
pub mod model;
pub mod routes;
pub mod service;

pub use config::ContactsConfig;
pub use error::ContactsError;
pub use routes::routes;
pub use service::{ContactQueries, ContactService, Directory, RoleService};
