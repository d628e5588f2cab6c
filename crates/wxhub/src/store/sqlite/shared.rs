//! Every store on SQLite: the invocations of the store macros of `store/sql/`, whose SQL is
//! written once for both backends. What is no SQL of a store lives beside this
//! file: the event store with its rusqlite batch writer (`events.rs`, `event_batch.rs`) and
//! the WAL checkpoint.

use crate::store::sql::accounts::account_store;
use crate::store::sql::bindings::binding_store;
use crate::store::sql::callers::caller_store;
use crate::store::sql::contact_queries::contact_query_store;
use crate::store::sql::contacts::contacts_store;
use crate::store::sql::followers::follower_store;
use crate::store::sql::idempotency::idempotency_store;
use crate::store::sql::jobs::job_store;
use crate::store::sql::message_centre::message_log_store;
use crate::store::sql::proxy_tokens::proxy_token_store;
use crate::store::sql::qrcodes::qrcode_store;
use crate::store::sql::replies::reply_rule_store;
use crate::store::sql::tags::tag_store;
use crate::store::sql::tokens::token_store;
use crate::store::sql::users::user_store;
use crate::store::sql::webhooks::webhook_store;

account_store! {
    /// [`AccountStore`](crate::store::accounts::AccountStore) on SQLite.
    pub struct SqliteAccountStore(sqlx::Sqlite);
}

caller_store! {
    /// [`CallerStore`](crate::store::callers::CallerStore) on SQLite.
    pub struct SqliteCallerStore(sqlx::Sqlite);
}

binding_store! {
    /// [`BindingStore`](crate::store::bindings::BindingStore) on SQLite.
    pub struct SqliteBindingStore(sqlx::Sqlite);
}

follower_store! {
    /// [`FollowerStore`](crate::store::followers::FollowerStore) on SQLite (times are UTC
    /// milliseconds).
    pub struct SqliteFollowerStore(sqlx::Sqlite);
    lock = "";
}

reply_rule_store! {
    /// [`ReplyRuleStore`](crate::store::replies::ReplyRuleStore) on SQLite.
    pub struct SqliteReplyRuleStore(sqlx::Sqlite);
}

token_store! {
    /// [`TokenStore`](crate::store::tokens::TokenStore) on SQLite.
    pub struct SqliteTokenStore(sqlx::Sqlite);
}

webhook_store! {
    /// [`WebhookStore`](crate::store::webhooks::WebhookStore) on SQLite.
    pub struct SqliteWebhookStore(sqlx::Sqlite);
    fan_out = SqliteFanOut;
}

job_store! {
    /// The jobs harness's store ([`JobStore`](crate::store::jobs::JobStore), instances and
    /// their leases) on SQLite.
    pub struct SqliteJobStore(sqlx::Sqlite);
    lock = "";
}

proxy_token_store! {
    /// [`ProxyTokenStore`](crate::store::proxy_tokens::ProxyTokenStore) on SQLite.
    pub struct SqliteProxyTokenStore(sqlx::Sqlite);
}

idempotency_store! {
    /// [`IdempotencyStore`](crate::store::idempotency::IdempotencyStore) on SQLite.
    pub struct SqliteIdempotencyStore(sqlx::Sqlite);
}

user_store! {
    /// [`UserStore`](crate::store::users::UserStore) on SQLite.
    pub struct SqliteUserStore(sqlx::Sqlite);
}

qrcode_store! {
    /// [`QrCodeStore`](crate::store::qrcodes::QrCodeStore) on SQLite.
    pub struct SqliteQrCodeStore(sqlx::Sqlite);
}

tag_store! {
    /// [`TagStore`](crate::store::tags::TagStore) on SQLite.
    pub struct SqliteTagStore(sqlx::Sqlite);
}

contacts_store! {
    /// [`ContactsStore`](crate::store::contacts::ContactsStore) on SQLite.
    pub struct SqliteContactsStore(sqlx::Sqlite);
}

message_log_store! {
    /// [`MessageLogStore`](crate::store::message_centre::MessageLogStore) on SQLite.
    pub struct SqliteMessageLogStore(sqlx::Sqlite);
}

contact_query_store! {
    /// [`DirectoryReads`](crate::store::contact_queries::DirectoryReads) on SQLite.
    pub struct SqliteDirectoryReads(sqlx::Sqlite);
}
