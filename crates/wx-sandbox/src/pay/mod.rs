//! WeChat Pay red packets (现金红包): `mmpaymkttransfers/sendredpack`, at the pay host's path.
//!
//! A merchant (`mch_id`, API key, the Official Account's AppID it pays for) is registered
//! through the driver (`POST /sandbox/pay/merchants`). A sent red packet lands in the
//! receiving user's inbox (`kind: "redpack"`). See [`redpack`] for the rules checked and the
//! error codes answered; [`model`] holds the merchants' data and their quota rules;
//! [`xml`] reads and writes pay's flat XML.

use crate::Sandbox;
use axum::Router;

pub mod model;
pub mod redpack;
pub mod xml;

pub use model::{Merchant, PayState};

pub fn routes() -> Router<Sandbox> {
    Router::new().merge(redpack::routes())
}
