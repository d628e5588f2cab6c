//! PostgreSQL implementations of the storage traits.
pub mod tokens;
