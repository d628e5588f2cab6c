//! Every store on PostgreSQL: the invocations of the store macros of `store/sql/`, whose SQL is
//! written once for both backends. Nothing else of a store differs on
//! PostgreSQL; `mod.rs` connects.

use crate::store::sql::accounts::account_store;
use crate::store::sql::bindings::binding_store;
use crate::store::sql::callers::caller_store;
use crate::store::sql::contact_queries::contact_query_store;
use crate::store::sql::contacts::contacts_store;
use crate::store::sql::events::event_store;
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
    /// [`AccountStore`](crate::store::accounts::AccountStore) on PostgreSQL.
    pub struct PgAccountStore(sqlx::Postgres);
}

caller_store! {
    /// [`CallerStore`](crate::store::callers::CallerStore) on PostgreSQL.
    pub struct PgCallerStore(sqlx::Postgres);
}

event_store! {
    /// [`EventStore`](crate::store::events::EventStore) on PostgreSQL.
    pub struct PgEventStore(sqlx::Postgres);
    followers = PgFollowerStore;
}

binding_store! {
    /// [`BindingStore`](crate::store::bindings::BindingStore) on PostgreSQL.
    pub struct PgBindingStore(sqlx::Postgres);
}

follower_store! {
    /// [`FollowerStore`](crate::store::followers::FollowerStore) on PostgreSQL.
    pub struct PgFollowerStore(sqlx::Postgres);
    lock = " FOR UPDATE SKIP LOCKED";
}

reply_rule_store! {
    /// [`ReplyRuleStore`](crate::store::replies::ReplyRuleStore) on PostgreSQL.
    pub struct PgReplyRuleStore(sqlx::Postgres);
}

token_store! {
    /// [`TokenStore`](crate::store::tokens::TokenStore) on PostgreSQL.
    pub struct PgTokenStore(sqlx::Postgres);
}

webhook_store! {
    /// [`WebhookStore`](crate::store::webhooks::WebhookStore) on PostgreSQL.
    pub struct PgWebhookStore(sqlx::Postgres);
    fan_out = PgFanOut;
}

job_store! {
    /// The jobs harness's store ([`JobStore`](crate::store::jobs::JobStore), instances and
    /// their leases) on PostgreSQL.
    pub struct PgJobStore(sqlx::Postgres);
    lock = " FOR UPDATE SKIP LOCKED";
}

proxy_token_store! {
    /// [`ProxyTokenStore`](crate::store::proxy_tokens::ProxyTokenStore) on PostgreSQL.
    pub struct PgProxyTokenStore(sqlx::Postgres);
}

idempotency_store! {
    /// [`IdempotencyStore`](crate::store::idempotency::IdempotencyStore) on PostgreSQL.
    pub struct PgIdempotencyStore(sqlx::Postgres);
}

user_store! {
    /// [`UserStore`](crate::store::users::UserStore) on PostgreSQL.
    pub struct PgUserStore(sqlx::Postgres);
}

qrcode_store! {
    /// [`QrCodeStore`](crate::store::qrcodes::QrCodeStore) on PostgreSQL.
    pub struct PgQrCodeStore(sqlx::Postgres);
}

tag_store! {
    /// [`TagStore`](crate::store::tags::TagStore) on PostgreSQL.
    pub struct PgTagStore(sqlx::Postgres);
}

contacts_store! {
    /// [`ContactsStore`](crate::store::contacts::ContactsStore) on PostgreSQL.
    pub struct PgContactsStore(sqlx::Postgres);
}

message_log_store! {
    /// [`MessageLogStore`](crate::store::message_centre::MessageLogStore) on PostgreSQL.
    pub struct PgMessageLogStore(sqlx::Postgres);
}

contact_query_store! {
    /// [`DirectoryReads`](crate::store::contact_queries::DirectoryReads) on PostgreSQL.
    pub struct PgDirectoryReads(sqlx::Postgres);
}
