//! The PostgreSQL backend, for several `wxhub serve` instances sharing one state.

pub mod shared;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::store::ConnectError;

pub(crate) async fn connect(url: &str) -> Result<PgPool, ConnectError> {
    let options = PgConnectOptions::from_str(url).map_err(ConnectError::Connect)?;
    PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(ConnectError::Connect)
}
