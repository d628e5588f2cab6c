//! WeCom (企业微信): `cgi-bin/gettoken` & co, the directory, app messages and
//! change_contact callbacks. (To be filled in: the second part of issue 4.)

use crate::Sandbox;
use axum::Router;
use serde::{Deserialize, Serialize};

pub mod shared;

/// WeCom corps, apps and directories.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct WorkState {}

/// WeCom-only paths (`cgi-bin/gettoken`, `cgi-bin/department/list`, …). Paths both sides
/// share are routed in `crate::shared`, which calls into [`shared`] for WeCom tokens.
pub fn routes() -> Router<Sandbox> {
    Router::new()
}
