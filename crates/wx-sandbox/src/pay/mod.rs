//! WeChat Pay red packets (现金红包): `mmpaymkttransfers/sendredpack`, at the pay host's path.
//!
//! A merchant (`mch_id`, API key, the Official Account's AppID it pays for) is registered
//! through the driver (`POST /sandbox/pay/merchants`). A sent red packet lands in the
//! receiving user's inbox (`kind: "redpack"`). See [`redpack`] for the rules checked and the
//! error codes answered; [`xml`] reads and writes pay's flat XML.

use crate::Sandbox;
use axum::Router;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub mod merchant;
pub mod redpack;
pub mod xml;

pub use merchant::Merchant;

/// Merchants and the red packets they sent.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PayState {
    #[serde(default)]
    pub merchants: BTreeMap<String, Merchant>,
}

pub fn routes() -> Router<Sandbox> {
    Router::new().merge(redpack::routes())
}
