//! The wxhub integration tests: one binary, a module per capability.
//!
//! Hubs run in-process on port 0 with their own shutdown token and a fresh database each
//! (a SQLite file in a temp dir, or a PostgreSQL schema `t_<ulid>`). Set `TEST_LOG=1` to see
//! the hub's logs. PostgreSQL tests use `WXHUB_TEST_DATABASE_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`) and fail when it is unreachable.

mod accounts;
mod bindings;
mod bus;
mod callbacks;
mod callers;
mod cli;
mod contacts;
mod contacts_queries;
mod demo;
mod events;
mod follower_sync;
mod followers;
mod health;
mod helpers;
mod idempotency;
mod jobs;
mod lifecycle;
mod limits;
mod load_shedding;
mod menus;
mod message_centre;
mod proxy_sdk;
mod qrcodes;
mod receiver;
mod relay;
mod reliability;
mod replies;
mod security;
mod store;
mod tags;
mod test_clock;
mod token_engine;
mod tokens;
mod users;
mod webhooks;
mod wechat;
