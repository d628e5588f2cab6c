//! Storage: one trait per capability, one implementation per backend.
//!
//! [`Db`] is the connection pool of the backend chosen by `database_url`'s scheme (SQLite by
//! default, PostgreSQL for `postgres://`). [`Store`] holds one `Arc<dyn …Store>` per
//! capability, built once from the `Db`; services take the trait objects they need and never
//! see SQL. Migrations live per backend in `crates/wxhub/migrations/{sqlite,postgres}/`, are
//! embedded in the binary and run at start. Queries are runtime-checked (`sqlx::query`), so
//! building needs no database. Every store's SQL is written once, with `$N` placeholders, in
//! `sql/<cap>.rs` (whose module doc says how to add a store); the backend folders hold the
//! invocations (`shared.rs`) and only what is no SQL of a store. Times have one representation
//! per backend (`sql::Columns`): INTEGER UTC milliseconds on SQLite, `TIMESTAMPTZ` on
//! PostgreSQL.

pub mod accounts;
pub mod bindings;
pub mod callers;
pub mod contact_queries;
pub mod contacts;
mod error;
pub mod events;
pub mod followers;
mod gate;
pub mod idempotency;
pub mod jobs;
pub mod message_centre;
pub mod postgres;
pub mod proxy_tokens;
pub mod qrcodes;
pub mod replies;
mod sql;
pub mod sqlite;
pub mod tags;
pub mod tokens;
pub mod users;
pub mod webhooks;

use std::sync::Arc;

pub use error::StoreError;

use crate::core::clock::SharedClock;
use crate::core::dsn::{database_kind, DatabaseKind};
use accounts::AccountStore;
use bindings::BindingStore;
use callers::CallerStore;
use contact_queries::DirectoryReads;
use contacts::ContactsStore;
use events::EventStore;
use followers::FollowerStore;
pub use gate::{GatePass, WriteGate};
use idempotency::IdempotencyStore;
use jobs::{InstanceStore, JobStore, Leases};
use message_centre::MessageLogStore;
use proxy_tokens::ProxyTokenStore;
use qrcodes::QrCodeStore;
use replies::ReplyRuleStore;
use tags::TagStore;
use tokens::TokenStore;
use users::UserStore;
use webhooks::WebhookStore;

/// A connection pool to the configured backend.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Opening the database failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Scheme(#[from] crate::core::dsn::UnknownScheme),
    #[error("creating directory {path} for the SQLite database")]
    CreateDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("connecting to the database")]
    Connect(#[source] sqlx::Error),
}

impl Db {
    /// Connects to `url`; the scheme picks the backend. A SQLite file (and its directory) is
    /// created when missing.
    pub async fn connect(url: &str) -> Result<Db, ConnectError> {
        match database_kind(url)? {
            DatabaseKind::Sqlite => sqlite::connect(url).await.map(Db::Sqlite),
            DatabaseKind::Postgres => postgres::connect(url).await.map(Db::Postgres),
        }
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite")
                .run(pool)
                .await
                .map_err(StoreError::Migrate),
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres")
                .run(pool)
                .await
                .map_err(StoreError::Migrate),
        }
    }

    /// One round trip: is the store reachable?
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop)?,
            Db::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop)?,
        }
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// Every capability's storage, behind its trait. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub db: Db,
    pub accounts: Arc<dyn AccountStore>,
    pub callers: Arc<dyn CallerStore>,
    pub tokens: Arc<dyn TokenStore>,
    pub events: Arc<dyn EventStore>,
    pub webhooks: Arc<dyn WebhookStore>,
    pub followers: Arc<dyn FollowerStore>,
    pub bindings: Arc<dyn BindingStore>,
    pub users: Arc<dyn UserStore>,
    pub reply_rules: Arc<dyn ReplyRuleStore>,
    pub proxy_tokens: Arc<dyn ProxyTokenStore>,
    pub qrcodes: Arc<dyn QrCodeStore>,
    pub tags: Arc<dyn TagStore>,
    pub contacts: Arc<dyn ContactsStore>,
    pub message_log: Arc<dyn MessageLogStore>,
    /// The contacts directory's queries and admin roles.
    pub contact_queries: Arc<dyn DirectoryReads>,
    pub idempotency: Arc<dyn IdempotencyStore>,
    pub jobs: Arc<dyn JobStore>,
    pub instances: Arc<dyn InstanceStore>,
    /// Every store whose rows are leased to an instance, for giving a gone one's back.
    pub leases: Vec<Arc<dyn Leases>>,
}

/// "New deliveries are due": whatever created them (fan-out's step, or a store that fans
/// out inside the event batch) wakes the delivery workers that are waiting. A notification
/// while a worker is busy is kept for its next wait (a `watch`, not a bare `Notify`).
#[derive(Debug, Clone)]
pub struct DeliveriesReady(Arc<tokio::sync::watch::Sender<u64>>);

impl Default for DeliveriesReady {
    fn default() -> Self {
        DeliveriesReady(Arc::new(tokio::sync::watch::Sender::new(0)))
    }
}

impl DeliveriesReady {
    pub fn notify(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A listener (a `jobs::Signal`) woken by every later [`DeliveriesReady::notify`].
    pub fn listen(&self) -> tokio::sync::watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// Where new events are fanned out to webhooks.
#[derive(Clone, Default)]
pub enum Dispatch {
    /// By fan-out's own step (`webhooks::fanout`), in a transaction of its own after the
    /// events' batch: needed whenever a bus must have the events before they count as
    /// dispatched (NATS), and on PostgreSQL.
    #[default]
    Separate,
    /// Inside the event batch's transaction, on a SQLite file: the deliveries are created
    /// and the events marked dispatched as they are stored, and `ready` is told once they
    /// are committed. Only for the outbox bus, which has nothing to publish. It saves the
    /// second write transaction per batch (and its rewrite of every event row) that fan-out's
    /// own step costs, and the write lock it holds while callbacks wait.
    InEventBatch {
        clock: SharedClock,
        ready: DeliveriesReady,
    },
}

impl Store {
    /// Fan-out in its own step ([`Dispatch::Separate`]).
    pub fn new(db: Db) -> Store {
        Store::with_dispatch(db, Dispatch::Separate)
    }

    pub fn with_dispatch(db: Db, dispatch: Dispatch) -> Store {
        match &db {
            Db::Sqlite(pool) => {
                let gate = WriteGate::serial();
                let jobs = Arc::new(sqlite::shared::SqliteJobStore::new(pool.clone()));
                let idempotency =
                    Arc::new(sqlite::shared::SqliteIdempotencyStore::new(pool.clone()));
                let webhooks = Arc::new(sqlite::shared::SqliteWebhookStore::new(
                    pool.clone(),
                    gate.clone(),
                ));
                let followers = Arc::new(sqlite::shared::SqliteFollowerStore::new(pool.clone()));
                let contacts = Arc::new(sqlite::shared::SqliteContactsStore::new(pool.clone()));
                Store {
                    accounts: Arc::new(sqlite::shared::SqliteAccountStore::new(pool.clone())),
                    callers: Arc::new(sqlite::shared::SqliteCallerStore::new(pool.clone())),
                    tokens: Arc::new(sqlite::shared::SqliteTokenStore::new(pool.clone())),
                    events: Arc::new(sqlite::events::SqliteEventStore::new(
                        pool.clone(),
                        gate.clone(),
                        dispatch,
                    )),
                    webhooks: webhooks.clone(),
                    followers: followers.clone(),
                    bindings: Arc::new(sqlite::shared::SqliteBindingStore::new(pool.clone())),
                    users: Arc::new(sqlite::shared::SqliteUserStore::new(pool.clone())),
                    reply_rules: Arc::new(sqlite::shared::SqliteReplyRuleStore::new(pool.clone())),
                    proxy_tokens: Arc::new(sqlite::shared::SqliteProxyTokenStore::new(
                        pool.clone(),
                    )),
                    qrcodes: Arc::new(sqlite::shared::SqliteQrCodeStore::new(pool.clone())),
                    tags: Arc::new(sqlite::shared::SqliteTagStore::new(pool.clone())),
                    contacts: contacts.clone(),
                    message_log: Arc::new(sqlite::shared::SqliteMessageLogStore::new(pool.clone())),
                    contact_queries: Arc::new(sqlite::shared::SqliteDirectoryReads::new(
                        pool.clone(),
                    )),
                    instances: jobs.clone(),
                    leases: vec![
                        jobs.clone(),
                        webhooks,
                        idempotency.clone(),
                        followers,
                        contacts,
                    ],
                    idempotency,
                    jobs,
                    db,
                }
            }
            Db::Postgres(pool) => {
                let jobs = Arc::new(postgres::shared::PgJobStore::new(pool.clone()));
                let idempotency = Arc::new(postgres::shared::PgIdempotencyStore::new(pool.clone()));
                let webhooks = Arc::new(postgres::shared::PgWebhookStore::new(
                    pool.clone(),
                    WriteGate::open(),
                ));
                let followers = Arc::new(postgres::shared::PgFollowerStore::new(pool.clone()));
                let contacts = Arc::new(postgres::shared::PgContactsStore::new(pool.clone()));
                Store {
                    accounts: Arc::new(postgres::shared::PgAccountStore::new(pool.clone())),
                    callers: Arc::new(postgres::shared::PgCallerStore::new(pool.clone())),
                    tokens: Arc::new(postgres::shared::PgTokenStore::new(pool.clone())),
                    events: Arc::new(postgres::shared::PgEventStore::new(
                        pool.clone(),
                        WriteGate::open(),
                    )),
                    webhooks: webhooks.clone(),
                    followers: followers.clone(),
                    bindings: Arc::new(postgres::shared::PgBindingStore::new(pool.clone())),
                    users: Arc::new(postgres::shared::PgUserStore::new(pool.clone())),
                    reply_rules: Arc::new(postgres::shared::PgReplyRuleStore::new(pool.clone())),
                    proxy_tokens: Arc::new(postgres::shared::PgProxyTokenStore::new(pool.clone())),
                    qrcodes: Arc::new(postgres::shared::PgQrCodeStore::new(pool.clone())),
                    tags: Arc::new(postgres::shared::PgTagStore::new(pool.clone())),
                    contacts: contacts.clone(),
                    message_log: Arc::new(postgres::shared::PgMessageLogStore::new(pool.clone())),
                    contact_queries: Arc::new(postgres::shared::PgDirectoryReads::new(
                        pool.clone(),
                    )),
                    instances: jobs.clone(),
                    leases: vec![
                        jobs.clone(),
                        webhooks,
                        idempotency.clone(),
                        followers,
                        contacts,
                    ],
                    idempotency,
                    jobs,
                    db,
                }
            }
        }
    }
}
