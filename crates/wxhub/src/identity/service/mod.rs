//! The identity capability's services, one per area.

pub mod bindings;
pub mod followers;

pub use bindings::BindingService;
pub use followers::FollowerService;
