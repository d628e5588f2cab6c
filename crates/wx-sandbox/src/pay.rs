//! Red packets: `mmpaymkttransfers/sendredpack` (XML, MD5 sign). (To be filled in: the
//! second part of issue 4.)

use crate::Sandbox;
use axum::Router;
use serde::{Deserialize, Serialize};

/// Merchants and sent red packets.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PayState {}

pub fn routes() -> Router<Sandbox> {
    Router::new()
}
