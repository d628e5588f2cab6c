//! The identity capability's services, one per area.

pub mod followers;

pub use followers::FollowerService;
