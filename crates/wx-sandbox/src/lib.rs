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
//!
//! # Module map
//!
//! Dependencies point one way, top to bottom: each area (`mp`, `work`, `pay`, `oauth`) keeps
//! its data in a `model` module below [`state`] and its routes above `sandbox`, so no module
//! imports one that imports it back. (Counting an area folder as one module, the only loop is
//! an area's routes reaching their own model through the handle and the aggregate.)
//!
//! - `ids`, `errors`, `clock`, `config`, `extract`: typed ids and secrets' comparison, WeChat's
//!   errcodes and error answer, the movable clock, the configuration, WeChat-shaped extractors.
//! - [`common`]: types every area shares: `InboxItem`, `CallbackMode`, the callback IPs, the
//!   state file's base64 helper.
//! - [`tokens`]: the access-token registry (`Tokens`: issue, check, expire, chains) and
//!   `Ticket` with its issue-or-reuse rule.
//! - `mp::model`, `work::model`, `pay::model`, `oauth::model`: each area's data and its pure
//!   operations (accounts, users, tags, quotas; corps, directory; merchants, red-packet
//!   quotas; OAuth codes and web tokens). No axum, no lock. `work::model` keeps members and
//!   departments in indexed collections (department → members, parent → children), and
//!   `work::changes` holds the directory writes both WeCom's write APIs and the driver use.
//! - [`state`]: the aggregate, one field per area plus the token registry, and the few
//!   lookups one area makes into another (a red packet's recipient).
//! - `persist`: the optional state file. [`faults`]: the fault table.
//! - `sandbox` ([`Sandbox`]): the handle (the one lock around `State`, clock, faults, HTTP
//!   client, task tracker).
//! - [`auth`]: access-token extractors (`Caller`, `MpAuth`, `WorkAuth`), with WeCom's
//!   trusted-IP check (60020) on the peer address `serve` records. [`callbacks`]:
//!   pushing signed/encrypted callbacks and reading passive replies.
//! - [`mp`], [`work`], [`pay`], [`oauth`] (besides `model`): WeChat's routes per area: lock,
//!   call the model, shape WeChat's JSON. `shared`: paths MP and WeCom share, dispatched on the
//!   token's owner.
//! - [`driver`]: the users' side, the `/sandbox/` JSON API.
//! - [`server`]: the router with every area merged, the fault middleware, `serve`/`spawn`.
//! - [`client`], [`bench`](mod@bench), [`cli`]: the driver's typed HTTP client, the load
//!   generator, the `wxhub sandbox` command line.
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
