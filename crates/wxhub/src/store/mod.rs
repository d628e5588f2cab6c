//! Storage traits per capability, one implementation per backend.
pub mod tokens;
