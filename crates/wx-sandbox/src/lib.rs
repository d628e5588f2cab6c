//! wx-sandbox: a simulator of WeChat's servers, with a driver that plays the users' side.
//!
//! The WeChat endpoints are served at WeChat's own paths from the root (`/cgi-bin/token`,
//! `/cgi-bin/qrcode/create`, …), with WeChat's JSON shapes, errcodes and errmsg texts, so any
//! SDK whose API base is pointed at the sandbox talks to it unchanged. The driver API under
//! `/sandbox/` creates accounts and simulated users and makes those users act (follow, scan,
//! send, click); each action POSTs a real, signed (and, per mode, encrypted) callback to the
//! app's URL, and the decoded passive reply lands in the user's inbox.
//!
//! Key design decisions:
//! - All state sits in one [`state::State`] behind one cheap mutex; handlers lock, read or
//!   mutate, unlock — no I/O and no `.await` under the lock. Callbacks are delivered after the
//!   lock is released.
//! - Time is the sandbox's own [`clock::Clock`], which the driver can advance, so token and
//!   window expiry are testable without sleeping.
//! - Wire formats (crypto, signatures, inbound XML, passive replies) come from `wx-protocol`,
//!   the same definitions the hub uses on the other side.
//! - Written from WeChat's published behaviour and the seeds, never from the hub's code.
#![forbid(unsafe_code)]

pub mod auth;
pub mod bench;
pub mod callbacks;
pub mod cli;
pub mod client;
pub mod clock;
pub mod common;
pub mod config;
pub mod driver;
pub mod errors;
mod extract;
pub mod faults;
pub mod ids;
pub mod mp;
pub mod oauth;
pub mod pay;
mod persist;
mod sandbox;
pub mod server;
mod shared;
pub mod state;
pub mod tokens;
pub mod work;

pub use config::SandboxConfig;
pub use sandbox::Sandbox;
pub use server::{serve, spawn, RunningSandbox};
