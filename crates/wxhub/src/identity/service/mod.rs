//! The identity capability's services, one per area.

pub mod followers;
pub mod profiles;
pub mod sync;

pub use followers::FollowerService;
pub use profiles::{ProfileFetcher, ProfileReader};
pub use sync::FollowerSync;
