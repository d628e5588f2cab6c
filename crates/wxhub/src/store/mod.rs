//! Storage traits per capability, one implementation per backend.
pub mod postgres;
pub mod sqlite;
pub mod tokens;
