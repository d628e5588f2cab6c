//! The identity capability's services, one per area.

pub mod bindings;
pub mod followers;
pub mod profiles;
pub mod scan_bind;
pub mod sync;
pub mod users;

pub use bindings::BindingService;
pub use followers::FollowerService;
pub use profiles::{ProfileFetcher, ProfileReader};
pub use scan_bind::{ScanBindError, ScanToBind, ScanToBindJob};
pub use sync::FollowerSync;
pub use users::{UserError, UserService};
