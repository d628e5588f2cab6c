//! The identity capability's services, one per area.

pub mod bindings;
pub mod followers;
pub mod scan_bind;
pub mod users;

pub use bindings::BindingService;
pub use followers::FollowerService;
pub use scan_bind::{ScanBindError, ScanToBind, ScanToBindJob};
pub use users::{UserError, UserService};
