//! Store contract tests: one generic body per trait, run on SQLite and on PostgreSQL.

mod accounts;
mod bindings;
mod callers;
pub(crate) mod contact_queries;
mod events;
mod followers;
mod idempotency;
mod jobs;
mod message_centre;
mod migration;
mod proxy_tokens;
mod qrcodes;
mod replies;
mod tags;
mod tokens;
mod webhooks;

/// Declares `<name>_on_sqlite` and `<name>_on_postgres` running `body(store)`.
macro_rules! on_both_backends {
    ($sqlite:ident, $postgres:ident, $body:path) => {
        #[tokio::test]
        async fn $sqlite() {
            let db = crate::helpers::TestDb::new(crate::helpers::Backend::Sqlite).await;
            $body(db.store().await).await;
        }

        #[tokio::test]
        async fn $postgres() {
            let db = crate::helpers::TestDb::new(crate::helpers::Backend::Postgres).await;
            $body(db.store().await).await;
        }
    };
}
pub(crate) use on_both_backends;
