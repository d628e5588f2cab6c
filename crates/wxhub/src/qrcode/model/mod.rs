//! The QR capability's domain types, one file per area: the codes themselves and the rules
//! a request must meet (`codes`), the scan statistics the event batch counts (`stats`), and
//! the publishable keys of seed 000's JSONP route (`keys`).

mod codes;
mod keys;
mod stats;

pub use codes::{
    EncodedScene, ExpireLimit, PermanentSceneId, QrCode, QrCodeId, QrKind, QrSettings,
    TemporaryScene, DEFAULT_EXPIRE_SECS, SEED_MAX_EXPIRE_SECS, WECHAT_MAX_EXPIRE_SECS,
};
pub use keys::{KeyDomains, PublishableKey, PublishableKeyId, KEY_PREFIX};
pub use stats::{scan_tally, DayCount, DayIncrement, QrStats, ScanTally, Scanner, TicketDay};
