//! What every layer may use and nothing in it depends on: ids (one macro for hub-minted
//! ULID ids, one for names given from outside), the WeChat identity types, money, rate limits ([`rate`]), the
//! [`clock::Clock`], [`secret::Secret`], sealing with the master key ([`crypto`]) and
//! Standard Webhooks signing ([`signing`]), and the
//! `Idempotency-Key` claim a request runs under ([`effects`]). `core/` imports no capability and nothing
//! above it.

pub mod clock;
pub mod crypto;
pub mod dsn;
pub mod effects;
mod field;
pub mod identity;
pub mod ids;
pub mod money;
pub mod rate;
pub mod secret;
pub mod signing;

pub use field::{InvalidAt, InvalidField};
pub use identity::{CorpUserId, OpenId, Uid, UnionId};
pub use money::Fen;
pub use rate::RateLimit;
pub use secret::Secret;
