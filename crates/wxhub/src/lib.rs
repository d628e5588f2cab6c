//! wxhub: a self-hosted hub between an organisation's business systems and WeChat.
//!
//! One folder per capability (`accounts/`, `callers/`, …), each with a service (domain logic
//! over storage traits, no axum) and routes (handlers that parse, call the service and map
//! errors). Shared infrastructure: `store/` (one trait per capability, SQLite and PostgreSQL
//! implementations), `http/` (router, error envelope, extractors, caller auth), `config`,
//! `cli/`. The entry point [`serve`] takes a bound listener and its own shutdown token, so
//! several hubs (and the sandbox) can run in one process.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod app;
pub mod bus;
pub mod cache;
pub mod callbacks;
pub mod callers;
pub mod cli;
pub mod config;
pub mod contacts;
pub mod core;
#[cfg(feature = "sandbox")]
pub mod demo;
pub mod events;
pub mod http;
pub mod identity;
pub mod jobs;
pub mod jssdk;
pub mod menus;
pub mod message_centre;
pub mod proxy;
pub mod qrcode;
pub mod replies;
pub mod store;
pub mod tags;
pub mod telemetry;
pub mod tokens;
pub mod webhooks;
pub mod wechat;

pub use crate::core::Secret;
pub use app::{serve, App, AppState};
pub use config::Config;

/// The crate version, printed by `wxhub version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
