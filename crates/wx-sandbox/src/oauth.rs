//! Web OAuth: the `connect/oauth2/authorize` page and `sns/*`. (To be filled in: the second
//! part of issue 4.)

use crate::Sandbox;
use axum::Router;
use serde::{Deserialize, Serialize};

/// OAuth codes and web access tokens.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct OAuthState {}

pub fn routes() -> Router<Sandbox> {
    Router::new()
}
